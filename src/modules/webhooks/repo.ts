import type { Tx } from '../../db/tenant-tx.js';
import type {
  WebhookAttempt as AttemptRow,
  WebhookDelivery as DeliveryRow,
  WebhookSubscription as SubscriptionRow,
} from '../../generated/prisma/client.js';

export type { AttemptRow, DeliveryRow, SubscriptionRow };

export type SubscriptionChanges = Partial<
  Pick<
    SubscriptionRow,
    'url' | 'description' | 'eventTypes' | 'enabled' | 'disabledReason' | 'disabledAt' | 'consecutiveFailures' | 'secretSealed' | 'previousSecretSealed' | 'previousSecretUntil' | 'secretRotatedAt'
  >
>;

/** Webhook subscriptions, deliveries and attempts of one tenant, bound to a unit of work. */
export const webhookRepo = (tx: Tx, tenantId: string) => ({
  count: () => tx.webhookSubscription.count({ where: { tenantId } }),

  create: (s: Pick<SubscriptionRow, 'id' | 'url' | 'description' | 'eventTypes' | 'secretSealed' | 'createdBy'>) =>
    tx.webhookSubscription.create({ data: { ...s, tenantId } }),

  find: (id: string) => tx.webhookSubscription.findFirst({ where: { tenantId, id } }),

  page: (q: { afterId?: string; limit: number }) =>
    tx.webhookSubscription.findMany({ where: { tenantId, id: q.afterId ? { gt: q.afterId } : undefined }, orderBy: { id: 'asc' }, take: q.limit }),

  enabled: () => tx.webhookSubscription.findMany({ where: { tenantId, enabled: true }, orderBy: { id: 'asc' } }),

  /** Applies changes only if the row still has `rowVersion`; null when someone changed it first. */
  async update(id: string, rowVersion: number, changes: SubscriptionChanges): Promise<SubscriptionRow | null> {
    const { count } = await tx.webhookSubscription.updateMany({
      where: { tenantId, id, rowVersion },
      data: { ...changes, rowVersion: { increment: 1 }, updatedAt: new Date() },
    });
    return count === 1 ? tx.webhookSubscription.findFirst({ where: { tenantId, id } }) : null;
  },

  /** A failed delivery counts against the subscription; the row lock orders concurrent failures. */
  async recordFailure(id: string, disableAfter: number, reason: string): Promise<SubscriptionRow | null> {
    const rows = await tx.$queryRaw<{ consecutive_failures: number }[]>`
      UPDATE webhook_subscription SET consecutive_failures = consecutive_failures + 1, updated_at = now(), row_version = row_version + 1,
        enabled = CASE WHEN consecutive_failures + 1 >= ${disableAfter}::int THEN false ELSE enabled END,
        disabled_at = CASE WHEN enabled AND consecutive_failures + 1 >= ${disableAfter}::int THEN now() ELSE disabled_at END,
        disabled_reason = CASE WHEN enabled AND consecutive_failures + 1 >= ${disableAfter}::int THEN ${reason}::varchar ELSE disabled_reason END
      WHERE tenant_id = ${tenantId}::uuid AND id = ${id}::uuid
      RETURNING consecutive_failures`;
    return rows.length ? tx.webhookSubscription.findFirst({ where: { tenantId, id } }) : null;
  },

  async recordSuccess(id: string): Promise<void> {
    await tx.webhookSubscription.updateMany({ where: { tenantId, id, consecutiveFailures: { gt: 0 } }, data: { consecutiveFailures: 0 } });
  },

  remove: async (id: string, rowVersion: number): Promise<boolean> =>
    (await tx.webhookSubscription.deleteMany({ where: { tenantId, id, rowVersion } })).count === 1,

  // ---- deliveries --------------------------------------------------------------------------

  createDeliveries: (rows: Pick<DeliveryRow, 'id' | 'subscriptionId' | 'eventId' | 'eventType' | 'redeliveryOf'>[]) =>
    tx.webhookDelivery.createMany({ data: rows.map((r) => ({ ...r, tenantId })) }),

  delivery: (subscriptionId: string, id: string) => tx.webhookDelivery.findFirst({ where: { tenantId, subscriptionId, id } }),

  /** The delivery, its subscription and its event, for sending; the delivery row is locked. */
  async forSending(id: string) {
    const rows = await tx.$queryRaw<{ id: string }[]>`
      SELECT id FROM webhook_delivery WHERE tenant_id = ${tenantId}::uuid AND id = ${id}::uuid FOR UPDATE`;
    if (!rows.length) return null;
    return tx.webhookDelivery.findFirst({ where: { tenantId, id }, include: { subscription: true } });
  },

  deliveryPage: (subscriptionId: string, q: { status?: DeliveryRow['status']; afterId?: string; limit: number }) =>
    tx.webhookDelivery.findMany({
      where: { tenantId, subscriptionId, status: q.status, id: q.afterId ? { gt: q.afterId } : undefined },
      orderBy: { id: 'asc' },
      take: q.limit,
    }),

  updateDelivery: (id: string, changes: Partial<Pick<DeliveryRow, 'status' | 'attempts' | 'lastAttemptAt' | 'lastStatusCode' | 'lastError' | 'completedAt'>>) =>
    tx.webhookDelivery.updateMany({ where: { tenantId, id }, data: changes }),

  /** Ends the pending deliveries of a subscription that no longer sends (disabled or deleted). */
  cancelPending: (subscriptionId: string) =>
    tx.webhookDelivery.updateMany({ where: { tenantId, subscriptionId, status: 'pending' }, data: { status: 'cancelled', completedAt: new Date() } }),

  addAttempt: (a: Pick<AttemptRow, 'id' | 'deliveryId' | 'number' | 'at' | 'durationMs' | 'statusCode' | 'error'>) =>
    tx.webhookAttempt.create({ data: { ...a, tenantId } }),

  attempts: (deliveryId: string) => tx.webhookAttempt.findMany({ where: { tenantId, deliveryId }, orderBy: { number: 'asc' } }),

  /** Deliveries that ended before `before` (their attempts go with them). */
  purgeCompleted: async (before: Date) =>
    (await tx.webhookDelivery.deleteMany({ where: { tenantId, completedAt: { lt: before } } })).count,
});
