import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { jobContext, type RequestContext, type Scope, type TenantRef } from '../../core/index.js';
import { BlobExistsError, type BlobStore, type LockMode } from '../../storage/index.js';
import { auditRepo } from './repo.js';

/**
 * Audit anchors: a signed checkpoint of a tenant's chain head (sequence, hash, time), written to
 * the tenant's bucket with an object-lock retention (COMPLIANCE by default: not even the storage's
 * root user can remove it before its date). The database owner can delete events or recompute the
 * whole chain so that it verifies on its own; it cannot change the checkpoints. Verification holds
 * the chain against them.
 */
export const ANCHOR_PREFIX = 'audit-anchors/';
export const ANCHOR_TYP = 'en-akte-audit-anchor+jws';

export interface AnchorSettings {
  retentionDays: number;
  mode: LockMode;
}

export interface Anchor {
  seq: number;
  hash: string;
  at: string;
  /** Object key in the tenant's bucket. */
  key: string;
}

/** What signs and verifies checkpoints: the service's own key (src/auth/keys.ts). */
export interface DocumentSigner {
  signDocument(payload: object, typ: string): Promise<string>;
  verifyDocument(jws: string, typ: string): Promise<{ payload: unknown; kid: string } | null>;
}

export interface AnchorCheck {
  /** Checkpoints compared with the chain. */
  checked: number;
  latest: { seq: number; at: string } | null;
  firstMismatch: { seq: number; reason: string } | null;
}

interface AnchorPayload {
  tenant: string;
  tenantId: string;
  seq: number;
  hash: string;
  at: string;
}

// Under the tenant's id as well as in its bucket: a bucket that outlives its database (a restore, a
// second installation on the same storage) never mixes two chains' checkpoints.
const prefixOf = (tenant: TenantRef) => `${ANCHOR_PREFIX}${tenant.id}/`;
const keyOf = (tenant: TenantRef, seq: number) => `${prefixOf(tenant)}${String(seq).padStart(16, '0')}.jws`;
const seqOf = (key: string) => Number(key.slice(key.lastIndexOf('/') + 1, -'.jws'.length));

export function createAnchors(deps: { scope: Scope; storage: BlobStore; signer: DocumentSigner; settings: AnchorSettings }) {
  const { scope, storage, signer, settings } = deps;

  async function keys(tenant: TenantRef): Promise<string[]> {
    const out: string[] = [];
    for await (const item of storage.list(tenant.slug, prefixOf(tenant))) if (/\/\d{16}\.jws$/.test(item.key)) out.push(item.key);
    return out.sort();
  }

  /** A checkpoint as stored, with whether its signature holds and it is this tenant's. */
  async function read(tenant: TenantRef, key: string): Promise<{ anchor: Anchor | null; problem: string | null }> {
    const jws = await text(await storage.get(tenant.slug, key));
    const verified = await signer.verifyDocument(jws, ANCHOR_TYP);
    const p = verified?.payload as AnchorPayload | undefined;
    if (!p || typeof p.seq !== 'number' || typeof p.hash !== 'string') return { anchor: null, problem: `the checkpoint ${key} is not signed by this service` };
    if (p.tenantId !== tenant.id || p.seq !== seqOf(key)) return { anchor: null, problem: `the checkpoint ${key} belongs elsewhere` };
    return { anchor: { seq: p.seq, hash: p.hash, at: p.at, key }, problem: null };
  }

  return {
    /** Writes a checkpoint of the tenant's chain head now; null when the chain is empty. Idempotent per head. */
    async anchor(tenant: TenantRef): Promise<Anchor | null> {
      const head = await scope(jobContext(tenant, 'audit-anchor'), (uow) => uow.repo(auditRepo).head());
      if (!head) return null;
      const payload: AnchorPayload = { tenant: tenant.slug, tenantId: tenant.id, seq: head.seq, hash: head.hash, at: new Date().toISOString() };
      const jws = await signer.signDocument(payload, ANCHOR_TYP);
      const key = keyOf(tenant, head.seq);
      await storage.ensureBucket(tenant.slug);
      try {
        await storage.put(tenant.slug, key, Readable.from([Buffer.from(jws)]), {
          contentType: 'application/jose',
          retention: { mode: settings.mode, until: new Date(Date.now() + settings.retentionDays * 86_400_000) },
        });
      } catch (err) {
        // This head is anchored already (another instance, or no event since the last run).
        if (err instanceof BlobExistsError) return (await read(tenant, key)).anchor;
        throw err;
      }
      return { seq: head.seq, hash: head.hash, at: payload.at, key };
    },

    /** The newest checkpoints, newest first. */
    async list(tenant: TenantRef, limit: number): Promise<Anchor[]> {
      const all = (await keys(tenant)).reverse().slice(0, limit);
      const out: Anchor[] = [];
      for (const key of all) {
        const { anchor } = await read(tenant, key);
        if (anchor) out.push(anchor);
      }
      return out;
    },

    /**
     * Holds the chain against the checkpoints. The newest checkpoint covers every earlier event
     * (each hash covers its predecessors): a chain that ends before it lost events, a different
     * hash at its sequence means the chain was rewritten; then the earliest checkpoint that
     * disagrees is searched (binary search), and its sequence reported.
     */
    async check(ctx: RequestContext, headSeq: number): Promise<AnchorCheck> {
      const all = await keys(ctx.tenant);
      if (all.length === 0) return { checked: 0, latest: null, firstMismatch: null };
      const hashAt = (seq: number) => scope(ctx, (uow) => uow.repo(auditRepo).hashAt(seq));
      const disagreement = async (key: string): Promise<{ seq: number; reason: string } | null> => {
        const { anchor, problem } = await read(ctx.tenant, key);
        if (!anchor) return { seq: seqOf(key), reason: problem! };
        if (anchor.seq > headSeq) {
          return { seq: headSeq + 1, reason: `the chain ends at ${headSeq}, but the checkpoint of ${anchor.at} holds event ${anchor.seq}: events were removed` };
        }
        const hash = await hashAt(anchor.seq);
        if (hash !== anchor.hash) return { seq: anchor.seq, reason: `the hash differs from the checkpoint of ${anchor.at}: the chain was rewritten up to here` };
        return null;
      };
      const latestKey = all.at(-1)!;
      const latest = await read(ctx.tenant, latestKey);
      let mismatch = await disagreement(latestKey);
      let checked = 1;
      if (mismatch) {
        // Find the earliest checkpoint that disagrees; `mismatch` always describes all[hi].
        let lo = 0;
        let hi = all.length - 1;
        while (lo < hi) {
          const mid = Math.floor((lo + hi) / 2);
          checked++;
          const m = await disagreement(all[mid]!);
          if (m) {
            hi = mid;
            mismatch = m;
          } else lo = mid + 1;
        }
      }
      return { checked, latest: latest.anchor ? { seq: latest.anchor.seq, at: latest.anchor.at } : null, firstMismatch: mismatch };
    },
  };
}

export type Anchors = ReturnType<typeof createAnchors>;
