// `en-akte xdomea export|download|import`: XDOMEA containers. An export (0503 Aussonderung of the
// files the archive evaluated A, or 0401 Abgabe of one file) is a job: the CLI starts it, waits
// with its progress and downloads the container; an import streams a 0401 or 0503 container up.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { Option, type Command } from 'commander';
import yauzl from 'yauzl';
import { noRetry, unwrap, type EnAkteClient, type paths } from '../../clients/typescript/src/index.js';
import { CliError, connect, EXIT, formatBytes, globalsOf, output, progressBar, rawCall, writeAtomically, type GlobalOptions } from './runtime.js';

type ExportStatus = paths['/v1/tenants/{tenant}/xdomea/exports/{exportId}']['get']['responses'][200]['content']['application/json'];
type ImportResult = paths['/v1/tenants/{tenant}/xdomea/abgabe']['post']['responses'][201]['content']['application/json'];
type XdomeaVersion = '3.0.0' | '4.0.0';
type Message = '0401' | '0503';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Counts the bytes passing through, reporting them to `onBytes`. */
function counter(onBytes: (total: number, chunk: Buffer) => void): Transform {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      total += chunk.length;
      onBytes(total, chunk);
      done(null, chunk);
    },
  });
}

/** Waits for an export job to end, showing its progress; answers its final status. */
async function waitFor(g: GlobalOptions, client: EnAkteClient, tenant: string, first: ExportStatus, intervalMs: number): Promise<ExportStatus> {
  let status = first;
  const bar = progressBar(g, 'xdomea {message} [{bar}] {percentage}% | {entries} entries | {done} of {size} | {state}', Math.max(1, status.progress.bytesTotal), {
    message: status.message,
    entries: '0/0',
    done: formatBytes(0),
    size: formatBytes(status.progress.bytesTotal),
    state: status.state,
  });
  try {
    while (status.state === 'queued' || status.state === 'running') {
      await sleep(intervalMs);
      status = await unwrap(client.api.GET('/v1/tenants/{tenant}/xdomea/exports/{exportId}', { params: { path: { tenant, exportId: status.id } } }));
      const p = status.progress;
      bar.setTotal(Math.max(1, p.bytesTotal));
      bar.update(p.bytesDone, { entries: `${p.entriesDone}/${p.entriesTotal}`, done: formatBytes(p.bytesDone), size: formatBytes(p.bytesTotal), state: status.state });
    }
  } finally {
    bar.stop();
  }
  if (status.state === 'failed') throw new CliError('export-failed', `export ${status.id} failed: ${status.error ?? 'no reason given'}`, EXIT.unexpected);
  if (status.state !== 'done') throw new CliError('export-gone', `export ${status.id} is ${status.state}${status.error ? `: ${status.error}` : ''}`, EXIT.notFound);
  return status;
}

/** Downloads the container of a finished export to `out` (via `out.part`), with a progress bar. */
async function download(g: GlobalOptions, client: EnAkteClient, tenant: string, status: ExportStatus, out: string): Promise<{ file: string; bytes: number }> {
  const res = await rawCall(client, 'GET')('/v1/tenants/{tenant}/xdomea/exports/{exportId}/content', {
    params: { path: { tenant, exportId: status.id } },
    parseAs: 'stream',
  });
  const body = ((res.data as ReadableStream<Uint8Array> | undefined) ?? res.response.body) as NodeReadableStream<Uint8Array> | null;
  const size = status.size ?? Number(res.response.headers.get('content-length') ?? 0);
  const bar = progressBar(g, 'download [{bar}] {percentage}% | {done} of {size}', Math.max(1, size), { done: formatBytes(0), size: formatBytes(size) });
  let bytes = 0;
  const hash = createHash('sha256');
  try {
    await writeAtomically(
      out,
      [
        body ? Readable.fromWeb(body) : Readable.from([]),
        counter((n, chunk) => {
          bytes = n;
          hash.update(chunk);
          bar.update(n, { done: formatBytes(n) });
        }),
      ],
      () => {
        // The export names its container's SHA-256: a cut or altered download is never kept.
        const actual = hash.digest('hex');
        if (status.sha256 && actual !== status.sha256) {
          throw new CliError('digest-mismatch', `the container downloaded has SHA-256 ${actual}, the export says ${status.sha256}; nothing was written`, EXIT.unexpected);
        }
      },
    );
  } finally {
    bar.stop();
  }
  return { file: out, bytes };
}

/** The message of a container: 0401 or 0503, from the names of its entries (the message's file name). */
export async function messageOfContainer(file: string): Promise<Message> {
  const names = await new Promise<string[]>((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true, autoClose: true }, (err, zip) => {
      if (err || !zip) return reject(new CliError('invalid-input', `${file} is not a ZIP container: ${err?.message ?? 'unreadable'}`, EXIT.invalidInput));
      const found: string[] = [];
      zip.on('entry', (entry: yauzl.Entry) => {
        found.push(entry.fileName);
        zip.readEntry();
      });
      zip.on('end', () => resolve(found));
      zip.on('error', (e: Error) => reject(new CliError('invalid-input', `${file}: ${e.message}`, EXIT.invalidInput)));
      zip.readEntry();
    });
  });
  const xml = names.filter((n) => n.toLowerCase().endsWith('.xml'));
  const is0401 = xml.some((n) => /(_Abgabe\.Abgabe\.0401|_0401_\d+)\.xml$/i.test(n));
  const is0503 = xml.some((n) => /(_Aussonderung\.Aussonderung\.0503|_0503_\d+)\.xml$/i.test(n));
  if (is0401 === is0503) {
    throw new CliError('invalid-input', `${file} holds ${is0401 ? 'both a 0401 and a 0503 message' : 'neither a 0401 nor a 0503 message'}; name it with --message`, EXIT.invalidInput);
  }
  return is0401 ? '0401' : '0503';
}

export function xdomeaCommands(program: Command): void {
  const xdomea = program.command('xdomea').description('XDOMEA containers: exports (0503 Aussonderung, 0401 Abgabe) and imports');
  const versionOption = () => new Option('--xdomea-version <version>', 'XDOMEA version of the message').choices(['3.0.0', '4.0.0']).default('3.0.0');
  const intervalOption = () => new Option('--interval <ms>', 'how often to ask for the export\'s progress').default('500').argParser((v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 50 || n > 60_000) throw new CliError('usage', '--interval is a number of milliseconds between 50 and 60000', EXIT.usage);
    return String(n);
  });

  xdomea
    .command('export')
    .description('export as a job: start it, wait for it with its progress, download the container')
    .addOption(new Option('--message <message>', '0503 Aussonderung (the files evaluated A; records-manager) or 0401 Abgabe (one file)').choices(['0503', '0401']).makeOptionMandatory())
    .option('--file <id...>', 'the file(s): for 0401 exactly one; for 0503 a choice of those evaluated A (default: all of them)')
    .option('--recipient <name>', 'the receiving institution, written into the message head')
    .addOption(versionOption())
    .requiredOption('--out <file>', 'where to write the container (ZIP; written to <file>.part, renamed when complete)')
    .addOption(intervalOption())
    .action(async (opts: { message: Message; file?: string[]; recipient?: string; xdomeaVersion: XdomeaVersion; out: string; interval: string }, command: Command) => {
      const g = globalsOf(command);
      const { client, tenant } = await connect(g);
      const started = await unwrap(
        client.api.POST('/v1/tenants/{tenant}/xdomea/exports', {
          params: { path: { tenant }, query: { version: opts.xdomeaVersion } },
          body: { message: opts.message, ...(opts.file ? { fileIds: opts.file } : {}), ...(opts.recipient ? { recipient: opts.recipient } : {}) },
        }),
      );
      if (!g.json) console.error(`export ${started.id} ${started.state}`);
      const done = await waitFor(g, client, tenant, started, Number(opts.interval));
      const saved = await download(g, client, tenant, done, opts.out);
      output(g, { export: done, ...saved }, `${done.filename ?? 'container'}: ${formatBytes(saved.bytes)} written to ${saved.file} (sha256 ${done.sha256}, checked)`);
    });

  xdomea
    .command('download')
    .description('download the container of an export started before (waits while it runs)')
    .argument('<exportId>', 'the export')
    .requiredOption('--out <file>', 'where to write the container')
    .addOption(intervalOption())
    .action(async (exportId: string, opts: { out: string; interval: string }, command: Command) => {
      const g = globalsOf(command);
      const { client, tenant } = await connect(g);
      const current = await unwrap(client.api.GET('/v1/tenants/{tenant}/xdomea/exports/{exportId}', { params: { path: { tenant, exportId } } }));
      const done = await waitFor(g, client, tenant, current, Number(opts.interval));
      const saved = await download(g, client, tenant, done, opts.out);
      output(g, { export: done, ...saved }, `${done.filename ?? 'container'}: ${formatBytes(saved.bytes)} written to ${saved.file} (sha256 ${done.sha256}, checked)`);
    });

  xdomea
    .command('import')
    .description('import a 0401 Abgabe or 0503 Aussonderung container as a new file under a plan unit (records-manager)')
    .argument('<zip>', 'the container')
    .requiredOption('--plan-code <code>', 'the plan unit the new file goes under, e.g. 32.10.05')
    .addOption(new Option('--message <message>', 'the container\'s message (default: from the names of its entries)').choices(['0401', '0503']))
    .action(async (zip: string, opts: { planCode: string; message?: Message }, command: Command) => {
      const g = globalsOf(command);
      const size = await stat(zip).then(
        (s) => {
          if (!s.isFile()) throw new CliError('invalid-input', `${zip} is not a file`, EXIT.invalidInput);
          return s.size;
        },
        (err: Error) => {
          throw new CliError('file-not-found', `${zip}: ${err.message}`, EXIT.invalidInput);
        },
      );
      const message = opts.message ?? (await messageOfContainer(zip));
      const { client, tenant } = await connect(g);
      const bar = progressBar(g, `xdomea import ${message} [{bar}] {percentage}% | {done} of {size}`, Math.max(1, size), { done: formatBytes(0), size: formatBytes(size) });
      // A read error of the file ends the upload's stream with it (pipe() alone would leave it hanging).
      const counted = counter((n) => bar.update(n, { done: formatBytes(n) }));
      const source = createReadStream(zip);
      source.on('error', (err) => counted.destroy(err));
      const body = Readable.toWeb(source.pipe(counted));
      let res: { data?: unknown };
      try {
        res = await rawCall(client, 'POST')(message === '0401' ? '/v1/tenants/{tenant}/xdomea/abgabe' : '/v1/tenants/{tenant}/xdomea/aussonderung', {
          params: { path: { tenant }, query: { planCode: opts.planCode } },
          body,
          bodySerializer: (b: unknown) => b,
          headers: { 'content-type': 'application/zip' },
          duplex: 'half',
          middleware: [noRetry],
        });
      } finally {
        bar.stop();
      }
      const result = res.data as ImportResult;
      output(g, result, `imported as file ${result.reference} (${result.fileId}): ${result.cases} case(s), ${result.documents} document(s), ${result.versions} version(s), XDOMEA ${result.version}${result.sender ? ` from ${result.sender}` : ''}`);
    });
}
