-- Records core: file plan, files (Akten), cases (Vorgänge), documents, immutable versions,
-- upload bookkeeping and idempotency keys. Every tenant-owned table carries tenant_id.

-- AlterTable
ALTER TABLE "tenant" ADD COLUMN "reference_pattern" VARCHAR(100) NOT NULL DEFAULT '{plan}-{seq:4}/{yyyy}',
ADD COLUMN "row_version" INTEGER NOT NULL DEFAULT 1;

-- CreateEnum
CREATE TYPE "DisposalCode" AS ENUM ('A', 'B', 'V');
CREATE TYPE "RecordStatus" AS ENUM ('open', 'closed');
CREATE TYPE "VersionUploadState" AS ENUM ('uploading', 'failed');

-- CreateTable
CREATE TABLE "file_plan_unit" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "code" VARCHAR(64) NOT NULL,
    "parent_id" UUID,
    "title" VARCHAR(300) NOT NULL,
    "description" VARCHAR(4000),
    "retention_years" INTEGER,
    "disposal" "DisposalCode" NOT NULL,
    "valid_from" DATE,
    "valid_until" DATE,
    "retired_at" TIMESTAMPTZ(3),
    "row_version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_by" VARCHAR(200) NOT NULL,

    CONSTRAINT "file_plan_unit_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "file_plan_unit_retention_check" CHECK ("retention_years" IS NULL OR "retention_years" BETWEEN 0 AND 200),
    CONSTRAINT "file_plan_unit_validity_check" CHECK ("valid_until" IS NULL OR "valid_from" IS NULL OR "valid_until" >= "valid_from")
);

CREATE TABLE "reference_counter" (
    "tenant_id" UUID NOT NULL,
    "scope" VARCHAR(200) NOT NULL,
    "last_seq" INTEGER NOT NULL,

    CONSTRAINT "reference_counter_pkey" PRIMARY KEY ("tenant_id","scope")
);

CREATE TABLE "record_file" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "plan_unit_id" UUID NOT NULL,
    "reference" VARCHAR(120) NOT NULL,
    "title" VARCHAR(500) NOT NULL,
    "description" VARCHAR(4000),
    "confidentiality" CHAR(3) NOT NULL DEFAULT '003',
    "lead_org_unit" VARCHAR(200),
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "status" "RecordStatus" NOT NULL DEFAULT 'open',
    "closed_on" DATE,
    "case_count" INTEGER NOT NULL DEFAULT 0,
    "row_version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_by" VARCHAR(200) NOT NULL,

    CONSTRAINT "record_file_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "record_file_confidentiality_check" CHECK ("confidentiality" IN ('001', '002', '003', '004', '005')),
    CONSTRAINT "record_file_closed_check" CHECK (("status" = 'closed') = ("closed_on" IS NOT NULL))
);

CREATE TABLE "record_case" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "file_id" UUID NOT NULL,
    "reference" VARCHAR(140) NOT NULL,
    "title" VARCHAR(500) NOT NULL,
    "description" VARCHAR(4000),
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "status" "RecordStatus" NOT NULL DEFAULT 'open',
    "closed_on" DATE,
    "row_version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_by" VARCHAR(200) NOT NULL,

    CONSTRAINT "record_case_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "record_case_closed_check" CHECK (("status" = 'closed') = ("closed_on" IS NOT NULL))
);

CREATE TABLE "record_document" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "case_id" UUID NOT NULL,
    "title" VARCHAR(500) NOT NULL,
    "kind" VARCHAR(40) NOT NULL,
    "received_on" DATE,
    "sent_on" DATE,
    "sender" VARCHAR(500),
    "addressee" VARCHAR(500),
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "version_count" INTEGER NOT NULL DEFAULT 0,
    "checked_out_by" VARCHAR(200),
    "checked_out_until" TIMESTAMPTZ(3),
    "row_version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_by" VARCHAR(200) NOT NULL,

    CONSTRAINT "record_document_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "document_version" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "document_id" UUID NOT NULL,
    "number" INTEGER NOT NULL,
    "storage_key" VARCHAR(300) NOT NULL,
    "size" BIGINT NOT NULL,
    "sha256" CHAR(64) NOT NULL,
    "media_type" VARCHAR(255) NOT NULL,
    "filename" VARCHAR(255) NOT NULL,
    "uploaded_by" VARCHAR(200) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "document_version_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "document_version_number_check" CHECK ("number" >= 1),
    CONSTRAINT "document_version_size_check" CHECK ("size" >= 0)
);

CREATE TABLE "version_upload" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "document_id" UUID NOT NULL,
    "storage_key" VARCHAR(300) NOT NULL,
    "state" "VersionUploadState" NOT NULL DEFAULT 'uploading',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "version_upload_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "idempotency_record" (
    "tenant_id" UUID NOT NULL,
    "principal" VARCHAR(300) NOT NULL,
    "key" VARCHAR(255) NOT NULL,
    "fingerprint" CHAR(64) NOT NULL,
    "response_status" INTEGER,
    "response_headers" JSONB,
    "response_body" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completed_at" TIMESTAMPTZ(3),

    CONSTRAINT "idempotency_record_pkey" PRIMARY KEY ("tenant_id","principal","key")
);

-- CreateIndex
CREATE UNIQUE INDEX "file_plan_unit_tenant_id_code_key" ON "file_plan_unit"("tenant_id", "code");
CREATE INDEX "file_plan_unit_tenant_id_parent_id_idx" ON "file_plan_unit"("tenant_id", "parent_id");
CREATE UNIQUE INDEX "record_file_tenant_id_reference_key" ON "record_file"("tenant_id", "reference");
CREATE INDEX "record_file_tenant_id_plan_unit_id_id_idx" ON "record_file"("tenant_id", "plan_unit_id", "id");
CREATE INDEX "record_file_tenant_id_status_id_idx" ON "record_file"("tenant_id", "status", "id");
CREATE INDEX "record_file_tenant_id_title_idx" ON "record_file"("tenant_id", "title");
CREATE UNIQUE INDEX "record_case_tenant_id_reference_key" ON "record_case"("tenant_id", "reference");
CREATE INDEX "record_case_tenant_id_file_id_id_idx" ON "record_case"("tenant_id", "file_id", "id");
CREATE INDEX "record_document_tenant_id_case_id_id_idx" ON "record_document"("tenant_id", "case_id", "id");
CREATE UNIQUE INDEX "document_version_document_id_number_key" ON "document_version"("document_id", "number");
CREATE INDEX "document_version_tenant_id_document_id_number_idx" ON "document_version"("tenant_id", "document_id", "number");
CREATE INDEX "version_upload_created_at_idx" ON "version_upload"("created_at");
CREATE INDEX "idempotency_record_created_at_idx" ON "idempotency_record"("created_at");
-- Prefix search on references and titles (LIKE 'prefix%') independent of the collation.
CREATE INDEX "record_file_reference_prefix_idx" ON "record_file"("tenant_id", "reference" text_pattern_ops);
CREATE INDEX "record_file_title_prefix_idx" ON "record_file"("tenant_id", "title" text_pattern_ops);

-- AddForeignKey
ALTER TABLE "file_plan_unit" ADD CONSTRAINT "file_plan_unit_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "file_plan_unit" ADD CONSTRAINT "file_plan_unit_parent_id_fkey" FOREIGN KEY ("parent_id") REFERENCES "file_plan_unit"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "reference_counter" ADD CONSTRAINT "reference_counter_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "record_file" ADD CONSTRAINT "record_file_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "record_file" ADD CONSTRAINT "record_file_plan_unit_id_fkey" FOREIGN KEY ("plan_unit_id") REFERENCES "file_plan_unit"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "record_case" ADD CONSTRAINT "record_case_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "record_case" ADD CONSTRAINT "record_case_file_id_fkey" FOREIGN KEY ("file_id") REFERENCES "record_file"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "record_document" ADD CONSTRAINT "record_document_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "record_document" ADD CONSTRAINT "record_document_case_id_fkey" FOREIGN KEY ("case_id") REFERENCES "record_case"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "document_version" ADD CONSTRAINT "document_version_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "document_version" ADD CONSTRAINT "document_version_document_id_fkey" FOREIGN KEY ("document_id") REFERENCES "record_document"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "version_upload" ADD CONSTRAINT "version_upload_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "idempotency_record" ADD CONSTRAINT "idempotency_record_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Versions are immutable (GoBD, revisionssicher): no UPDATE, and no DELETE of committed content.
CREATE FUNCTION "forbid_version_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'document versions are immutable' USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
CREATE TRIGGER "document_version_immutable" BEFORE UPDATE OR DELETE ON "document_version"
  FOR EACH ROW EXECUTE FUNCTION "forbid_version_change"();
