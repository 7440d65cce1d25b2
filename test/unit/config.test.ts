import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderEnvExample, withConfigTable } from '../../scripts/config-docs.js';
import { EnvSchema, loadConfig } from '../../src/config.js';

const envNames = Object.keys(EnvSchema.properties).sort();

describe('configuration', () => {
  it('boots on the embedded defaults with no environment at all', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.database.url).toBeUndefined();
    expect(config.storage).toEqual({ kind: 'local', dir: path.resolve('.data/blobs'), bucketPrefix: 'en-akte-' });
    expect(config.auth).toMatchObject({ issuer: 'http://localhost:3000', audience: 'en-akte', algorithms: ['ES256', 'RS256', 'EdDSA'] });
    // The worker runs in the process; webhooks may use http only in development.
    expect(config.jobs.inProcess).toBe(true);
    expect(config.webhooks).toMatchObject({ timeoutSeconds: 10, maxAttempts: 12, maxPerTenant: 25 });
    expect(loadConfig({ NODE_ENV: 'development' }).webhooks.allowHttp).toBe(true);
    expect(loadConfig({ NODE_ENV: 'production' }).webhooks.allowHttp).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', WEBHOOK_ALLOW_HTTP: 'true' }).webhooks.allowHttp).toBe(true);
  });

  it('selects MinIO when S3_ENDPOINT is set', () => {
    const config = loadConfig({ S3_ENDPOINT: 'http://minio:9000', S3_ACCESS_KEY: 'key', S3_SECRET_KEY: 'secret123' });
    expect(config.storage).toMatchObject({ kind: 's3', accessKey: 'key', partSize: 16 * 1024 * 1024 });
    expect(config.storage.kind === 's3' && config.storage.endpoint.host).toBe('minio:9000');
  });

  it.each([
    [{ PORT: 'eighty' }, 'Invalid configuration: PORT must be integer'],
    [{ PORT: '70000' }, 'Invalid configuration: PORT must be <= 65535'],
    [{ DATABASE_URL: 'mysql://x' }, 'Invalid configuration: DATABASE_URL must match pattern "^postgres(ql)?://"'],
    [{ LOG_LEVEL: 'loud' }, 'Invalid configuration: LOG_LEVEL must be equal to constant'],
    [{ S3_PART_SIZE: '1024' }, 'Invalid configuration: S3_PART_SIZE must be >= 5242880'],
    [{ AUTH_ALGORITHMS: 'HS256' }, 'Invalid configuration: AUTH_ALGORITHMS must match pattern'],
    [{ S3_ENDPOINT: 'http://minio:9000' }, 'Invalid configuration: S3_ACCESS_KEY and S3_SECRET_KEY are required when S3_ENDPOINT is set'],
    [{ WEBHOOK_ALLOWED_PRIVATE_TARGETS: '127.0.0.1, 10.0.0.0/33' }, 'Invalid configuration: WEBHOOK_ALLOWED_PRIVATE_TARGETS has 10.0.0.0/33, which is neither an IP address nor a CIDR range'],
    [{ WEBHOOK_ALLOWED_PRIVATE_TARGETS: 'intranet.example' }, 'Invalid configuration: WEBHOOK_ALLOWED_PRIVATE_TARGETS must match pattern'],
    [{ WORKER_IN_PROCESS: 'maybe' }, 'Invalid configuration: WORKER_IN_PROCESS must be boolean'],
  ])('stops on %o with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('.env.example is the schema, rendered (npm run docs:config)', async () => {
    const text = await readFile(new URL('../../.env.example', import.meta.url), 'utf8');
    expect(text).toBe(renderEnvExample());
    expect([...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]).sort()).toEqual(envNames);
  });

  it('the README documents every variable: its table is the schema, rendered (npm run docs:config)', async () => {
    const text = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    expect(text).toBe(withConfigTable(text));
    for (const name of envNames) expect(text, name).toContain(`| \`${name}\` |`);
  });
});
