-- Security hardening: shared rate-limit counters, audit anchors, confidentiality clearance of clients.

-- Rate-limit counters of every instance (src/plugins/rate-limit.ts): one fixed window per key.
-- Unlogged: fast, and losing the counters in a crash only resets the windows. Not tenant data
-- (keys name the tenant and caller), so no row-level security.
CREATE UNLOGGED TABLE "rate_limit_bucket" (
    "key" VARCHAR(300) NOT NULL,
    "count" INTEGER NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "rate_limit_bucket_pkey" PRIMARY KEY ("key")
);
CREATE INDEX "rate_limit_bucket_expires_at_idx" ON "rate_limit_bucket"("expires_at");
GRANT SELECT, INSERT, UPDATE, DELETE ON "rate_limit_bucket" TO en_akte_app;

-- A machine client's clearance: the highest confidentiality it may see (003 offen by default).
ALTER TABLE "api_client" ADD COLUMN "max_confidentiality" CHAR(3) NOT NULL DEFAULT '003';
ALTER TABLE "api_client" ADD CONSTRAINT "api_client_max_confidentiality_check" CHECK ("max_confidentiality" IN ('001', '002', '003', '004', '005'));

-- The token endpoint also learns the client's clearance.
DROP FUNCTION "client_for_token"(VARCHAR);
CREATE FUNCTION "client_for_token"(p_client_id VARCHAR) RETURNS TABLE (
  tenant_id UUID, tenant_slug VARCHAR, roles VARCHAR[], max_confidentiality CHAR(3), secret_hash VARCHAR, disabled BOOLEAN
) LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT c.tenant_id, t.slug, c.roles, c.max_confidentiality, c.secret_hash, (c.disabled_at IS NOT NULL OR NOT t.active)
  FROM api_client c JOIN tenant t ON t.id = c.tenant_id
  WHERE c.client_id = p_client_id
$$;
REVOKE ALL ON FUNCTION "client_for_token"(VARCHAR) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION "client_for_token"(VARCHAR) TO en_akte_app;
