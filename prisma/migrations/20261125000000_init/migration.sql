-- CreateEnum
CREATE TYPE "TenantKind" AS ENUM ('town', 'district', 'competence_centre');

-- CreateTable
CREATE TABLE "tenant" (
    "id" UUID NOT NULL,
    "slug" VARCHAR(40) NOT NULL,
    "name" VARCHAR(200) NOT NULL,
    "kind" "TenantKind" NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "tenant_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "tenant_slug_key" ON "tenant"("slug");

-- Slugs are used in URLs and as MinIO bucket names: lower-case letters, digits, hyphens.
ALTER TABLE "tenant" ADD CONSTRAINT "tenant_slug_format" CHECK ("slug" ~ '^[a-z][a-z0-9-]{1,38}[a-z0-9]$');
