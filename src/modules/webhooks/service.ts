import { uuidv7 } from 'uuidv7';
import {
  actorOf,
  authorize,
  eventOf,
  jobContext,
  type DomainEvent,
  type JobOptions,
  type RequestContext,
  type Scope,
  type TenantRef,
  type UnitOfWork,
} from '../../core/index.js';
import { errors } from '../../errors.js';
import { afterId, idPage } from '../../lib/cursor.js';
import { etagOf } from '../../lib/etag.js';
import { requireIfMatch } from '../../lib/preconditions.js';
import type { Versioned } from '../../lib/reply.js';
import type { Sealer } from '../../lib/sealed.js';
import { findEvent, toDomainEvent, type EventConsumer } from '../events/index.js';
import { webhookRepo, type DeliveryRow, type SubscriptionRow } from './repo.js';
import type { CreateWebhook, Delivery, UpdateWebhook, Webhook } from './schemas.js';
import type { Sender } from './sender.js';
import { newWebhookSecret, signatureHeaders } from './signing.js';
import { resolveTarget, TargetRefused, type TargetPolicy } from './targets.js';

/** The queue of delivery attempts (src/jobs registers its worker). */
export const DELIVERY_QUEUE = 'webhooks.deliver';

export interface WebhookSettings {
  policy: TargetPolicy;
  timeoutSeconds: number;
  /** Attempts per delivery, the first included, before it is marked failed. */
  maxAttempts: number;
  /** Seconds before the first retry; doubles with each retry (with jitter). */
  retryDelaySeconds: number;
  /** Failed deliveries in a row after which a subscription is disabled. */
  disableAfterFailures: number;
  maxPerTenant: number;
  /** How long the previous secret keeps signing after a rotation. */
  secretGraceHours: number;
}

export interface DeliveryJob {
  tenantId: string;
  tenantSlug: string;
  deliveryId: string;
}

/** Thrown by `deliver` when an attempt failed and another one is due: pg-boss retries the job. */
export class RetryDelivery extends Error {
  override name = 'RetryDelivery';
}

export function toWebhook(row: SubscriptionRow): Webhook {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    eventTypes: row.eventTypes,
    enabled: row.enabled,
    disabledReason: row.disabledReason,
    disabledAt: row.disabledAt?.toISOString() ?? null,
    consecutiveFailures: row.consecutiveFailures,
    secretRotatedAt: row.secretRotatedAt.toISOString(),
    previousSecretValidUntil: row.previousSecretUntil && row.previousSecretUntil > new Date() ? row.previousSecretUntil.toISOString() : null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    createdBy: row.createdBy,
  };
}

export function toDelivery(row: DeliveryRow): Delivery {
  return {
    id: row.id,
    webhookId: row.subscriptionId,
    eventId: row.eventId,
    eventType: row.eventType,
    status: row.status,
    attempts: row.attempts,
    lastAttemptAt: row.lastAttemptAt?.toISOString() ?? null,
    lastStatusCode: row.lastStatusCode,
    lastError: row.lastError,
    completedAt: row.completedAt?.toISOString() ?? null,
    redeliveryOf: row.redeliveryOf,
    createdAt: row.createdAt.toISOString(),
  };
}

const versioned = (row: SubscriptionRow): Versioned<Webhook> => ({ value: toWebhook(row), etag: etagOf(row.id, row.rowVersion) });

/** Does a subscription's filter take this event type? `webhook.test` only ever goes where it is sent. */
export function matches(filter: string[], type: string): boolean {
  if (type === 'webhook.test') return false;
  return filter.includes('*') || filter.includes(type) || filter.includes(`${type.split('.')[0]}.*`);
}

/**
 * Webhooks for the towns' systems: subscriptions (tenant admins), the fan-out of events into
 * deliveries, and the signed, retried delivery itself. At least once: receivers drop duplicates by
 * `webhook-id`, which is the event id.
 */
export function createWebhooks(deps: { scope: Scope; settings: WebhookSettings; sealer: Sealer; sender: Sender }) {
  const { scope, settings, sealer, sender } = deps;
  const jobOptions: JobOptions = {
    retryLimit: settings.maxAttempts - 1,
    retryDelay: settings.retryDelaySeconds,
    retryBackoff: true,
    // A job whose worker died mid-attempt is tried again after this (and pg-boss' next maintenance).
    expireInSeconds: settings.timeoutSeconds + 5,
  };
  const job = (tenant: TenantRef, deliveryId: string): { data: DeliveryJob; options: JobOptions } => ({
    data: { tenantId: tenant.id, tenantSlug: tenant.slug, deliveryId },
    options: jobOptions,
  });

  async function checkTarget(url: string) {
    try {
      await resolveTarget(url, settings.policy);
    } catch (err) {
      if (err instanceof TargetRefused) throw errors.validation(err.message, [{ path: 'body/url', message: err.message }]);
      throw err;
    }
  }

  async function load(uow: UnitOfWork, id: string) {
    const row = await uow.repo(webhookRepo).find(id);
    if (!row) throw errors.notFound('webhook');
    return row;
  }

  /** The subscription to change: If-Match must carry its current ETag (428 without, 412 stale). */
  async function loadCurrent(uow: UnitOfWork, id: string, ifMatch: string | undefined) {
    const row = await load(uow, id);
    requireIfMatch(ifMatch, etagOf(row.id, row.rowVersion));
    return row;
  }

  /** Writes a change under the row version read and records it. */
  async function change(uow: UnitOfWork, row: SubscriptionRow, action: string, changes: Parameters<ReturnType<typeof webhookRepo>['update']>[2], extra?: Record<string, unknown>) {
    const after = await uow.repo(webhookRepo).update(row.id, row.rowVersion, changes);
    if (!after) throw errors.preconditionFailed();
    const v = versioned(after);
    await uow.audit.change({ action, objectType: 'webhook', objectId: row.id, before: toWebhook(row), after: v.value, extra });
    return v;
  }

  async function queueDelivery(uow: UnitOfWork, sub: SubscriptionRow, event: { id: string; type: string }, redeliveryOf: string | null) {
    const deliveryId = uuidv7();
    await uow.repo(webhookRepo).createDeliveries([{ id: deliveryId, subscriptionId: sub.id, eventId: event.id, eventType: event.type, redeliveryOf }]);
    const { data, options } = job(uow.tenant, deliveryId);
    await uow.jobs.send(DELIVERY_QUEUE, data, options);
    return deliveryId;
  }

  const consumer: EventConsumer = {
    name: 'webhooks',
    async accept(uow, events) {
      const subs = await uow.repo(webhookRepo).enabled();
      if (!subs.length) return;
      const rows: { id: string; subscriptionId: string; eventId: string; eventType: string; redeliveryOf: null }[] = [];
      for (const e of events) {
        for (const s of subs) if (matches(s.eventTypes, e.type)) rows.push({ id: uuidv7(), subscriptionId: s.id, eventId: e.id, eventType: e.type, redeliveryOf: null });
      }
      if (!rows.length) return;
      await uow.repo(webhookRepo).createDeliveries(rows);
      await uow.jobs.sendMany(DELIVERY_QUEUE, rows.map((r) => job(uow.tenant, r.id)));
    },
  };

  return {
    consumer,

    /** Registers a subscription; its signing secret is returned once and stored sealed. */
    async createWebhook(ctx: RequestContext, input: CreateWebhook) {
      authorize(ctx, 'webhooks:manage');
      await checkTarget(input.url);
      const secret = newWebhookSecret();
      const v = await scope(ctx, async (uow) => {
        const repo = uow.repo(webhookRepo);
        if ((await repo.count()) >= settings.maxPerTenant) throw errors.limitReached(`A tenant has at most ${settings.maxPerTenant} webhook subscriptions`);
        const row = await repo.create({
          id: uuidv7(),
          url: input.url,
          description: input.description ?? null,
          eventTypes: input.eventTypes,
          secretSealed: sealer.seal(secret),
          createdBy: actorOf(ctx.caller),
        });
        const created = versioned(row);
        await uow.audit.append({ action: 'webhook.created', objectType: 'webhook', objectId: row.id, new: created.value });
        return created;
      });
      return { ...v, secret };
    },

    async listWebhooks(ctx: RequestContext, q: { limit: number; cursor?: string }) {
      authorize(ctx, 'webhooks:manage');
      const rows = await scope(ctx, (uow) => uow.repo(webhookRepo).page({ afterId: afterId(q.cursor), limit: q.limit + 1 }));
      return idPage(rows, q.limit, toWebhook);
    },

    async getWebhook(ctx: RequestContext, id: string) {
      authorize(ctx, 'webhooks:manage');
      return versioned(await scope(ctx, (uow) => load(uow, id)));
    },

    async updateWebhook(ctx: RequestContext, id: string, ifMatch: string | undefined, input: UpdateWebhook) {
      authorize(ctx, 'webhooks:manage');
      if (input.url !== undefined) await checkTarget(input.url);
      return scope(ctx, async (uow) => change(uow, await loadCurrent(uow, id, ifMatch), 'webhook.updated', input));
    },

    /** Stops deliveries; pending ones are cancelled. */
    async disableWebhook(ctx: RequestContext, id: string, ifMatch: string | undefined, reason?: string) {
      authorize(ctx, 'webhooks:manage');
      return scope(ctx, async (uow) => {
        const row = await loadCurrent(uow, id, ifMatch);
        if (!row.enabled) throw errors.conflict('The webhook is already disabled');
        const v = await change(uow, row, 'webhook.disabled', {
          enabled: false,
          disabledAt: new Date(),
          disabledReason: reason ?? `Disabled by ${actorOf(ctx.caller)}`,
        });
        await uow.repo(webhookRepo).cancelPending(id);
        return v;
      });
    },

    async enableWebhook(ctx: RequestContext, id: string, ifMatch: string | undefined) {
      authorize(ctx, 'webhooks:manage');
      return scope(ctx, async (uow) => {
        const row = await loadCurrent(uow, id, ifMatch);
        if (row.enabled) throw errors.conflict('The webhook is already enabled');
        return change(uow, row, 'webhook.enabled', { enabled: true, disabledAt: null, disabledReason: null, consecutiveFailures: 0 });
      });
    },

    async deleteWebhook(ctx: RequestContext, id: string, ifMatch: string | undefined): Promise<void> {
      authorize(ctx, 'webhooks:manage');
      await scope(ctx, async (uow) => {
        const row = await loadCurrent(uow, id, ifMatch);
        if (!(await uow.repo(webhookRepo).remove(id, row.rowVersion))) throw errors.preconditionFailed();
        await uow.audit.append({ action: 'webhook.deleted', objectType: 'webhook', objectId: id, old: toWebhook(row) });
      });
    },

    /** A new secret; the previous one keeps signing (second signature) for the grace period. */
    async rotateSecret(ctx: RequestContext, id: string, ifMatch: string | undefined) {
      authorize(ctx, 'webhooks:manage');
      const secret = newWebhookSecret();
      const v = await scope(ctx, async (uow) => {
        const row = await loadCurrent(uow, id, ifMatch);
        const now = new Date();
        return change(
          uow,
          row,
          'webhook.secret-rotated',
          {
            secretSealed: sealer.seal(secret),
            previousSecretSealed: row.secretSealed,
            previousSecretUntil: new Date(now.getTime() + settings.secretGraceHours * 3600_000),
            secretRotatedAt: now,
          },
        );
      });
      return { ...v, secret };
    },

    /** Sends a `webhook.test` event to this subscription only. */
    async sendTest(ctx: RequestContext, id: string) {
      authorize(ctx, 'webhooks:manage');
      return scope(ctx, async (uow) => {
        const sub = await load(uow, id);
        if (!sub.enabled) throw errors.conflict('The webhook is disabled; enable it first');
        await uow.audit.append(
          { action: 'webhook.tested', objectType: 'webhook', objectId: id },
          eventOf('webhook.test', id, {}, { message: `Test event for ${sub.url}, requested by ${actorOf(ctx.caller)}` }),
        );
        const event = uow.events.emitted.at(-1)!;
        return { deliveryId: await queueDelivery(uow, sub, event, null), status: 'pending' as const };
      });
    },

    async listDeliveries(ctx: RequestContext, id: string, q: { limit: number; cursor?: string; status?: Delivery['status'] }) {
      authorize(ctx, 'webhooks:manage');
      return scope(ctx, async (uow) => {
        await load(uow, id);
        const rows = await uow.repo(webhookRepo).deliveryPage(id, { status: q.status, afterId: afterId(q.cursor), limit: q.limit + 1 });
        return idPage(rows, q.limit, toDelivery);
      });
    },

    async getDelivery(ctx: RequestContext, id: string, deliveryId: string) {
      authorize(ctx, 'webhooks:manage');
      return scope(ctx, async (uow) => {
        const repo = uow.repo(webhookRepo);
        const d = await repo.delivery(id, deliveryId);
        if (!d) throw errors.notFound('delivery');
        const attempts = await repo.attempts(deliveryId);
        return {
          ...toDelivery(d),
          attemptLog: attempts.map((a) => ({ number: a.number, at: a.at.toISOString(), durationMs: a.durationMs, statusCode: a.statusCode, error: a.error })),
        };
      });
    },

    /** Sends a delivery's event again, as a new delivery with the same `webhook-id`. */
    async redeliver(ctx: RequestContext, id: string, deliveryId: string) {
      authorize(ctx, 'webhooks:manage');
      return scope(ctx, async (uow) => {
        const sub = await load(uow, id);
        const d = await uow.repo(webhookRepo).delivery(id, deliveryId);
        if (!d) throw errors.notFound('delivery');
        if (!sub.enabled) throw errors.conflict('The webhook is disabled; enable it first');
        const newId = await queueDelivery(uow, sub, { id: d.eventId, type: d.eventType }, d.id);
        await uow.audit.append({ action: 'webhook.redelivered', objectType: 'webhook', objectId: id, new: { deliveryId: newId, redeliveryOf: d.id, eventId: d.eventId } });
        return { deliveryId: newId, status: 'pending' as const };
      });
    },

    /**
     * One delivery attempt (the job's handler): sign and POST the event, record the attempt, and
     * either finish the delivery or throw RetryDelivery so that pg-boss tries again later. The
     * last failed attempt marks the delivery failed and counts against the subscription, which is
     * disabled, with its reason, after too many failures in a row.
     */
    async deliver(data: DeliveryJob, attempt: { retryCount: number; retryLimit: number }): Promise<'succeeded' | 'failed' | 'pending' | 'skipped'> {
      const tenant = { id: data.tenantId, slug: data.tenantSlug };
      const ctx = jobContext(tenant, 'webhook-delivery');
      const prepared = await scope(ctx, async (uow) => {
        const repo = uow.repo(webhookRepo);
        const d = await repo.forSending(data.deliveryId);
        if (!d || d.status !== 'pending') return null;
        if (!d.subscription.enabled) {
          await repo.updateDelivery(d.id, { status: 'cancelled', completedAt: new Date() });
          return null;
        }
        const row = await findEvent(uow, d.eventId);
        if (!row) {
          await repo.updateDelivery(d.id, { status: 'failed', lastError: 'The event no longer exists', completedAt: new Date() });
          return null;
        }
        const event: DomainEvent = toDomainEvent(tenant.slug, row);
        const s = d.subscription;
        const secrets = [sealer.open(s.secretSealed)];
        if (s.previousSecretSealed && s.previousSecretUntil && s.previousSecretUntil > new Date()) secrets.push(sealer.open(s.previousSecretSealed));
        return { url: s.url, subscriptionId: s.id, eventId: event.id, body: JSON.stringify(event), secrets, attempts: d.attempts };
      });
      if (!prepared) return 'skipped';

      const at = new Date();
      const result = await sender.send(prepared.url, signatureHeaders(prepared.secrets, prepared.eventId, prepared.body), prepared.body);
      const ok = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
      const last = attempt.retryCount >= attempt.retryLimit;
      const status = ok ? 'succeeded' : last ? 'failed' : 'pending';

      await scope(ctx, async (uow) => {
        const repo = uow.repo(webhookRepo);
        const number = prepared.attempts + 1;
        await repo.addAttempt({ id: uuidv7(), deliveryId: data.deliveryId, number, at, durationMs: result.durationMs, statusCode: result.statusCode, error: result.error });
        await repo.updateDelivery(data.deliveryId, {
          status,
          attempts: number,
          lastAttemptAt: at,
          lastStatusCode: result.statusCode,
          lastError: result.error,
          completedAt: status === 'pending' ? null : new Date(),
        });
        if (ok) return repo.recordSuccess(prepared.subscriptionId);
        if (!last) return;
        const reason = `Disabled after ${settings.disableAfterFailures} failed deliveries in a row; the last: ${result.error}`;
        const before = await repo.find(prepared.subscriptionId);
        const after = await repo.recordFailure(prepared.subscriptionId, settings.disableAfterFailures, reason);
        if (before?.enabled && after && !after.enabled) {
          await repo.cancelPending(after.id);
          await uow.audit.append({ action: 'webhook.disabled', objectType: 'webhook', objectId: after.id, new: { enabled: false, disabledReason: reason } });
        }
      });
      if (status === 'pending') throw new RetryDelivery(result.error ?? 'not delivered');
      return status;
    },
  };
}

export type Webhooks = ReturnType<typeof createWebhooks>;
