// CSV as RFC 4180 has it: fields separated by a delimiter, a field in double quotes may hold the
// delimiter, line breaks and doubled quotes (""). Spreadsheets in Germany write `;`, so the header
// line decides: `;` when it holds one outside quotes and no `,`.

export class CsvError extends Error {
  override readonly name = 'CsvError';
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
  }
}

export interface CsvRow {
  /** Line (1-based) where the record starts. */
  line: number;
  fields: string[];
}

/** The delimiter of a CSV text: `;` when its first line has one (outside quotes) and no `,`, else `,`. */
export function detectDelimiter(text: string): ',' | ';' {
  let quoted = false;
  let comma = false;
  let semicolon = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && ch === ',') comma = true;
    else if (!quoted && ch === ';') semicolon = true;
  }
  return semicolon && !comma ? ';' : ',';
}

/** Parses CSV into records; blank lines are skipped, unquoted fields trimmed. */
export function parseCsv(input: string, delimiter: ',' | ';' = detectDelimiter(input)): CsvRow[] {
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const rows: CsvRow[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false; // inside a quoted field
  let wasQuoted = false; // the current field was quoted (not trimmed)
  let afterQuote = false; // the closing quote was read; only a delimiter or line end may follow
  let line = 1;
  let rowLine = 1;
  const endField = () => {
    fields.push(wasQuoted ? field : field.trim());
    field = '';
    wasQuoted = false;
    afterQuote = false;
  };
  const endRow = () => {
    endField();
    if (!(fields.length === 1 && fields[0] === '')) rows.push({ line: rowLine, fields });
    fields = [];
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          quoted = false;
          afterQuote = true;
        }
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
      continue;
    }
    if (ch === delimiter) endField();
    else if (ch === '\r' || ch === '\n') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRow();
      line++;
      rowLine = line;
    } else if (afterQuote) {
      if (ch !== ' ' && ch !== '\t') throw new CsvError(`unexpected ${JSON.stringify(ch)} after a closing quote`, line);
    } else if (ch === '"') {
      if (field.trim() !== '') throw new CsvError('a quote inside an unquoted field (quote the whole field and double the quote)', line);
      field = '';
      quoted = true;
      wasQuoted = true;
    } else field += ch;
  }
  if (quoted) throw new CsvError('a quoted field is not closed', rowLine);
  if (field !== '' || wasQuoted || fields.length > 0) endRow();
  return rows;
}
