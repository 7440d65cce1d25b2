import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { detectKind, extractInChild } from '../../src/extract/index.js';
import { encodePng, extractText } from '../../src/extract/formats.js';
import { docx, eml, odt, pdfWithoutText, pdfWithText, xlsx } from '../support/documents.js';

/**
 * Text extraction of every format towns file, in process (extractText) and, where it matters, in
 * the child process with its limits (extractInChild). Scans are read by OCR with the German model
 * shipped in @tesseract.js-data/deu. The scans under test/fixtures/scans were rendered once from
 * the sentences below (ImageMagick: DejaVu fonts, a slight rotation and noise on the JPEG, a
 * 1-bit CCITT G4 PDF as office scanners write it).
 */
const scans = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'scans');
const scan = (name: string) => readFileSync(path.join(scans, name));
const limits = { timeoutMs: 120_000, memoryMb: loadConfig({}).search.extractMemoryMb, maxChars: 100_000 };
const words = (s: string) => s.replace(/\s+/g, ' ').trim();

describe('text of each format', () => {
  it('PDF with a text layer, umlauts included', async () => {
    const r = await extractText(pdfWithText(['Bescheid über die Gebühr', 'Straße 12']), 'pdf', 1000);
    expect(r).toEqual({ text: 'Bescheid über die Gebühr\nStraße 12', chars: 34, truncated: false, extractor: 'pdfjs-dist' });
  });

  it('DOCX, ODT, XLSX', async () => {
    expect((await extractText(docx(['Antrag auf Baugenehmigung', 'Flurstück 4711']), 'docx', 1000)).text).toBe('Antrag auf Baugenehmigung\nFlurstück 4711');
    expect((await extractText(odt(['Niederschrift', 'Ausschuss für Umwelt']), 'odt', 1000)).text).toBe('Niederschrift\nAusschuss für Umwelt');
    expect((await extractText(xlsx(['Gebühr', 'Müllabfuhr']), 'xlsx', 1000)).text).toBe('Gebühr\nMüllabfuhr\n4711');
  });

  it('HTML without scripts and styles, XML, e-mail, plain text in Windows-1252', async () => {
    const html = '<html><head><title>x</title><style>p{}</style></head><body><p>Sperrmüll</p><script>alert(1)</script><div>Termin am Dienstag</div></body></html>';
    expect((await extractText(Buffer.from(html), 'html', 1000)).text).toBe('Sperrmüll\nTermin am Dienstag');
    expect((await extractText(Buffer.from('<a><b>Gewerbe</b><c>Anmeldung</c></a>'), 'xml', 1000)).text).toBe('Gewerbe Anmeldung');
    const mail = await extractText(eml('Ihr Antrag', 'Sehr geehrte Damen und Herren,\nanbei die Unterlagen.'), 'eml', 1000);
    expect(mail.text).toBe('Ihr Antrag\nAnna Beispiel anna@example.org\nStadt Witten post@witten.example\nSehr geehrte Damen und Herren,\nanbei die Unterlagen.');
    expect(mail.extractor).toBe('postal-mime');
    expect((await extractText(Buffer.from([0x47, 0x65, 0x62, 0xfc, 0x68, 0x72]), 'text', 1000)).text).toBe('Gebühr');
  });

  it('caps the text at maxChars and says so', async () => {
    const r = await extractText(Buffer.from('Antrag '.repeat(100)), 'text', 20);
    expect(r).toEqual({ text: 'Antrag Antrag Antrag', chars: 699, truncated: true, extractor: 'text' });
  });

  it('a PDF page with neither text nor images has no text (unsupported, with the reason)', async () => {
    await expect(extractText(pdfWithoutText(), 'pdf', 1000)).rejects.toThrow('the PDF has 1 page(s) but neither a text layer nor scanned images');
  });
});

describe('OCR of scans (tesseract.js, German model from the registry)', () => {
  it('reads a scanned letter (PNG), umlauts and ß included', async () => {
    const r = await extractText(scan('bescheid.png'), 'image', 100_000);
    expect(r.extractor).toBe('tesseract.js');
    expect(words(r.text)).toBe(
      'Stadt Hattingen - Ordnungsamt Bescheid über die Gewerbeanmeldung Sehr geehrte Frau Müller, Ihre Anzeige vom 3. März 2026 ist eingegangen. Die Gebühr beträgt 26 Euro.',
    );
  });

  it('reads a skewed, noisy JPEG and the same image inside a PDF without a text layer, in the child process', async () => {
    const expected = 'Sperrmüll-Abholung in Sprockhövel Termin: Dienstag, 14. April 2026 Bitte stellen Sie Möbel und Elektroschrott bis 6 Uhr an die Straße.';
    const jpeg = await extractInChild(scan('abholung.jpg'), 'image', limits);
    expect(jpeg).toMatchObject({ state: 'extracted', extractor: 'tesseract.js', truncated: false });
    expect(jpeg.state === 'extracted' && words(jpeg.text)).toBe(expected);
    const pdf = await extractInChild(scan('abholung.pdf'), 'pdf', limits);
    expect(pdf).toMatchObject({ state: 'extracted', extractor: 'pdfjs-dist+tesseract.js', truncated: false });
    expect(pdf.state === 'extracted' && words(pdf.text)).toBe(expected);
  });

  it('reads a 1-bit CCITT G4 scan PDF, as office scanners write them', async () => {
    const r = await extractText(scan('parkerleichterung.pdf'), 'pdf', 100_000);
    expect(words(r.text)).toBe('Antrag auf Parkerleichterung Schwerbehindertenausweis liegt bei. Mit freundlichen Grüßen');
  });

  it('a broken image is a failed extraction with its reason, in the child', async () => {
    const r = await extractInChild(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]), 'image', limits);
    expect(r.state).toBe('failed');
    expect(r.state !== 'extracted' && r.reason).toMatch(/^not a readable image/);
  });

  it('encodes the PNG that OCR reads: grey, RGB and 1 bit images of pdf.js', () => {
    for (const [kind, data, type] of [
      [2, new Uint8Array([255, 0, 0, 0, 255, 0]), 2],
      [3, new Uint8Array([0, 0, 255, 255, 9, 9, 9, 0]), 6],
      [1, new Uint8Array([0b10000000]), 0],
    ] as const) {
      const png = Buffer.from(encodePng({ width: 2, height: 1, kind, data }));
      expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
      expect([png.readUInt32BE(16), png.readUInt32BE(20), png[24], png[25]]).toEqual([2, 1, 8, type]);
    }
  });
});

describe('the format of a version', () => {
  it('from its media type, else its first bytes, else its file name', () => {
    expect(detectKind('image/png', 'scan', new Uint8Array())).toBe('image');
    expect(detectKind('image/jpeg', 'scan', new Uint8Array())).toBe('image');
    expect(detectKind('application/octet-stream', 'x.bin', Buffer.from('%PDF-1.7'))).toBe('pdf');
    expect(detectKind('application/octet-stream', 'scan.TIFF', new Uint8Array())).toBe('image');
    expect(detectKind('application/octet-stream', 'brief.docx', new Uint8Array())).toBe('docx');
    expect(detectKind('video/mp4', 'film.mp4', new Uint8Array())).toBeNull();
  });
});
