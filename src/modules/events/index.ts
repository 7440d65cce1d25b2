/** The event outbox: read by the dispatcher, handed to every consumer, at least once. */
import type { UnitOfWork } from '../../core/index.js';
import { outboxRepo } from './repo.js';

export { dispatchBatch, toDomainEvent, DISPATCH_BATCH, type EventConsumer } from './service.js';
export { webhookDocumentation } from './openapi.js';

export const hasPendingEvents = (uow: UnitOfWork) => uow.repo(outboxRepo).hasPending();
export const findEvent = (uow: UnitOfWork, id: string) => uow.repo(outboxRepo).find(id);
export const purgeDispatchedEvents = (uow: UnitOfWork, before: Date) => uow.repo(outboxRepo).purgeDispatched(before);
