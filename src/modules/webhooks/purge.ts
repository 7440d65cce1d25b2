import type { UnitOfWork } from '../../core/index.js';
import { webhookRepo } from './repo.js';

/** Deliveries that ended before `before`, with their attempts (the sweeper's retention). */
export const purgeDeliveries = (uow: UnitOfWork, before: Date) => uow.repo(webhookRepo).purgeCompleted(before);
