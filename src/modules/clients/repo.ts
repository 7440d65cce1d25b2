import type { Db } from '../../db/client.js';
import type { Tx } from '../../db/tenant-tx.js';
import type { ApiClient as ClientRow } from '../../generated/prisma/client.js';

export type { ClientRow };

export interface TokenClient {
  tenantId: string;
  tenantSlug: string;
  roles: string[];
  secretHash: string;
  disabled: boolean;
}

export const clientRepo = {
  create: (tx: Tx, c: Pick<ClientRow, 'id' | 'tenantId' | 'clientId' | 'name' | 'roles' | 'secretHash' | 'createdBy'>) =>
    tx.apiClient.create({ data: c }),

  findById: (tx: Tx, tenantId: string, id: string) => tx.apiClient.findFirst({ where: { tenantId, id } }),

  page: (tx: Tx, tenantId: string, q: { afterId?: string; limit: number }) =>
    tx.apiClient.findMany({ where: { tenantId, id: q.afterId ? { gt: q.afterId } : undefined }, orderBy: { id: 'asc' }, take: q.limit }),

  async update(tx: Tx, tenantId: string, id: string, rowVersion: number, changes: Partial<Pick<ClientRow, 'secretHash' | 'secretRotatedAt' | 'disabledAt'>>) {
    const { count } = await tx.apiClient.updateMany({
      where: { tenantId, id, rowVersion },
      data: { ...changes, rowVersion: { increment: 1 }, updatedAt: new Date() },
    });
    return count === 1;
  },

  /** The token endpoint knows only the client id: a narrow SECURITY DEFINER function crosses the tenant wall. */
  async forToken(db: Db, clientId: string): Promise<TokenClient | null> {
    const rows = await db.$queryRaw<{ tenant_id: string; tenant_slug: string; roles: string[] | null; secret_hash: string; disabled: boolean }[]>`
      SELECT * FROM client_for_token(${clientId})`;
    const r = rows[0];
    return r ? { tenantId: r.tenant_id, tenantSlug: r.tenant_slug, roles: r.roles ?? [], secretHash: r.secret_hash, disabled: r.disabled } : null;
  },
};
