import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EnvSchema, loadConfig } from '../../src/config.js';
import { MIGRATIONS_DIR } from '../../src/db/migrate.js';

// No Docker engine runs here: docker-compose.yml and the Dockerfile are kept correct by reading them.
interface Service {
  environment: Record<string, string>;
  profiles?: string[];
  image?: string;
  command?: string;
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
const { api, postgres, minio, prometheus } = compose.services as Record<'api' | 'postgres' | 'minio' | 'prometheus', Service>;
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
  it('has postgres, minio and the api, which waits for both to be healthy; prometheus and grafana on request', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'grafana', 'minio', 'minio1', 'minio2', 'minio3', 'minio4', 'postgres', 'prometheus']);
    expect(prometheus.profiles).toEqual(['monitoring']);
    expect(compose.services.grafana!.profiles).toEqual(['monitoring']);
    // A four-node MinIO pool on request: every node runs the same image with the same endpoint list.
    for (const n of ['minio1', 'minio2', 'minio3', 'minio4']) {
      const node = compose.services[n]!;
      expect(node.profiles).toEqual(['minio-distributed']);
      expect(node.image).toBe(minio.image);
      expect(node.command).toBe('server http://minio{1...4}:9000/data --console-address :9001');
      expect(node.volumes).toEqual([`${n}-data:/data`]);
      expect(node.healthcheck?.test).toEqual(['CMD', 'mc', 'ready', 'local']);
    }
    expect(api.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, minio: { condition: 'service_healthy' } });
  });

  it('gives every service a healthcheck', () => {
    expect(postgres.healthcheck?.test).toEqual(['CMD-SHELL', 'pg_isready -U "$${POSTGRES_USER}" -d "$${POSTGRES_DB}"']);
    expect(minio.healthcheck?.test).toEqual(['CMD', 'mc', 'ready', 'local']);
    expect(api.healthcheck?.test.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
    expect(api.healthcheck?.test[3]).toContain(`fetch('http://127.0.0.1:${api.environment.PORT}/readyz')`);
  });

  it('declares every named volume it mounts, and every file it binds exists', () => {
    const mounts = Object.values(compose.services).flatMap((s) => (s.volumes ?? []).map((v) => v.split(':')[0]!));
    const named = mounts.filter((m) => !m.startsWith('./'));
    const volumes = ['api-data', 'grafana-data', 'minio-data', 'minio1-data', 'minio2-data', 'minio3-data', 'minio4-data', 'pg-data', 'prometheus-data'];
    expect(named.sort()).toEqual(volumes);
    expect(Object.keys(compose.volumes).sort()).toEqual(volumes);
    expect(api.volumes).toEqual([`api-data:${api.environment.DATA_DIR}`]);
    const bound = mounts.filter((m) => m.startsWith('./'));
    expect(bound.sort()).toEqual(['./deploy/grafana/dashboards', './deploy/grafana/provisioning', './deploy/postgres/init', './deploy/prometheus/alerts.yml', './deploy/prometheus/prometheus.yml']);
    for (const file of bound) expect(existsSync(path.join(root, file)), file).toBe(true);
    expect(postgres.volumes).toContain('./deploy/postgres/init:/docker-entrypoint-initdb.d:ro');
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

  it('reaches postgres as the API login and migrates as the owner, never as the superuser', () => {
    const pg = postgres.environment;
    expect(env.DATABASE_URL).toBe(`postgresql://en_akte_api:${pg.EN_AKTE_API_PASSWORD}@postgres:5432/${pg.POSTGRES_DB}`);
    expect(env.DATABASE_OWNER_URL).toBe(`postgresql://en_akte_owner:${pg.EN_AKTE_OWNER_PASSWORD}@postgres:5432/${pg.POSTGRES_DB}`);
    for (const url of [env.DATABASE_URL!, env.DATABASE_OWNER_URL!].map((u) => new URL(resolve(u)))) {
      expect([url.hostname, url.port, url.pathname]).toEqual(['postgres', '5432', '/en_akte']);
      expect(url.username).not.toBe(resolve(pg.POSTGRES_USER!));
    }
  });

  it('serves metrics on their own port, on the compose network only, where prometheus scrapes them', () => {
    expect([env.METRICS_HOST, env.METRICS_PORT]).toEqual(['0.0.0.0', '9464']);
    expect((api.ports ?? []).some((p) => p.includes(env.METRICS_PORT!))).toBe(false);
    const scrape = parse(readFileSync(path.join(root, 'deploy', 'prometheus', 'prometheus.yml'), 'utf8')) as {
      scrape_configs: { metrics_path: string; static_configs: { targets: string[] }[] }[];
    };
    expect(scrape.scrape_configs.map((c) => [c.metrics_path, c.static_configs.flatMap((t) => t.targets)])).toEqual([['/metrics', [`api:${env.METRICS_PORT}`]]]);
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

describe('compose images', () => {
  const pinned: Record<string, RegExp> = {
    // Docker Hub's minio/minio carries the same RELEASE.* tags as quay.io/minio/minio.
    'minio/minio': /^RELEASE\.\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z$/,
    postgres: /^\d+\.\d+$/,
    'prom/prometheus': /^v\d+\.\d+\.\d+$/,
    'grafana/grafana': /^\d+\.\d+\.\d+$/,
  };
  it('pins every image by an explicit tag (never latest); the api image carries the package version', () => {
    const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
    const images = Object.entries(compose.services).map(([name, s]) => [name, s.image] as const);
    expect(images.filter(([, image]) => !image)).toEqual([]);
    for (const [name, image] of images) {
      const at = image!.lastIndexOf(':');
      expect(at, `${name}: ${image} has no tag`).toBeGreaterThan(0);
      const [repo, tag] = [image!.slice(0, at), image!.slice(at + 1)];
      expect(tag, `${name}: ${image}`).not.toBe('latest');
      if (name === 'api') expect(image).toBe(`en-akte:${version}`);
      else expect(tag, `${name}: ${image}`).toMatch(pinned[repo] ?? /^$/);
    }
  });
});
