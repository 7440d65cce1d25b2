-- Machine clients, competence-centre support grants and the hash-chained audit trail.

-- CreateEnum
CREATE TYPE "GrantScope" AS ENUM ('read', 'read_write');
CREATE TYPE "GrantStatus" AS ENUM ('requested', 'approved', 'rejected', 'revoked');

-- CreateTable
CREATE TABLE "api_client" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "client_id" VARCHAR(100) NOT NULL,
    "name" VARCHAR(200) NOT NULL,
    "roles" VARCHAR(40)[],
    "secret_hash" VARCHAR(300) NOT NULL,
    "secret_rotated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "disabled_at" TIMESTAMPTZ(3),
    "row_version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_by" VARCHAR(200) NOT NULL,

    CONSTRAINT "api_client_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "support_grant" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "grantee" VARCHAR(200) NOT NULL,
    "requested_by" VARCHAR(200) NOT NULL,
    "scope" "GrantScope" NOT NULL,
    "file_id" UUID,
    "reason" VARCHAR(1000) NOT NULL,
    "ticket" VARCHAR(100),
    "duration_hours" INTEGER NOT NULL,
    "status" "GrantStatus" NOT NULL DEFAULT 'requested',
    "decided_by" VARCHAR(200),
    "decided_at" TIMESTAMPTZ(3),
    "valid_from" TIMESTAMPTZ(3),
    "valid_until" TIMESTAMPTZ(3),
    "revoked_by" VARCHAR(200),
    "revoked_at" TIMESTAMPTZ(3),
    "row_version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "support_grant_pkey" PRIMARY KEY ("id"),
    -- Never open-ended: at most 14 days.
    CONSTRAINT "support_grant_duration_check" CHECK ("duration_hours" BETWEEN 1 AND 336),
    CONSTRAINT "support_grant_validity_check" CHECK ("valid_until" IS NULL OR "valid_until" <= "valid_from" + interval '14 days')
);

CREATE TABLE "audit_event" (
    "tenant_id" UUID NOT NULL,
    "seq" BIGINT NOT NULL,
    "id" UUID NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "actor_tenant" VARCHAR(40) NOT NULL,
    "actor_sub" VARCHAR(200) NOT NULL,
    "client_id" VARCHAR(100),
    "grant_id" UUID,
    "action" VARCHAR(60) NOT NULL,
    "object_type" VARCHAR(40) NOT NULL,
    "object_id" UUID,
    "old_values" JSONB,
    "new_values" JSONB,
    "request_id" VARCHAR(128),
    "prev_hash" CHAR(64) NOT NULL,
    "hash" CHAR(64) NOT NULL,

    CONSTRAINT "audit_event_pkey" PRIMARY KEY ("tenant_id","seq")
);

-- CreateIndex
CREATE UNIQUE INDEX "api_client_client_id_key" ON "api_client"("client_id");
CREATE INDEX "api_client_tenant_id_id_idx" ON "api_client"("tenant_id", "id");
CREATE INDEX "support_grant_tenant_id_id_idx" ON "support_grant"("tenant_id", "id");
CREATE INDEX "support_grant_tenant_id_grantee_status_idx" ON "support_grant"("tenant_id", "grantee", "status");
CREATE UNIQUE INDEX "audit_event_id_key" ON "audit_event"("id");
CREATE INDEX "audit_event_tenant_id_object_id_seq_idx" ON "audit_event"("tenant_id", "object_id", "seq");
CREATE INDEX "audit_event_tenant_id_grant_id_seq_idx" ON "audit_event"("tenant_id", "grant_id", "seq");

-- AddForeignKey
ALTER TABLE "api_client" ADD CONSTRAINT "api_client_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "support_grant" ADD CONSTRAINT "support_grant_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "audit_event" ADD CONSTRAINT "audit_event_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Privileges of the API role: the audit trail is append-only for it.
GRANT SELECT, INSERT, UPDATE ON "api_client", "support_grant" TO en_akte_app;
GRANT SELECT, INSERT ON "audit_event" TO en_akte_app;

-- Row-level security.
ALTER TABLE "api_client" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "api_client" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "api_client" USING ("tenant_id" = current_tenant_id()) WITH CHECK ("tenant_id" = current_tenant_id());
ALTER TABLE "support_grant" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "support_grant" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "support_grant" USING ("tenant_id" = current_tenant_id()) WITH CHECK ("tenant_id" = current_tenant_id());
ALTER TABLE "audit_event" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "audit_event" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "audit_event" USING ("tenant_id" = current_tenant_id()) WITH CHECK ("tenant_id" = current_tenant_id());

-- FORCE applies to the table owner too; the lookup function below runs as the owner and must see
-- every client (a superuser owner bypasses RLS anyway). The API role is never a member of the owner.
CREATE POLICY "owner_token_lookup" ON "api_client" FOR SELECT
  USING (pg_has_role(current_user, (SELECT c.relowner FROM pg_class c WHERE c.oid = 'api_client'::regclass), 'MEMBER'));

-- The token endpoint knows only a client id, not the tenant: this function (run with its owner's
-- rights) returns exactly what verifying a client needs, and nothing else.
CREATE FUNCTION "client_for_token"(p_client_id VARCHAR) RETURNS TABLE (
  tenant_id UUID, tenant_slug VARCHAR, roles VARCHAR[], secret_hash VARCHAR, disabled BOOLEAN
) LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT c.tenant_id, t.slug, c.roles, c.secret_hash, (c.disabled_at IS NOT NULL OR NOT t.active)
  FROM api_client c JOIN tenant t ON t.id = c.tenant_id
  WHERE c.client_id = p_client_id
$$;
REVOKE ALL ON FUNCTION "client_for_token"(VARCHAR) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION "client_for_token"(VARCHAR) TO en_akte_app;
