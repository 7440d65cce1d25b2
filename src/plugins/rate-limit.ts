import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import rateLimit from '@fastify/rate-limit';
import pg from 'pg';
import { actorOf } from '../core/index.js';
import { errors } from '../errors.js';
import { basicUser } from '../lib/authorization.js';

/**
 * Rate limits that hold across instances: @fastify/rate-limit counts in PostgreSQL (an unlogged
 * table shared by every instance; a fixed window per key) instead of process memory.
 * - /v1: per tenant and caller (client or person), RATE_LIMIT_PER_MINUTE.
 * - /oauth/token: per client_id and per address, before any secret is hashed (scrypt is expensive).
 * Answers 429 problem+json with Retry-After; every limited response carries RateLimit-Limit,
 * RateLimit-Remaining and RateLimit-Reset (draft-ietf-httpapi-ratelimit-headers).
 */
export interface RateLimitOptions {
  databaseUrl: string;
  perMinute: number;
  tokenPerClientPerMinute: number;
  tokenPerAddressPerMinute: number;
  statusPerAddressPerMinute: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** onRequest for /v1, after authentication: the caller's budget. */
    limitCaller: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
    /** preHandler of /oauth/token: the client's and the address's budget. */
    limitTokenRequest: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
    /** Citizen status lookups (no token of ours): per client address, STATUS_RATE_LIMIT_PER_ADDRESS_PER_MINUTE. */
    limitStatusLookup: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  }
}

const WINDOW_MS = 60_000;

interface Counter {
  current: number;
  ttl: number;
}
type Callback = (err: Error | null, res?: Counter) => void;

/** The store interface of @fastify/rate-limit, on PostgreSQL. */
function postgresStore(pool: pg.Pool) {
  return class PostgresStore {
    incr(key: string, cb: Callback, timeWindow: number) {
      // Now and then, drop the windows that ended (any instance; the table stays small).
      if (Math.random() < 0.001) pool.query(`DELETE FROM rate_limit_bucket WHERE expires_at < now() - interval '1 minute'`).catch(() => undefined);
      pool
        .query<{ count: number; ttl: string }>(
          `INSERT INTO rate_limit_bucket AS b (key, count, expires_at) VALUES ($1, 1, now() + $2 * interval '1 millisecond')
           ON CONFLICT (key) DO UPDATE SET
             count = CASE WHEN b.expires_at <= now() THEN 1 ELSE b.count + 1 END,
             expires_at = CASE WHEN b.expires_at <= now() THEN now() + $2 * interval '1 millisecond' ELSE b.expires_at END
           RETURNING count, GREATEST(0, ceil(EXTRACT(EPOCH FROM (expires_at - now())) * 1000))::bigint AS ttl`,
          [key, timeWindow],
        )
        .then((r) => cb(null, { current: r.rows[0]!.count, ttl: Number(r.rows[0]!.ttl) }), (err: Error) => cb(err));
    }
    read(key: string, cb: Callback) {
      pool
        .query<{ count: number; ttl: string }>(
          `SELECT count, GREATEST(0, ceil(EXTRACT(EPOCH FROM (expires_at - now())) * 1000))::bigint AS ttl FROM rate_limit_bucket WHERE key = $1 AND expires_at > now()`,
          [key],
        )
        .then((r) => cb(null, r.rows[0] ? { current: r.rows[0].count, ttl: Number(r.rows[0].ttl) } : { current: 0, ttl: 0 }), (err: Error) => cb(err));
    }
    child() {
      return this;
    }
  };
}

interface Outcome {
  isAllowed: boolean;
  max?: number;
  remaining?: number;
  ttlInSeconds?: number;
  isExceeded?: boolean;
}

function apply(reply: FastifyReply, outcome: Outcome, what: string) {
  if (outcome.isAllowed) return;
  reply.header('ratelimit-limit', outcome.max).header('ratelimit-remaining', outcome.remaining).header('ratelimit-reset', outcome.ttlInSeconds);
  if (outcome.isExceeded) {
    throw errors.tooManyRequests(`Too many requests ${what}; retry in ${outcome.ttlInSeconds} s`, outcome.ttlInSeconds ?? 60);
  }
}

/** The client id a token request names: the form's client_id, or the user of HTTP Basic. */
function clientIdOf(request: FastifyRequest): string {
  const body = request.body as { client_id?: unknown } | undefined;
  if (typeof body?.client_id === 'string') return body.client_id.slice(0, 200);
  return basicUser(request.headers.authorization)?.slice(0, 200) ?? '-';
}

export default fp(
  async function rateLimitPlugin(app: FastifyInstance, opts: RateLimitOptions) {
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 4, connectionTimeoutMillis: 5_000, application_name: 'en-akte-ratelimit' });
    pool.on('error', () => undefined);
    app.addHook('onClose', async () => pool.end());
    await app.register(rateLimit, { global: false, store: postgresStore(pool), timeWindow: WINDOW_MS });

    const perCaller = app.createRateLimit({
      max: opts.perMinute,
      timeWindow: WINDOW_MS,
      keyGenerator: (req: FastifyRequest) => `v1:${req.caller!.tenant}:${actorOf(req.caller!)}`,
    });
    const perClient = app.createRateLimit({
      max: opts.tokenPerClientPerMinute,
      timeWindow: WINDOW_MS,
      keyGenerator: (req: FastifyRequest) => `token:client:${clientIdOf(req)}`,
    });
    const perAddress = app.createRateLimit({
      max: opts.tokenPerAddressPerMinute,
      timeWindow: WINDOW_MS,
      keyGenerator: (req: FastifyRequest) => `token:ip:${req.ip}`,
    });

    const perStatusAddress = app.createRateLimit({
      max: opts.statusPerAddressPerMinute,
      timeWindow: WINDOW_MS,
      keyGenerator: (req: FastifyRequest) => `status:ip:${req.ip}`,
    });
    app.decorate('limitStatusLookup', async (request: FastifyRequest, reply: FastifyReply) => {
      apply(reply, await perStatusAddress(request), 'from this address');
    });
    app.decorate('limitCaller', async (request: FastifyRequest, reply: FastifyReply) => {
      apply(reply, await perCaller(request), 'for this client');
    });
    app.decorate('limitTokenRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      const [address, client] = await Promise.all([perAddress(request), perClient(request)]);
      apply(reply, address, 'from this address');
      apply(reply, client, 'for this client_id');
    });
  },
  { name: 'rate-limit', dependencies: ['errors'], fastify: '5.x' },
);
