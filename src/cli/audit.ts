// `en-akte audit verify` (the hash chain and its checkpoints) and `en-akte audit export` (JSON Lines
// streamed to a file). Auditors and tenant admins.
import { Readable, Transform } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type { Command } from 'commander';
import { unwrap } from '../../clients/typescript/src/index.js';
import { CliError, connect, EXIT, formatBytes, globalsOf, output, progressBar, rawCall, writeAtomically } from './runtime.js';

/** An RFC 3339 timestamp of a --from/--to value (a date means its midnight UTC). */
export function timestampOf(value: string, option: string): string {
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
  const ms = Date.parse(iso);
  if (!/^\d{4}-\d{2}-\d{2}(T|$)/.test(iso) || Number.isNaN(ms)) throw new CliError('usage', `${option} ${value} is not a date (YYYY-MM-DD) or an RFC 3339 time`, EXIT.usage);
  return new Date(ms).toISOString();
}

export function auditCommands(program: Command): void {
  const audit = program.command('audit').description('the audit trail (Protokoll; auditor, tenant-admin)');

  audit
    .command('verify')
    .description('verify the hash chain and hold it against its signed checkpoints; exit 1 when broken')
    .action(async (_opts: unknown, command: Command) => {
      const g = globalsOf(command);
      const { client, tenant } = await connect(g);
      const result = await unwrap(client.api.GET('/v1/tenants/{tenant}/audit/verify', { params: { path: { tenant } } }));
      const text = result.ok
        ? `ok: ${result.events} event(s), head ${result.headHash}; ${result.anchors.checked} checkpoint(s) agree`
        : `BROKEN: ${result.firstBroken ? `event ${result.firstBroken.seq}: ${result.firstBroken.reason}` : ''}${
            result.anchors.firstMismatch ? `${result.firstBroken ? '; ' : ''}checkpoint at ${result.anchors.firstMismatch.seq}: ${result.anchors.firstMismatch.reason}` : ''
          } (${result.events} event(s) checked)`;
      output(g, result, text);
      if (!result.ok) process.exitCode = EXIT.unexpected;
    });

  audit
    .command('export')
    .description('export audit events as JSON Lines (one event a line), streamed to a file')
    .requiredOption('--out <file>', 'where to write the events (written to <file>.part, renamed when complete)')
    .option('--from <time>', 'events at or after this time (YYYY-MM-DD or RFC 3339)')
    .option('--to <time>', 'events before this time (YYYY-MM-DD or RFC 3339)')
    .option('--action <action>', 'only this action, e.g. file.created')
    .option('--object-type <type>', 'only objects of this type, e.g. file')
    .option('--object <id>', 'only this object')
    .option('--actor <subject>', 'only this actor')
    .action(async (opts: { out: string; from?: string; to?: string; action?: string; objectType?: string; object?: string; actor?: string }, command: Command) => {
      const g = globalsOf(command);
      const query: Record<string, string> = {};
      if (opts.from) query.from = timestampOf(opts.from, '--from');
      if (opts.to) query.to = timestampOf(opts.to, '--to');
      if (opts.action) query.action = opts.action;
      if (opts.objectType) query.objectType = opts.objectType;
      if (opts.object) query.objectId = opts.object;
      if (opts.actor) query.actor = opts.actor;
      const { client, tenant } = await connect(g);
      const res = await rawCall(client, 'GET')('/v1/tenants/{tenant}/audit/export', { params: { path: { tenant }, query }, parseAs: 'stream' });
      const body = (res.data as ReadableStream<Uint8Array> | undefined) ?? res.response.body;
      let bytes = 0;
      let events = 0;
      let lastByte = 0x0a;
      const bar = progressBar(g, 'audit export | {events} events | {size}', 0, { events: 0, size: formatBytes(0) });
      const count = new Transform({
        transform(chunk: Buffer, _enc, done) {
          bytes += chunk.length;
          for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) events++;
          lastByte = chunk[chunk.length - 1] ?? lastByte;
          bar.update(0, { events, size: formatBytes(bytes) });
          done(null, chunk);
        },
      });
      try {
        await writeAtomically(opts.out, [body ? Readable.fromWeb(body as NodeReadableStream<Uint8Array>) : Readable.from([]), count]);
      } finally {
        bar.stop();
      }
      if (lastByte !== 0x0a) events++;
      output(g, { file: opts.out, events, bytes }, `${events} event(s), ${formatBytes(bytes)} written to ${opts.out}`);
    });
}
