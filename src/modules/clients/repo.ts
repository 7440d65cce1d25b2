import type { Db } from '../../db/client.js';
import type { Tx } from '../../db/tenant-tx.js';
import type { ApiClient as ClientRow } from '../../generated/prisma/client.js';

export type { ClientRow };

export interface TokenClient {
  tenantId: string;
  tenantSlug: string;
  roles: string[];
  maxConfidentiality: string;
  secretHash: string;
  disabled: boolean;
}

/** Machine clients of one tenant, bound to a unit of work's transaction. */
export const clientRepo = (tx: Tx, tenantId: string) => ({
  create: (c: Pick<ClientRow, 'id' | 'clientId' | 'name' | 'roles' | 'maxConfidentiality' | 'secretHash' | 'createdBy'>) =>
    tx.apiClient.create({ data: { ...c, tenantId } }),

  findById: (id: string) => tx.apiClient.findFirst({ where: { tenantId, id } }),

  page: (q: { afterId?: string; limit: number }) =>
    tx.apiClient.findMany({ where: { tenantId, id: q.afterId ? { gt: q.afterId } : undefined }, orderBy: { id: 'asc' }, take: q.limit }),

  async update(id: string, rowVersion: number, changes: Partial<Pick<ClientRow, 'secretHash' | 'secretRotatedAt' | 'disabledAt'>>) {
    const { count } = await tx.apiClient.updateMany({
      where: { tenantId, id, rowVersion },
      data: { ...changes, rowVersion: { increment: 1 }, updatedAt: new Date() },
    });
    return count === 1;
  },
});

/** The token endpoint knows only the client id: a narrow SECURITY DEFINER function crosses the tenant wall. */
export const clientsForToken = (db: Db) => ({
  async find(clientId: string): Promise<TokenClient | null> {
    const rows = await db.$queryRaw<
      { tenant_id: string; tenant_slug: string; roles: string[] | null; max_confidentiality: string; secret_hash: string; disabled: boolean }[]
    >`SELECT * FROM client_for_token(${clientId})`;
    const r = rows[0];
    return r
      ? { tenantId: r.tenant_id, tenantSlug: r.tenant_slug, roles: r.roles ?? [], maxConfidentiality: r.max_confidentiality, secretHash: r.secret_hash, disabled: r.disabled }
      : null;
  },
});
