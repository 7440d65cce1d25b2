-- XDOMEA export results do not outlive their purpose: `expired` after XDOMEA_EXPORT_RETENTION_HOURS
-- (the sweep deletes the container), `withdrawn` when a file they hold is destroyed (no copy
-- survives destruction). The sweep also finds exports a crashed worker left queued or running.
ALTER TABLE "xdomea_export" DROP CONSTRAINT "xdomea_export_state_check";
ALTER TABLE "xdomea_export" ADD CONSTRAINT "xdomea_export_state_check" CHECK ("state" IN ('queued', 'running', 'done', 'failed', 'expired', 'withdrawn'));
CREATE INDEX "xdomea_export_tenant_id_state_idx" ON "xdomea_export"("tenant_id", "state");
CREATE INDEX "xdomea_export_file_ids_idx" ON "xdomea_export" USING GIN ("file_ids");
