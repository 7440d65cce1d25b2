/** What every layer may import: caller, tenant, request context, permissions, events, unit of work. */
export * from './audit.js';
export * from './caller.js';
export * from './confidentiality.js';
export * from './context.js';
export * from './events.js';
export * from './permissions.js';
export * from './tenant.js';
export * from './uow.js';
