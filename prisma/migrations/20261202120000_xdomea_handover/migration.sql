-- XDOMEA in-service hand-over (Abgabe, 0401/0402) from one tenant to another: a town hands a file
-- to the Kreis. One row per hand-over, seen by exactly its two parties: the sending tenant and the
-- recipient tenant. No other tenant sees the row or can learn that it exists.

CREATE TYPE "HandoverState" AS ENUM ('offered', 'accepted', 'completed', 'refused');

CREATE TABLE "xdomea_handover" (
    "id" UUID NOT NULL,
    "sender_tenant_id" UUID NOT NULL,
    "recipient_tenant_id" UUID NOT NULL,
    -- The sender's file and what the recipient is shown of it before accepting.
    "file_id" UUID NOT NULL,
    "file_reference" VARCHAR(200) NOT NULL,
    "file_title" VARCHAR(500) NOT NULL,
    "version" VARCHAR(5) NOT NULL,
    -- The 0401: its ProzessID and message id, and the container staged in the sender's bucket.
    "process_id" UUID NOT NULL,
    "message_id" UUID NOT NULL,
    "container_key" VARCHAR(300) NOT NULL,
    "container_size" BIGINT NOT NULL,
    "note" VARCHAR(1000),
    "state" "HandoverState" NOT NULL DEFAULT 'offered',
    "created_by" VARCHAR(250) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    -- The recipient's decision: the new file (accepted) or the reason (refused), and the 0402 it answered with.
    "decided_by" VARCHAR(250),
    "decided_at" TIMESTAMPTZ(3),
    "reason" VARCHAR(1000),
    "recipient_file_id" UUID,
    "recipient_reference" VARCHAR(200),
    "reply_message_id" UUID,
    "reply_xml" TEXT,
    -- The sender's file closed with the note of the hand-over.
    "completed_at" TIMESTAMPTZ(3),

    CONSTRAINT "xdomea_handover_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "xdomea_handover_parties_check" CHECK ("sender_tenant_id" <> "recipient_tenant_id"),
    CONSTRAINT "xdomea_handover_version_check" CHECK ("version" IN ('3.0.0', '4.0.0'))
);
ALTER TABLE "xdomea_handover" ADD CONSTRAINT "xdomea_handover_sender_fkey" FOREIGN KEY ("sender_tenant_id") REFERENCES "tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "xdomea_handover" ADD CONSTRAINT "xdomea_handover_recipient_fkey" FOREIGN KEY ("recipient_tenant_id") REFERENCES "tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "xdomea_handover" ADD CONSTRAINT "xdomea_handover_file_fkey" FOREIGN KEY ("file_id") REFERENCES "record_file"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
CREATE INDEX "xdomea_handover_recipient_state_idx" ON "xdomea_handover"("recipient_tenant_id", "state", "id");
CREATE INDEX "xdomea_handover_sender_idx" ON "xdomea_handover"("sender_tenant_id", "id");
-- At most one open hand-over per file.
CREATE UNIQUE INDEX "xdomea_handover_open_file_key" ON "xdomea_handover"("file_id") WHERE "state" IN ('offered', 'accepted');

GRANT SELECT, INSERT, UPDATE ON "xdomea_handover" TO en_akte_app;
ALTER TABLE "xdomea_handover" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "xdomea_handover" FORCE ROW LEVEL SECURITY;
-- Both parties read it; nobody else.
CREATE POLICY "handover_parties_read" ON "xdomea_handover" FOR SELECT
  USING ("sender_tenant_id" = current_tenant_id() OR "recipient_tenant_id" = current_tenant_id());
-- Only the sender starts one, from its own tenant.
CREATE POLICY "handover_sender_starts" ON "xdomea_handover" FOR INSERT
  WITH CHECK ("sender_tenant_id" = current_tenant_id());
-- The recipient decides, the sender completes; neither can move the row to a third tenant.
CREATE POLICY "handover_parties_update" ON "xdomea_handover" FOR UPDATE
  USING ("sender_tenant_id" = current_tenant_id() OR "recipient_tenant_id" = current_tenant_id())
  WITH CHECK ("sender_tenant_id" = current_tenant_id() OR "recipient_tenant_id" = current_tenant_id());
-- The parties, the sender's file and the 0401 never change once written.
CREATE OR REPLACE FUNCTION "xdomea_handover_fixed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.sender_tenant_id <> OLD.sender_tenant_id OR NEW.recipient_tenant_id <> OLD.recipient_tenant_id OR NEW.file_id <> OLD.file_id
     OR NEW.process_id <> OLD.process_id OR NEW.message_id <> OLD.message_id OR NEW.container_key <> OLD.container_key THEN
    RAISE EXCEPTION 'the parties, file and message of a hand-over are fixed' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER "xdomea_handover_fixed" BEFORE UPDATE ON "xdomea_handover" FOR EACH ROW EXECUTE FUNCTION "xdomea_handover_fixed"();
