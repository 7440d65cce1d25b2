import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  contentDisposition,
  filenameFromDisposition,
  parseRange,
  parseSha256Digest,
  sanitizeFilename,
  sha256Digest,
  type RangeResult,
} from '../../src/lib/http-content.js';

const RUNS = { numRuns: 2000 };
const bytesOf = (s: string) => Buffer.byteLength(s, 'utf8');
// eslint-disable-next-line no-control-regex -- control characters are what the property looks for
const FORBIDDEN = /[/\\\u0000-\u001f\u007f-\u009f]/;

/**
 * File names as clients send them: path separators, dots, blanks, control characters, combining
 * marks that NFC composes, reserved characters, emoji, and names long enough to be truncated.
 */
const fragment = fc.oneof(
  fc.constantFrom(
    '.', '..', ' ', '  ', '/', '\\', '\u0000', '\u001f', '\u007f', '\u0085', '\t', '\n', '\u00a0', '\u2028',
    'e', '\u0301', 'A\u030a', 'ü', 'u\u0308', 'ﬁ', '😀', '漢', ':', '*', '?', '"', '<', '>', '|', '.pdf', '.tar.gz',
  ),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 8 }),
);
const longRun = fc
  .tuple(fc.constantFrom('a', 'ä', '€', '😀', 'e\u0301', ' '), fc.integer({ min: 60, max: 300 }))
  .map(([c, n]) => c.repeat(n));
const joined = fc.array(fc.oneof({ weight: 6, arbitrary: fragment }, { weight: 1, arbitrary: longRun }), { maxLength: 12 }).map((a) => a.join(''));
/** Dots and blanks in front, which must all go. */
const dottedPrefix = fc
  .tuple(fc.array(fc.constantFrom('.', '..', ' ', '\u00a0', '\t', '\u0000', '/'), { minLength: 1, maxLength: 5 }), joined)
  .map(([prefix, rest]) => prefix.join('') + rest);
/** A character that is removed between a letter and a combining mark that NFC would compose with it. */
const splitComposition = fc
  .tuple(fc.constantFrom('e', 'u', 'A', 'o', 'ü'), fc.constantFrom('\u0000', '\u001f', '\u007f', '\u009f'), fc.constantFrom('\u0301', '\u0308', '\u030a'), joined)
  .map((parts) => parts.join(''));
/** Long names whose cut may fall on a blank. */
const longWithBlanks = fc
  .tuple(fc.integer({ min: 240, max: 260 }), fc.array(fc.constantFrom(' ', 'b', ' .', 'ä '), { minLength: 1, maxLength: 20 }))
  .map(([n, tail]) => 'a'.repeat(n) + tail.join(''));
const rawName = fc.oneof(joined, dottedPrefix, splitComposition, longWithBlanks);
/** Counterexamples found before, kept so every run checks them. */
const knownNames: [string][] = [['. .a'], ['e\u0000\u0301'], [`${'a'.repeat(254)} b${'c'.repeat(10)}`], ['.\u00a0.pdf']];
const NAME_RUNS = { numRuns: 2000, examples: knownNames };

describe('sanitizeFilename', () => {
  it('never contains a path separator or a control character', () => {
    fc.assert(fc.property(rawName, (raw) => !FORBIDDEN.test(sanitizeFilename(raw))), NAME_RUNS);
  });

  it('is never empty and never starts with a dot', () => {
    fc.assert(
      fc.property(rawName, (raw) => {
        const name = sanitizeFilename(raw);
        expect(name.length).toBeGreaterThan(0);
        expect(name.startsWith('.'), JSON.stringify({ raw, name })).toBe(false);
      }),
      NAME_RUNS,
    );
  });

  it('is at most 255 UTF-8 bytes', () => {
    fc.assert(fc.property(rawName, (raw) => bytesOf(sanitizeFilename(raw)) <= 255), NAME_RUNS);
  });

  it('is Unicode NFC', () => {
    fc.assert(
      fc.property(rawName, (raw) => {
        const name = sanitizeFilename(raw);
        expect(name, JSON.stringify({ raw, name })).toBe(name.normalize('NFC'));
      }),
      NAME_RUNS,
    );
  });

  it('is idempotent: sanitize(sanitize(x)) === sanitize(x)', () => {
    fc.assert(
      fc.property(rawName, (raw) => {
        const once = sanitizeFilename(raw);
        expect(sanitizeFilename(once), JSON.stringify({ raw, once })).toBe(once);
      }),
      NAME_RUNS,
    );
  });

  it('keeps a short extension when it truncates a long name', () => {
    const stemChar = fc.constantFrom('a', 'Z', 'ä', '€', '😀', '漢', '-', '_', ' ');
    fc.assert(
      fc.property(
        fc.array(stemChar, { minLength: 260, maxLength: 400 }).map((a) => `x${a.join('')}`),
        fc.stringMatching(/^[a-z0-9]{1,10}$/),
        (stem, ext) => {
          const name = sanitizeFilename(`${stem}.${ext}`);
          expect(bytesOf(name)).toBeLessThanOrEqual(255);
          expect(name.endsWith(`.${ext}`), name).toBe(true);
        },
      ),
      RUNS,
    );
  });

  it('keeps exactly as many whole characters as fit, and does not split a surrogate pair', () => {
    const name = sanitizeFilename(`${'😀'.repeat(100)}.pdf`);
    expect(name).toBe(`${'😀'.repeat(62)}.pdf`);
    expect(bytesOf(name)).toBe(252);
  });

  it.each([
    ['../../etc/passwd', 'passwd'],
    ['C:\\Users\\müller\\Bescheid.pdf', 'Bescheid.pdf'],
    ['Bescheid Mu\u0308ller.pdf', 'Bescheid Müller.pdf'],
    ['a:b*c?d"e<f>g|h.txt', 'a_b_c_d_e_f_g_h.txt'],
    ['  Antrag \t\n 2026 .pdf  ', 'Antrag 2026 .pdf'],
    ['.bashrc', 'bashrc'],
    ['...', 'content'],
    ['..', 'content'],
    ['dir/', 'content'],
    ['', 'content'],
    ['\u0000\u0001', 'content'],
  ])('%j → %j', (raw, expected) => {
    expect(sanitizeFilename(raw)).toBe(expected);
  });

  it.each([
    ['dots after a blank at the start', '. .a', 'a'],
    ['a control character between a letter and its combining mark', 'e\u0000\u0301', '\u00e9'],
    ['a cut that falls on a blank', `${'a'.repeat(254)} b${'c'.repeat(10)}`, 'a'.repeat(254)],
  ])('counterexample: %s', (_what, raw, expected) => {
    expect(sanitizeFilename(raw)).toBe(expected);
  });

  it('answers the fallback for a missing name', () => {
    expect(sanitizeFilename(undefined)).toBe('content');
    expect(sanitizeFilename(null)).toBe('content');
    expect(sanitizeFilename(undefined, 'upload.bin')).toBe('upload.bin');
  });
});

/** RFC 8187 attr-char, or a percent-encoded octet. */
const EXT_VALUE = /^(?:[A-Za-z0-9!#$&+\-.^_`|~]|%[0-9A-F]{2})*$/;
const anyName = fc.string({ unit: 'binary', maxLength: 60 });

describe('contentDisposition', () => {
  it('is always an ASCII-only header value (no CR/LF, no control characters)', () => {
    fc.assert(fc.property(anyName, (name) => /^[\x20-\x7e]*$/.test(contentDisposition(name))), RUNS);
  });

  it('has a quoted ASCII fallback and an RFC 8187 filename* whose decoding is the exact name', () => {
    fc.assert(
      fc.property(anyName, fc.constantFrom('attachment' as const, 'inline' as const), (name, type) => {
        const m = /^(attachment|inline); filename="([^"\\]*)"; filename\*=UTF-8''(.*)$/.exec(contentDisposition(name, type));
        expect(m, contentDisposition(name, type)).not.toBeNull();
        expect(m![1]).toBe(type);
        expect(m![3]).toMatch(EXT_VALUE);
        expect(decodeURIComponent(m![3]!)).toBe(name);
      }),
      RUNS,
    );
  });

  it('round-trips through filenameFromDisposition for every sanitised name', () => {
    fc.assert(
      fc.property(rawName, (raw) => {
        const name = sanitizeFilename(raw);
        expect(filenameFromDisposition(contentDisposition(name))).toBe(name);
      }),
      NAME_RUNS,
    );
  });

  it('round-trips through filenameFromDisposition for any well-formed string', () => {
    fc.assert(fc.property(anyName, (name) => filenameFromDisposition(contentDisposition(name)) === name), RUNS);
  });

  it('gives the ASCII fallback without accents', () => {
    expect(contentDisposition('Bescheid Müller.pdf')).toBe(`attachment; filename="Bescheid Muller.pdf"; filename*=UTF-8''Bescheid%20M%C3%BCller.pdf`);
    expect(contentDisposition('a "b" \\c', 'inline')).toBe(`inline; filename="a _b_ _c"; filename*=UTF-8''a%20%22b%22%20%5Cc`);
  });
});

describe('filenameFromDisposition', () => {
  it.each([
    [`attachment; filename*=UTF-8''Bescheid%20M%C3%BCller.pdf`, 'Bescheid Müller.pdf'],
    [`attachment; filename="fallback.pdf"; filename*=UTF-8''echt%20%C3%A4.pdf`, 'echt ä.pdf'],
    [`attachment; filename*=utf-8''klein.pdf; filename="fallback.pdf"`, 'klein.pdf'],
    [`attachment; filename="a \\"quoted\\" name.pdf"`, 'a "quoted" name.pdf'],
    ['attachment; filename=token.pdf', 'token.pdf'],
    ['inline', undefined],
    [undefined, undefined],
    [`attachment; filename*=UTF-8''%E0%A4%A`, undefined],
  ])('%j → %j', (header, expected) => {
    expect(filenameFromDisposition(header)).toBe(expected);
  });

  it('accepts an RFC 8187 language tag in filename*', () => {
    expect(filenameFromDisposition(`attachment; filename*=UTF-8'de'Bescheid%20M%C3%BCller.pdf`)).toBe('Bescheid Müller.pdf');
  });

  it('does not read filename* out of the quoted fallback', () => {
    const name = `filename*=UTF-8''x.pdf`;
    expect(filenameFromDisposition(`attachment; filename="${name}"`)).toBe(name);
  });
});

/** Digits as a client may write them: leading zeros, and values beyond 2^53. */
const digits = fc
  .tuple(fc.constantFrom('', '0', '00'), fc.oneof(fc.bigInt({ min: 0n, max: 2_000_000n }), fc.bigInt({ min: 0n, max: 10n ** 25n })))
  .map(([zeros, n]) => ({ text: `${zeros}${n}`, value: n }));

type Spec =
  | { kind: 'ab'; a: { text: string; value: bigint }; b: { text: string; value: bigint } }
  | { kind: 'from'; a: { text: string; value: bigint } }
  | { kind: 'suffix'; n: { text: string; value: bigint } }
  | { kind: 'invalid'; header: string };

/** Headers the parser must ignore (answer the full representation). */
const invalidHeader = fc.oneof(
  fc.constantFrom('', '   ', 'bytes=', 'bytes=-', 'bytes=abc', 'bytes=1-2-3', 'bytes 0-1', '=0-1', 'items=0-1', 'bytes=0x10-', 'bytes=1.5-2', 'bytes=--1'),
  fc.tuple(digits, digits, digits, digits).map(([a, b, c, d]) => `bytes=${a.text}-${b.text},${c.text}-${d.text}`),
  fc.tuple(digits, digits).map(([a, n]) => `bytes=${a.text}-, -${n.text}`),
);

const spec: fc.Arbitrary<Spec> = fc.oneof(
  fc.record({ kind: fc.constant('ab' as const), a: digits, b: digits }),
  fc.record({ kind: fc.constant('from' as const), a: digits }),
  fc.record({ kind: fc.constant('suffix' as const), n: digits }),
  fc.record({ kind: fc.constant('invalid' as const), header: invalidHeader }),
);

const headerOf = (s: Spec) =>
  s.kind === 'ab' ? `bytes=${s.a.text}-${s.b.text}` : s.kind === 'from' ? `bytes=${s.a.text}-` : s.kind === 'suffix' ? `bytes=-${s.n.text}` : s.header;

/**
 * RFC 9110 §14 for one representation of `size` bytes. `a-b` with b < a is an invalid range-spec, which
 * a server MAY reject (§14.2): the API rejects it as unsatisfiable.
 */
function model(s: Spec, sizeNumber: number): RangeResult {
  const size = BigInt(sizeNumber);
  const partial = (start: bigint, end: bigint): RangeResult => ({ kind: 'partial', start: Number(start), end: Number(end) });
  switch (s.kind) {
    case 'invalid':
      return { kind: 'full' };
    case 'ab':
      if (s.b.value < s.a.value || s.a.value >= size) return { kind: 'unsatisfiable' };
      return partial(s.a.value, s.b.value < size - 1n ? s.b.value : size - 1n);
    case 'from':
      return s.a.value >= size ? { kind: 'unsatisfiable' } : partial(s.a.value, size - 1n);
    case 'suffix':
      if (s.n.value === 0n || size === 0n) return { kind: 'unsatisfiable' };
      return partial(s.n.value >= size ? 0n : size - s.n.value, size - 1n);
  }
}

const size = fc.oneof(fc.constantFrom(0, 1, 2, 10), fc.integer({ min: 0, max: 2_000_000 }), fc.integer({ min: 0, max: 2 ** 40 }));

describe('parseRange', () => {
  it('agrees with the RFC 9110 model for random sizes and headers', () => {
    fc.assert(
      fc.property(spec, size, (s, n) => {
        expect(parseRange(headerOf(s), n), headerOf(s)).toEqual(model(s, n));
      }),
      { numRuns: 5000 },
    );
  });

  it('always answers a range inside the representation', () => {
    fc.assert(
      fc.property(spec, size, (s, n) => {
        const r = parseRange(headerOf(s), n);
        if (r.kind !== 'partial') return;
        expect(Number.isSafeInteger(r.start) && Number.isSafeInteger(r.end)).toBe(true);
        expect(0 <= r.start && r.start <= r.end && r.end < n).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it.each<[string | undefined, number, RangeResult]>([
    [undefined, 10, { kind: 'full' }],
    ['bytes=0-0', 10, { kind: 'partial', start: 0, end: 0 }],
    ['bytes=2-5', 10, { kind: 'partial', start: 2, end: 5 }],
    ['bytes=2-500', 10, { kind: 'partial', start: 2, end: 9 }],
    ['bytes=9-', 10, { kind: 'partial', start: 9, end: 9 }],
    ['bytes=10-', 10, { kind: 'unsatisfiable' }],
    ['bytes=-3', 10, { kind: 'partial', start: 7, end: 9 }],
    ['bytes=-30', 10, { kind: 'partial', start: 0, end: 9 }],
    ['bytes=-0', 10, { kind: 'unsatisfiable' }],
    ['bytes=0-', 0, { kind: 'unsatisfiable' }],
    ['bytes=0-1,4-5', 10, { kind: 'full' }],
    [' bytes=1-2 ', 10, { kind: 'partial', start: 1, end: 2 }],
  ])('%j of %i bytes → %j', (header, n, expected) => {
    expect(parseRange(header, n)).toEqual(expected);
  });
});

const sha256Hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const member = (alg: string, bytes: Uint8Array) => `${alg}=:${Buffer.from(bytes).toString('base64')}:`;

/** Fixed digests, so the test names stay the same from run to run. */
const D32 = Buffer.alloc(32, 0xa7);
const D64 = Buffer.alloc(64, 0x5c);

describe('parseSha256Digest', () => {
  it('reads a valid sha-256 member, whatever other algorithms stand around it', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.array(fc.tuple(fc.constantFrom('sha-512', 'md5', 'unixsum', 'id-sha-256'), fc.uint8Array({ maxLength: 64 })), { maxLength: 3 }),
        fc.nat(),
        fc.constantFrom(',', ', ', ' ,  '),
        (digest, others, at, sep) => {
          const members = others.map(([alg, b]) => member(alg, b));
          members.splice(at % (members.length + 1), 0, member('sha-256', digest));
          expect(parseSha256Digest(members.join(sep))).toBe(Buffer.from(digest).toString('hex'));
        },
      ),
      RUNS,
    );
  });

  it('is the inverse of sha256Digest', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (content) => {
        const hex = sha256Hex(Buffer.from(content));
        expect(parseSha256Digest(sha256Digest(hex))).toBe(hex);
      }),
      { numRuns: 200 },
    );
  });

  it('answers null when only other algorithms are present', () => {
    expect(parseSha256Digest(member('sha-512', randomBytes(64)))).toBeNull();
    expect(parseSha256Digest(`${member('md5', randomBytes(16))}, ${member('unixsum', randomBytes(4))}`)).toBeNull();
  });

  it('throws on a sha-256 member of the wrong length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }).filter((b) => b.length !== 32), (b) => {
        expect(() => parseSha256Digest(member('sha-256', b))).toThrow('sha-256 digest must be 32 bytes');
      }),
      RUNS,
    );
  });

  it.each([
    'sha-256',
    'sha-256=',
    'sha-256=abc',
    `sha-256=${D32.toString('base64')}`,
    `sha-256=:${D32.toString('base64')}`,
    `sha-256=:${D32.toString('hex')}!:`,
    `SHA-256=:${D32.toString('base64')}:`,
    `sha-256=:${D32.toString('base64')}:,`,
    `sha-256=:${D32.toString('base64')}: sha-512=:${D64.toString('base64')}:`,
    '',
  ])('throws on the malformed header %j', (header) => {
    expect(() => parseSha256Digest(header)).toThrow('malformed digest header');
  });
});
