import type { Caller } from './caller.js';
import type { TenantRef } from './tenant.js';

/** The support grant a competence-centre caller acts under in a town. */
export interface GrantRef {
  id: string;
  scope: 'read' | 'read_write';
  /** The one file the grant covers; null for the whole tenant. */
  fileId: string | null;
}

/**
 * The context of one request (or one job) in one tenant: who acts, where, under which grant.
 * Plugins fill it in for HTTP requests; jobs make their own with `jobContext`.
 */
export interface RequestContext {
  tenant: TenantRef;
  caller: Caller;
  grant: GrantRef | null;
  requestId: string | null;
}

/** The context of scheduled or queued work acting in a tenant (recorded as `job:<name>`). */
export function jobContext(tenant: TenantRef, job: string): RequestContext {
  return { tenant, caller: { tenant: tenant.slug, subject: `job:${job}`, roles: [], clearance: '004' }, grant: null, requestId: null };
}
