// The admin CLI (`en-akte`, bin/en-akte.mjs) as a child process against the real app listening on
// loopback: what it prints (one JSON document with --json), what it changes (checked through the
// API) and its exit codes.
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnAkteClient, unwrap, type EnAkteClient } from '../../clients/typescript/src/index.js';
import pg from 'pg';
import { buildTestApp, TEST_ISSUER, testEnv, type TestApp } from '../support/app.js';
import { isolatedDatabase } from '../support/database.js';

const TENANT = 'schwelm';
const BIN = fileURLToPath(new URL('../../bin/en-akte.mjs', import.meta.url));
const run = randomUUID().replace(/-/g, '').slice(0, 6).toUpperCase();
/** A top-level plan code of this run (letters and digits, ≤ 8). */
const P = `K${run}`;
const MANAGER = `cli-manager-${run.toLowerCase()}@${TENANT}`;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

let t: TestApp;
let baseUrl: string;
let managerToken: string;
let auditorToken: string;
let dir: string;
let api: EnAkteClient;
/** The file's own database: its worker (the XDOMEA export job) and the in-process sweep and key rotation act on nothing of another file's. */
let db: Awaited<ReturnType<typeof isolatedDatabase>>;

/** Runs `node bin/en-akte.mjs …args` with the environment given (nothing of EN_AKTE_* inherited). */
function cli(args: string[], env: Record<string, string> = {}, cwd = os.tmpdir()): Promise<Result> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('EN_AKTE_'))) as Record<string, string>;
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd, env: { ...inherited, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
const asManager = (args: string[]) => cli(args, { EN_AKTE_URL: baseUrl, EN_AKTE_TOKEN: managerToken, EN_AKTE_TENANT: TENANT });
const asAuditor = (args: string[]) => cli(args, { EN_AKTE_URL: baseUrl, EN_AKTE_TOKEN: auditorToken });
const file = (name: string, content: string | Buffer) => {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
};

beforeAll(async () => {
  db = await isolatedDatabase('cli');
  t = await buildTestApp(db.env);
  baseUrl = await t.app.listen({ port: 0, host: '127.0.0.1' });
  managerToken = await t.tokenFor(TENANT, ['records-manager', 'clerk', 'tenant-admin'], MANAGER);
  auditorToken = await t.tokenFor(TENANT, ['auditor'], `cli-auditor-${run.toLowerCase()}@${TENANT}`);
  api = createEnAkteClient({ baseUrl, token: managerToken });
  dir = mkdtempSync(path.join(os.tmpdir(), 'en-akte-cli-'));
});
afterAll(async () => {
  await t?.close();
});

describe('en-akte --help and usage', () => {
  it('--help lists the commands and the exit codes (exit 0), from any directory', async () => {
    const res = await cli(['--help']);
    expect(res.code).toBe(0);
    expect(res.stderr).toBe('');
    for (const command of ['plan', 'clients', 'audit', 'xdomea', 'sweep', 'reindex', 'keys']) expect(res.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    expect(res.stdout).toContain(
      [
        'Exit codes:',
        '  0  ok',
        '  1  unexpected error (also: audit verify found the chain broken, an export failed)',
        '  2  usage error (unknown command or option, missing argument)',
        '  3  authentication or authorization (401, 403; no credentials given)',
        '  4  not found (404, 410)',
        '  5  conflict or precondition (409, 412, 428)',
        '  6  invalid input (400, 413, 415, 422; a file the CLI cannot read as what it should be)',
        '  7  service unavailable or network (429, 502, 503, 504; connection refused)',
      ].join('\n'),
    );
    expect(res.stdout).toContain('--url <url>');
    expect(res.stdout).toContain('env: EN_AKTE_URL');
    const sweep = await cli(['sweep', '--help']);
    expect(sweep.code).toBe(0);
    expect(sweep.stdout).toContain('not through the API: it needs');
    expect(sweep.stdout).toContain('DATABASE_URL');
  });

  it('an unknown command exits 2 (usage), naming it on stderr; with --json a usage problem on stdout', async () => {
    const res = await cli(['frobnicate']);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/^error: unknown command 'frobnicate'\n/);
    const json = await cli(['--json', 'plan', 'frobnicate']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toEqual({ code: 'usage', title: 'Usage error', detail: "unknown command 'frobnicate'" });
  });

  it('a missing option is a usage error too (exit 2)', async () => {
    const res = await cli(['--token', 'x', '--tenant', TENANT, 'audit', 'export']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^error: required option '--out <file>' not specified\n/);
  });
});

describe('plan import and show', () => {
  const csv = [
    'code,title,parent,retentionYears,disposal,description',
    `${P},"Ordnung, Sicherheit",,,A,`,
    `${P}.10,"Gewerbe ""neu""",${P},10,B,"Zeile 1`,
    `Zeile 2"`,
    `${P}.10.05,Gaststätten,${P}.10,5,v,`,
    '',
  ].join('\r\n');

  it('imports a CSV file plan: --json prints exactly the API\'s result, the units exist as the CSV says', async () => {
    const res = await asManager(['--json', 'plan', 'import', file('plan.csv', csv)]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toBe('{"created":3}\n');
    const ours = new Map<string, Record<string, unknown>>();
    for await (const u of api.paginate('/v1/tenants/{tenant}/file-plan/units', { params: { path: { tenant: TENANT }, query: { limit: 200 } } })) {
      if (u.code === P || u.code.startsWith(`${P}.`)) ours.set(u.code, u);
    }
    expect([...ours.keys()].sort()).toEqual([P, `${P}.10`, `${P}.10.05`]);
    expect(ours.get(P)).toMatchObject({ parentCode: null, title: 'Ordnung, Sicherheit', description: null, retentionYears: null, disposal: 'A', retired: false });
    expect(ours.get(`${P}.10`)).toMatchObject({ parentCode: P, title: 'Gewerbe "neu"', description: 'Zeile 1\r\nZeile 2', retentionYears: 10, disposal: 'B' });
    expect(ours.get(`${P}.10.05`)).toMatchObject({ parentCode: `${P}.10`, title: 'Gaststätten', description: null, retentionYears: 5, disposal: 'V' });
  });

  it('importing it again exits 5 with code unit-exists and the request id; nothing is created', async () => {
    const res = await asManager(['plan', 'import', file('plan.csv', csv)]);
    expect(res.code).toBe(5);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(new RegExp(`^unit-exists: Units already exist: ${P}, ${P}\\.10, ${P}\\.10\\.05 \\(\\S+\\)\\n$`));
    const json = await asManager(['--json', 'plan', 'import', file('plan.csv', csv)]);
    expect(json.code).toBe(5);
    expect(json.stderr).toBe('');
    expect(JSON.parse(json.stdout)).toMatchObject({
      type: `${TEST_ISSUER}/problems/unit-exists`,
      status: 409,
      code: 'unit-exists',
      detail: `Units already exist: ${P}, ${P}.10, ${P}.10.05`,
      codes: [P, `${P}.10`, `${P}.10.05`],
      instance: `/v1/tenants/${TENANT}/file-plan/import`,
    });
  });

  it('imports JSON (an array of units, or the API\'s body); exports the plan as XDOMEA 0301, whose import is refused as the units exist', async () => {
    const json = await asManager(['--json', 'plan', 'import', file('plan.json', JSON.stringify([{ code: `${P}.40`, title: 'Aus JSON', retentionYears: 2, disposal: 'V' }]))]);
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    expect(json.stdout).toBe('{"created":1}\n');
    const unit = await unwrap(api.api.GET('/v1/tenants/{tenant}/file-plan', { params: { path: { tenant: TENANT } } }));
    const top = (unit.units as { code: string; children: { code: string; title: string; retentionYears: number; disposal: string }[] }[]).find((u) => u.code === P)!;
    expect(top.children.find((c) => c.code === `${P}.40`)).toMatchObject({ title: 'Aus JSON', retentionYears: 2, disposal: 'V' });

    const xmlFile = path.join(dir, 'plan.0301.xml');
    const exported = await asManager(['--json', 'plan', 'export', '--out', xmlFile]);
    expect(exported.code).toBe(0);
    const xml = readFileSync(xmlFile, 'utf8');
    expect(JSON.parse(exported.stdout)).toEqual({ file: xmlFile, bytes: Buffer.byteLength(xml), version: '3.0.0' });
    expect(xml).toContain('Aktenplan.Aktenplan.0301');
    expect(xml).toContain(`${P}.40`);
    // The message is valid (schema-checked first); its units are this tenant's own, so: 409 unit-exists.
    const again = await asManager(['plan', 'import', xmlFile]);
    expect(again.code).toBe(5);
    expect(again.stderr).toMatch(new RegExp(`^unit-exists: .*${P}.* \\(\\S+\\)\\n$`));
  });

  it('a CSV the CLI cannot read exits 6 naming the line, before any request', async () => {
    const res = await cli(['--url', 'http://127.0.0.1:1', '--token', 'x', '--tenant', TENANT, 'plan', 'import', file('bad.csv', `code,title,retentionYears,disposal\n${P}.99,"offen,10,B\n`)]);
    expect(res.code).toBe(6);
    expect(res.stderr).toBe('invalid-input: CSV line 2: a quoted field is not closed\n');
    const wrongParent = await cli(['--token', 'x', '--tenant', TENANT, 'plan', 'import', file('parent.csv', `code;title;parent;retentionYears;disposal\n${P}.20;Zwei;${P}.10;1;A\n`)]);
    expect(wrongParent.code).toBe(6);
    expect(wrongParent.stderr).toBe(`invalid-input: CSV line 2: parent ${P}.10 does not match code ${P}.20 (a child's code extends its parent's by one segment)\n`);
  });

  it('plan show prints the tree (the tenant from the token), --json the API\'s tree', async () => {
    const text = await cli(['plan', 'show'], { EN_AKTE_URL: baseUrl, EN_AKTE_TOKEN: managerToken });
    expect(text.code).toBe(0);
    const ours = text.stdout.split('\n').filter((l) => l.trimStart().startsWith(P));
    expect(ours).toEqual([`${P}  Ordnung, Sicherheit  (unlimited, A)`, `  ${P}.10  Gewerbe "neu"  (10 years, B)`, `    ${P}.10.05  Gaststätten  (5 years, V)`, `  ${P}.40  Aus JSON  (2 years, V)`]);
    const json = await asManager(['--json', 'plan', 'show']);
    expect(json.code).toBe(0);
    const tree = await unwrap(api.api.GET('/v1/tenants/{tenant}/file-plan', { params: { path: { tenant: TENANT } } }));
    expect(JSON.parse(json.stdout)).toEqual(tree);
  });
});

describe('clients', () => {
  it('clients create --json prints the client with its secret; clients list --json shows it; rotate-secret by id, disable by client_id', async () => {
    const name = `CLI ${run}`;
    const created = await asManager(['--json', 'clients', 'create', '--name', name, '--role', 'clerk,reader']);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const client = JSON.parse(created.stdout) as Record<string, unknown> & { id: string; clientId: string; clientSecret: string };
    expect(client).toMatchObject({ name, roles: ['clerk', 'reader'], disabled: false, createdBy: MANAGER });
    expect(client.clientSecret.length).toBeGreaterThanOrEqual(32);
    const { clientSecret, ...stored } = client;

    const listed = await asManager(['--json', 'clients', 'list']);
    expect(listed.code).toBe(0);
    const items = JSON.parse(listed.stdout) as Record<string, unknown>[];
    expect(items.find((c) => c.id === client.id)).toEqual(stored);

    // The machine client itself can use the CLI with its credentials (a token from /oauth/token).
    const self = await cli(['--json', 'plan', 'show'], { EN_AKTE_URL: baseUrl, EN_AKTE_CLIENT_ID: client.clientId, EN_AKTE_CLIENT_SECRET: clientSecret });
    expect(self.code).toBe(0);
    expect(JSON.parse(self.stdout)).toHaveProperty('units');

    const rotated = await asManager(['--json', 'clients', 'rotate-secret', client.id]);
    expect(rotated.code).toBe(0);
    const fresh = JSON.parse(rotated.stdout) as { id: string; clientId: string; clientSecret: string };
    expect(fresh).toMatchObject({ id: client.id, clientId: client.clientId, disabled: false });
    expect(fresh.clientSecret).not.toBe(clientSecret);
    const old = await cli(['plan', 'show'], { EN_AKTE_URL: baseUrl, EN_AKTE_CLIENT_ID: client.clientId, EN_AKTE_CLIENT_SECRET: clientSecret });
    expect(old.code).toBe(3);
    expect(old.stderr).toMatch(/^invalid-client: .+\n$/);

    const disabled = await asManager(['--json', 'clients', 'disable', client.clientId]);
    expect(disabled.code).toBe(0);
    expect(JSON.parse(disabled.stdout)).toMatchObject({ id: client.id, disabled: true });
    const refused = await cli(['plan', 'show'], { EN_AKTE_URL: baseUrl, EN_AKTE_CLIENT_ID: client.clientId, EN_AKTE_CLIENT_SECRET: fresh.clientSecret });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/^invalid-client: .+\n$/);
  });
});

describe('audit', () => {
  it('audit verify --json reports the chain intact', async () => {
    const res = await asAuditor(['--json', 'audit', 'verify']);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout) as { ok: boolean; events: number; firstBroken: unknown; anchors: { firstMismatch: unknown } };
    expect(out).toMatchObject({ ok: true, firstBroken: null, anchors: { firstMismatch: null } });
    expect(out.events).toBeGreaterThanOrEqual(3);
  });

  it('audit export writes the events as JSON Lines, the same bytes as the API exports', async () => {
    const out = path.join(dir, 'audit.jsonl');
    const res = await asAuditor(['--json', '--tenant', TENANT, 'audit', 'export', '--actor', MANAGER, '--from', '2020-01-01', '--out', out]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const content = readFileSync(out);
    const lines = content.toString('utf8').split('\n').filter(Boolean);
    expect(JSON.parse(res.stdout)).toEqual({ file: out, events: lines.length, bytes: statSync(out).size });
    const events = lines.map((l) => JSON.parse(l) as { actorSub: string; action: string; seq: number });
    // The plan imports (CSV and JSON; the refused repeats left nothing) and the client's creation, new secret and disabling.
    expect(events.map((e) => e.action).filter((a) => a === 'plan.imported')).toEqual(['plan.imported', 'plan.imported']);
    expect(events.map((e) => e.action)).toEqual(expect.arrayContaining(['plan.imported', 'client.created', 'client.secret-rotated', 'client.disabled']));
    expect(new Set(events.map((e) => e.actorSub))).toEqual(new Set([MANAGER]));
    expect(events.map((e) => e.seq)).toEqual([...events.map((e) => e.seq)].sort((a, b) => a - b));
    const direct = await t.app.inject({
      method: 'GET',
      url: `/v1/tenants/${TENANT}/audit/export?actor=${encodeURIComponent(MANAGER)}&from=2020-01-01T00:00:00.000Z`,
      headers: { authorization: `Bearer ${auditorToken}` },
    });
    expect(direct.statusCode).toBe(200);
    expect(content.equals(direct.rawPayload)).toBe(true);
  });
});

describe('failures', () => {
  it('a wrong token exits 3 with the API\'s code and request id; --json prints the problem', async () => {
    const res = await cli(['--url', baseUrl, '--token', 'not-a-token', '--tenant', TENANT, 'plan', 'show']);
    expect(res.code).toBe(3);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/^invalid-token: .+ \(\S+\)\n$/);
    const json = await cli(['--url', baseUrl, '--token', 'not-a-token', '--tenant', TENANT, '--json', 'plan', 'show']);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 401, code: 'invalid-token' });
  });

  it('a role the caller lacks exits 3; an unknown export exits 4; no credentials exit 3', async () => {
    const forbidden = await asAuditor(['clients', 'list']);
    expect(forbidden.code).toBe(3);
    expect(forbidden.stderr).toMatch(/^forbidden: /);
    const missing = await asManager(['xdomea', 'download', randomUUID(), '--out', path.join(dir, 'none.zip')]);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/^not-found: /);
    const none = await cli(['--url', baseUrl, '--tenant', TENANT, 'plan', 'show']);
    expect(none.code).toBe(3);
    expect(none.stderr).toMatch(/^unauthenticated: no credentials/);
  });

  it('a service that is not there exits 7', async () => {
    // A port nothing listens on any more.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const [res, text] = await Promise.all([
      cli(['--url', `http://127.0.0.1:${port}`, '--token', 'x', '--tenant', TENANT, '--json', 'plan', 'show']),
      cli(['--url', `http://127.0.0.1:${port}`, '--token', 'x', '--tenant', TENANT, 'plan', 'show']),
    ]);
    expect(res.code).toBe(7);
    expect(JSON.parse(res.stdout)).toEqual({ code: 'network-error', title: 'The service is not reachable', detail: `connect ECONNREFUSED 127.0.0.1:${port}` });
    expect(text.code).toBe(7);
    expect(text.stderr).toBe(`network-error: connect ECONNREFUSED 127.0.0.1:${port}\n`);
  });
});

describe('xdomea', () => {
  it('exports a file as a 0401 Abgabe (a job, waited for) and imports the container as a new file', async () => {
    await t.startWorker();
    const tenant = TENANT;
    const unit = await unwrap(api.api.POST('/v1/tenants/{tenant}/file-plan/units', { params: { path: { tenant } }, body: { code: `${P}.30`, title: 'Abgaben', retentionYears: 10, disposal: 'B' } }));
    const rec = await unwrap(api.api.POST('/v1/tenants/{tenant}/files', { params: { path: { tenant } }, body: { planUnitId: unit.id, title: 'Abgabe an den Kreis' } }));
    const kase = await unwrap(api.api.POST('/v1/tenants/{tenant}/files/{fileId}/cases', { params: { path: { tenant, fileId: rec.id } }, body: { title: 'Antrag' } }));
    const doc = await unwrap(api.api.POST('/v1/tenants/{tenant}/cases/{caseId}/documents', { params: { path: { tenant, caseId: kase.id } }, body: { title: 'Schreiben', kind: 'letter' } }));
    await api.uploadVersion({ tenant, documentId: doc.id, content: Buffer.from('%PDF-1.7 Antrag'), contentType: 'application/pdf', filename: 'antrag.pdf' });

    const zip = path.join(dir, 'abgabe.zip');
    const exported = await asManager(['--json', 'xdomea', 'export', '--message', '0401', '--file', rec.id, '--out', zip, '--interval', '100']);
    expect(exported.stderr).toBe('');
    expect(exported.code).toBe(0);
    const out = JSON.parse(exported.stdout) as { export: { state: string; sha256: string; size: number; fileIds: string[] }; file: string; bytes: number };
    const bytes = readFileSync(zip);
    expect(out).toMatchObject({ file: zip, bytes: bytes.length, export: { state: 'done', size: bytes.length, fileIds: [rec.id] } });
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(out.export.sha256);

    const imported = await asManager(['--json', 'xdomea', 'import', zip, '--plan-code', `${P}.10.05`]);
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    const result = JSON.parse(imported.stdout) as { fileId: string; reference: string };
    expect(result).toMatchObject({ cases: 1, documents: 1, versions: 1, version: '3.0.0' });
    const copy = await unwrap(api.api.GET('/v1/tenants/{tenant}/files/{fileId}', { params: { path: { tenant, fileId: result.fileId } } }));
    expect(copy).toMatchObject({ id: result.fileId, reference: result.reference, title: 'Abgabe an den Kreis', planCode: `${P}.10.05` });
  });
});

describe('in-process maintenance', () => {
  it('reindex, sweep and keys rotate run against the database of the environment (no token); --json their results', async () => {
    const usage = await cli(['reindex']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toBe('usage: give --tenant <slug> (EN_AKTE_TENANT) or --all\n');
    const env = testEnv(db.env);
    // The app's worker indexes what the tests above created; reindex counts only what it newly marks,
    // so wait until nothing of the tenant is pending (then it marks every object).
    const watcher = new pg.Client({ connectionString: db.ownerUrl });
    await watcher.connect();
    try {
      const pending = async () =>
        Number((await watcher.query<{ n: string }>('SELECT count(*) AS n FROM search_pending WHERE tenant_id = (SELECT id FROM tenant WHERE slug = $1)', [TENANT])).rows[0]!.n);
      for (let i = 0; i < 300 && (await pending()) > 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await pending()).toBe(0);
    } finally {
      await watcher.end();
    }
    const [reindex, sweep, rotate] = await Promise.all([
      cli(['--json', '--tenant', TENANT, 'reindex'], env),
      cli(['--json', 'sweep'], env),
      cli(['--json', 'keys', 'rotate'], env),
    ]);
    for (const res of [reindex, sweep, rotate]) {
      expect(res.stderr).toBe('');
      expect(res.code).toBe(0);
    }
    const reindexed = JSON.parse(reindex.stdout) as { marked: number }[];
    expect(reindexed).toEqual([{ tenant: TENANT, marked: expect.any(Number), textsWanted: expect.any(Number), indexed: expect.any(Number), extractionsQueued: expect.any(Number), seconds: expect.any(Number) }]);
    // Every object of the tenant is marked: this run's two files, two cases and two documents.
    expect(reindexed[0]!.marked).toBe(6);
    const { instance, ...swept } = JSON.parse(sweep.stdout) as Record<string, unknown>;
    expect(typeof instance).toBe('string');
    expect(Object.keys(swept).sort()).toEqual(['deliveries', 'events', 'exportsExpired', 'exportsFailed', 'idempotencyKeys', 'orphans', 'resumable', 'uploads']);
    for (const v of Object.values(swept)) expect(Number.isInteger(v)).toBe(true);
    const rotated = JSON.parse(rotate.stdout) as { kid: string; retained: number };
    const owner = new pg.Client({ connectionString: db.ownerUrl });
    await owner.connect();
    try {
      const kids = (await owner.query<{ kid: string }>('SELECT kid FROM signing_key')).rows.map((r) => r.kid);
      expect(kids).toContain(rotated.kid);
      expect(kids).toHaveLength(rotated.retained);
    } finally {
      await owner.end();
    }
  });
});
