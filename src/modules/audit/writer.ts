import { uuidv7 } from 'uuidv7';
import type { Tx } from '../../db/tenant-tx.js';
import type { Principal } from '../../plugins/auth.js';
import { canonicalJson, eventHash, GENESIS_HASH } from './chain.js';
import { auditRepo } from './repo.js';

export interface AuditEntry {
  /** What happened, `<object>.<verb>`: file.created, version.content-read, grant.approved… */
  action: string;
  objectType: string;
  objectId?: string | null;
  old?: Record<string, unknown> | null;
  new?: Record<string, unknown> | null;
}

/**
 * Appends an event to the tenant's hash chain, in the caller's transaction: the change and its
 * record commit together or not at all. Records both identities and the grant when the
 * competence centre acts under one.
 */
export async function appendAudit(tx: Tx, tenantId: string, caller: Principal, entry: AuditEntry): Promise<void> {
  const head = await auditRepo.lockHead(tx, tenantId);
  const fields = {
    tenantId,
    seq: (head?.seq ?? 0) + 1,
    id: uuidv7(),
    at: new Date().toISOString(),
    actorTenant: caller.tenant,
    actorSub: caller.subject,
    clientId: caller.clientId ?? null,
    grantId: caller.grantId ?? null,
    action: entry.action,
    objectType: entry.objectType,
    objectId: entry.objectId ?? null,
    // Normalised through JSON so the hash covers exactly what jsonb will give back.
    oldValues: entry.old ? (JSON.parse(JSON.stringify(entry.old)) as unknown) : null,
    newValues: entry.new ? (JSON.parse(JSON.stringify(entry.new)) as unknown) : null,
    requestId: caller.requestId ?? null,
    prevHash: head?.hash ?? GENESIS_HASH,
  };
  await auditRepo.insert(tx, { ...fields, hash: eventHash(fields) });
}

/** Old and new values of the fields that differ between two representations. */
export function changes(before: object, after: object): { old: Record<string, unknown>; new: Record<string, unknown> } {
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  const out = { old: {} as Record<string, unknown>, new: {} as Record<string, unknown> };
  for (const key of new Set([...Object.keys(b), ...Object.keys(a)])) {
    if (key === 'updatedAt') continue;
    if (canonicalJson(b[key]) !== canonicalJson(a[key])) {
      out.old[key] = b[key] ?? null;
      out.new[key] = a[key] ?? null;
    }
  }
  return out;
}

/** Records a change: the old and new values of the fields that differ, plus `extra` (a reason…). */
export async function appendChange(
  tx: Tx,
  tenantId: string,
  caller: Principal,
  e: { action: string; objectType: string; objectId: string; before: object; after: object; extra?: Record<string, unknown> },
): Promise<void> {
  const diff = changes(e.before, e.after);
  await appendAudit(tx, tenantId, caller, {
    action: e.action,
    objectType: e.objectType,
    objectId: e.objectId,
    old: diff.old,
    new: { ...diff.new, ...e.extra },
  });
}
