-- Second wall of tenant isolation: row-level security on every tenant-owned table.
-- The API works as `en_akte_app`, a role that owns nothing and cannot bypass RLS; every tenant
-- transaction sets `app.tenant_id` with set_config(…, true). Without it, a query sees no rows.
-- Migrations run as the owner (whoever applies them), which keeps full rights.

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'en_akte_app') THEN
    CREATE ROLE en_akte_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
END
$$;

-- The tenant of the current transaction, or NULL (an unset or reset setting reads as '').
CREATE FUNCTION "current_tenant_id"() RETURNS uuid LANGUAGE sql STABLE AS $$
  SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid
$$;

GRANT USAGE ON SCHEMA public TO en_akte_app;
GRANT EXECUTE ON FUNCTION "current_tenant_id"() TO en_akte_app;
-- The tenant directory is shared reference data: readable, not writable.
GRANT SELECT ON "tenant" TO en_akte_app;
GRANT SELECT, INSERT, UPDATE ON "file_plan_unit", "reference_counter", "record_file", "record_case", "record_document" TO en_akte_app;
-- Versions are immutable: no UPDATE, no DELETE (the trigger refuses them for the owner as well).
GRANT SELECT, INSERT ON "document_version" TO en_akte_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON "version_upload", "idempotency_record" TO en_akte_app;

ALTER TABLE "file_plan_unit" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "file_plan_unit" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "file_plan_unit" USING ("tenant_id" = current_tenant_id()) WITH CHECK ("tenant_id" = current_tenant_id());

ALTER TABLE "reference_counter" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "reference_counter" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "reference_counter" USING ("tenant_id" = current_tenant_id()) WITH CHECK ("tenant_id" = current_tenant_id());

ALTER TABLE "record_file" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "record_file" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "record_file" USING ("tenant_id" = current_tenant_id()) WITH CHECK ("tenant_id" = current_tenant_id());

ALTER TABLE "record_case" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "record_case" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "record_case" USING ("tenant_id" = current_tenant_id()) WITH CHECK ("tenant_id" = current_tenant_id());

ALTER TABLE "record_document" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "record_document" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "record_document" USING ("tenant_id" = current_tenant_id()) WITH CHECK ("tenant_id" = current_tenant_id());

ALTER TABLE "document_version" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "document_version" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "document_version" USING ("tenant_id" = current_tenant_id()) WITH CHECK ("tenant_id" = current_tenant_id());

ALTER TABLE "version_upload" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "version_upload" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "version_upload" USING ("tenant_id" = current_tenant_id()) WITH CHECK ("tenant_id" = current_tenant_id());

ALTER TABLE "idempotency_record" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "idempotency_record" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "idempotency_record" USING ("tenant_id" = current_tenant_id()) WITH CHECK ("tenant_id" = current_tenant_id());
