import type { UnitOfWork } from '../../core/index.js';
import { auditRepo } from './repo.js';

/** One entry of an object's history as other contexts show it (e.g. XDOMEA HistorienProtokollInformation). */
export interface TrailEntry {
  at: string;
  actor: string;
  action: string;
}

/**
 * The audit events about one object, oldest first, at most `max` (paged by seq). For workflows that
 * write an object's history into a record (XDOMEA 0503); the caller's own permission to the object
 * is checked by the workflow, not `audit:read`.
 */
export async function objectTrail(uow: UnitOfWork, objectId: string, max = 10_000): Promise<TrailEntry[]> {
  const out: TrailEntry[] = [];
  let afterSeq: number | undefined;
  while (out.length < max) {
    const rows = await uow.repo(auditRepo).page({ objectId, afterSeq }, Math.min(1000, max - out.length));
    for (const r of rows) out.push({ at: r.at.toISOString(), actor: r.actorSub, action: r.action });
    if (rows.length < 1000) break;
    afterSeq = Number(rows.at(-1)!.seq);
  }
  return out;
}
