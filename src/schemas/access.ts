import { GRANT_SCOPE_ROLES, PERMISSIONS, type Operation } from '../core/permissions.js';

/**
 * Who may call an operation, declared on its route schema from the permission matrix
 * (src/core/permissions.ts) and carried into the OpenAPI document as extensions:
 * `x-permissions` (the permissions the service checks), `x-required-roles` (every role that may
 * call it at all) and, for operations outside the tenant roles, `x-access`. The description gets
 * a closing "Roles:" line, so the rendered document says the same as the extensions.
 * @fastify/swagger copies route-schema keys that start with `x-` onto the operation; Fastify
 * compiles only body, querystring, params, headers and response, so ajv never sees them.
 */
declare module 'fastify' {
  interface FastifySchema {
    /** The permissions the operation checks (src/core/permissions.ts). */
    'x-permissions'?: readonly Operation[];
    /** Every role that may call the operation at all (each within the rules the description names). */
    'x-required-roles'?: readonly string[];
    /** Operations outside the tenant roles: `public` (no EN-Akte token) or `directory` (any valid token). */
    'x-access'?: 'public' | 'directory';
  }
}

/**
 * The permission rule of an operation: one permission; any of several (`anyOf`: who holds one may
 * call it, e.g. lifting a hold); all of several (`allOf`: e.g. an import is a write too); `also`
 * names permissions checked only in some cases (the description says which), which narrow the
 * callers in those cases but never widen them.
 */
export type AccessRule = Operation | { anyOf: readonly Operation[]; also?: readonly Operation[] } | { allOf: readonly Operation[]; also?: readonly Operation[] };

const unique = (roles: readonly string[]) => [...new Set(roles)];
const code = (ops: readonly string[], joiner: string) => ops.map((o) => `\`${o}\``).join(joiner);

/** The roles a rule lets call the operation at all, in the order of the matrix. */
export function rolesOf(rule: AccessRule): string[] {
  if (typeof rule === 'string') return [...PERMISSIONS[rule]];
  if ('anyOf' in rule) return unique(rule.anyOf.flatMap((op) => PERMISSIONS[op]));
  const [first, ...rest] = rule.allOf;
  return PERMISSIONS[first!].filter((role) => rest.every((op) => (PERMISSIONS[op] as readonly string[]).includes(role)));
}

function permissionsOf(rule: AccessRule): Operation[] {
  if (typeof rule === 'string') return [rule];
  return unique([...('anyOf' in rule ? rule.anyOf : rule.allOf), ...(rule.also ?? [])]) as Operation[];
}

function rolesLine(rule: AccessRule, roles: string[]): string {
  let which: string;
  if (typeof rule === 'string') which = `permission ${code([rule], '')}`;
  else if ('anyOf' in rule) which = `permission ${code(rule.anyOf, ' or ')}`;
  else which = `${rule.allOf.length > 1 ? 'permissions' : 'permission'} ${code(rule.allOf, ' and ')}`;
  if (typeof rule !== 'string' && rule.also?.length) which += `; in the cases named above also ${code(rule.also, ' and ')}`;
  return `**Roles:** ${roles.map((r) => `\`${r}\``).join(', ')} (${which}). Other roles of the tenant get 403 forbidden.`;
}

/**
 * The route-schema part that declares the operation's permission, with its description:
 * `...requires('records:read', 'Reads a file…')`.
 */
export function requires(rule: AccessRule, description: string) {
  const roles = rolesOf(rule);
  const permissions = permissionsOf(rule);
  // src/plugins/tenant-context.ts: in a town, competence-centre tokens carry the roles of a usable grant.
  const underGrant = permissions.includes('grants:request')
    ? ''
    : ` Competence-centre staff act here only under an approved support grant, with its role (${code(GRANT_SCOPE_ROLES.read, ', ')} ` +
      `for a read grant, ${code(GRANT_SCOPE_ROLES.read_write, ', ')} for read-write); without a usable grant the tenant answers 404.`;
  return {
    description: `${description}\n\n${rolesLine(rule, roles)}${underGrant}`,
    'x-permissions': permissions,
    'x-required-roles': roles,
  } as const;
}

/** An operation without an EN-Akte token (health, keys, the token endpoint, the citizen's status). */
export function publicAccess(description: string, how = 'no EN-Akte token is needed') {
  return { description: `${description}\n\n**Access:** public: ${how}.`, 'x-access': 'public' } as const;
}

/** An operation of the tenant directory: any valid token; what it sees depends on the token's tenant. */
export function directoryAccess(description: string) {
  return {
    description: `${description}\n\n**Access:** any valid token, whatever its roles; a town's token sees its own tenant, a competence-centre token every tenant.`,
    'x-access': 'directory',
  } as const;
}
