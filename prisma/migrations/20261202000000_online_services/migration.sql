-- Online services (issue 13): the catalogue of a tenant's online services, the submissions filed
-- from the portal (FIT-Connect terms), the receipts of the town a submission was sent to, and a
-- global index from citizen status tokens and account pseudonyms (hashes only) to their submission.

CREATE TABLE "online_service" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "service_key" VARCHAR(64) NOT NULL,
    "title" VARCHAR(300) NOT NULL,
    "form_schema" JSONB NOT NULL,
    "plan_code" VARCHAR(64) NOT NULL,
    "filing" VARCHAR(30) NOT NULL,
    "running_file_title" VARCHAR(300),
    "case_title" VARCHAR(300) NOT NULL,
    "payment_required" BOOLEAN NOT NULL DEFAULT false,
    "competent_tenant" VARCHAR(40),
    "active" BOOLEAN NOT NULL DEFAULT true,
    "row_version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_by" VARCHAR(200) NOT NULL,
    CONSTRAINT "online_service_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "online_service_filing_check" CHECK ("filing" IN ('file-per-applicant', 'case-in-running-file'))
);
CREATE UNIQUE INDEX "online_service_tenant_id_service_key_key" ON "online_service"("tenant_id", "service_key");
ALTER TABLE "online_service" ADD CONSTRAINT "online_service_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- A submission as filed with the competent tenant.
CREATE TABLE "submission" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "origin_tenant" VARCHAR(40) NOT NULL,
    "portal_id" VARCHAR(100) NOT NULL,
    "service_key" VARCHAR(64) NOT NULL,
    "service_title" VARCHAR(300) NOT NULL,
    "body_hash" CHAR(64) NOT NULL,
    "account_id" VARCHAR(200),
    "submitted_at" TIMESTAMPTZ(3) NOT NULL,
    "state" VARCHAR(20) NOT NULL DEFAULT 'received',
    "state_reason" VARCHAR(1000),
    "state_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "file_id" UUID NOT NULL,
    "case_id" UUID NOT NULL,
    "form_document_id" UUID NOT NULL,
    "decision_document_id" UUID,
    "payment_required" BOOLEAN NOT NULL,
    "payment_status" VARCHAR(10),
    "payment_amount_cents" INTEGER,
    "payment_reference" VARCHAR(100),
    "payment_at" TIMESTAMPTZ(3),
    "overdue_at" TIMESTAMPTZ(3),
    "row_version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_by" VARCHAR(200) NOT NULL,
    CONSTRAINT "submission_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "submission_state_check" CHECK ("state" IN ('received', 'accepted', 'rejected', 'in-progress', 'decided', 'closed')),
    CONSTRAINT "submission_payment_check" CHECK ("payment_status" IS NULL OR "payment_status" IN ('open', 'paid', 'failed', 'refunded'))
);
CREATE UNIQUE INDEX "submission_tenant_id_origin_tenant_portal_id_key" ON "submission"("tenant_id", "origin_tenant", "portal_id");
CREATE INDEX "submission_tenant_id_state_state_at_idx" ON "submission"("tenant_id", "state", "state_at");
ALTER TABLE "submission" ADD CONSTRAINT "submission_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- What the tenant a submission was sent to keeps of it: the portal's id (idempotency), the hash of
-- the request and where it was filed. For a forwarded submission that is all the town sees.
CREATE TABLE "submission_receipt" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "portal_id" VARCHAR(100) NOT NULL,
    "service_key" VARCHAR(64) NOT NULL,
    "body_hash" CHAR(64) NOT NULL,
    "filed_with" VARCHAR(40) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_by" VARCHAR(200) NOT NULL,
    CONSTRAINT "submission_receipt_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "submission_receipt_tenant_id_portal_id_key" ON "submission_receipt"("tenant_id", "portal_id");
ALTER TABLE "submission_receipt" ADD CONSTRAINT "submission_receipt_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

GRANT SELECT, INSERT, UPDATE ON "online_service", "submission", "submission_receipt" TO en_akte_app;
ALTER TABLE "online_service" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "online_service" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "online_service" USING ("tenant_id" = current_tenant_id()) WITH CHECK ("tenant_id" = current_tenant_id());
ALTER TABLE "submission" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "submission" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "submission" USING ("tenant_id" = current_tenant_id()) WITH CHECK ("tenant_id" = current_tenant_id());
ALTER TABLE "submission_receipt" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "submission_receipt" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "submission_receipt" USING ("tenant_id" = current_tenant_id()) WITH CHECK ("tenant_id" = current_tenant_id());

-- A citizen asks without a tenant: the status token's hash (and the account pseudonym's hash)
-- lead to the tenant and submission. Rows hold hashes and ids only; written in the submission's
-- unit of work (current tenant), read through the two functions below, never listed.
CREATE TABLE "submission_status_index" (
    "token_hash" CHAR(64) NOT NULL,
    "tenant_id" UUID NOT NULL,
    "submission_id" UUID NOT NULL,
    "account_hash" CHAR(64),
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "submission_status_index_pkey" PRIMARY KEY ("token_hash")
);
CREATE INDEX "submission_status_index_account_hash_idx" ON "submission_status_index"("account_hash");
ALTER TABLE "submission_status_index" ADD CONSTRAINT "submission_status_index_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
GRANT SELECT, INSERT ON "submission_status_index" TO en_akte_app;
ALTER TABLE "submission_status_index" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "submission_status_index" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "submission_status_index" USING ("tenant_id" = current_tenant_id()) WITH CHECK ("tenant_id" = current_tenant_id());

CREATE FUNCTION "submission_by_status_token"(p_hash CHAR(64))
  RETURNS TABLE (tenant_id UUID, submission_id UUID)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT i.tenant_id, i.submission_id FROM submission_status_index i WHERE i.token_hash = p_hash AND i.expires_at > now()
$$;
CREATE FUNCTION "submissions_by_account"(p_hash CHAR(64))
  RETURNS TABLE (tenant_id UUID, submission_id UUID)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT i.tenant_id, i.submission_id FROM submission_status_index i WHERE i.account_hash = p_hash AND i.expires_at > now()
  ORDER BY i.submission_id DESC LIMIT 100
$$;
REVOKE ALL ON FUNCTION "submission_by_status_token"(CHAR), "submissions_by_account"(CHAR) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION "submission_by_status_token"(CHAR), "submissions_by_account"(CHAR) TO en_akte_app;
