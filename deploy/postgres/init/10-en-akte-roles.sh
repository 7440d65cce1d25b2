#!/bin/sh
# Runs once, when the postgres container initialises its data directory (docker-entrypoint-initdb.d).
# Three roles, so that the API can never get around row-level security:
#   en_akte_owner  owns the database and its schema: migrations, seed, job queues (DATABASE_OWNER_URL)
#   en_akte_app    holds the API's privileges (granted by the migrations); no login
#   en_akte_api    the API's login (DATABASE_URL): a member of en_akte_app, owns nothing, no BYPASSRLS
# The superuser (POSTGRES_USER) is for the DBA only; the service never uses it. It also prepares
# what only a superuser may: the search extensions and their LEAKPROOF match operators.
set -eu
: "${EN_AKTE_OWNER_PASSWORD:?set EN_AKTE_OWNER_PASSWORD}"
: "${EN_AKTE_API_PASSWORD:?set EN_AKTE_API_PASSWORD}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v db="$POSTGRES_DB" -v owner_password="$EN_AKTE_OWNER_PASSWORD" -v api_password="$EN_AKTE_API_PASSWORD" <<'SQL'
CREATE ROLE en_akte_owner LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD :'owner_password';
CREATE ROLE en_akte_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
CREATE ROLE en_akte_api LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE INHERIT PASSWORD :'api_password' IN ROLE en_akte_app;
ALTER DATABASE :"db" OWNER TO en_akte_owner;
ALTER SCHEMA public OWNER TO en_akte_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
-- Search (prisma/migrations/*_search): the text search operators must be LEAKPROOF for row-level
-- security to let them use their indexes, and only a superuser may declare that.
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gin;
ALTER FUNCTION ts_match_vq(tsvector, tsquery) LEAKPROOF;
ALTER FUNCTION word_similarity_op(text, text) LEAKPROOF;
ALTER FUNCTION word_similarity_commutator_op(text, text) LEAKPROOF;
SQL
