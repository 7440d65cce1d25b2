import type { DomainEvent, EventType, UnitOfWork } from '../../core/index.js';
import { outboxRepo, type OutboxRow } from './repo.js';

/** Something that reacts to events (webhook fan-out; later the search index). Must be idempotent. */
export interface EventConsumer {
  name: string;
  /** Takes a batch of events in the dispatcher's unit of work: what it writes commits with the batch. */
  accept(uow: UnitOfWork, events: DomainEvent[]): Promise<void>;
}

export function toDomainEvent(tenant: string, row: OutboxRow): DomainEvent {
  return {
    id: row.id,
    type: row.type as EventType,
    tenant,
    timestamp: row.occurredAt.toISOString(),
    subject: { type: row.subjectType as DomainEvent['subject']['type'], id: row.subjectId },
    parents: row.parents,
    data: row.data as DomainEvent['data'],
    audit: { seq: Number(row.auditSeq), hash: row.auditHash },
  };
}

const BATCH = 200;

/**
 * Hands a batch of the tenant's undispatched events to every consumer and marks them dispatched,
 * all in one unit: a crash before commit leaves them undispatched for the next run (at least once).
 * Returns how many were dispatched; the caller repeats while a full batch came back.
 */
export async function dispatchBatch(uow: UnitOfWork, consumers: EventConsumer[]): Promise<number> {
  const repo = uow.repo(outboxRepo);
  const rows = await repo.claimPending(BATCH);
  if (rows.length === 0) return 0;
  const events = rows.map((r) => toDomainEvent(uow.tenant.slug, r));
  for (const consumer of consumers) await consumer.accept(uow, events);
  await repo.markDispatched(rows.map((r) => r.id));
  return rows.length;
}

export const DISPATCH_BATCH = BATCH;
