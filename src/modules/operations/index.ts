/** Operational numbers across tenants for /metrics (webhook deliveries, outbox backlog, audit chain heads, job queues). */
export { operationsRepo, type Reading } from './repo.js';
