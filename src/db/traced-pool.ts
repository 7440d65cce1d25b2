import { context, SpanKind, type Attributes, type Context, type Span } from '@opentelemetry/api';
import {
  ATTR_DB_NAMESPACE,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_TEXT,
  ATTR_DB_RESPONSE_STATUS_CODE,
  ATTR_DB_SYSTEM_NAME,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
} from '@opentelemetry/semantic-conventions';
import type pg from 'pg';
import { failSpan, type Telemetry } from '../telemetry/index.js';

/** Longest statement text a span carries; Prisma's statements are parameterised, so no values are in it. */
export const MAX_QUERY_TEXT = 2_000;

/** The trace context a `pool.query` was called in, carried to the pooled client's query. */
const PARENT = Symbol('en-akte.trace-context');

type QueryArgs = [config: unknown, values?: unknown, callback?: unknown];
type Query = (...args: QueryArgs) => unknown;

const isSubmittable = (config: unknown) => typeof (config as { submit?: unknown } | null)?.submit === 'function';

/**
 * A span per statement on `pool` (Prisma's adapter sends every statement through it): a child of
 * the span it was sent in, with the statement's text (never its parameters), its operation and the
 * server. Every client the pool connects is wrapped as it connects. `pool.query` hands its
 * statement to a client in the connect callback, which runs in whatever released that client, so
 * it carries its caller's context along in the query config.
 */
export function tracePool(pool: pg.Pool, telemetry: Telemetry, url: string): void {
  const { tracer } = telemetry;
  const u = new URL(url);
  const server: Attributes = {
    [ATTR_DB_SYSTEM_NAME]: 'postgresql',
    [ATTR_DB_NAMESPACE]: decodeURIComponent(u.pathname.slice(1)),
    [ATTR_SERVER_ADDRESS]: u.hostname,
    [ATTR_SERVER_PORT]: Number(u.port || 5432),
  };

  const poolQuery = pool.query.bind(pool) as Query;
  (pool as unknown as { query: Query }).query = (config, ...rest) => {
    if (typeof config === 'string') config = { text: config, [PARENT]: context.active() };
    else if (config && typeof config === 'object' && !isSubmittable(config)) config = { ...config, [PARENT]: context.active() };
    return poolQuery(config, ...rest);
  };

  pool.on('connect', (client) => {
    const clientQuery = client.query.bind(client) as Query;
    (client as unknown as { query: Query }).query = (...args) => {
      const [config] = args;
      // Cursors and streams (submittables) are not Prisma's; they pass untraced.
      if (isSubmittable(config) || (typeof config !== 'string' && typeof (config as { text?: unknown } | null)?.text !== 'string')) return clientQuery(...args);
      const text = typeof config === 'string' ? config : (config as { text: string }).text;
      const parent = (typeof config === 'object' ? (config as { [PARENT]?: Context })[PARENT] : undefined) ?? context.active();
      const operation = /^\s*([A-Za-z]+)/.exec(text)?.[1]?.toUpperCase();
      const span = tracer.startSpan(
        operation ?? 'postgresql',
        {
          kind: SpanKind.CLIENT,
          attributes: {
            ...server,
            [ATTR_DB_QUERY_TEXT]: text.length > MAX_QUERY_TEXT ? `${text.slice(0, MAX_QUERY_TEXT)}…` : text,
            ...(operation ? { [ATTR_DB_OPERATION_NAME]: operation } : {}),
          },
        },
        parent,
      );
      const settle = (err: unknown) => {
        if (err) fail(span, err);
        span.end();
      };
      // The callback forms: (config, callback) and (config, values, callback).
      const last = typeof args[2] === 'function' ? 2 : typeof args[1] === 'function' ? 1 : null;
      if (last !== null) {
        const callback = args[last] as (err: unknown, res: unknown) => void;
        const wrapped = [...args] as unknown[];
        wrapped[last] = (err: unknown, res: unknown) => {
          settle(err);
          callback(err, res);
        };
        return clientQuery(...(wrapped as QueryArgs));
      }
      const result = clientQuery(...args);
      if (typeof (result as Promise<unknown> | undefined)?.then === 'function') {
        (result as Promise<unknown>).then(() => settle(null), settle);
      } else {
        span.end();
      }
      return result;
    };
  });
}

function fail(span: Span, err: unknown) {
  failSpan(span, err);
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') span.setAttribute(ATTR_DB_RESPONSE_STATUS_CODE, code);
}
