import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ChildReply, ChildRequest } from './child.js';
import type { Kind } from './formats.js';

/**
 * Text extraction off the request path, one document per child process, with a time and a memory
 * limit: a PDF that loops or inflates itself is killed and recorded as failed, and the job worker
 * that asked goes on. The limits are SEARCH_EXTRACT_TIMEOUT_SECONDS and SEARCH_EXTRACT_MEMORY_MB.
 */
export { KINDS, type Kind } from './formats.js';

export type ExtractionResult =
  | { state: 'extracted'; text: string; chars: number; truncated: boolean; extractor: string }
  | { state: 'failed' | 'unsupported'; reason: string };

export interface ExtractLimits {
  timeoutMs: number;
  memoryMb: number;
  maxChars: number;
}

export type Extractor = (bytes: Uint8Array, kind: Kind, limits: ExtractLimits) => Promise<ExtractionResult>;

const MEDIA_TYPES: Record<string, Kind> = {
  'application/pdf': 'pdf',
  'application/x-pdf': 'pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'application/vnd.oasis.opendocument.text': 'odt',
  'application/vnd.oasis.opendocument.spreadsheet': 'ods',
  'text/html': 'html',
  'application/xhtml+xml': 'html',
  'application/xml': 'xml',
  'text/xml': 'xml',
  'message/rfc822': 'eml',
  'text/plain': 'text',
  'text/csv': 'text',
  'text/markdown': 'text',
  'application/json': 'text',
  'image/png': 'image',
  'image/jpeg': 'image',
  'image/tiff': 'image',
  'image/bmp': 'image',
  'image/webp': 'image',
};
const EXTENSIONS: Record<string, Kind> = {
  pdf: 'pdf', docx: 'docx', xlsx: 'xlsx', odt: 'odt', ods: 'ods', html: 'html', htm: 'html', xhtml: 'html', xml: 'xml',
  eml: 'eml', txt: 'text', csv: 'text', md: 'text', json: 'text',
  png: 'image', jpg: 'image', jpeg: 'image', tif: 'image', tiff: 'image', bmp: 'image', webp: 'image',
};

/**
 * The format of a version from its media type, else (application/octet-stream) its file name
 * and first bytes; null when EN-Akte has no extractor for it.
 */
export function detectKind(mediaType: string, filename: string, head: Uint8Array): Kind | null {
  const base = mediaType.split(';')[0]!.trim().toLowerCase();
  if (Buffer.from(head.subarray(0, 5)).toString('latin1') === '%PDF-') return 'pdf';
  if (MEDIA_TYPES[base]) return MEDIA_TYPES[base];
  if (base.endsWith('+xml')) return 'xml';
  if (base.startsWith('text/')) return 'text';
  const ext = /\.([a-z0-9]+)$/i.exec(filename)?.[1]?.toLowerCase();
  return (ext && EXTENSIONS[ext]) || null;
}

const here = fileURLToPath(import.meta.url);
const CHILD = here.replace(/index\.(ts|js)$/, (_m, ext: string) => `child.${ext}`);

function rssMb(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** The extractor: a fresh child process per document, killed at the limits. */
export const extractInChild: Extractor = (bytes, kind, limits) =>
  new Promise((resolve) => {
    const execArgv = [`--max-old-space-size=${Math.max(32, Math.floor(limits.memoryMb * 0.75))}`];
    // Running from source (npm start, tests): the child needs the same TypeScript loader.
    if (CHILD.endsWith('.ts')) execArgv.push('--import', import.meta.resolve('tsx'));
    const child = fork(CHILD, [], { execArgv, serialization: 'advanced', stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
    let settled = false;
    const finish = (r: ExtractionResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(watch);
      if (child.exitCode === null) child.kill('SIGKILL');
      resolve(r);
    };
    const timer = setTimeout(
      () => finish({ state: 'failed', reason: `extraction took longer than ${Math.round(limits.timeoutMs / 1000)} s and was stopped` }),
      limits.timeoutMs,
    );
    // The V8 heap limit does not cover buffers; the resident size does.
    const watch = setInterval(() => {
      if (child.pid && rssMb(child.pid) > limits.memoryMb) finish({ state: 'failed', reason: `extraction needed more than ${limits.memoryMb} MiB of memory and was stopped` });
    }, 50);
    child.on('message', (reply: ChildReply) => {
      if (reply.ok) finish({ state: 'extracted', text: reply.text, chars: reply.chars, truncated: reply.truncated, extractor: reply.extractor });
      else finish({ state: reply.unsupported ? 'unsupported' : 'failed', reason: reply.reason });
    });
    child.on('error', (err) => finish({ state: 'failed', reason: `the extraction process failed: ${err.message}` }));
    child.on('exit', (code, signal) => finish({ state: 'failed', reason: `the extraction process ended (${signal ?? `exit code ${code}`}) without a result` }));
    child.send({ bytes, kind, maxChars: limits.maxChars } satisfies ChildRequest);
  });
