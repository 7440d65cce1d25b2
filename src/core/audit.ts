import type { EventDraft } from './events.js';

/** One entry of a tenant's audit trail (Protokoll). */
export interface AuditEntry {
  /** What happened, `<object>.<verb>`: file.created, version.content-read, grant.approved… */
  action: string;
  objectType: string;
  objectId?: string | null;
  old?: Record<string, unknown> | null;
  new?: Record<string, unknown> | null;
}

/** A change to record: the old and new values of the fields that differ, plus `extra` (a reason…). */
export interface AuditChange {
  action: string;
  objectType: string;
  objectId: string;
  before: object;
  after: object;
  extra?: Record<string, unknown>;
}

/** Where an entry landed in the chain. */
export interface AuditReceipt {
  seq: number;
  hash: string;
}

/**
 * The audit trail of the unit of work's tenant. Appends run in the unit's transaction: the change,
 * its audit event and the events it emits commit together or not at all.
 */
export interface AuditLog {
  /** Appends an entry, and writes `events` to the outbox in the same statement. */
  append(entry: AuditEntry, ...events: EventDraft[]): Promise<AuditReceipt>;
  /** Appends a change (only the fields that differ), with its events. */
  change(change: AuditChange, ...events: EventDraft[]): Promise<AuditReceipt>;
}
