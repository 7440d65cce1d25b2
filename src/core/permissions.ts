import { errors } from '../errors.js';
import type { Caller } from './caller.js';
import type { RequestContext } from './context.js';

/**
 * The permission matrix: which tenant roles may perform which operation. Services call
 * `authorize(ctx, operation)`; the README shows this table.
 */
export const PERMISSIONS = {
  'tenant:read': ['tenant-admin', 'records-manager', 'clerk', 'reader', 'auditor'],
  'tenant:configure': ['tenant-admin'],
  'plan:read': ['tenant-admin', 'records-manager', 'clerk', 'reader', 'auditor'],
  'plan:write': ['tenant-admin', 'records-manager'],
  'records:read': ['records-manager', 'clerk', 'reader', 'auditor'],
  'content:read': ['records-manager', 'clerk', 'reader'],
  'records:write': ['records-manager', 'clerk'],
  'records:reopen': ['records-manager'],
  'checkout:break': ['records-manager'],
  // Records lifecycle (README "Records lifecycle").
  'retention:override': ['records-manager'],
  'hold:manage': ['records-manager'],
  /** Lifting a hold another person placed. */
  'hold:lift-others': ['tenant-admin'],
  'disposal:manage': ['records-manager'],
  /** Destroying a file; GOVERNANCE-locked content is removed with the storage's bypass permission. */
  'records:destroy': ['records-manager'],
  // XDOMEA: accepting a file handed over (0401 import) is the records manager's decision.
  'xdomea:import': ['records-manager'],
  // Handing a file over to another tenant, and deciding on one handed over (in-service Abgabe).
  'xdomea:handover': ['records-manager'],
  'audit:read': ['tenant-admin', 'auditor'],
  'clients:manage': ['tenant-admin'],
  'webhooks:manage': ['tenant-admin'],
  'grants:decide': ['tenant-admin'],
  'grants:read': ['tenant-admin', 'auditor'],
  // Online services (issue 13): the catalogue, the portal's intake client, processing, ePayBL.
  'online-services:read': ['tenant-admin', 'records-manager', 'clerk', 'reader', 'auditor', 'intake'],
  'online-services:manage': ['tenant-admin'],
  'submissions:submit': ['intake'],
  'submissions:read': ['records-manager', 'clerk', 'reader', 'auditor'],
  'submissions:process': ['records-manager', 'clerk'],
  'payments:report': ['payment-provider'],
  // Competence-centre roles (tokens of the kompetenzzentrum tenant).
  'grants:request': ['support-agent', 'cc-admin'],
} as const satisfies Record<string, readonly string[]>;

export type Operation = keyof typeof PERMISSIONS;

/** What a competence-centre caller may do in a town under a grant: the grant's scope, as a town role. */
export const GRANT_SCOPE_ROLES = { read: ['reader'], read_write: ['clerk'] } as const;

export function can(who: Caller | RequestContext, operation: Operation): boolean {
  const caller = 'caller' in who ? who.caller : who;
  const allowed: readonly string[] = PERMISSIONS[operation];
  return caller.roles.some((r) => allowed.includes(r));
}

/** 403 inside the caller's own tenant (it already knows the tenant exists). */
export function authorize(who: Caller | RequestContext, operation: Operation): void {
  if (!can(who, operation)) {
    throw errors.forbidden(`This needs one of the roles: ${PERMISSIONS[operation].join(', ')}`);
  }
}
