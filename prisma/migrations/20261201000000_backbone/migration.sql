-- Backbone: the transactional outbox of events, webhook subscriptions with their deliveries and
-- attempts, and the record of support grants that ran out (grant.expired).

-- An event is written in the same statement as its audit event (src/modules/audit/repo.ts) and
-- refers to it; dispatched_at is set once every consumer has it.
CREATE TABLE "outbox_event" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "type" VARCHAR(60) NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "subject_type" VARCHAR(40) NOT NULL,
    "subject_id" UUID NOT NULL,
    "parents" JSONB NOT NULL DEFAULT '{}',
    "data" JSONB NOT NULL DEFAULT '{}',
    "audit_seq" BIGINT NOT NULL,
    "audit_hash" CHAR(64) NOT NULL,
    "dispatched_at" TIMESTAMPTZ(3),

    CONSTRAINT "outbox_event_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "outbox_event_tenant_id_dispatched_at_id_idx" ON "outbox_event"("tenant_id", "dispatched_at", "id");
ALTER TABLE "outbox_event" ADD CONSTRAINT "outbox_event_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "outbox_event" ADD CONSTRAINT "outbox_event_audit_fkey" FOREIGN KEY ("tenant_id", "audit_seq") REFERENCES "audit_event"("tenant_id", "seq") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Workers LISTEN on this channel: a commit that wrote events wakes the dispatcher at once. The
-- notification is sent only if the transaction commits.
CREATE FUNCTION "notify_outbox"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('en_akte_outbox', t.tenant_id::text) FROM (SELECT DISTINCT tenant_id FROM new_events) t;
  RETURN NULL;
END
$$;
CREATE TRIGGER "outbox_event_notify" AFTER INSERT ON "outbox_event"
  REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION "notify_outbox"();

CREATE TYPE "WebhookDeliveryStatus" AS ENUM ('pending', 'succeeded', 'failed', 'cancelled');

CREATE TABLE "webhook_subscription" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "url" VARCHAR(2000) NOT NULL,
    "description" VARCHAR(500),
    "event_types" VARCHAR(60)[],
    "secret_sealed" VARCHAR(200) NOT NULL,
    "previous_secret_sealed" VARCHAR(200),
    "previous_secret_until" TIMESTAMPTZ(3),
    "secret_rotated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "disabled_reason" VARCHAR(500),
    "disabled_at" TIMESTAMPTZ(3),
    "consecutive_failures" INTEGER NOT NULL DEFAULT 0,
    "row_version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_by" VARCHAR(200) NOT NULL,

    CONSTRAINT "webhook_subscription_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "webhook_subscription_tenant_id_id_idx" ON "webhook_subscription"("tenant_id", "id");
ALTER TABLE "webhook_subscription" ADD CONSTRAINT "webhook_subscription_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

CREATE TABLE "webhook_delivery" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "subscription_id" UUID NOT NULL,
    "event_id" UUID NOT NULL,
    "event_type" VARCHAR(60) NOT NULL,
    "status" "WebhookDeliveryStatus" NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_attempt_at" TIMESTAMPTZ(3),
    "last_status_code" INTEGER,
    "last_error" VARCHAR(1000),
    "completed_at" TIMESTAMPTZ(3),
    "redelivery_of" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "webhook_delivery_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "webhook_delivery_tenant_id_subscription_id_id_idx" ON "webhook_delivery"("tenant_id", "subscription_id", "id");
CREATE INDEX "webhook_delivery_event_id_idx" ON "webhook_delivery"("event_id");
CREATE INDEX "webhook_delivery_tenant_id_completed_at_idx" ON "webhook_delivery"("tenant_id", "completed_at");
ALTER TABLE "webhook_delivery" ADD CONSTRAINT "webhook_delivery_subscription_id_fkey" FOREIGN KEY ("subscription_id") REFERENCES "webhook_subscription"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "webhook_delivery" ADD CONSTRAINT "webhook_delivery_event_id_fkey" FOREIGN KEY ("event_id") REFERENCES "outbox_event"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

CREATE TABLE "webhook_attempt" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "delivery_id" UUID NOT NULL,
    "number" INTEGER NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "duration_ms" INTEGER NOT NULL,
    "status_code" INTEGER,
    "error" VARCHAR(1000),

    CONSTRAINT "webhook_attempt_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "webhook_attempt_tenant_id_delivery_id_number_idx" ON "webhook_attempt"("tenant_id", "delivery_id", "number");
ALTER TABLE "webhook_attempt" ADD CONSTRAINT "webhook_attempt_delivery_id_fkey" FOREIGN KEY ("delivery_id") REFERENCES "webhook_delivery"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- grant.expired is recorded once per grant.
ALTER TABLE "support_grant" ADD COLUMN "expiry_recorded_at" TIMESTAMPTZ(3);

GRANT SELECT, INSERT, UPDATE, DELETE ON "outbox_event", "webhook_subscription", "webhook_delivery", "webhook_attempt" TO en_akte_app;

ALTER TABLE "outbox_event" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "outbox_event" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "outbox_event" USING ("tenant_id" = current_tenant_id()) WITH CHECK ("tenant_id" = current_tenant_id());
ALTER TABLE "webhook_subscription" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "webhook_subscription" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "webhook_subscription" USING ("tenant_id" = current_tenant_id()) WITH CHECK ("tenant_id" = current_tenant_id());
ALTER TABLE "webhook_delivery" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "webhook_delivery" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "webhook_delivery" USING ("tenant_id" = current_tenant_id()) WITH CHECK ("tenant_id" = current_tenant_id());
ALTER TABLE "webhook_attempt" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "webhook_attempt" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "webhook_attempt" USING ("tenant_id" = current_tenant_id()) WITH CHECK ("tenant_id" = current_tenant_id());
