import { Agent, request } from 'undici';
import { guardedLookup, TargetRefused, urlProblem, addressProblem, type TargetPolicy } from './targets.js';

export interface SendResult {
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/** Longest error an attempt records (the schema's maxLength of Attempt.error). */
export const ATTEMPT_ERROR_MAX = 500;

const ipLiteral = (host: string) => /^\[.*\]$|^\d{1,3}(\.\d{1,3}){3}$/.test(host);

/**
 * POSTs one signed event. 10 s for the whole exchange (connect, headers, body), no redirects
 * followed (a 3xx is an answer that is not 2xx), the answer's body discarded, and the SSRF guard
 * applied to the address actually dialled.
 */
export function createSender(opts: { policy: TargetPolicy; timeoutMs: number; userAgent: string }) {
  const agent = new Agent({
    connect: { lookup: guardedLookup(opts.policy), timeout: opts.timeoutMs },
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
    keepAliveTimeout: 30_000,
  });

  return {
    async send(url: string, headers: Record<string, string>, body: string): Promise<SendResult> {
      const started = Date.now();
      const done = (statusCode: number | null, error: string | null): SendResult => ({ statusCode, error: error?.slice(0, ATTEMPT_ERROR_MAX) ?? null, durationMs: Date.now() - started });
      const formProblem = urlProblem(url, opts.policy);
      if (formProblem) return done(null, `The URL ${formProblem}`);
      // The lookup guard never runs for an address literal: check it here.
      const host = new URL(url).hostname;
      if (ipLiteral(host)) {
        const p = addressProblem(host.replace(/^\[|\]$/g, ''), opts.policy);
        if (p) return done(null, `Refused: ${p}`);
      }
      try {
        const res = await request(url, {
          method: 'POST',
          dispatcher: agent,
          headers: { ...headers, 'content-type': 'application/json', 'user-agent': opts.userAgent },
          body,
          signal: AbortSignal.timeout(opts.timeoutMs),
        });
        await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
        const ok = res.statusCode >= 200 && res.statusCode < 300;
        return done(res.statusCode, ok ? null : `The receiver answered ${res.statusCode}`);
      } catch (err) {
        const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
        if (e instanceof TargetRefused || e.cause instanceof TargetRefused) return done(null, `Refused: ${(e.cause ?? e).message}`);
        if (e.name === 'TimeoutError' || e.name === 'AbortError' || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT' || e.code === 'UND_ERR_CONNECT_TIMEOUT') {
          return done(null, `No answer within ${opts.timeoutMs / 1000} s`);
        }
        return done(null, `Could not deliver: ${e.code ?? e.cause?.code ?? e.message}`);
      }
    },
    close: () => agent.close(),
  };
}

export type Sender = ReturnType<typeof createSender>;
