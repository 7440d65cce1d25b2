import type { Db } from '../../db/client.js';
import type { TenantRef } from '../../core/index.js';
import { errors } from '../../errors.js';
import { createTenantRepo } from './repo.js';

/**
 * The tenant directory as the request pipeline and the jobs use it: slug → id (cached per process,
 * since a tenant's id never changes once it exists) and the list of all tenants.
 */
export function createTenantDirectory(db: Db) {
  const repo = createTenantRepo(db);
  const cache = new Map<string, string>();
  return {
    /** The tenant of a path; 404 for an unknown slug. */
    async resolve(slug: string): Promise<TenantRef> {
      let id = cache.get(slug);
      if (!id) {
        const row = await repo.refBySlug(slug);
        if (!row) throw errors.notFound('tenant');
        id = row.id;
        cache.set(slug, id);
      }
      return { id, slug };
    },
    all: (): Promise<TenantRef[]> => repo.listRefs(),
  };
}

export type TenantDirectory = ReturnType<typeof createTenantDirectory>;
