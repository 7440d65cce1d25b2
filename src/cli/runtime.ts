// What every command of the admin CLI shares: the global options, the API client, output (one JSON
// document on stdout with --json, text otherwise), progress bars on stderr, and the exit codes.
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { createEnAkteClient, ProblemError, type EnAkteClient, type Problem } from '../../clients/typescript/src/index.js';

export const CLI_VERSION = '0.1.0';

/** The exit codes of `en-akte` (documented in --help and the README). */
export const EXIT = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  auth: 3,
  notFound: 4,
  conflict: 5,
  invalidInput: 6,
  unavailable: 7,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODES_HELP = `Exit codes:
  0  ok
  1  unexpected error (also: audit verify found the chain broken, an export failed)
  2  usage error (unknown command or option, missing argument)
  3  authentication or authorization (401, 403; no credentials given)
  4  not found (404, 410)
  5  conflict or precondition (409, 412, 428)
  6  invalid input (400, 413, 415, 422; a file the CLI cannot read as what it should be)
  7  service unavailable or network (429, 502, 503, 504; connection refused)`;

/** An error of the CLI itself (not an API answer), printed like a problem: `code: detail`. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    readonly code: string,
    readonly detail: string,
    readonly exitCode: ExitCode,
  ) {
    super(`${code}: ${detail}`);
  }
}

/** The exit code of an HTTP status. */
export function exitCodeOfStatus(status: number): ExitCode {
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 404 || status === 410) return EXIT.notFound;
  if (status === 409 || status === 412 || status === 428) return EXIT.conflict;
  if (status === 400 || status === 413 || status === 415 || status === 422) return EXIT.invalidInput;
  if (status === 429 || status === 502 || status === 503 || status === 504) return EXIT.unavailable;
  return EXIT.unexpected;
}

export interface GlobalOptions {
  url: string;
  token?: string;
  clientId?: string;
  clientSecret?: string;
  tenant?: string;
  json?: boolean;
}

/** Whether machine output was asked for (also before commander parsed anything, for its own errors). */
export function jsonWanted(argv: readonly string[] = process.argv): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

/** Writes the result of a command: the JSON document with --json, else `text` (or the JSON, pretty). */
export function output(opts: GlobalOptions, result: unknown, text?: string): void {
  if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else process.stdout.write(text === undefined ? `${JSON.stringify(result, null, 2)}\n` : text.endsWith('\n') || text === '' ? text : `${text}\n`);
}

/** A progress bar on stderr, only when stderr is a terminal and not --json; otherwise nothing. */
export interface Progress {
  update(value: number, payload?: Record<string, unknown>): void;
  setTotal(total: number): void;
  stop(): void;
}

export function progressBar(opts: GlobalOptions, format: string, total: number, payload: Record<string, unknown> = {}): Progress {
  if (opts.json || !process.stderr.isTTY) return { update() {}, setTotal() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format, hideCursor: true, clearOnComplete: false, etaBuffer: 50 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, payload);
  return {
    update: (value, more) => bar.update(value, more),
    setTotal: (t) => bar.setTotal(t),
    stop: () => bar.stop(),
  };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** The global options of any (sub)command. */
export function globalsOf(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

/** The claims of a JWT (unverified: only to learn its tenant), or undefined when it is none. */
function claimsOf(token: string): Record<string, unknown> | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return typeof claims === 'object' && claims !== null ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export interface Api {
  client: EnAkteClient;
  tenant: string;
}

/** The API client of the global options, and the tenant (--tenant, else the token's `tenant` claim). */
export async function connect(opts: GlobalOptions): Promise<Api> {
  if (!opts.token && !(opts.clientId && opts.clientSecret)) {
    if (opts.clientId || opts.clientSecret) throw new CliError('unauthenticated', '--client-id and --client-secret go together', EXIT.auth);
    throw new CliError('unauthenticated', 'no credentials: give --token (EN_AKTE_TOKEN) or --client-id and --client-secret (EN_AKTE_CLIENT_ID, EN_AKTE_CLIENT_SECRET)', EXIT.auth);
  }
  let baseUrl: URL;
  try {
    baseUrl = new URL(opts.url);
  } catch {
    throw new CliError('usage', '--url is not a URL', EXIT.usage);
  }
  // Credentials go in --token or --client-id/--client-secret: a URL with them would end up in error messages.
  if (baseUrl.username || baseUrl.password) throw new CliError('usage', '--url must not carry a user name or password', EXIT.usage);
  const client = createEnAkteClient({
    baseUrl: baseUrl.toString(),
    userAgent: `en-akte-cli/${CLI_VERSION}`,
    ...(opts.token ? { token: opts.token } : { clientCredentials: { clientId: opts.clientId!, clientSecret: opts.clientSecret! } }),
  });
  let tenant = opts.tenant;
  if (!tenant) {
    const claimed = claimsOf((await client.token()) ?? '')?.tenant;
    if (typeof claimed === 'string' && claimed) tenant = claimed;
  }
  if (!tenant) throw new CliError('usage', 'no tenant: give --tenant (EN_AKTE_TENANT); the token names none', EXIT.usage);
  return { client, tenant };
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

/**
 * A network failure (connection refused, DNS, reset), as opposed to a bug: fetch's TypeError with
 * its cause, or a socket error of the database driver (the in-process commands).
 */
function networkCause(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  const withCode = (c: string | undefined, message: string | undefined) => (message && c && message.includes(c) ? message : [c, message].filter(Boolean).join(' '));
  if (err instanceof Error && typeof code === 'string' && NETWORK_CODES.has(code)) return withCode(code, err.message);
  if (!(err instanceof TypeError)) return undefined;
  const cause = (err as { cause?: unknown }).cause;
  if (err.message === 'fetch failed' || cause) {
    const c = cause as { code?: string; message?: string } | undefined;
    return withCode(c?.code, c?.message) || err.message;
  }
  return undefined;
}

/** Prints an error (stderr; with --json the problem document on stdout) and answers its exit code. */
export function report(err: unknown, json: boolean): ExitCode {
  let problem: Problem | { code: string; title: string; detail: string; status?: number };
  let requestId: string | undefined;
  let exitCode: ExitCode;
  if (err instanceof ProblemError) {
    problem = err.problem;
    requestId = err.requestId;
    exitCode = exitCodeOfStatus(err.status);
  } else if (err instanceof CliError) {
    problem = { code: err.code, title: err.code, detail: err.detail };
    exitCode = err.exitCode;
  } else if (networkCause(err) !== undefined) {
    problem = { code: 'network-error', title: 'The service is not reachable', detail: networkCause(err)! };
    exitCode = EXIT.unavailable;
  } else {
    const message = err instanceof Error ? err.message : String(err);
    problem = { code: 'unexpected', title: 'Unexpected error', detail: message };
    exitCode = EXIT.unexpected;
    if (!json && process.env.EN_AKTE_DEBUG && err instanceof Error) console.error(err.stack);
  }
  if (json) process.stdout.write(`${JSON.stringify(problem)}\n`);
  else console.error(`${problem.code}: ${problem.detail ?? problem.title}${requestId ? ` (${requestId})` : ''}`);
  return exitCode;
}

/** Answers the loosely typed openapi-fetch call for bodies the contract types as strings (XML, ZIP, streams). */
export function rawCall(client: EnAkteClient, method: 'GET' | 'POST') {
  return client.api[method] as unknown as (path: string, init: Record<string, unknown>) => Promise<{ data?: unknown; response: Response }>;
}

/**
 * Writes a stream to `out` all or nothing: into a new file of its own beside it (a random name,
 * created exclusively, so a planted symlink or another run is never written through; mode 0600,
 * since audit exports and containers hold personal data), renamed to `out` only when complete, and
 * removed when anything fails. `check` runs after the last byte and may refuse the result.
 */
export async function writeAtomically(out: string, streams: [NodeJS.ReadableStream, ...NodeJS.ReadWriteStream[]], check?: () => void): Promise<void> {
  const part = path.join(path.dirname(out), `.${path.basename(out)}.${randomUUID()}.part`);
  try {
    await pipeline([...streams, createWriteStream(part, { flags: 'wx', mode: 0o600 })]);
    check?.();
    await rename(part, out);
  } catch (err) {
    await rm(part, { force: true });
    throw err;
  }
}
