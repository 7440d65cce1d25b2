import type { Db } from '../../db/client.js';
import type { Tx } from '../../db/tenant-tx.js';
import type { Tenant as TenantRow } from '../../generated/prisma/client.js';
import type { Tenant } from './schemas.js';

/** The settings of the unit of work's tenant. */
export const tenantSettingsRepo = (tx: Tx, tenantId: string) => ({
  referencePattern: async (): Promise<string> =>
    (await tx.tenant.findUniqueOrThrow({ where: { id: tenantId }, select: { referencePattern: true } })).referencePattern,
  wormMode: async (): Promise<'GOVERNANCE' | 'COMPLIANCE'> =>
    (await tx.tenant.findUniqueOrThrow({ where: { id: tenantId }, select: { wormMode: true } })).wormMode,
  settings: () => tx.tenant.findUniqueOrThrow({ where: { id: tenantId }, select: { referencePattern: true, wormMode: true, rowVersion: true } }),
  /** Row-level security lets the API login update only its own tenant's row, and only these columns. */
  updateSettings: (rowVersion: number, changes: { referencePattern?: string; wormMode?: 'GOVERNANCE' | 'COMPLIANCE' }) =>
    tx.tenant.updateMany({ where: { id: tenantId, rowVersion }, data: { ...changes, rowVersion: { increment: 1 }, updatedAt: new Date() } }),
});

export interface TenantRepo {
  findBySlug(slug: string): Promise<Tenant | null>;
  /** Tenants ordered by slug, starting after `afterSlug`. */
  list(opts: { afterSlug?: string; limit: number }): Promise<Tenant[]>;
  listSlugs(): Promise<string[]>;
  listRefs(): Promise<{ id: string; slug: string }[]>;
  /** Id, slug and active flag of a tenant (the tenant directory is shared reference data, readable by the API role). */
  stateBySlug(slug: string): Promise<{ id: string; slug: string; active: boolean } | null>;
}

const toTenant = (row: TenantRow): Tenant => ({
  id: row.id,
  slug: row.slug,
  name: row.name,
  kind: row.kind === 'competence_centre' ? 'competence-centre' : row.kind,
  active: row.active,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});

export function createTenantRepo(db: Db): TenantRepo {
  return {
    async findBySlug(slug) {
      const row = await db.tenant.findUnique({ where: { slug } });
      return row ? toTenant(row) : null;
    },
    async list({ afterSlug, limit }) {
      const rows = await db.tenant.findMany({
        where: afterSlug ? { slug: { gt: afterSlug } } : undefined,
        orderBy: { slug: 'asc' },
        take: limit,
      });
      return rows.map(toTenant);
    },
    stateBySlug: (slug) => db.tenant.findUnique({ where: { slug }, select: { id: true, slug: true, active: true } }),
    async listRefs() {
      return db.tenant.findMany({ select: { id: true, slug: true }, orderBy: { slug: 'asc' } });
    },
    async listSlugs() {
      const rows = await db.tenant.findMany({ select: { slug: true }, orderBy: { slug: 'asc' } });
      return rows.map((r) => r.slug);
    },
  };
}
