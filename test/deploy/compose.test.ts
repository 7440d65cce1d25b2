import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EnvSchema, loadConfig } from '../../src/config.js';
import { MIGRATIONS_DIR } from '../../src/db/migrate.js';

// No Docker engine runs here: docker-compose.yml and the Dockerfile are kept correct by reading them.
interface Service {
  environment: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
}
const root = fileURLToPath(new URL('../../', import.meta.url));
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const { api, postgres, minio } = compose.services as Record<'api' | 'postgres' | 'minio', Service>;
/** `${VAR:-default}` as compose resolves it with VAR unset. */
const resolve = (value: string) => value.replace(/\$\{\w+:-([^}]*)\}/g, '$1');

/** The Dockerfile's instructions (continuations joined, comments dropped), split into stages at FROM. */
const instructions = readFileSync(path.join(root, 'Dockerfile'), 'utf8')
  .replace(/\\\n/g, ' ')
  .split('\n')
  .filter((line) => line.trim() && !line.trim().startsWith('#'))
  .map((line) => /^\s*(\w+)\s+(.*)$/.exec(line)!.slice(1, 3) as [string, string]);
const stages = instructions.reduce<[string, string][][]>((acc, ins) => (ins[0] === 'FROM' ? [...acc, [ins]] : (acc.at(-1)?.push(ins), acc)), []);
const final = stages.at(-1)!;
const args = (name: string) => final.filter(([ins]) => ins === name).map(([, a]) => a.replace(/\s+/g, ' ').trim());

describe('compose services', () => {
  it('has postgres, minio and the api, which waits for both to be healthy', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'minio', 'postgres']);
    expect(api.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, minio: { condition: 'service_healthy' } });
  });

  it('gives every service a healthcheck', () => {
    expect(postgres.healthcheck?.test).toEqual(['CMD-SHELL', 'pg_isready -U "$${POSTGRES_USER}" -d "$${POSTGRES_DB}"']);
    expect(minio.healthcheck?.test).toEqual(['CMD', 'mc', 'ready', 'local']);
    expect(api.healthcheck?.test.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
    expect(api.healthcheck?.test[3]).toContain(`fetch('http://127.0.0.1:${api.environment.PORT}/readyz')`);
  });

  it('declares every named volume it mounts', () => {
    const named = Object.values(compose.services).flatMap((s) => (s.volumes ?? []).map((v) => v.split(':')[0]));
    expect(named.sort()).toEqual(['api-data', 'minio-data', 'pg-data']);
    expect(Object.keys(compose.volumes).sort()).toEqual(['api-data', 'minio-data', 'pg-data']);
    expect(api.volumes).toEqual([`api-data:${api.environment.DATA_DIR}`]);
  });
});

describe('api environment', () => {
  const env = api.environment;

  it('uses only variables the service reads, and they pass its config validation', () => {
    expect(Object.keys(env).filter((key) => !(key in EnvSchema.properties))).toEqual([]);
    const config = loadConfig(Object.fromEntries(Object.entries(env).map(([k, v]) => [k, resolve(v)])));
    expect([config.env, config.host, config.port, config.dataDir]).toEqual(['production', '0.0.0.0', 3000, '/var/lib/en-akte']);
    expect(config.storage.kind).toBe('s3');
  });

  it('reaches postgres with its credentials and database', () => {
    const pg = postgres.environment;
    expect(env.DATABASE_URL).toBe(`postgresql://${pg.POSTGRES_USER}:${pg.POSTGRES_PASSWORD}@postgres:5432/${pg.POSTGRES_DB}`);
    const url = new URL(resolve(env.DATABASE_URL!));
    expect([url.hostname, url.port, url.pathname]).toEqual(['postgres', '5432', '/en_akte']);
  });

  it('reaches minio with its root credentials', () => {
    expect(new URL(env.S3_ENDPOINT!).host).toBe('minio:9000');
    expect(env.S3_ACCESS_KEY).toBe(minio.environment.MINIO_ROOT_USER);
    expect(env.S3_SECRET_KEY).toBe(minio.environment.MINIO_ROOT_PASSWORD);
    expect(minio.environment.MINIO_ROOT_PASSWORD).toMatch(/^\$\{MINIO_ROOT_PASSWORD:-.{8,}\}$/);
  });

  it('publishes the port the api listens on, which the image exposes', () => {
    expect(env.PORT).toBe('3000');
    expect(api.ports).toEqual([`${env.PORT}:${env.PORT}`]);
    expect(args('EXPOSE')).toEqual([env.PORT]);
  });
});

describe('Dockerfile', () => {
  it('builds on node 20 slim in separate stages', () => {
    expect(instructions[0]).toEqual(['ARG', 'NODE_IMAGE=node:20-bookworm-slim']);
    expect(stages.map((stage) => stage[0]![1])).toEqual(['${NODE_IMAGE} AS build', '${NODE_IMAGE} AS deps', '${NODE_IMAGE} AS runtime']);
  });

  it('runs dist/server.js as the unprivileged node user, with a healthcheck', () => {
    expect(args('USER')).toEqual(['node']);
    expect(JSON.parse(args('CMD').at(-1)!)).toEqual(['node', 'dist/server.js']);
    expect(args('HEALTHCHECK')).toHaveLength(1);
    expect(args('HEALTHCHECK')[0]).toContain(`'/healthz'`);
    expect(args('ENV')[0]).toContain('NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATA_DIR=/var/lib/en-akte');
  });

  it('ships the migrations where the runner looks for them', () => {
    expect(path.relative(root, MIGRATIONS_DIR)).toBe(path.join('prisma', 'migrations'));
    expect(args('WORKDIR')).toEqual(['/app']);
    expect(args('COPY')).toEqual(
      expect.arrayContaining(['--from=build /app/dist ./dist', 'prisma/migrations ./prisma/migrations', 'package.json ./']),
    );
  });
});
