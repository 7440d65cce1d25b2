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
  /**
   * Appends an entry as the unit's last statement. In an SQL unit it goes to the database with the
   * COMMIT, in one round trip: the tenant's audit lock, held from the append to the commit, then
   * waits on no round trip of the client. Nothing may be sent after it in the unit. In a unit of
   * work it is `append`.
   */
  appendLast(entry: AuditEntry, ...events: EventDraft[]): Promise<void>;
  /** Appends a change (only the fields that differ), with its events. */
  change(change: AuditChange, ...events: EventDraft[]): Promise<AuditReceipt>;
}
