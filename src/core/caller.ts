import type { Confidentiality } from './confidentiality.js';

/**
 * Who is calling, from a verified token: a person or machine client of a town, competence-centre
 * staff, or (for scheduled work) a job. Everything every layer needs to know about the caller.
 */
export interface Caller {
  /** Tenant slug the token belongs to. */
  tenant: string;
  subject: string;
  /** Roles in the tenant acted in; under a support grant, the grant's scope as a town role. */
  roles: string[];
  /** OAuth client id when the caller is a machine client. */
  clientId?: string;
  tokenId?: string;
  /** The highest confidentiality level the caller may see (src/core/confidentiality.ts); jobs see all. */
  clearance?: Confidentiality;
}

/** The actor recorded in createdBy, uploadedBy and check-outs. */
export function actorOf(caller: Caller): string {
  return caller.clientId ? `client:${caller.clientId}` : caller.subject;
}
