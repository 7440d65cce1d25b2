-- Records lifecycle: retention fixed at zdA, legal holds, the disposal (Aussonderung) state
-- machine, destruction records (Löschprotokolle), per-tenant WORM mode, semantic reference scopes.

CREATE TYPE "DisposalState" AS ENUM ('due', 'offered', 'evaluated', 'archived', 'destroyed');
CREATE TYPE "LockMode" AS ENUM ('GOVERNANCE', 'COMPLIANCE');

-- Tenant settings the tenant's admins change themselves: the API login may update exactly these
-- columns, and only of its own tenant (the policy below; tenant rows stay readable by everyone,
-- as the directory needs them before a tenant is known).
ALTER TABLE "tenant" ADD COLUMN "worm_mode" "LockMode" NOT NULL DEFAULT 'GOVERNANCE';
GRANT UPDATE ("reference_pattern", "worm_mode", "row_version", "updated_at") ON "tenant" TO en_akte_app;
ALTER TABLE "tenant" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "tenant_directory" ON "tenant" FOR SELECT USING (true);
CREATE POLICY "tenant_own_settings" ON "tenant" FOR UPDATE USING ("id" = current_tenant_id()) WITH CHECK ("id" = current_tenant_id());

-- Retention (Aufbewahrung), fixed at zdA from the plan unit (or overridden by a records manager).
ALTER TABLE "record_file"
  ADD COLUMN "disposal_code" "DisposalCode",
  ADD COLUMN "retention_years" INTEGER,
  ADD COLUMN "retention_ends_on" DATE,
  ADD COLUMN "retention_overridden" BOOLEAN NOT NULL DEFAULT false,
  -- Legal hold
  ADD COLUMN "hold_reason" VARCHAR(1000),
  ADD COLUMN "hold_reference" VARCHAR(200),
  ADD COLUMN "hold_by" VARCHAR(250),
  ADD COLUMN "hold_at" TIMESTAMPTZ(3),
  -- Disposal (Aussonderung)
  ADD COLUMN "disposal_state" "DisposalState",
  ADD COLUMN "disposal_changed_at" TIMESTAMPTZ(3),
  ADD COLUMN "archive_decision" "DisposalCode",
  ADD COLUMN "archive_decided_by" VARCHAR(250),
  ADD COLUMN "archive_decided_at" TIMESTAMPTZ(3),
  ADD COLUMN "archive_reference" VARCHAR(200),
  ADD CONSTRAINT "record_file_archive_decision_check" CHECK ("archive_decision" IS NULL OR "archive_decision" IN ('A', 'V')),
  ADD CONSTRAINT "record_file_retention_years_check" CHECK ("retention_years" IS NULL OR "retention_years" BETWEEN 0 AND 200);
CREATE INDEX "record_file_tenant_id_retention_ends_on_idx" ON "record_file"("tenant_id", "retention_ends_on");
CREATE INDEX "record_file_tenant_id_disposal_state_id_idx" ON "record_file"("tenant_id", "disposal_state", "id");

-- Destruction records (Löschprotokolle): what was destroyed, on whose decision, by whom.
CREATE TABLE "destruction_record" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "file_id" UUID NOT NULL,
    "reference" VARCHAR(120) NOT NULL,
    "protocol" JSONB NOT NULL,
    "destroyed_by" VARCHAR(250) NOT NULL,
    "destroyed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "destruction_record_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "destruction_record_tenant_id_file_id_key" ON "destruction_record"("tenant_id", "file_id");
ALTER TABLE "destruction_record" ADD CONSTRAINT "destruction_record_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "destruction_record" ADD CONSTRAINT "destruction_record_file_id_fkey" FOREIGN KEY ("file_id") REFERENCES "record_file"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
GRANT SELECT, INSERT ON "destruction_record" TO en_akte_app;
ALTER TABLE "destruction_record" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "destruction_record" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "destruction_record" USING ("tenant_id" = current_tenant_id()) WITH CHECK ("tenant_id" = current_tenant_id());

-- Destruction is the only deletion: the API login may delete cases, documents, versions and their
-- texts only below a file already marked destroyed (in the same transaction, after the checks).
GRANT DELETE ON "record_case", "record_document", "document_version" TO en_akte_app;
-- The extracted text of a version goes with it.
ALTER TABLE "version_text" DROP CONSTRAINT "version_text_version_id_fkey";
ALTER TABLE "version_text" ADD CONSTRAINT "version_text_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "document_version"("id") ON DELETE CASCADE ON UPDATE CASCADE;
CREATE POLICY "delete_only_destroyed" ON "record_case" AS RESTRICTIVE FOR DELETE
  USING (EXISTS (SELECT 1 FROM record_file f WHERE f.id = file_id AND f.disposal_state = 'destroyed'));
CREATE POLICY "delete_only_destroyed" ON "record_document" AS RESTRICTIVE FOR DELETE
  USING (EXISTS (SELECT 1 FROM record_case c JOIN record_file f ON f.id = c.file_id WHERE c.id = case_id AND f.disposal_state = 'destroyed'));
CREATE POLICY "delete_only_destroyed" ON "document_version" AS RESTRICTIVE FOR DELETE
  USING (EXISTS (SELECT 1 FROM record_document d JOIN record_case c ON c.id = d.case_id JOIN record_file f ON f.id = c.file_id
                 WHERE d.id = document_id AND f.disposal_state = 'destroyed'));

-- Reference counters count per plan code and year (or per plan code alone), whatever the pattern's
-- literal text: a pattern change continues the numbers. Counters of the default pattern carry over.
UPDATE "reference_counter" SET "scope" = 'plan=' || substring("scope" from '^(.*)-\{seq\}/[0-9]{4}$') || ';year=' || substring("scope" from '([0-9]{4})$')
  WHERE "scope" ~ '^.+-\{seq\}/[0-9]{4}$';

-- Versions stay immutable: no UPDATE ever, and DELETE only as part of destroying their file
-- (the file row is marked destroyed first, in the same transaction).
CREATE OR REPLACE FUNCTION "forbid_version_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND EXISTS (
    SELECT 1 FROM record_document d JOIN record_case c ON c.id = d.case_id JOIN record_file f ON f.id = c.file_id
    WHERE d.id = OLD.document_id AND f.disposal_state = 'destroyed'
  ) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'document versions are immutable' USING ERRCODE = 'integrity_constraint_violation';
END $$;
