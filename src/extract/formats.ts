import { createRequire } from 'node:module';
import path from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { unzipSync } from 'fflate';
import { Parser } from 'htmlparser2';

/**
 * Text out of the formats towns file: PDF (pdf.js), DOCX, XLSX, ODT/ODS (ZIP + XML, read here
 * with fflate and htmlparser2), HTML, XML, e-mail (.eml, postal-mime), plain text, and scans:
 * images, and PDFs without a text layer, read by OCR (tesseract.js with the German model of
 * @tesseract.js-data/deu, both from the npm registry, nothing fetched at run time). These run
 * in the extraction child process (src/extract/child.ts), never in the API or the worker itself.
 */

export const KINDS = ['pdf', 'docx', 'xlsx', 'odt', 'ods', 'html', 'xml', 'eml', 'text', 'image'] as const;
export type Kind = (typeof KINDS)[number];

/** What one entry of an office ZIP may inflate to at most (a zip bomb stops here). */
const MAX_ENTRY_BYTES = 64 * 1024 * 1024;
const MAX_PDF_PAGES = 5000;
/** Pages of a scanned PDF read by OCR at most (OCR takes seconds per page). */
const MAX_OCR_PAGES = 50;
/** Pixels of one image OCR reads at most (an A4 page at 300 dpi has about 8.7 million). */
const MAX_OCR_PIXELS = 40_000_000;

/** Collects text up to `max` characters; `full` tells the extractors to stop early. */
class Collector {
  private parts: string[] = [];
  length = 0;
  constructor(private readonly max: number) {}
  get full() {
    return this.length >= this.max;
  }
  add(s: string) {
    if (!s || this.full) return;
    this.parts.push(s);
    this.length += s.length;
  }
  text() {
    return this.parts.join('').replace(/[ \t\u00a0]+/g, ' ').replace(/ *\n[ \n]*/g, '\n').trim();
  }
}

/** Walks XML/HTML with htmlparser2, calling `onText` for character data and `onTag` for tags. */
function walk(
  source: string,
  opts: { xmlMode: boolean; skip?: Set<string>; onOpen?: (name: string) => string | void; onClose?: (name: string) => string | void; keep?: (stack: string[]) => boolean },
  out: Collector,
) {
  const stack: string[] = [];
  let skipping = 0;
  const parser = new Parser(
    {
      onopentag(name) {
        stack.push(name);
        if (opts.skip?.has(name)) skipping++;
        const s = opts.onOpen?.(name);
        if (s && !skipping) out.add(s);
      },
      ontext(text) {
        if (skipping || out.full) return;
        if (opts.keep && !opts.keep(stack)) return;
        out.add(text);
      },
      onclosetag(name) {
        if (opts.skip?.has(name)) skipping = Math.max(0, skipping - 1);
        stack.pop();
        const s = opts.onClose?.(name);
        if (s && !skipping) out.add(s);
      },
    },
    { xmlMode: opts.xmlMode, decodeEntities: true, recognizeSelfClosing: true },
  );
  parser.write(source);
  parser.end();
}

function zipEntries(bytes: Uint8Array, wanted: (name: string) => boolean): Map<string, string> {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, { filter: (f) => wanted(f.name) && f.originalSize <= MAX_ENTRY_BYTES });
  } catch (err) {
    throw new ExtractionError(`not a readable ZIP container (${(err as Error).message})`);
  }
  const decoder = new TextDecoder('utf-8');
  return new Map(Object.entries(files).map(([name, data]) => [name, decoder.decode(data)]));
}

export class ExtractionError extends Error {
  override name = 'ExtractionError';
}

const BLOCK = new Set(['p', 'div', 'br', 'li', 'tr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'table', 'section', 'article', 'header', 'footer', 'blockquote', 'pre', 'td', 'th']);

function html(source: string, out: Collector) {
  walk(
    source,
    {
      xmlMode: false,
      skip: new Set(['script', 'style', 'noscript', 'template', 'head']),
      onOpen: (n) => (n === 'br' ? '\n' : undefined),
      onClose: (n) => (BLOCK.has(n) ? (n === 'td' || n === 'th' ? ' ' : '\n') : undefined),
    },
    out,
  );
}

function docx(bytes: Uint8Array, out: Collector) {
  const parts = zipEntries(bytes, (n) => n === 'word/document.xml' || /^word\/(header|footer|footnotes|endnotes)\d*\.xml$/.test(n));
  const main = parts.get('word/document.xml');
  if (main === undefined) throw new ExtractionError('no word/document.xml: not a DOCX document');
  for (const source of [main, ...[...parts].filter(([n]) => n !== 'word/document.xml').map(([, s]) => s)]) {
    walk(
      source,
      {
        xmlMode: true,
        keep: (stack) => stack.at(-1) === 'w:t',
        onOpen: (n) => (n === 'w:tab' ? '\t' : n === 'w:br' || n === 'w:cr' ? '\n' : undefined),
        onClose: (n) => (n === 'w:p' ? '\n' : undefined),
      },
      out,
    );
  }
}

function xlsx(bytes: Uint8Array, out: Collector) {
  const parts = zipEntries(bytes, (n) => n === 'xl/sharedStrings.xml' || /^xl\/worksheets\/sheet\d+\.xml$/.test(n));
  if (![...parts.keys()].some((n) => n.startsWith('xl/worksheets/'))) throw new ExtractionError('no worksheets: not an XLSX workbook');
  const shared = parts.get('xl/sharedStrings.xml');
  if (shared) walk(shared, { xmlMode: true, keep: (s) => s.at(-1) === 't', onClose: (n) => (n === 'si' ? '\n' : undefined) }, out);
  const sheets = [...parts.keys()].filter((n) => n.startsWith('xl/worksheets/')).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  for (const name of sheets) {
    // Inline strings and values of cells that are not shared strings (numbers, formulas' results).
    let cellType: string | null = null;
    const parser = new Parser(
      {
        onopentag(tag, attrs) {
          if (tag === 'c') cellType = attrs.t ?? null;
        },
        ontext(text) {
          if (out.full) return;
          if (cellType !== 's') out.add(text);
        },
        onclosetag(tag) {
          if (tag === 'c') out.add(' ');
          if (tag === 'row') out.add('\n');
        },
      },
      { xmlMode: true },
    );
    parser.write(parts.get(name)!);
    parser.end();
  }
}

function openDocument(bytes: Uint8Array, out: Collector, what: string) {
  const parts = zipEntries(bytes, (n) => n === 'content.xml');
  const content = parts.get('content.xml');
  if (content === undefined) throw new ExtractionError(`no content.xml: not an OpenDocument ${what}`);
  walk(
    content,
    {
      xmlMode: true,
      skip: new Set(['office:automatic-styles', 'office:font-face-decls']),
      onOpen: (n) => (n === 'text:s' ? ' ' : n === 'text:tab' ? '\t' : n === 'text:line-break' ? '\n' : undefined),
      onClose: (n) => (n === 'text:p' || n === 'text:h' ? '\n' : n === 'table:table-cell' ? ' ' : undefined),
    },
    out,
  );
}

function xml(source: string, out: Collector) {
  walk(source, { xmlMode: true, onClose: () => ' ' }, out);
}

/** UTF-8 when it is valid UTF-8 (with or without BOM), else Windows-1252, as older systems write. */
export function decodeText(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('windows-1252').decode(bytes);
  }
}

async function pdf(bytes: Uint8Array, out: Collector): Promise<{ pages: number; scans: Uint8Array[] }> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  let doc;
  try {
    doc = await pdfjs.getDocument({
      // pdf.js refuses Buffers (and takes over the array): a plain copy.
      data: new Uint8Array(bytes),
      isEvalSupported: false,
      disableFontFace: true,
      useSystemFonts: false,
      useWorkerFetch: false,
      stopAtErrors: false,
      verbosity: 0,
    }).promise;
  } catch (err) {
    throw new ExtractionError(`not a readable PDF (${(err as Error).message})`);
  }
  const pages = Math.min(doc.numPages, MAX_PDF_PAGES);
  for (let n = 1; n <= pages && !out.full; n++) {
    const page = await doc.getPage(n);
    const content = await page.getTextContent();
    for (const item of content.items) {
      if ('str' in item) out.add(item.str + (item.hasEOL ? '\n' : ''));
    }
    out.add('\n');
    page.cleanup();
  }
  if (out.text().length > 0) {
    await doc.destroy();
    return { pages: doc.numPages, scans: [] };
  }
  // No text layer: a scan. The images the pages paint, as PNG for OCR.
  const scans: Uint8Array[] = [];
  for (let n = 1; n <= Math.min(doc.numPages, MAX_OCR_PAGES); n++) {
    const page = await doc.getPage(n);
    const ops = await page.getOperatorList();
    for (let i = 0; i < ops.fnArray.length; i++) {
      if (ops.fnArray[i] !== pdfjs.OPS.paintImageXObject) continue;
      const name = ops.argsArray[i][0] as string;
      const img = await new Promise<PdfImage | null>((resolve) => {
        const objs = name.startsWith('g_') ? page.commonObjs : page.objs;
        objs.get(name, (v: unknown) => resolve((v as PdfImage | null) ?? null));
      });
      if (img?.data && img.width * img.height <= MAX_OCR_PIXELS) scans.push(encodePng(img));
    }
    page.cleanup();
  }
  await doc.destroy();
  return { pages: doc.numPages, scans };
}

/** A decoded image of pdf.js: kind 1 is 1 bit grey, 2 RGB, 3 RGBA, rows top to bottom. */
interface PdfImage {
  width: number;
  height: number;
  kind: 1 | 2 | 3;
  data: Uint8Array | Uint8ClampedArray;
}

/** A PNG of a pdf.js image (8 bit grey or RGB(A)), so OCR reads it like any scanned image. */
export function encodePng(img: PdfImage): Uint8Array {
  const { width, height } = img;
  const channels = img.kind === 1 ? 1 : img.kind === 2 ? 3 : 4;
  const raw = Buffer.alloc((width * channels + 1) * height);
  const rowBytes1 = (width + 7) >> 3;
  for (let y = 0; y < height; y++) {
    const o = y * (width * channels + 1); // filter byte 0: none
    if (img.kind === 1) {
      for (let x = 0; x < width; x++) raw[o + 1 + x] = (img.data[y * rowBytes1 + (x >> 3)]! >> (7 - (x & 7))) & 1 ? 255 : 0;
    } else {
      raw.set(img.data.subarray(y * width * channels, (y + 1) * width * channels), o + 1);
    }
  }
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bits per channel
  ihdr[9] = channels === 1 ? 0 : channels === 3 ? 2 : 6; // grey, RGB, RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** German OCR of scanned images (PNG, JPEG, TIFF, BMP, WebP), page after page, into `out`. */
async function ocr(images: Uint8Array[], out: Collector): Promise<void> {
  const { createWorker, OEM } = await import('tesseract.js');
  const require = createRequire(import.meta.url);
  const langPath = path.join(path.dirname(require.resolve('@tesseract.js-data/deu/package.json')), '4.0.0_best_int');
  let worker: Awaited<ReturnType<typeof createWorker>> | null = null;
  try {
    // The model from the package on disk; nothing is downloaded or cached.
    worker = await createWorker('deu', OEM.LSTM_ONLY, { langPath, gzip: true, cacheMethod: 'none', errorHandler: () => undefined });
    for (const image of images) {
      if (out.full) break;
      let text: string;
      try {
        text = (await worker.recognize(Buffer.from(image))).data.text;
      } catch (err) {
        throw new ExtractionError(`not a readable image (${String((err as Error)?.message ?? err).slice(0, 200)})`);
      }
      out.add(`${text}\n`);
    }
  } finally {
    await worker?.terminate();
  }
}

async function eml(bytes: Uint8Array, out: Collector) {
  const { default: PostalMime } = await import('postal-mime');
  const mail = await PostalMime.parse(bytes);
  const who = (a?: { name?: string; address?: string } | null) => (a ? [a.name, a.address].filter(Boolean).join(' ') : '');
  out.add(`${mail.subject ?? ''}\n`);
  out.add(`${who(mail.from)}\n`);
  for (const to of [...(mail.to ?? []), ...(mail.cc ?? [])]) out.add(`${who(to as { name?: string; address?: string })}\n`);
  if (mail.text) out.add(mail.text);
  else if (mail.html) html(mail.html, out);
  const names = (mail.attachments ?? []).map((a) => a.filename).filter(Boolean);
  if (names.length) out.add(`\n${names.join('\n')}`);
}

export interface Extracted {
  text: string;
  /** Characters collected before the cap stopped the extractor (at least text.length). */
  chars: number;
  truncated: boolean;
  extractor: string;
}

/** Extracts the text of `bytes` as `kind`, at most `maxChars` characters. */
export async function extractText(bytes: Uint8Array, kind: Kind, maxChars: number): Promise<Extracted> {
  // A little more than the cap is collected, so that "truncated" is known.
  const out = new Collector(maxChars + 1);
  let extractor: string = kind;
  switch (kind) {
    case 'pdf': {
      const { pages, scans } = await pdf(bytes, out);
      extractor = 'pdfjs-dist';
      if (out.text().length === 0 && pages > 0) {
        if (scans.length === 0) throw new NoTextError(`the PDF has ${pages} page(s) but neither a text layer nor scanned images`);
        await ocr(scans, out);
        extractor = 'pdfjs-dist+tesseract.js';
      }
      break;
    }
    case 'image':
      await ocr([bytes], out);
      extractor = 'tesseract.js';
      break;
    case 'docx':
      docx(bytes, out);
      break;
    case 'xlsx':
      xlsx(bytes, out);
      break;
    case 'odt':
      openDocument(bytes, out, 'text');
      break;
    case 'ods':
      openDocument(bytes, out, 'spreadsheet');
      break;
    case 'html':
      html(decodeText(bytes), out);
      break;
    case 'xml':
      xml(decodeText(bytes), out);
      break;
    case 'eml':
      await eml(bytes, out);
      extractor = 'postal-mime';
      break;
    case 'text':
      out.add(decodeText(bytes));
      break;
  }
  const full = out.text();
  const text = full.slice(0, maxChars);
  return { text, chars: full.length, truncated: full.length > maxChars, extractor };
}

/** The document is readable but holds no text (a scanned PDF): recorded as unsupported. */
export class NoTextError extends Error {
  override name = 'NoTextError';
}
