import type { Readable } from 'node:stream';
import type { RequestContext } from '../../core/index.js';
import type { XdomeaVersion } from './xml/validate.js';

/** What a 0401 import created. */
export interface AbgabeImport {
  fileId: string;
  reference: string;
  cases: number;
  documents: number;
  versions: number;
  version: XdomeaVersion;
  processId: string | null;
  sender: string | null;
}

/**
 * The XDOMEA commands that span modules and storage; src/workflows/ implements them, the routes
 * only know these shapes.
 */
export interface AbgabeWorkflows {
  /** A 0401 container of a file with all its cases, documents and versions, streamed from storage. */
  exportAbgabe(ctx: RequestContext, fileId: string, q: { version: XdomeaVersion; recipient?: string }): Promise<{ filename: string; body: Readable }>;
  /** A 0401 container from any XDOMEA system, imported as a new file under `planCode`, all or nothing. */
  importAbgabe(ctx: RequestContext, body: AsyncIterable<Uint8Array>, q: { planCode: string }): Promise<AbgabeImport>;
}
