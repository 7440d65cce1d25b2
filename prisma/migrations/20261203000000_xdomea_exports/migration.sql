-- XDOMEA exports as jobs (issue 11): a 0503 Aussonderung or a 0401 Abgabe container written by a
-- pg-boss job into the tenant's bucket, with its state and progress for the status resource.
CREATE TABLE "xdomea_export" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "message_code" VARCHAR(4) NOT NULL,
    "xdomea_version" VARCHAR(5) NOT NULL,
    "process_id" UUID NOT NULL,
    "file_ids" UUID[] NOT NULL,
    "recipient" VARCHAR(200),
    "state" VARCHAR(10) NOT NULL DEFAULT 'queued',
    "entries_total" INTEGER NOT NULL DEFAULT 0,
    "entries_done" INTEGER NOT NULL DEFAULT 0,
    "bytes_total" BIGINT NOT NULL DEFAULT 0,
    "bytes_done" BIGINT NOT NULL DEFAULT 0,
    "filename" VARCHAR(200),
    "result_key" VARCHAR(300),
    "result_size" BIGINT,
    "result_sha256" CHAR(64),
    "error" VARCHAR(2000),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_by" VARCHAR(200) NOT NULL,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    CONSTRAINT "xdomea_export_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "xdomea_export_code_check" CHECK ("message_code" IN ('0401', '0503')),
    CONSTRAINT "xdomea_export_version_check" CHECK ("xdomea_version" IN ('3.0.0', '4.0.0')),
    CONSTRAINT "xdomea_export_state_check" CHECK ("state" IN ('queued', 'running', 'done', 'failed'))
);
CREATE INDEX "xdomea_export_tenant_id_created_at_idx" ON "xdomea_export"("tenant_id", "created_at");
ALTER TABLE "xdomea_export" ADD CONSTRAINT "xdomea_export_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
GRANT SELECT, INSERT, UPDATE ON "xdomea_export" TO en_akte_app;
ALTER TABLE "xdomea_export" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "xdomea_export" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "xdomea_export" USING ("tenant_id" = current_tenant_id()) WITH CHECK ("tenant_id" = current_tenant_id());
