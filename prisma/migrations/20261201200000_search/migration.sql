-- Search: German full-text search over files, cases and documents (metadata and the latest
-- version's text), kept current from the outbox (src/modules/search, src/jobs).

-- contrib, shipped with PostgreSQL (trusted extensions: the database owner may create them).
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
-- GIN over (tenant_id, …): a tenant's hits are intersected inside the index, not on the heap.
CREATE EXTENSION IF NOT EXISTS btree_gin;

-- German stemming (Snowball, with German stop words) after accent folding: "Anträge" and
-- "Antrag", "Straße" and "Strasse" meet at the same lexeme. ASCII words need no folding.
CREATE TEXT SEARCH CONFIGURATION en_akte_german (COPY = german);
ALTER TEXT SEARCH CONFIGURATION en_akte_german
  ALTER MAPPING FOR word, hword, hword_part WITH unaccent, german_stem;

-- Row-level security keeps every qualifier that is not LEAKPROOF out of index scans (it may only
-- run after the policy): without this, `tsv @@ query` is checked row by row over all of a
-- tenant's entries instead of being answered by the GIN index (53 ms instead of 0.5 ms for a rare
-- word in 100 000 documents). The match operators reveal nothing but their result, so they are
-- declared LEAKPROOF; that takes a superuser. Compose's init script (deploy/postgres/init) does it
-- before the first migration; the embedded owner is a superuser. Otherwise the migration warns, and
-- search works, only slower: have a superuser run these three statements.
DO $$
BEGIN
  IF (SELECT bool_and(proleakproof) FROM pg_proc
      WHERE oid IN ('ts_match_vq(tsvector, tsquery)'::regprocedure, 'word_similarity_op(text, text)'::regprocedure, 'word_similarity_commutator_op(text, text)'::regprocedure)) THEN
    NULL;
  ELSIF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    ALTER FUNCTION ts_match_vq(tsvector, tsquery) LEAKPROOF;
    ALTER FUNCTION word_similarity_op(text, text) LEAKPROOF;
    ALTER FUNCTION word_similarity_commutator_op(text, text) LEAKPROOF;
  ELSE
    RAISE WARNING 'EN-Akte search: % is no superuser, so the text search operators stay non-LEAKPROOF and row-level security keeps them out of the indexes; as a superuser run: ALTER FUNCTION ts_match_vq(tsvector, tsquery) LEAKPROOF; ALTER FUNCTION word_similarity_op(text, text) LEAKPROOF; ALTER FUNCTION word_similarity_commutator_op(text, text) LEAKPROOF;', current_user;
  END IF;
END
$$;

CREATE TYPE "VersionTextState" AS ENUM ('pending', 'extracted', 'failed', 'unsupported');

-- The text of each version, extracted by a job off the request path. A failed or unsupported
-- extraction keeps its reason; the version itself is never affected.
CREATE TABLE "version_text" (
    "version_id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "document_id" UUID NOT NULL,
    "state" "VersionTextState" NOT NULL DEFAULT 'pending',
    "reason" VARCHAR(500),
    "content" TEXT,
    -- Characters the extractor produced; content keeps at most SEARCH_TEXT_MAX_CHARS of them.
    "chars" INTEGER,
    "truncated" BOOLEAN NOT NULL DEFAULT false,
    "extractor" VARCHAR(60),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "extracted_at" TIMESTAMPTZ(3),

    CONSTRAINT "version_text_pkey" PRIMARY KEY ("version_id")
);
-- The versions still waiting for their text (catch-up), without reading the extracted ones.
CREATE INDEX "version_text_pending_idx" ON "version_text"("tenant_id", "version_id") WHERE "state" = 'pending';
CREATE INDEX "version_text_tenant_id_document_id_idx" ON "version_text"("tenant_id", "document_id");
ALTER TABLE "version_text" ADD CONSTRAINT "version_text_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "document_version"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "version_text" ADD CONSTRAINT "version_text_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- The search index: one entry per file, case and document, with the walls' columns (tenant,
-- file, confidentiality) beside the text. Written only by the indexing job and npm run reindex,
-- which take a per-tenant advisory lock: each batch reads the records after the batch before it.
CREATE TABLE "search_entry" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "object_type" VARCHAR(10) NOT NULL,
    "file_id" UUID NOT NULL,
    "case_id" UUID,
    "plan_unit_id" UUID NOT NULL,
    "reference" VARCHAR(140) NOT NULL,
    "title" VARCHAR(500) NOT NULL,
    "description" VARCHAR(4000),
    "confidentiality" CHAR(3) NOT NULL,
    "status" "RecordStatus" NOT NULL,
    "kind" VARCHAR(40),
    -- The date of the object (files, cases: created; documents: received, sent or created),
    -- in Germany's calendar: the date filters, the year facet and the date orders use it.
    "object_date" DATE NOT NULL,
    -- zdA date of the file: retention runs from it.
    "closed_on" DATE,
    -- The version whose text is indexed (documents).
    "version_id" UUID,
    -- Reference and names (sender, addressee) for typo-tolerant matching (pg_trgm).
    "fuzzy" TEXT NOT NULL,
    "tsv" TSVECTOR NOT NULL,
    "indexed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "search_entry_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "search_entry_object_type_check" CHECK ("object_type" IN ('file', 'case', 'document'))
);
CREATE INDEX "search_entry_tsv_idx" ON "search_entry" USING gin ("tenant_id", "tsv");
-- Only for the fallback when no word matches exactly; without tenant_id, so that the planner never
-- takes it as a way to read all of a tenant's entries.
CREATE INDEX "search_entry_fuzzy_idx" ON "search_entry" USING gin ("fuzzy" gin_trgm_ops);
CREATE INDEX "search_entry_tenant_id_object_date_id_idx" ON "search_entry"("tenant_id", "object_date", "id");
CREATE INDEX "search_entry_tenant_id_file_id_idx" ON "search_entry"("tenant_id", "file_id");
CREATE INDEX "search_entry_tenant_id_case_id_idx" ON "search_entry"("tenant_id", "case_id");
ALTER TABLE "search_entry" ADD CONSTRAINT "search_entry_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Objects whose entry must be rebuilt: written by the event consumer (idempotent), taken by the
-- indexing job. What a crash leaves here is picked up by the next run or the catch-up.
CREATE TABLE "search_pending" (
    "object_id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "object_type" VARCHAR(10) NOT NULL,
    "queued_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "search_pending_pkey" PRIMARY KEY ("object_id"),
    CONSTRAINT "search_pending_object_type_check" CHECK ("object_type" IN ('file', 'case', 'document'))
);
CREATE INDEX "search_pending_tenant_id_queued_at_object_id_idx" ON "search_pending"("tenant_id", "queued_at", "object_id");
ALTER TABLE "search_pending" ADD CONSTRAINT "search_pending_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

GRANT SELECT, INSERT, UPDATE ON "version_text" TO en_akte_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON "search_entry", "search_pending" TO en_akte_app;

ALTER TABLE "version_text" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "version_text" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "version_text" USING ("tenant_id" = current_tenant_id()) WITH CHECK ("tenant_id" = current_tenant_id());
ALTER TABLE "search_entry" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "search_entry" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "search_entry" USING ("tenant_id" = current_tenant_id()) WITH CHECK ("tenant_id" = current_tenant_id());
ALTER TABLE "search_pending" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "search_pending" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "search_pending" USING ("tenant_id" = current_tenant_id()) WITH CHECK ("tenant_id" = current_tenant_id());
