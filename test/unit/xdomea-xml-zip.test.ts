import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { deflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { AppError } from '../../src/errors.js';
import { receiveMessage } from '../../src/modules/xdomea/message-in.js';
import { abgabeMessage, type OutFile } from '../../src/modules/xdomea/messages/abgabe.js';
import { planMessage } from '../../src/modules/xdomea/messages/plan.js';
import { primaryFiles, readRecords } from '../../src/modules/xdomea/messages/records.js';
import { parseUntrusted } from '../../src/modules/xdomea/xml/safe.js';
import { schemaErrors, versionOfNamespace, XDOMEA_VERSIONS } from '../../src/modules/xdomea/xml/validate.js';
import { serialize } from '../../src/modules/xdomea/xml/writer.js';
import { bufferSource, entryNameProblem, openSafeZip, readEntry, writeZip, type ZipLimits } from '../../src/modules/xdomea/zip/safe-zip.js';

const fixture = (p: string) => readFileSync(new URL(`../fixtures/xdomea/${p}`, import.meta.url));
const EXAMPLES = {
  '3.0.0': 'v3.0.0/9fde4e7a-b41b-11ec-9225-005056871b7c_Aussonderung.Aussonderung.0503.xml',
  '4.0.0': 'v4.0.0/518c7c31-d1a0-11ef-accb-005056871b7c_0503_1.xml',
} as const;

const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    if (e instanceof AppError) return { status: e.status, code: e.code, detail: e.message };
    throw e;
  }
  throw new Error('expected a refusal');
};

describe('XDOMEA XML: safe parsing and validation', () => {
  for (const v of XDOMEA_VERSIONS) {
    it(`the real ${v} example of the Landesarchiv NRW is valid against the ${v} schema`, () => {
      const doc = parseUntrusted(fixture(EXAMPLES[v]), 10_000_000);
      try {
        expect(versionOfNamespace(doc.root.namespaceUri)).toBe(v);
        expect(schemaErrors(doc, v)).toEqual([]);
      } finally {
        doc.dispose();
      }
    });
  }

  it('reports schema errors with line and message (an element removed from the 4.0.0 example)', () => {
    const text = fixture(EXAMPLES['4.0.0']).toString('utf8').replace(/<xdomea:ProzessID>[^<]*<\/xdomea:ProzessID>/, '');
    const doc = parseUntrusted(Buffer.from(text), 10_000_000);
    try {
      const errs = schemaErrors(doc, '4.0.0');
      expect(errs.length).toBeGreaterThan(0);
      expect(errs[0]!.line).toBe(text.split('\n').findIndex((l) => l.includes('<xdomea:nachrichtenkopf>')) + 1);
      expect(errs[0]!.message).toMatch(/nachrichtenkopf.*ProzessID/s);
    } finally {
      doc.dispose();
    }
  });

  it('refuses a DTD outright: internal subset, external entity (XXE), billion laughs, SYSTEM doctype', () => {
    const cases = [
      '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>',
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>',
      '<!DOCTYPE a SYSTEM "http://127.0.0.1:9/evil.dtd"><a/>',
      '<!-- c --><?pi x?>\n<!DOCTYPE a><a/>',
    ];
    for (const xml of cases) {
      const r = refusal(() => parseUntrusted(Buffer.from(xml), 1_000_000));
      expect(r).toEqual({ status: 422, code: 'message-invalid', detail: 'The message contains a document type declaration (DTD); DTDs are refused (no entities, no external references)' });
    }
  });

  it('refuses an undeclared entity, non-UTF-8, UTF-16, NUL and oversized input', () => {
    expect(refusal(() => parseUntrusted(Buffer.from('<a>&x;</a>'), 1000)).code).toBe('message-invalid');
    expect(refusal(() => parseUntrusted(Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><a/>'), 1000)).detail).toBe('Only UTF-8 is accepted, the message declares ISO-8859-1');
    expect(refusal(() => parseUntrusted(Buffer.from([0xff, 0xfe, 0x3c, 0]), 1000)).detail).toBe('Only UTF-8 is accepted, the message is UTF-16');
    expect(refusal(() => parseUntrusted(Buffer.from([0x3c, 0x61, 0xc3, 0x28, 0x2f, 0x3e]), 1000)).detail).toBe('The message is not valid UTF-8');
    expect(refusal(() => parseUntrusted(Buffer.from('<a>\u0000</a>'), 1000)).detail).toBe('The message contains NUL characters');
    expect(refusal(() => parseUntrusted(Buffer.alloc(1001, 0x20), 1000))).toMatchObject({ status: 413, code: 'payload-too-large' });
  });

  it('property: arbitrary bytes and XML-ish text are parsed or refused with message-invalid, never anything else', () => {
    const xmlish = fc.array(fc.constantFrom('<', '>', '/', 'a', '&', ';', '!', '?', '"', '=', ' ', '<!DOCTYPE', '<!ENTITY', ']]>', '<![CDATA[', 'xmlns:x="u"', '&#0;', '&#x10FFFF;', 'é', '\u0000', '\uFFFE'), { maxLength: 60 }).map((p) => p.join(''));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), xmlish.map((s) => new TextEncoder().encode(s))), (bytes) => {
        try {
          const doc = parseUntrusted(bytes, 100_000);
          doc.dispose();
        } catch (e) {
          expect(e).toBeInstanceOf(AppError);
          expect((e as AppError).code).toBe('message-invalid');
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('property: the writer escapes any text so that the result parses back to the same text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), fc.string({ maxLength: 40 }), (text, attr) => {
        const xml = serialize({ name: 'a', attrs: { v: attr }, children: [text] });
        const doc = parseUntrusted(Buffer.from(xml), 100_000);
        try {
          // Characters XML 1.0 cannot carry are dropped by the writer; all others survive.
          // eslint-disable-next-line no-control-regex
          const clean = (s: string) => s.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '');
          expect(doc.root.content).toBe(clean(text).replace(/\r\n?/g, '\n'));
          expect(doc.root.attr('v')?.value).toBe(clean(attr));
        } finally {
          doc.dispose();
        }
      }),
      { numRuns: 500 },
    );
  });

  for (const v of XDOMEA_VERSIONS) {
    it(`a produced 0301 validates against the official ${v} schema`, () => {
      const xml = serialize(planMessage({
        head: { version: v, processId: '0193b0a4-0000-7000-8000-000000000001', messageId: '0193b0a4-0000-7000-8000-000000000002', createdAt: new Date('2026-12-01T10:00:00Z'), sender: { institution: 'Stadt Wetter (Ruhr)' }, recipient: { institution: 'Kreis' } },
        name: 'Aktenplan', planVersion: '1',
        units: [
          { code: '32', title: 'Ordnung & <Sicherheit>', disposal: 'A', retentionYears: null, validFrom: '2020-01-01', validUntil: null, retired: false },
          { code: '32.10', title: 'Gewerbe', disposal: 'B', retentionYears: 10, validFrom: null, validUntil: '2030-12-31', retired: true },
        ],
      }));
      const doc = parseUntrusted(Buffer.from(xml), 1_000_000);
      try {
        expect(schemaErrors(doc, v)).toEqual([]);
      } finally {
        doc.dispose();
      }
    });
  }
});

/** A ZIP built by hand (local headers, central directory), to say what a hostile archive says. */
function rawZip(entries: { name: string; data: Buffer; declaredSize?: number; method?: 0 | 8 }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const method = e.method ?? 0;
    const body = method === 8 ? deflateRawSync(e.data) : e.data;
    const name = Buffer.from(e.name, 'utf8');
    const size = e.declaredSize ?? e.data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(0x0800, 6); local.writeUInt16LE(method, 8);
    local.writeUInt32LE(0, 14); local.writeUInt32LE(body.length, 18); local.writeUInt32LE(size, 22); local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(20, 4); central.writeUInt16LE(20, 6); central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(method, 10); central.writeUInt32LE(0, 16); central.writeUInt32LE(body.length, 20); central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28); central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(entries.length, 8); end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12); end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

const LIMITS: ZipLimits = { maxEntries: 5, maxTotalBytes: 10_000_000, maxRatio: 50, ratioFloorBytes: 64 * 1024 };

async function zipRefusal(buf: Buffer, limits = LIMITS, read?: string) {
  try {
    const zip = await openSafeZip(bufferSource(buf), limits);
    try {
      if (read) await readEntry(zip, read, 100_000_000);
    } finally {
      zip.close();
    }
  } catch (e) {
    if (e instanceof AppError) return { status: e.status, code: e.code, detail: e.message };
    throw e;
  }
  return null;
}

const collect = async (r: Readable) => {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
};

describe('XDOMEA containers: safe ZIP reading and streaming writing', () => {
  it('writes a ZIP as a stream and reads it back, entry by entry', async () => {
    const big = Buffer.alloc(300_000, 7);
    const zip = await collect(writeZip([
      { name: 'a_0503.xml', body: Buffer.from('<a/>') },
      { name: 'b.pdf', body: async () => Readable.from([big.subarray(0, 100_000), big.subarray(100_000)]), compress: false },
    ]));
    const safe = await openSafeZip(bufferSource(zip), LIMITS);
    try {
      expect(safe.entries.map((e) => [e.name, e.uncompressedSize])).toEqual([['a_0503.xml', 4], ['b.pdf', 300_000]]);
      expect((await readEntry(safe, 'a_0503.xml', 100)).toString()).toBe('<a/>');
      expect((await collect(await safe.open('b.pdf'))).equals(big)).toBe(true);
    } finally {
      safe.close();
    }
  });

  it('refuses entry names with .., absolute paths, drive letters and backslashes', async () => {
    for (const [name, detail] of [
      ['../evil.xml', 'Entry "../evil.xml" leaves the container (..)'],
      ['a/../../evil.xml', 'Entry "a/../../evil.xml" leaves the container (..)'],
      ['/etc/passwd', 'Entry "/etc/passwd" has an absolute path'],
      ['C:/x.xml', 'Entry "C:/x.xml" has an absolute path'],
      ['a\\b.xml', 'Entry "a\\\\b.xml" contains a backslash'],
    ] as const) {
      expect(entryNameProblem(name)).toBe(detail);
      const r = await zipRefusal(rawZip([{ name, data: Buffer.from('x') }]));
      expect(r?.status).toBe(422);
      expect(r?.code).toBe('container-rejected');
    }
  });

  it('refuses ZIP bombs: too many entries, too much in total, a ratio too high, a size that lies', async () => {
    const many = rawZip(Array.from({ length: 6 }, (_, i) => ({ name: `f${i}.txt`, data: Buffer.from('x') })));
    expect(await zipRefusal(many)).toEqual({ status: 422, code: 'container-rejected', detail: 'The container has 6 entries; at most 5 are accepted' });
    const total = rawZip([{ name: 'a.bin', data: Buffer.alloc(6_000_000), method: 8 }, { name: 'b.bin', data: Buffer.alloc(6_000_000), method: 8 }]);
    expect(await zipRefusal(total, { ...LIMITS, maxRatio: 1e9 })).toEqual({ status: 422, code: 'container-rejected', detail: 'The container unpacks to more than 10000000 bytes' });
    const bomb = rawZip([{ name: 'zeros.bin', data: Buffer.alloc(5_000_000), method: 8 }]);
    expect(await zipRefusal(bomb)).toEqual({ status: 422, code: 'container-rejected', detail: 'Entry zeros.bin expands more than 50-fold (a ZIP bomb?)' });
    // The header says 1 000 bytes, the deflate stream holds 200 000: reading stops at the lie.
    const liar = rawZip([{ name: 'liar.bin', data: Buffer.alloc(200_000, 1), method: 8, declaredSize: 1000 }]);
    const r = await zipRefusal(liar, { ...LIMITS, maxRatio: 1e9 }, 'liar.bin');
    expect(r?.code).toBe('container-rejected');
    expect(r?.detail).toMatch(/^Entry liar\.bin is damaged: /);
  });

  it('refuses duplicates, garbage and truncated archives', async () => {
    expect(await zipRefusal(rawZip([{ name: 'a.xml', data: Buffer.from('1') }, { name: 'a.xml', data: Buffer.from('2') }]))).toEqual({ status: 422, code: 'container-rejected', detail: 'Entry a.xml appears twice' });
    expect((await zipRefusal(Buffer.from('not a zip at all, just text')))?.code).toBe('container-rejected');
    const good = rawZip([{ name: 'a.xml', data: Buffer.from('1') }]);
    expect((await zipRefusal(good.subarray(0, good.length - 5)))?.code).toBe('container-rejected');
  });

  it('property: random bytes and mutated ZIPs are read or refused with container-rejected, never anything else', async () => {
    const zipFile = new yazl.ZipFile();
    zipFile.addBuffer(Buffer.from('<a/>'), 'm_0503.xml');
    zipFile.addBuffer(Buffer.alloc(2000, 65), 'doc.txt');
    zipFile.end();
    const valid = await collect(zipFile.outputStream as Readable);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
          fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }).map((muts) => {
            const b = Buffer.from(valid);
            for (const [i, v] of muts) b[i] = v;
            return b;
          }),
        ),
        async (buf) => {
          try {
            const zip = await openSafeZip(bufferSource(buf), LIMITS);
            try {
              for (const e of zip.entries) await readEntry(zip, e.name, 1_000_000);
            } finally {
              zip.close();
            }
          } catch (e) {
            expect(e).toBeInstanceOf(AppError);
            expect(['container-rejected', 'payload-too-large']).toContain((e as AppError).code);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('XDOMEA records: the real 0503 examples of the Landesarchiv NRW, parsed, validated and mapped', () => {
  const mapped = (v: '3.0.0' | '4.0.0') => {
    const msg = receiveMessage(fixture(EXAMPLES[v]), 10_000_000, ['0503']);
    try {
      return { msg: { version: msg.version, code: msg.code, head: msg.head }, records: readRecords(msg.doc.root) };
    } finally {
      msg.doc.dispose();
    }
  };

  it('3.0.0: one Vorgang without its Akte, one document, one version naming its primary file', () => {
    const { msg, records } = mapped('3.0.0');
    expect(msg).toEqual({
      version: '3.0.0', code: '0503',
      head: { code: '0503', processId: '9fde4e7a-b41b-11ec-9225-005056871b7c', messageId: '9fde4e7a-b41b-11ec-9225-005056871b7c', createdAt: '2022-04-04T15:34:58Z', sender: '[Abgebende Stelle]', recipient: 'Landesarchiv NRW' },
    });
    expect(records).toEqual({
      files: [],
      cases: [{
        id: '67e456ea-b420-11ec-b503-005056871b7c', title: '[Vorgangsbetreff]', reference: '[Vorgangskennzeichen]', confidentiality: '003',
        documents: [{
          id: '7bf9473a-b4a7-11ec-a407-005056871b7c', title: '[Dokumentbetreff]', reference: '[Dokumentkennzeichen]',
          versions: [{ number: '1', filename: 'f4bcaaf7-d7cb-11ef-a278-005056871b7c.txt', originalName: null, formatCode: '045', sha256: null, createdAt: '2011-02-12T11:22:35Z' }],
        }],
      }],
      documents: [],
    });
    expect(primaryFiles(records).map((p) => fixture(`v3.0.0/${p.filename}`).length)).toEqual([fixture('v3.0.0/f4bcaaf7-d7cb-11ef-a278-005056871b7c.txt').length]);
  });

  it('4.0.0: the Akte as context object with its Vorgang, one document; the stated SHA-256 is the hash of the primary file', () => {
    const { msg, records } = mapped('4.0.0');
    expect(msg.head).toEqual({ code: '0503', processId: '518c7c31-d1a0-11ef-accb-005056871b7c', messageId: '95b80307-d19c-11ef-a43a-005056871b7c', createdAt: '2025-01-15T12:00:00.000Z', sender: '[Abgebende Stelle]', recipient: 'Landesarchiv NRW' });
    expect(records.files).toEqual([{
      id: '548d5041-d8c8-11ef-9c4e-005056871b7c', title: '[Aktenbetreff]', reference: '[Aktenzeichen]', planCode: '[Aktenplankennzeichen]', confidentiality: null, leadOrgUnit: null, description: '[Freitext-Bemerkungsfeld]', context: true,
      documents: [],
      cases: [{
        id: '07333b5f-d1a2-11ef-88aa-005056871b7c', title: '[Vorgangsbetreff]', reference: '[Vorgangskennzeichen]', confidentiality: '003',
        documents: [{
          id: 'a42460ea-d1a5-11ef-b6fa-005056871b7c', title: '[Dokumentbetreff]', reference: '[Dokumentkennzeichen]',
          versions: [{ number: '1', filename: '8bcadd35-d27b-11ef-ab6c-005056871b7c.txt', originalName: null, formatCode: '045', sha256: 'ebd6798571b4476ed77408a9e7d4dde5ed0d37e3a1c93c9426e86ef40cc0d69f', createdAt: '2025-01-14T13:35:14.124Z' }],
        }],
      }],
    }]);
    const [primary] = primaryFiles(records);
    expect(createHash('sha256').update(fixture(`v4.0.0/${primary!.filename}`)).digest('hex')).toBe(primary!.sha256);
  });
});

describe('XDOMEA 0401: a produced Abgabe validates against both schemas', () => {
  const file: OutFile = {
    id: '0193b0a4-0000-7000-8000-0000000000a1', title: 'Schwerbehindertenausweis Müller', reference: '50.20-0001/2026', planCode: '50.20', planTitle: 'Schwerbehindertenrecht',
    confidentiality: '002', leadOrgUnit: 'FB 50', description: 'Antrag & Anlagen', createdAt: '2026-11-01T09:00:00.000Z', closedOn: null,
    history: [{ actor: 'sb@wetter', at: '2026-11-01T09:00:00.123Z', action: 'file.created' }],
    cases: [{
      id: '0193b0a4-0000-7000-8000-0000000000b1', title: 'Antrag', reference: '50.20-0001/2026-1', confidentiality: '003', createdAt: '2026-11-01T09:05:00.000Z', closedOn: '2026-11-20',
      documents: [{
        id: '0193b0a4-0000-7000-8000-0000000000c1', title: 'Antrag',
        versions: [
          { number: 1, filename: '0193b0a4-0000-7000-8000-0000000000d1.pdf', originalName: 'antrag.pdf', mediaType: 'application/pdf', sha256: 'a'.repeat(64), size: 10, createdAt: '2026-11-01T09:06:00.000Z', createdBy: 'sb@wetter' },
          { number: 2, filename: '0193b0a4-0000-7000-8000-0000000000d2.bin', originalName: 'x', mediaType: 'application/x-unknown', sha256: 'b'.repeat(64), size: 3, createdAt: '2026-11-02T09:06:00.000Z', createdBy: 'sb@wetter' },
        ],
      }],
    }],
  };
  for (const v of XDOMEA_VERSIONS) {
    it(`0401 in ${v}`, () => {
      const xml = serialize(abgabeMessage({ version: v, processId: '0193b0a4-0000-7000-8000-000000000001', messageId: '0193b0a4-0000-7000-8000-000000000002', createdAt: new Date('2026-12-01T10:00:00Z'), sender: { institution: 'EN-Akte wetter' }, recipient: { institution: 'EN-Akte en-kreis' } }, file));
      const doc = parseUntrusted(Buffer.from(xml), 1_000_000);
      try {
        expect(schemaErrors(doc, v)).toEqual([]);
        const records = readRecords(doc.root);
        expect(records.files.map((f) => [f.id, f.reference, f.planCode, f.confidentiality, f.cases.length])).toEqual([[file.id, file.reference, '50.20', '002', 1]]);
        expect(primaryFiles(records).map((p) => [p.filename, p.originalName, p.sha256])).toEqual([
          ['0193b0a4-0000-7000-8000-0000000000d1.pdf', 'antrag.pdf', v === '4.0.0' ? 'a'.repeat(64) : null],
          ['0193b0a4-0000-7000-8000-0000000000d2.bin', 'x', v === '4.0.0' ? 'b'.repeat(64) : null],
        ]);
      } finally {
        doc.dispose();
      }
    });
  }
});
