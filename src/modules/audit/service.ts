import { authorize, type RequestContext, type Scope } from '../../core/index.js';
import { errors } from '../../errors.js';
import type { AnchorCheck, Anchors } from './anchors.js';
import { createChainVerifier, type StoredEvent, type VerifyResult } from './chain.js';
import { auditRepo, toStored, type AuditFilter } from './repo.js';
import type { AuditEventBody, AuditQuery } from './schemas.js';

const PAGE = 1000;

const toFilter = (q: Omit<AuditQuery, 'limit' | 'cursor'>): AuditFilter => ({
  objectId: q.objectId,
  objectType: q.objectType,
  action: q.action,
  actor: q.actor,
  grantId: q.grantId,
  from: q.from ? new Date(q.from) : undefined,
  to: q.to ? new Date(q.to) : undefined,
});

/** The API representation: the stored event without the tenant id (it is in the path). */
const present = ({ tenantId: _tenant, ...e }: StoredEvent): AuditEventBody => ({
  ...e,
  oldValues: e.oldValues as Record<string, unknown> | null,
  newValues: e.newValues as Record<string, unknown> | null,
});

/** Reading the audit trail: lists, one object's history, JSON Lines export and chain verification. */
export function createAuditService(deps: { scope: Scope; anchors: Anchors }) {
  const { scope, anchors } = deps;

  /** All events matching a filter, in seq order, read page by page (each page its own short transaction). */
  async function* stream(ctx: RequestContext, filter: AuditFilter): AsyncIterable<StoredEvent> {
    let afterSeq = filter.afterSeq;
    for (;;) {
      const rows = await scope(ctx, async (uow) => uow.repo(auditRepo).page({ ...filter, afterSeq }, PAGE));
      for (const r of rows) yield toStored(r);
      if (rows.length < PAGE) return;
      afterSeq = Number(rows.at(-1)!.seq);
    }
  }

  async function list(ctx: RequestContext, q: AuditQuery) {
    authorize(ctx, 'audit:read');
    const rows = await scope(ctx, async (uow) =>
      uow.repo(auditRepo).page({ ...toFilter(q), afterSeq: q.cursor ? Number(q.cursor) : undefined }, q.limit + 1),
    );
    const items = rows.slice(0, q.limit).map((r) => present(toStored(r)));
    return { items, next: rows.length > q.limit ? String(items.at(-1)!.seq) : null };
  }

  return {
    list,

    /** The history of one object; 404 when the tenant has no event about it (unknown or foreign id). */
    async history(ctx: RequestContext, objectId: string, q: { limit: number; cursor?: string }) {
      const page = await list(ctx, { ...q, objectId });
      if (page.items.length === 0 && !q.cursor) throw errors.notFound('object');
      return page;
    },

    /** JSON Lines, one event per line, streamed: exports never hold the trail in memory. */
    async *exportLines(ctx: RequestContext, q: Omit<AuditQuery, 'limit' | 'cursor'>): AsyncIterable<string> {
      authorize(ctx, 'audit:read');
      for await (const e of stream(ctx, toFilter(q))) yield `${JSON.stringify(present(e))}\n`;
    },

    /**
     * Walks the whole chain and reports the first broken link; then holds it against the signed
     * checkpoints in storage, which a truncated or recomputed chain cannot match.
     */
    async verify(ctx: RequestContext): Promise<VerifyResult & { anchors: AnchorCheck }> {
      authorize(ctx, 'audit:read');
      const verifier = createChainVerifier();
      let lastSeq = 0;
      let intact = true;
      for await (const e of stream(ctx, {})) {
        if (!verifier.push(e)) {
          intact = false;
          break;
        }
        lastSeq = e.seq;
      }
      const chain = verifier.result();
      const anchored = await anchors.check(ctx, intact ? lastSeq : Number.MAX_SAFE_INTEGER);
      const mismatch = intact ? anchored.firstMismatch : null;
      return { ...chain, ok: chain.ok && !mismatch, firstBroken: chain.firstBroken ?? mismatch, anchors: { ...anchored, firstMismatch: mismatch } };
    },

    /** Checkpoints the chain head now (auditors, tenant admins). */
    async anchorNow(ctx: RequestContext) {
      authorize(ctx, 'audit:read');
      const anchor = await anchors.anchor(ctx.tenant);
      if (!anchor) throw errors.conflict('The audit trail is empty: there is nothing to checkpoint');
      return anchor;
    },

    async listAnchors(ctx: RequestContext, limit: number) {
      authorize(ctx, 'audit:read');
      return { items: await anchors.list(ctx.tenant, limit) };
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
