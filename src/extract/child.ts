/**
 * The extraction child process (forked by src/extract/index.ts): takes one document over IPC,
 * answers with its text or why there is none, and exits. Whatever a hostile file does in here
 * (loop, allocate, crash) ends with this process: the parent kills it on its time and memory limits.
 */
import { ExtractionError, extractText, NoTextError, type Kind } from './formats.js';

export interface ChildRequest {
  bytes: Uint8Array;
  kind: Kind;
  maxChars: number;
}

export type ChildReply =
  | { ok: true; text: string; chars: number; truncated: boolean; extractor: string }
  | { ok: false; unsupported: boolean; reason: string };

process.once('message', (msg: ChildRequest) => {
  extractText(msg.bytes, msg.kind, msg.maxChars)
    .then(
      (r): ChildReply => ({ ok: true, ...r }),
      (err: unknown): ChildReply => ({
        ok: false,
        unsupported: err instanceof NoTextError,
        reason: err instanceof ExtractionError || err instanceof NoTextError ? err.message : `${(err as Error)?.name ?? 'Error'}: ${(err as Error)?.message ?? String(err)}`.slice(0, 400),
      }),
    )
    .then((reply) => process.send!(reply, () => process.exit(0)));
});
