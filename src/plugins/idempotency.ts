import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { outageOf } from '../lib/unavailable.js';
import { actorOf, type RequestContext, type Scope } from '../core/index.js';
import { idempotencyRepo, type IdempotencyKeyId, type IdempotencyRecordRow } from '../db/idempotency-repo.js';
import { errors } from '../errors.js';

/** After how long an unfinished claim counts as abandoned (its request died). */
const ABANDONED_AFTER_MS = 5 * 60_000;
const KEY_PATTERN = /^[\x21-\x7E]{1,255}$/;
/** Response headers that belong to the stored response and are replayed. */
const REPLAYED_HEADERS = ['content-type', 'etag', 'location', 'document-etag'];

declare module 'fastify' {
  interface FastifyRequest {
    idempotency: {
      id: IdempotencyKeyId;
      /** Set when a completed record matches: stream routes verify the body, then replay it. */
      replay?: IdempotencyRecordRow;
    } | null;
  }
  interface FastifyReply {
    /** Answers with a stored first response (a replay of the same request). */
    replayIdempotent(record: IdempotencyRecordRow): FastifyReply;
  }
  interface FastifyContextConfig {
    /** 'stream': the body is a raw stream the handler hashes; the fingerprint covers the headers only. */
    idempotency?: 'json' | 'stream';
  }
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function fingerprintOf(request: FastifyRequest, mode: 'json' | 'stream'): string {
  const h = request.headers;
  const parts = [request.method, request.url];
  if (mode === 'json') parts.push(canonical(request.body ?? null));
  else {
    const type = String(h['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    parts.push(type, String(h['if-match'] ?? ''), String(h['content-digest'] ?? ''), String(h['content-disposition'] ?? ''));
  }
  return createHash('sha256').update(parts.join('\n')).digest('hex');
}

/**
 * Idempotency-Key on POST (draft-ietf-httpapi-idempotency-key-header): the first response to a key
 * is stored in PostgreSQL and replayed for retries with the same request; the same key with a
 * different request answers 422, a retry while the first is still running 409. 5xx responses are
 * not stored, so the client may retry them.
 */
/**
 * Records the outcome of a key. When the database is unreachable right then (restarting, failing
 * over: test/faults), the answer still goes out and the record is written as soon as it is back,
 * retried in the background for up to ~2 minutes. Until then a retry with the key gets 409 (in
 * progress), never a second execution; only a claim unrecorded for ABANDONED_AFTER_MS is taken over.
 */
async function persist(request: FastifyRequest, what: string, write: () => Promise<void>): Promise<void> {
  try {
    await write();
    return;
  } catch (err) {
    if (!outageOf(err)) throw err;
    request.log.warn({ err, what }, 'idempotency record not written (database unavailable); retrying in the background');
  }
  void (async () => {
    for (let attempt = 0, delay = 500; attempt < 30; attempt++, delay = Math.min(delay * 2, 5_000)) {
      await new Promise((r) => setTimeout(r, delay).unref());
      try {
        await write();
        return;
      } catch (err) {
        if (!outageOf(err)) {
          request.log.error({ err, what }, 'idempotency record could not be written');
          return;
        }
      }
    }
    request.log.error({ what }, 'idempotency record not written: the database stayed unavailable');
  })();
}

export default fp(
  async function idempotencyPlugin(app: FastifyInstance, opts: { scope: Scope }) {
    // Each access is a short unit of its own in the request's tenant (not the handler's transaction).
    const keys = <T>(ctx: RequestContext, fn: (repo: ReturnType<typeof idempotencyRepo>) => Promise<T>) =>
      opts.scope(ctx, (uow) => fn(uow.repo(idempotencyRepo)));
    app.decorateRequest('idempotency', null);
    app.decorateReply('replayIdempotent', function (this: FastifyReply, record: IdempotencyRecordRow) {
      return replayStored(this, record);
    });

    app.decorate('checkIdempotency', async (request: FastifyRequest, reply: FastifyReply) => {
      const key = request.headers['idempotency-key'];
      const ctx = request.ctx;
      if (request.method !== 'POST' || key === undefined || !ctx) return;
      if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
        throw errors.badRequest('Idempotency-Key must be 1-255 visible ASCII characters');
      }
      const mode = request.routeOptions.config.idempotency ?? 'json';
      const id: IdempotencyKeyId = { principal: actorOf(ctx.caller), key };
      const fingerprint = fingerprintOf(request, mode);
      if (await keys(ctx, (r) => r.claim(id, fingerprint))) {
        request.idempotency = { id };
        return;
      }
      const existing = await keys(ctx, (r) => r.find(id));
      if (!existing) {
        // Purged between claim and find: claim again.
        if (await keys(ctx, (r) => r.claim(id, fingerprint))) request.idempotency = { id };
        else throw errors.idempotencyInProgress();
        return;
      }
      if (existing.responseStatus === null) {
        if (await keys(ctx, (r) => r.takeOver(id, fingerprint, new Date(Date.now() - ABANDONED_AFTER_MS)))) {
          request.idempotency = { id };
          return;
        }
        throw errors.idempotencyInProgress();
      }
      if (existing.fingerprint !== fingerprint) throw errors.idempotencyKeyReused();
      if (mode === 'stream') {
        request.idempotency = { id, replay: existing };
        return;
      }
      return replayStored(reply, existing);
    });

    app.addHook('onSend', async (request, reply, payload) => {
      const idem = request.idempotency;
      if (!idem || idem.replay || reply.getHeader('idempotent-replayed')) return payload;
      const ctx = request.ctx!;
      if (reply.statusCode >= 500 || typeof payload !== 'string') {
        await persist(request, 'release', () => keys(ctx, (r) => r.release(idem.id)));
        return payload;
      }
      const headers: Record<string, string> = {};
      for (const name of REPLAYED_HEADERS) {
        const v = reply.getHeader(name);
        if (v !== undefined) headers[name] = String(v);
      }
      const status = reply.statusCode;
      // The change is committed: its answer goes out even if the database went away meanwhile.
      await persist(request, 'complete', () => keys(ctx, (r) => r.complete(idem.id, status, headers, payload)));
      return payload;
    });

    // A request that dies without a response releases its claim.
    app.addHook('onRequestAbort', async (request) => {
      const idem = request.idempotency;
      if (idem && !idem.replay) await keys(request.ctx!, (r) => r.release(idem.id)).catch(() => undefined);
    });
  },
  { name: 'idempotency', dependencies: ['tenant-context'], fastify: '5.x' },
);

function replayStored(reply: FastifyReply, record: IdempotencyRecordRow) {
  reply.code(record.responseStatus!).headers({ ...record.responseHeaders, 'idempotent-replayed': 'true' });
  return reply.serializer((p: unknown) => p as string).send(record.responseBody);
}

declare module 'fastify' {
  interface FastifyInstance {
    /** preHandler for POST routes: claims the Idempotency-Key or replays its stored response. */
    checkIdempotency: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
  }
}
