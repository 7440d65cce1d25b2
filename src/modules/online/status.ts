import { createRemoteJWKSet, jwtVerify } from 'jose';
import { jobContext, type Scope, type TenantRef } from '../../core/index.js';
import type { Db } from '../../db/client.js';
import { errors } from '../../errors.js';
import { bearerJwt } from '../../lib/authorization.js';
import { sha256Hex } from './intake.js';
import { onlineRepo, statusIndex } from './repo.js';
import type { CitizenStatus, SubmissionStateName } from './schemas.js';

export interface CitizenIdp {
  jwksUrl: string;
  issuer: string;
  audience: string;
}

/**
 * "Where is my application?": by the status token the portal gave the citizen, or by the citizen's
 * BundID pseudonym with a token of the citizen IdP. Shows the service, the state, its date and the
 * competent authority; no personal data, no documents. An unknown token answers exactly as an
 * expired one.
 */
export function createStatusService(deps: { db: Db; scope: Scope; tenants: () => Promise<TenantRef[]>; citizenIdp?: CitizenIdp }) {
  const index = statusIndex(deps.db);
  const keys = deps.citizenIdp ? createRemoteJWKSet(new URL(deps.citizenIdp.jwksUrl), { cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000, timeoutDuration: 5_000 }) : null;
  const unknown = () => errors.notFound('application status (unknown or expired token)');

  async function read(hits: { tenant_id: string; submission_id: string }[]): Promise<CitizenStatus[]> {
    if (!hits.length) return [];
    const refs = new Map((await deps.tenants()).map((t) => [t.id, t]));
    const out: CitizenStatus[] = [];
    const byTenant = new Map<string, string[]>();
    for (const h of hits) byTenant.set(h.tenant_id, [...(byTenant.get(h.tenant_id) ?? []), h.submission_id]);
    for (const [tenantId, ids] of byTenant) {
      const tenant = refs.get(tenantId);
      if (!tenant) continue;
      out.push(
        ...(await deps.scope(jobContext(tenant, 'status-lookup'), async (uow) => {
          const repo = uow.repo(onlineRepo);
          const name = (await repo.tenantById(tenant.id))?.name ?? tenant.slug;
          const rows = await Promise.all(ids.map((id) => repo.submission(id)));
          return rows.filter((r) => r !== null).map((r) => ({ service: r.serviceTitle, state: r.state as SubmissionStateName, since: r.stateAt.toISOString(), authority: name }));
        })),
      );
    }
    return out;
  }

  return {
    async byToken(token: string): Promise<CitizenStatus> {
      const hit = await index.byToken(sha256Hex(token));
      const [status] = await read(hit ? [hit] : []);
      if (!status) throw unknown();
      return status;
    },

    /** The citizen's applications: the IdP token's subject is the account pseudonym the portal sent. */
    async byCitizen(authorization: string | undefined): Promise<{ items: CitizenStatus[] }> {
      if (!keys || !deps.citizenIdp) throw errors.invalidToken('No citizen sign-in (CITIZEN_IDP_JWKS_URL) is configured here');
      if (!authorization) throw errors.unauthenticated('Send Authorization: Bearer <token of the citizen IdP>');
      const jwt = bearerJwt(authorization);
      if (!jwt) throw errors.invalidToken('The Authorization header must be `Bearer <JWT>`');
      let sub: string | undefined;
      try {
        const { payload } = await jwtVerify(jwt, keys, {
          issuer: deps.citizenIdp.issuer,
          audience: deps.citizenIdp.audience,
          algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
          requiredClaims: ['sub', 'exp'],
          clockTolerance: 30,
        });
        sub = payload.sub;
      } catch {
        throw errors.invalidToken('The citizen token is not valid');
      }
      if (!sub || sub.length > 200) throw errors.invalidToken('The citizen token has no valid subject');
      return { items: await read(await index.byAccount(sha256Hex(sub))) };
    },
  };
}

export type StatusService = ReturnType<typeof createStatusService>;
