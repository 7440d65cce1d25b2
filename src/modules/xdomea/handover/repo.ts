import type { RequestContext } from '../../../core/index.js';
import type { Tx } from '../../../db/tenant-tx.js';
import type { HandoverState, XdomeaHandover } from '../../../generated/prisma/client.js';

export type HandoverRow = XdomeaHandover;
export type { HandoverState };

/**
 * The hand-overs of the unit's tenant: row-level security shows exactly those it sends or
 * receives (policy handover_parties_read); every query here narrows to the caller's side on top.
 */
export const handoverRepo = (tx: Tx, tenantId: string, _ctx: RequestContext) => ({
  create: (data: Omit<XdomeaHandover, 'senderTenantId' | 'state' | 'createdAt' | 'decidedBy' | 'decidedAt' | 'reason' | 'recipientFileId' | 'recipientReference' | 'replyMessageId' | 'replyXml' | 'completedAt'>) =>
    tx.xdomeaHandover.create({ data: { ...data, senderTenantId: tenantId } }),

  /** One hand-over this tenant sends or receives; `lock` holds it until commit. */
  async byId(id: string, lock = false): Promise<HandoverRow | null> {
    if (lock) {
      const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM xdomea_handover WHERE id = ${id}::uuid FOR UPDATE`;
      if (!rows.length) return null;
    }
    return tx.xdomeaHandover.findFirst({ where: { id, OR: [{ senderTenantId: tenantId }, { recipientTenantId: tenantId }] } });
  },

  page: (q: { direction: 'incoming' | 'outgoing'; state?: HandoverState; afterId?: string; limit: number }) =>
    tx.xdomeaHandover.findMany({
      where: {
        ...(q.direction === 'incoming' ? { recipientTenantId: tenantId } : { senderTenantId: tenantId }),
        ...(q.state ? { state: q.state } : {}),
        ...(q.afterId ? { id: { gt: q.afterId } } : {}),
      },
      orderBy: { id: 'asc' },
      take: q.limit,
    }),

  /** An open hand-over of a file of this tenant, if any. */
  openForFile: (fileId: string) => tx.xdomeaHandover.findFirst({ where: { fileId, senderTenantId: tenantId, state: { in: ['offered', 'accepted'] } } }),

  /** Moves a hand-over from `from` to the next state; false when it was not in `from` any more. */
  async transition(id: string, from: HandoverState, data: Partial<Pick<XdomeaHandover, 'state' | 'decidedBy' | 'decidedAt' | 'reason' | 'recipientFileId' | 'recipientReference' | 'replyMessageId' | 'replyXml' | 'completedAt'>>) {
    const r = await tx.xdomeaHandover.updateMany({ where: { id, state: from, OR: [{ senderTenantId: tenantId }, { recipientTenantId: tenantId }] }, data });
    return r.count === 1;
  },
});
