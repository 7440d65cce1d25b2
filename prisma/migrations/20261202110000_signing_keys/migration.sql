-- The service's signing keys (tokens, audit checkpoints), shared by every instance through the
-- database instead of a key file per machine (src/auth/keys.ts). The newest key signs; the others
-- verify until their tokens have expired. The private key is sealed (AES-256-GCM) with the data key
-- (SECRETS_KEY_FILE), which lives outside the database: a copy of the database alone cannot sign.
-- Not tenant data, so no row-level security. The API may read and add keys (the first start
-- creates one); only the owner (npm run keys:rotate) deletes retired ones.
CREATE TABLE "signing_key" (
    "kid" VARCHAR(64) NOT NULL,
    "alg" VARCHAR(16) NOT NULL,
    "public_jwk" JSONB NOT NULL,
    "private_sealed" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT clock_timestamp(),

    CONSTRAINT "signing_key_pkey" PRIMARY KEY ("kid")
);
CREATE INDEX "signing_key_created_at_idx" ON "signing_key"("created_at");
GRANT SELECT, INSERT ON "signing_key" TO en_akte_app;
