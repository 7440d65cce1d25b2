/** The audit trail (Protokoll): the writer every unit of work carries, reading, export, verification. */
export { createAuditLog, changes } from './writer.js';
export { createAuditService, type AuditService } from './service.js';
export { default as auditRoutes } from './routes.js';
export { AuditEventSchema, AuditList, AuditQuery } from './schemas.js';
export { createChainVerifier, canonicalJson, type StoredEvent, type VerifyResult } from './chain.js';
export { createAnchors, type Anchors, type Anchor, ANCHOR_PREFIX } from './anchors.js';
export { objectTrail, type TrailEntry } from './trail.js';
