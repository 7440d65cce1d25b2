import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * Compose that boots: where a Docker engine answers, `docker compose up --build --wait` brings the
 * whole file up (PostgreSQL, MinIO, the API built from the Dockerfile) and the end-to-end example
 * (examples/file-a-letter.sh) runs against it. Where no engine answers (these build machines have
 * the docker CLI but no daemon), the test is skipped and says so; it is never faked. The file
 * itself is checked by reading it in compose.test.ts.
 */
const probe = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 15_000 });
const engine = probe.status === 0 ? probe.stdout.trim() : '';
const reason = engine ? '' : `no Docker engine answers here (docker info: ${(probe.stderr || probe.error?.message || `exit ${probe.status}`).trim().split('\n').at(-1)})`;
if (reason) console.log(`[compose-up] skipped: ${reason}`);

const project = `en-akte-compose-test-${process.pid}`;
const compose = (...args: string[]) => spawnSync('docker', ['compose', '-p', project, ...args], { encoding: 'utf8', timeout: 900_000 });

afterAll(() => {
  if (engine) compose('down', '-v', '--remove-orphans');
});

describe('docker compose up', () => {
  it.skipIf(!!reason)(`boots the compose file and files a letter end to end${reason ? ` (skipped: ${reason})` : ''}`, () => {
    const up = compose('up', '-d', '--build', '--wait');
    expect(up.status, up.stderr).toBe(0);
    // A token of the compose deployment's own key, minted inside the api container (the image has
    // the built dist/, not scripts/token.ts and tsx).
    // The keys live in the deployment's PostgreSQL (table signing_key), sealed with its data key.
    const mint = `Promise.all([import('./dist/auth/keys.js'), import('./dist/auth/data-key.js')]).then(async ([m, d]) => { ` +
      `const dataKey = await d.loadOrCreateDataKey(process.env.SECRETS_KEY_FILE ?? process.env.DATA_DIR + '/keys/secrets.key'); ` +
      `const k = await m.loadSharedSigningKeys({ databaseUrl: process.env.DATABASE_URL, dataKey }); ` +
      `console.log(await k.sign({ sub: 'compose-test', tenant: 'hattingen', roles: ['records-manager', 'clerk'] }, { issuer: process.env.PUBLIC_URL, audience: 'en-akte', ttlSeconds: 600 })); await k.close(); })`;
    const token = compose('exec', '-T', 'api', 'node', '-e', mint);
    expect(token.status, token.stderr).toBe(0);
    const run = spawnSync('bash', ['examples/file-a-letter.sh', 'http://localhost:3000', 'hattingen'], { encoding: 'utf8', env: { ...process.env, EN_AKTE_TOKEN: token.stdout.trim() }, timeout: 300_000 });
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
  }, 1_200_000);
});
