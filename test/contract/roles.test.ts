import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CC_ROLES, MACHINE_ROLES, MATRIX, ROLES } from '../support/authorization-matrix.js';

/**
 * The roles the committed document declares per operation (x-required-roles, from the routes'
 * `requires(…)` and src/core/permissions.ts) against the hand-written MATRIX that
 * test/api/authorization-matrix.test.ts proves by calling every operation with every role: code,
 * document and hand-written expectations must agree.
 */
interface Operation {
  operationId?: string;
  description?: string;
  'x-required-roles'?: string[];
  'x-permissions'?: string[];
  'x-access'?: string;
}
const spec = JSON.parse(readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8')) as {
  paths: Record<string, Record<string, Operation>>;
};
const OPERATIONS = Object.entries(spec.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op, id: op.operationId! })));
const sorted = (roles: readonly string[]) => [...roles].sort();

describe('x-required-roles of every operation in openapi/openapi.json', () => {
  it('covers exactly the operations MATRIX has', () => {
    expect(sorted(OPERATIONS.map((o) => o.id))).toEqual(sorted(Object.keys(MATRIX)));
  });

  it('declares the roles MATRIX expects: town roles, competence-centre roles for the grant routes, machine roles', () => {
    const declared: Record<string, unknown> = {};
    const expected: Record<string, unknown> = {};
    for (const { id, op } of OPERATIONS) {
      const e = MATRIX[id]!;
      if (e.kind) {
        declared[id] = { access: op['x-access'], roles: op['x-required-roles'] };
        expected[id] = { access: e.kind, roles: undefined };
        continue;
      }
      const roles = op['x-required-roles'] ?? [];
      declared[id] = {
        town: sorted(roles.filter((r) => (ROLES as readonly string[]).includes(r))),
        cc: sorted(roles.filter((r) => (CC_ROLES as readonly string[]).includes(r))),
        machine: sorted(roles.filter((r) => (MACHINE_ROLES as readonly string[]).includes(r))),
        other: roles.filter((r) => ![...ROLES, ...CC_ROLES, ...MACHINE_ROLES].includes(r as never)),
      };
      expected[id] = { town: sorted(e.roles ?? []), cc: e.cc ? sorted(CC_ROLES) : [], machine: sorted(e.machine ?? []), other: [] };
    }
    expect(declared).toEqual(expected);
  });

  it('gives every /v1/tenants/{tenant}/… operation its permissions and roles, and says so in its description', () => {
    const missing: string[] = [];
    for (const { path, id, op } of OPERATIONS) {
      if (!path.startsWith('/v1/tenants/{tenant}/')) continue;
      const roles = op['x-required-roles'] ?? [];
      const line = `**Roles:** ${roles.map((r) => `\`${r}\``).join(', ')} (`;
      if (!roles.length || !op['x-permissions']?.length || op['x-access'] || !op.description?.includes(line)) missing.push(id);
    }
    expect(missing).toEqual([]);
  });

  it('says "public" or "directory" in the description of every operation outside the tenant roles', () => {
    const wrong = OPERATIONS.filter(({ op }) => op['x-access'] && !op.description?.includes(`**Access:** ${op['x-access'] === 'public' ? 'public' : 'any valid token'}`));
    expect(wrong.map((o) => o.id)).toEqual([]);
  });
});
