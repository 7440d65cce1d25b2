// `en-akte clients list|create|rotate-secret|disable`: the tenant's machine clients (tenant admins).
import { Option, type Command } from 'commander';
import { unwrap, type ApiClient, type EnAkteClient } from '../../clients/typescript/src/index.js';
import { CliError, connect, EXIT, globalsOf, output } from './runtime.js';

const ROLES = ['tenant-admin', 'records-manager', 'clerk', 'reader', 'auditor', 'intake', 'payment-provider'] as const;
type Role = (typeof ROLES)[number];
const CLEARANCES = ['003', '002', '005', '001', '004'] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function line(c: ApiClient): string {
  return `${c.id}  ${c.clientId}  ${c.name}  [${c.roles.join(', ')}]${c.disabled ? '  disabled' : ''}`;
}

/** The client's id: given as such, or found by its OAuth client_id. */
async function resolve(client: EnAkteClient, tenant: string, idOrClientId: string): Promise<string> {
  if (UUID.test(idOrClientId)) return idOrClientId;
  for await (const c of client.paginate('/v1/tenants/{tenant}/clients', { params: { path: { tenant }, query: { limit: 200 } } })) {
    if (c.clientId === idOrClientId) return c.id;
  }
  throw new CliError('not-found', `${tenant} has no client ${idOrClientId}`, EXIT.notFound);
}

function rolesOf(values: string[]): Role[] {
  const roles = [...new Set(values.flatMap((v) => v.split(',')).map((r) => r.trim()).filter(Boolean))];
  const wrong = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (wrong.length) throw new CliError('usage', `unknown role(s) ${wrong.join(', ')} (roles: ${ROLES.join(', ')})`, EXIT.usage);
  if (roles.length === 0) throw new CliError('usage', 'give at least one --role', EXIT.usage);
  return roles as Role[];
}

export function clientCommands(program: Command): void {
  const clients = program.command('clients').description('machine clients (OAuth client credentials; tenant-admin)');

  clients
    .command('list')
    .description('all machine clients of the tenant')
    .action(async (_opts: unknown, command: Command) => {
      const g = globalsOf(command);
      const { client, tenant } = await connect(g);
      const items: ApiClient[] = [];
      for await (const c of client.paginate('/v1/tenants/{tenant}/clients', { params: { path: { tenant }, query: { limit: 200 } } })) items.push(c);
      output(g, items, items.length ? items.map(line).join('\n') : `${tenant} has no machine clients`);
    });

  clients
    .command('create')
    .description('register a machine client; prints its secret (shown only once)')
    .requiredOption('--name <name>', 'what it is, e.g. "Posteingang"')
    .requiredOption('--role <role...>', `its role(s), repeated or comma-separated: ${ROLES.join(', ')}`)
    .addOption(new Option('--max-confidentiality <level>', 'its clearance (default 003 offen)').choices(CLEARANCES))
    .action(async (opts: { name: string; role: string[]; maxConfidentiality?: (typeof CLEARANCES)[number] }, command: Command) => {
      const g = globalsOf(command);
      const roles = rolesOf(opts.role);
      const { client, tenant } = await connect(g);
      const created = await unwrap(
        client.api.POST('/v1/tenants/{tenant}/clients', {
          params: { path: { tenant } },
          body: { name: opts.name, roles, ...(opts.maxConfidentiality ? { maxConfidentiality: opts.maxConfidentiality } : {}) },
        }),
      );
      output(g, created, `${line(created)}\nclient_id:     ${created.clientId}\nclient_secret: ${created.clientSecret}\n(store the secret now: it is shown only once)`);
    });

  clients
    .command('rotate-secret')
    .description('issue a new secret; the old one stops working at once')
    .argument('<client>', 'the client: its id or its client_id')
    .action(async (idOrClientId: string, _opts: unknown, command: Command) => {
      const g = globalsOf(command);
      const { client, tenant } = await connect(g);
      const path = { tenant, clientId: await resolve(client, tenant, idOrClientId) };
      const rotated = await client.withEtag(
        () => client.api.GET('/v1/tenants/{tenant}/clients/{clientId}', { params: { path } }),
        (etag) => unwrap(client.api.POST('/v1/tenants/{tenant}/clients/{clientId}/rotate-secret', { params: { path, header: { 'if-match': etag } } })),
        { attempts: 3 },
      );
      output(g, rotated, `${line(rotated)}\nclient_secret: ${rotated.clientSecret}\n(store the secret now: it is shown only once)`);
    });

  clients
    .command('disable')
    .description('disable a client: no new tokens (issued ones expire on their own)')
    .argument('<client>', 'the client: its id or its client_id')
    .action(async (idOrClientId: string, _opts: unknown, command: Command) => {
      const g = globalsOf(command);
      const { client, tenant } = await connect(g);
      const path = { tenant, clientId: await resolve(client, tenant, idOrClientId) };
      const disabled = await client.withEtag(
        () => client.api.GET('/v1/tenants/{tenant}/clients/{clientId}', { params: { path } }),
        (etag) => unwrap(client.api.POST('/v1/tenants/{tenant}/clients/{clientId}/disable', { params: { path, header: { 'if-match': etag } } })),
        { attempts: 3 },
      );
      output(g, disabled, line(disabled));
    });
}
