import { COMPETENCE_CENTRE, type Caller } from '../../core/index.js';
import { errors } from '../../errors.js';
import { decodeCursor, encodeCursor } from '../../lib/cursor.js';
import type { TenantRepo } from './repo.js';
import type { Tenant } from './schemas.js';

export interface TenantService {
  listVisibleTenants(caller: Caller, page: { limit: number; cursor?: string }): Promise<{ items: Tenant[]; next: string | null }>;
  getTenant(caller: Caller, slug: string): Promise<Tenant>;
}

const isSlugCursor = (v: unknown): v is { after: string } =>
  typeof v === 'object' && v !== null && typeof (v as { after?: unknown }).after === 'string';

/**
 * Which tenants a caller may see: its own; the competence centre sees the directory of all tenants
 * (names only, never records: those need a support grant).
 */
export function createTenantService(deps: { repo: TenantRepo }): TenantService {
  const seesAll = (caller: Caller) => caller.tenant === COMPETENCE_CENTRE;

  return {
    async listVisibleTenants(caller, page) {
      if (!seesAll(caller)) {
        const own = await deps.repo.findBySlug(caller.tenant);
        // A token for a tenant that does not exist sees nothing rather than an error.
        return { items: own && !page.cursor ? [own] : [], next: null };
      }
      const after = page.cursor ? decodeCursor(page.cursor, isSlugCursor).after : undefined;
      const rows = await deps.repo.list({ afterSlug: after, limit: page.limit + 1 });
      const items = rows.slice(0, page.limit);
      const next = rows.length > page.limit ? encodeCursor({ after: items[items.length - 1]!.slug }) : null;
      return { items, next };
    },

    async getTenant(caller, slug) {
      if (!seesAll(caller) && caller.tenant !== slug) throw errors.notFound('tenant');
      const tenant = await deps.repo.findBySlug(slug);
      if (!tenant) throw errors.notFound('tenant');
      return tenant;
    },
  };
}
