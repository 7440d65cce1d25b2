// `en-akte plan import <file>` (JSON, CSV or XDOMEA 0301) and `en-akte plan show` (the tree).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Option, type Command } from 'commander';
import { unwrap, type paths } from '../../clients/typescript/src/index.js';
import { CsvError, parseCsv } from './csv.js';
import { CliError, connect, EXIT, globalsOf, output, rawCall, writeAtomically } from './runtime.js';

type ImportBody = paths['/v1/tenants/{tenant}/file-plan/import']['post']['requestBody']['content']['application/json'];
type ImportUnit = ImportBody['units'][number];

/** The CSV columns of a plan import: those of the importFilePlan body, plus `parent` (checked against the code). */
export const CSV_COLUMNS = ['code', 'title', 'parent', 'description', 'retentionYears', 'disposal', 'validFrom', 'validUntil'] as const;
const REQUIRED = ['code', 'title', 'retentionYears', 'disposal'] as const;

const invalid = (detail: string) => new CliError('invalid-input', detail, EXIT.invalidInput);

/**
 * The units of a CSV file plan. A header line names the columns (any order; `;` or `,`):
 * code, title, retentionYears (empty = unlimited) and disposal (A, B or V) are required;
 * description, validFrom, validUntil (YYYY-MM-DD) optional, empty = none; `parent`, when given,
 * must be the code without its last segment (the API derives the parent from the code).
 */
export function unitsFromCsv(text: string): ImportUnit[] {
  let rows;
  try {
    rows = parseCsv(text);
  } catch (err) {
    if (err instanceof CsvError) throw invalid(`CSV ${err.message}`);
    throw err;
  }
  const [header, ...records] = rows;
  if (!header) throw invalid('the CSV file is empty');
  const columns = header.fields.map((f) => f.trim());
  for (const c of columns) {
    if (!(CSV_COLUMNS as readonly string[]).includes(c)) throw invalid(`CSV line ${header.line}: unknown column ${JSON.stringify(c)} (columns: ${CSV_COLUMNS.join(', ')})`);
  }
  const dup = columns.find((c, i) => columns.indexOf(c) !== i);
  if (dup) throw invalid(`CSV line ${header.line}: column ${dup} twice`);
  const missing = REQUIRED.filter((c) => !columns.includes(c));
  if (missing.length) throw invalid(`CSV line ${header.line}: missing column(s) ${missing.join(', ')}`);
  if (records.length === 0) throw invalid('the CSV file has a header but no units');
  return records.map(({ line, fields }) => {
    if (fields.length !== columns.length) throw invalid(`CSV line ${line}: ${fields.length} fields, the header has ${columns.length}`);
    const row = Object.fromEntries(columns.map((c, i) => [c, fields[i]!])) as Partial<Record<(typeof CSV_COLUMNS)[number], string>>;
    const code = row.code!;
    const retention = row.retentionYears!;
    if (retention !== '' && !/^\d{1,3}$/.test(retention)) throw invalid(`CSV line ${line}: retentionYears ${JSON.stringify(retention)} is not a number of years (empty = unlimited)`);
    const disposal = row.disposal!.toUpperCase();
    if (disposal !== 'A' && disposal !== 'B' && disposal !== 'V') throw invalid(`CSV line ${line}: disposal ${JSON.stringify(row.disposal)} is not A, B or V`);
    if (row.parent !== undefined && row.parent !== '') {
      const implied = code.includes('.') ? code.slice(0, code.lastIndexOf('.')) : '';
      if (row.parent !== implied) throw invalid(`CSV line ${line}: parent ${row.parent} does not match code ${code} (a child's code extends its parent's by one segment)`);
    }
    const unit: ImportUnit = { code, title: row.title!, retentionYears: retention === '' ? null : Number(retention), disposal };
    if (row.description) unit.description = row.description;
    if (row.validFrom) unit.validFrom = row.validFrom;
    if (row.validUntil) unit.validUntil = row.validUntil;
    return unit;
  });
}

type Format = 'json' | 'csv' | 'xdomea';

/** The format of a plan file: by --format, else its extension, else its first bytes. */
function formatOf(file: string, bytes: Buffer, given?: Format): Format {
  if (given) return given;
  const ext = path.extname(file).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.csv' || ext === '.txt') return 'csv';
  if (ext === '.xml' || ext === '.zip') return 'xdomea';
  const head = bytes.subarray(0, 64).toString('utf8').replace(/^\uFEFF/, '').trimStart();
  if (head.startsWith('<') || bytes.subarray(0, 2).toString('latin1') === 'PK') return 'xdomea';
  if (head.startsWith('{') || head.startsWith('[')) return 'json';
  return 'csv';
}

async function readInput(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(code === 'ENOENT' ? 'file-not-found' : 'file-unreadable', `${file}: ${(err as Error).message}`, EXIT.invalidInput);
  }
}

interface TreeNode {
  code: string;
  title: string;
  retentionYears: number | null;
  disposal: string;
  retired: boolean;
  children?: TreeNode[];
}

/** The plan tree as indented text: `code  title  (10 years, B)`. */
export function renderTree(units: TreeNode[], depth = 0): string {
  let out = '';
  for (const u of units) {
    const retention = u.retentionYears === null ? 'unlimited' : `${u.retentionYears} ${u.retentionYears === 1 ? 'year' : 'years'}`;
    out += `${'  '.repeat(depth)}${u.code}  ${u.title}  (${retention}, ${u.disposal}${u.retired ? ', retired' : ''})\n`;
    if (u.children?.length) out += renderTree(u.children, depth + 1);
  }
  return out;
}

export function planCommands(program: Command): void {
  const plan = program.command('plan').description('the file plan (Aktenplan)');

  plan
    .command('import')
    .description('import units from a JSON, CSV or XDOMEA 0301 file (all or nothing; records-manager)')
    .argument('<file>', 'the file plan: .json ({"units":[…]} or […]), .csv, or .xml/.zip (XDOMEA Aktenplan.Aktenplan.0301)')
    .addOption(new Option('--format <format>', 'the file\'s format (default: from the extension, else its content)').choices(['json', 'csv', 'xdomea']))
    .addHelpText(
      'after',
      `
CSV: a header line, then one unit per line; "," or ";" separated, fields with separators, quotes or
line breaks in double quotes ("" for a quote). Columns (any order):
  code            required, e.g. 32.10.05 (a child's code extends its parent's by one segment)
  title           required
  parent          optional: the parent's code, checked against the code (32.10 for 32.10.05)
  description     optional
  retentionYears  required column: years after the close year; empty = unlimited
  disposal        required: A (archive), B (the archive appraises), V (destroy)
  validFrom       optional, YYYY-MM-DD
  validUntil      optional, YYYY-MM-DD

Example:
  code,title,parent,retentionYears,disposal
  32,Ordnung,,,A
  32.10,"Gewerbe, Gaststätten",32,10,B

A unit that exists already rejects the whole import: exit 5, code unit-exists.
`,
    )
    .action(async (file: string, opts: { format?: Format }, command: Command) => {
      const g = globalsOf(command);
      const bytes = await readInput(file);
      const format = formatOf(file, bytes, opts.format);
      let body: ImportBody | undefined;
      if (format === 'csv') body = { units: unitsFromCsv(bytes.toString('utf8')) };
      else if (format === 'json') {
        let parsed: unknown;
        try {
          parsed = JSON.parse(bytes.toString('utf8').replace(/^\uFEFF/, ''));
        } catch (err) {
          throw invalid(`${file} is not JSON: ${(err as Error).message}`);
        }
        body = (Array.isArray(parsed) ? { units: parsed } : parsed) as ImportBody;
      }
      const { client, tenant } = await connect(g);
      if (body) {
        const result = await unwrap(client.api.POST('/v1/tenants/{tenant}/file-plan/import', { params: { path: { tenant } }, body }));
        output(g, result, `created ${result.created} unit(s) in ${tenant}'s file plan`);
        return;
      }
      const zip = bytes.subarray(0, 2).toString('latin1') === 'PK';
      const res = await rawCall(client, 'POST')('/v1/tenants/{tenant}/xdomea/file-plan', {
        params: { path: { tenant } },
        body: bytes,
        bodySerializer: (b: unknown) => b,
        headers: { 'content-type': zip ? 'application/zip' : 'application/xml' },
      });
      const result = res.data as paths['/v1/tenants/{tenant}/xdomea/file-plan']['post']['responses'][201]['content']['application/json'];
      output(g, result, `created ${result.created} unit(s) (${result.retired} retired) in ${tenant}'s file plan from XDOMEA ${result.version}${result.sender ? ` (${result.sender})` : ''}`);
    });

  plan
    .command('export')
    .description('the file plan as XDOMEA Aktenplan.Aktenplan.0301 (XML, retired units marked Stillgelegt)')
    .requiredOption('--out <file>', 'where to write the message')
    .addOption(new Option('--xdomea-version <version>', 'XDOMEA version of the message').choices(['3.0.0', '4.0.0']).default('3.0.0'))
    .action(async (opts: { out: string; xdomeaVersion: '3.0.0' | '4.0.0' }, command: Command) => {
      const g = globalsOf(command);
      const { client, tenant } = await connect(g);
      const res = await rawCall(client, 'GET')('/v1/tenants/{tenant}/xdomea/file-plan', { params: { path: { tenant }, query: { version: opts.xdomeaVersion } }, parseAs: 'text' });
      const xml = res.data as string;
      await writeAtomically(opts.out, [Readable.from([Buffer.from(xml)])]);
      const bytes = Buffer.byteLength(xml);
      output(g, { file: opts.out, bytes, version: opts.xdomeaVersion }, `${tenant}'s file plan (XDOMEA ${opts.xdomeaVersion} 0301, ${bytes} bytes) written to ${opts.out}`);
    });

  plan
    .command('show')
    .description('the file plan as a tree (any role)')
    .option('--active', 'without retired units')
    .action(async (opts: { active?: boolean }, command: Command) => {
      const g = globalsOf(command);
      const { client, tenant } = await connect(g);
      const tree = await unwrap(client.api.GET('/v1/tenants/{tenant}/file-plan', { params: { path: { tenant }, query: { includeRetired: !opts.active } } }));
      output(g, tree, tree.units.length ? renderTree(tree.units as unknown as TreeNode[]) : `${tenant}'s file plan is empty`);
    });
}
