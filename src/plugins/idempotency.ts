import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { actorOf } from '../auth/permissions.js';
import type { IdempotencyKeyId, IdempotencyRecordRow, IdempotencyRepo } from '../db/idempotency-repo.js';
import { errors } from '../errors.js';

/** How long a key is remembered, and after how long an unfinished claim counts as abandoned. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;
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
export default fp(
  async function idempotencyPlugin(app: FastifyInstance, opts: { repo: IdempotencyRepo }) {
    const { repo } = opts;
    app.decorateRequest('idempotency', null);

    app.decorate('checkIdempotency', async (request: FastifyRequest, reply: FastifyReply) => {
      const key = request.headers['idempotency-key'];
      if (request.method !== 'POST' || key === undefined || !request.tenant || !request.principal) return;
      if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
        throw errors.badRequest('Idempotency-Key must be 1-255 visible ASCII characters');
      }
      const mode = request.routeOptions.config.idempotency ?? 'json';
      const id: IdempotencyKeyId = { tenantId: request.tenant.id, principal: actorOf(request.principal), key };
      const fingerprint = fingerprintOf(request, mode);
      if (await repo.claim(id, fingerprint)) {
        request.idempotency = { id };
        return;
      }
      const existing = await repo.find(id);
      if (!existing) {
        // Purged between claim and find: claim again.
        if (await repo.claim(id, fingerprint)) request.idempotency = { id };
        else throw errors.idempotencyInProgress();
        return;
      }
      if (existing.responseStatus === null) {
        if (await repo.takeOver(id, fingerprint, new Date(Date.now() - ABANDONED_AFTER_MS))) {
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
      if (reply.statusCode >= 500 || typeof payload !== 'string') {
        await repo.release(idem.id);
        return payload;
      }
      const headers: Record<string, string> = {};
      for (const name of REPLAYED_HEADERS) {
        const v = reply.getHeader(name);
        if (v !== undefined) headers[name] = String(v);
      }
      await repo.complete(idem.id, reply.statusCode, headers, payload);
      return payload;
    });

    // A request that dies without a response releases its claim.
    app.addHook('onRequestAbort', async (request) => {
      if (request.idempotency && !request.idempotency.replay) await repo.release(request.idempotency.id).catch(() => undefined);
    });
  },
  { name: 'idempotency', dependencies: ['tenant-context'], fastify: '5.x' },
);

export function replayStored(reply: FastifyReply, record: IdempotencyRecordRow) {
  reply.code(record.responseStatus!).headers({ ...record.responseHeaders, 'idempotent-replayed': 'true' });
  return reply.serializer((p: unknown) => p as string).send(record.responseBody);
}

declare module 'fastify' {
  interface FastifyInstance {
    /** preHandler for POST routes: claims the Idempotency-Key or replays its stored response. */
    checkIdempotency: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
  }
}
