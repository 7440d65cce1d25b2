import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDb } from '../../src/db/client.js';
import { migrate, readMigrations } from '../../src/db/migrate.js';
import { SEED_TENANTS, seedTenants } from '../../src/db/seed.js';

const PRISMA_TO_PG: Record<string, string[]> = {
  String: ['text', 'character varying', 'character', 'uuid'],
  Boolean: ['boolean'],
  Int: ['integer'],
  BigInt: ['bigint'],
  DateTime: ['timestamp with time zone', 'date'],
  Json: ['jsonb'],
  Bytes: ['bytea'],
};

interface ModelField { model: string; table: string; field: string; column: string; type: string; optional: boolean; native?: string }

/** Scalar and enum fields of schema.prisma with their table and column names (relations skipped). */
async function schemaFields(): Promise<{ fields: ModelField[]; enums: Map<string, string[]> }> {
  const text = await readFile(new URL('../../prisma/schema.prisma', import.meta.url), 'utf8');
  const enums = new Map<string, string[]>();
  // Blocks end at a line that is a lone `}` (defaults such as "{plan}-{seq:4}" contain braces).
  for (const m of text.matchAll(/^enum (\w+) \{\n([\s\S]*?)\n\}/gm)) {
    enums.set(m[1]!, m[2]!.split('\n').map((l) => l.replace(/\/\/.*$/, '').trim()).filter((l) => /^\w+$/.test(l)));
  }
  const models = [...text.matchAll(/^model (\w+) \{\n([\s\S]*?)\n\}/gm)].map((m) => ({ name: m[1]!, body: m[2]! }));
  const modelNames = new Set(models.map((m) => m.name));
  const fields: ModelField[] = [];
  for (const { name, body } of models) {
    const table = /@@map\("([^"]+)"\)/.exec(body)?.[1] ?? name;
    for (const line of body.split('\n').map((l) => l.trim())) {
      const m = /^(\w+)\s+(\w+)(\[\])?(\?)?(.*)$/.exec(line);
      if (!m || line.startsWith('//') || line.startsWith('@@') || line.startsWith('///')) continue;
      const [, field, type, list, optional, rest] = m;
      if (modelNames.has(type!) || list) continue; // relation fields have no column
      const column = /@map\("([^"]+)"\)/.exec(rest!)?.[1] ?? field!;
      // Unsupported("tsvector"): a column type Prisma does not model; the name is the database's.
      const native = type === 'Unsupported' ? /^\("(\w+)"\)/.exec(rest!)?.[1] : undefined;
      fields.push({ model: name, table, field: field!, column, type: type!, optional: Boolean(optional), native });
    }
  }
  return { fields, enums };
}

let client: pg.Client;
beforeAll(async () => {
  client = new pg.Client({ connectionString: inject('ownerUrl') });
  await client.connect();
});
afterAll(() => client.end());

describe('schema.prisma and the migrated database agree', () => {
  it('every model field has its column, with a matching type and nullability', async () => {
    const { fields, enums } = await schemaFields();
    expect(fields.length).toBeGreaterThan(0);
    const { rows } = await client.query<{ table_name: string; column_name: string; data_type: string; udt_name: string; is_nullable: string }>(
      `SELECT table_name, column_name, data_type, udt_name, is_nullable FROM information_schema.columns WHERE table_schema = 'public'`,
    );
    const columns = new Map(rows.map((r) => [`${r.table_name}.${r.column_name}`, r]));
    for (const f of fields) {
      const col = columns.get(`${f.table}.${f.column}`);
      expect(col, `${f.model}.${f.field} → ${f.table}.${f.column}`).toBeDefined();
      if (enums.has(f.type)) expect(col!.udt_name, `${f.model}.${f.field}`).toBe(f.type);
      else if (f.type === 'Unsupported') expect(col!.udt_name, `${f.model}.${f.field}`).toBe(f.native);
      else expect(PRISMA_TO_PG[f.type], `${f.model}.${f.field} type ${f.type}`).toContain(col!.data_type);
      expect(col!.is_nullable, `${f.model}.${f.field} nullability`).toBe(f.optional ? 'YES' : 'NO');
    }
  });

  it('every enum has exactly the values of the schema', async () => {
    const { enums } = await schemaFields();
    for (const [name, values] of enums) {
      const { rows } = await client.query<{ v: string }>(
        `SELECT e.enumlabel AS v FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid WHERE t.typname = $1 ORDER BY e.enumsortorder`,
        [name],
      );
      expect(rows.map((r) => r.v), name).toEqual(values);
    }
  });
});

describe('migration runner', () => {
  it('records every migration in _prisma_migrations as prisma migrate does', async () => {
    const migrations = await readMigrations();
    const { rows } = await client.query(
      `SELECT migration_name, checksum, finished_at, rolled_back_at, applied_steps_count, logs FROM "_prisma_migrations" ORDER BY migration_name`,
    );
    expect(rows.map((r) => r.migration_name)).toEqual(migrations.map((m) => m.name));
    for (const [i, row] of rows.entries()) {
      expect(row.checksum).toBe(migrations[i]!.checksum);
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.rolled_back_at).toBeNull();
      expect(row.applied_steps_count).toBe(1);
      expect(row.logs).toBeNull();
    }
  });

  it('is idempotent and safe to run from several instances at once', async () => {
    const results = await Promise.all([migrate(inject('ownerUrl')), migrate(inject('ownerUrl'))]);
    for (const r of results) expect(r.applied).toEqual([]);
  });

  it('refuses a migration that was edited after it was applied', async () => {
    const { mkdtemp, mkdir, writeFile, cp } = await import('node:fs/promises');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'en-akte-mig-'));
    const { MIGRATIONS_DIR } = await import('../../src/db/migrate.js');
    await cp(MIGRATIONS_DIR, dir, { recursive: true });
    const first = (await readMigrations())[0]!.name;
    await mkdir(path.join(dir, first), { recursive: true });
    await writeFile(path.join(dir, first, 'migration.sql'), '-- edited\nSELECT 1;');
    await expect(migrate(inject('ownerUrl'), dir)).rejects.toThrow(`Migration ${first} was changed after it was applied`);
  });

  it('rolls back a failing migration completely and records nothing', async () => {
    const { mkdtemp, mkdir, writeFile, cp } = await import('node:fs/promises');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'en-akte-mig-'));
    const { MIGRATIONS_DIR } = await import('../../src/db/migrate.js');
    await cp(MIGRATIONS_DIR, dir, { recursive: true });
    await mkdir(path.join(dir, '99990101000000_broken'));
    await writeFile(path.join(dir, '99990101000000_broken', 'migration.sql'), 'CREATE TABLE half_done (id int);\nSELECT no_such_function();');
    await expect(migrate(inject('ownerUrl'), dir)).rejects.toThrow('Migration 99990101000000_broken failed');
    const table = await client.query(`SELECT to_regclass('public.half_done') AS t`);
    expect(table.rows[0].t).toBeNull();
    const rec = await client.query(`SELECT 1 FROM "_prisma_migrations" WHERE migration_name = '99990101000000_broken'`);
    expect(rec.rowCount).toBe(0);
  });
});

describe('tenant seed', () => {
  it('holds the eleven tenants of the Ennepe-Ruhr-Kreis and is idempotent', async () => {
    const db = createDb(inject('ownerUrl'), 1);
    try {
      expect(await seedTenants(db)).toBe(0);
      const rows = await db.tenant.findMany({ orderBy: { slug: 'asc' } });
      expect(rows.map((r) => [r.slug, r.name, r.kind, r.active])).toEqual(
        [...SEED_TENANTS].sort((a, b) => a.slug.localeCompare(b.slug)).map((t) => [t.slug, t.name, t.kind, t.active]),
      );
    } finally {
      await db.$disconnect();
    }
  });
});
