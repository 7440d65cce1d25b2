// The CLI's CSV reading (RFC 4180) and the mapping of CSV rows to importFilePlan units.
import { describe, expect, it } from 'vitest';
import { CliError } from '../../src/cli/runtime.js';
import { CsvError, detectDelimiter, parseCsv } from '../../src/cli/csv.js';
import { unitsFromCsv } from '../../src/cli/plan.js';

const fieldsOf = (text: string) => parseCsv(text).map((r) => r.fields);

describe('parseCsv', () => {
  it('reads quoted fields with delimiters, doubled quotes and line breaks; trims unquoted fields only', () => {
    expect(fieldsOf('a,b,c\n1, "x, y" ,"say ""hi"""\n"two\r\nlines",, z \n')).toEqual([
      ['a', 'b', 'c'],
      ['1', 'x, y', 'say "hi"'],
      ['two\r\nlines', '', 'z'],
    ]);
  });

  it('knows where each record starts, skips blank lines, takes CRLF, a BOM and no final line break', () => {
    expect(parseCsv('\uFEFFa;b\r\n\r\n"1\n2";3\r\n4;5')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 3, fields: ['1\n2', '3'] },
      { line: 5, fields: ['4', '5'] },
    ]);
    expect(fieldsOf('a,""\n')).toEqual([['a', '']]);
  });

  it('refuses an unclosed quote, text after a closing quote and a quote inside an unquoted field, naming the line', () => {
    expect(() => parseCsv('a\n"open\n\n')).toThrow(new CsvError('a quoted field is not closed', 2));
    expect(() => parseCsv('a,b\n"x"y,1\n')).toThrow(new CsvError('unexpected "y" after a closing quote', 2));
    expect(() => parseCsv('a,b\nx"y,1\n')).toThrow(new CsvError('a quote inside an unquoted field (quote the whole field and double the quote)', 2));
  });

  it('takes ; when the header has it outside quotes and no comma', () => {
    expect(detectDelimiter('code;title\n1,2;3')).toBe(';');
    expect(detectDelimiter('code,title;x\n')).toBe(',');
    expect(detectDelimiter('"a,b";c\n')).toBe(';');
    expect(detectDelimiter('code\n')).toBe(',');
  });
});

describe('unitsFromCsv', () => {
  it('maps the columns onto the importFilePlan body: empty retention = unlimited, empty optionals left out', () => {
    const csv = 'validUntil,disposal,retentionYears,title,code,parent,description,validFrom\n,a,,Ordnung,32,,,2026-01-01\n2030-12-31,B,10,"Gewerbe; Gaststätten",32.10,32,Notiz,\n';
    expect(unitsFromCsv(csv)).toEqual([
      { code: '32', title: 'Ordnung', retentionYears: null, disposal: 'A', validFrom: '2026-01-01' },
      { code: '32.10', title: 'Gewerbe; Gaststätten', retentionYears: 10, disposal: 'B', description: 'Notiz', validUntil: '2030-12-31' },
    ]);
  });

  const refused = (csv: string) => {
    try {
      unitsFromCsv(csv);
    } catch (err) {
      expect(err).toBeInstanceOf(CliError);
      expect((err as CliError).exitCode).toBe(6);
      return (err as CliError).detail;
    }
    throw new Error('not refused');
  };

  it('refuses what the API would not take, naming the line', () => {
    expect(refused('')).toBe('the CSV file is empty');
    expect(refused('code,title,retentionYears,disposal\n')).toBe('the CSV file has a header but no units');
    expect(refused('code,title,retentionYears\n1,a,2\n')).toBe('CSV line 1: missing column(s) disposal');
    expect(refused('code,title,retentionYears,disposal,owner\n')).toBe('CSV line 1: unknown column "owner" (columns: code, title, parent, description, retentionYears, disposal, validFrom, validUntil)');
    expect(refused('code,title,code,retentionYears,disposal\n')).toBe('CSV line 1: column code twice');
    expect(refused('code,title,retentionYears,disposal\n1,a,2\n')).toBe('CSV line 2: 3 fields, the header has 4');
    expect(refused('code,title,retentionYears,disposal\n1,a,zehn,A\n')).toBe('CSV line 2: retentionYears "zehn" is not a number of years (empty = unlimited)');
    expect(refused('code,title,retentionYears,disposal\n1,a,2,X\n')).toBe('CSV line 2: disposal "X" is not A, B or V');
    expect(refused('code,title,parent,retentionYears,disposal\n1,a,,2,A\n1.2,b,3,2,A\n')).toBe('CSV line 3: parent 3 does not match code 1.2 (a child\'s code extends its parent\'s by one segment)');
    expect(refused('code,title,parent,retentionYears,disposal\n1,a,0,2,A\n')).toBe('CSV line 2: parent 0 does not match code 1 (a child\'s code extends its parent\'s by one segment)');
    expect(refused('code,title,retentionYears,disposal\n1,"a,2,A\n')).toBe('CSV line 2: a quoted field is not closed');
  });
});
