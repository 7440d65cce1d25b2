import type { Db } from '../../db/client.js';
import type { TenantRef } from '../../core/index.js';
import { errors } from '../../errors.js';
import { createTenantRepo } from './repo.js';

/** How long a tenant's active flag is believed: joining or leaving takes effect within this. */
export const TENANT_STATE_TTL_MS = 30_000;

/**
 * The tenant directory as the request pipeline and the jobs use it: slug → id and whether the
 * tenant is active (cached per process: the id never changes, the flag for TENANT_STATE_TTL_MS),
 * and the list of all tenants.
 */
export function createTenantDirectory(db: Db) {
  const repo = createTenantRepo(db);
  const cache = new Map<string, { ref: TenantRef; active: boolean; until: number }>();

  async function lookup(slug: string) {
    const hit = cache.get(slug);
    if (hit && hit.until > Date.now()) return hit;
    const row = await repo.stateBySlug(slug);
    if (!row) return null;
    const entry = { ref: { id: row.id, slug: row.slug }, active: row.active, until: Date.now() + TENANT_STATE_TTL_MS };
    cache.set(slug, entry);
    return entry;
  }

  return {
    /** The tenant of a path and whether it is active; 404 for an unknown slug. */
    async resolve(slug: string): Promise<TenantRef & { active: boolean }> {
      const entry = await lookup(slug);
      if (!entry) throw errors.notFound('tenant');
      return { ...entry.ref, active: entry.active };
    },
    /** Is this tenant part of the shared service now? Unknown tenants are not. */
    isActive: async (slug: string): Promise<boolean> => (await lookup(slug))?.active === true,
    all: (): Promise<TenantRef[]> => repo.listRefs(),
  };
}

export type TenantDirectory = ReturnType<typeof createTenantDirectory>;
