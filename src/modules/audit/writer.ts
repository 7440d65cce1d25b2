import { uuidv7 } from 'uuidv7';
import type { AuditChange, AuditEntry, AuditLogFactory, AuditReceipt, DomainEvent, EventDraft } from '../../core/index.js';
import { canonicalJson, chainTemplate } from './chain.js';
import { auditAppender } from './repo.js';

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

/** Normalised through JSON, so the hash covers exactly what jsonb gives back. */
const normalised = (v: Record<string, unknown> | null | undefined) => (v ? (JSON.parse(JSON.stringify(v)) as unknown) : null);

/**
 * The audit trail of a unit of work: appends to the tenant's hash chain in the unit's transaction,
 * recording both identities and the grant when the competence centre acts under one. The events
 * a change emits go to the outbox in the same statement as its audit event, carrying its hash.
 */
export const createAuditLog: AuditLogFactory = (tx, ctx, emitted) => {
  const repo = auditAppender(tx, ctx.tenant.id);

  /** The event's fields, its drafts as outbox rows, and what makes them events once the chain has placed it. */
  function prepare(entry: AuditEntry, drafts: EventDraft[]) {
    const fields = {
      tenantId: ctx.tenant.id,
      id: uuidv7(),
      at: new Date().toISOString(),
      actorTenant: ctx.caller.tenant,
      actorSub: ctx.caller.subject,
      clientId: ctx.caller.clientId ?? null,
      grantId: ctx.grant?.id ?? null,
      action: entry.action,
      objectType: entry.objectType,
      objectId: entry.objectId ?? null,
      oldValues: normalised(entry.old),
      newValues: normalised(entry.new),
      requestId: ctx.requestId,
    };
    // The outbox rows carry the event's place in the chain, which the database assigns: they are
    // written in the same statement, and the drafts get it once the statement returns.
    const drafted = drafts.map((d) => ({ ...d, id: uuidv7(), tenant: ctx.tenant.slug, timestamp: fields.at }));
    const outbox = drafted.map((e) => ({ id: e.id, type: e.type, subjectType: e.subject.type, subjectId: e.subject.id, parents: e.parents, data: e.data }));
    const placed = (receipt: AuditReceipt) => {
      const events: DomainEvent[] = drafted.map((e) => ({ ...e, audit: receipt }));
      emitted.push(...events);
    };
    return { fields, template: chainTemplate(fields), outbox, placed };
  }

  async function append(entry: AuditEntry, ...drafts: EventDraft[]): Promise<AuditReceipt> {
    const p = prepare(entry, drafts);
    const receipt = await repo.append(p.fields, p.template, p.outbox);
    p.placed(receipt);
    return receipt;
  }

  async function appendLast(entry: AuditEntry, ...drafts: EventDraft[]): Promise<void> {
    const p = prepare(entry, drafts);
    await repo.appendLast(p.fields, p.template, p.outbox, p.placed);
  }

  return {
    append,
    appendLast,
    change(c: AuditChange, ...events: EventDraft[]) {
      const diff = changes(c.before, c.after);
      return append({ action: c.action, objectType: c.objectType, objectId: c.objectId, old: diff.old, new: { ...diff.new, ...c.extra } }, ...events);
    },
  };
};
