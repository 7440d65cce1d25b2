// Mints a development token signed with the service's own current key, the one the instances share
// in PostgreSQL (table signing_key; DATABASE_URL, or the embedded server under DATA_DIR):
//   npm run token -- --tenant witten --roles clerk[,reader] [--sub alice] [--ttl 3600] [--clearance 002]
import { parseArgs } from 'node:util';
import pino from 'pino';
import { loadSharedSigningKeys } from '../src/auth/keys.js';
import { databaseForScript } from '../src/bootstrap.js';
import { loadConfig } from '../src/config.js';
import { CONFIDENTIALITY_LEVELS, isConfidentiality } from '../src/core/confidentiality.js';

const { values } = parseArgs({
  options: {
    tenant: { type: 'string' },
    roles: { type: 'string', default: '' },
    sub: { type: 'string', default: 'dev-user' },
    ttl: { type: 'string', default: '3600' },
    clearance: { type: 'string' },
  },
});
if (values.clearance !== undefined && !isConfidentiality(values.clearance)) {
  console.error(`--clearance must be one of ${CONFIDENTIALITY_LEVELS.join(', ')} (003 offen … 004 streng geheim)`);
  process.exit(2);
}
if (!values.tenant) {
  console.error('usage: npm run token -- --tenant <slug> --roles <role[,role]> [--sub <subject>] [--ttl <seconds>] [--clearance <level>]');
  process.exit(2);
}
const config = loadConfig();
const ttl = Number(values.ttl);
if (!Number.isInteger(ttl) || ttl < 60 || ttl > 7 * 86400) {
  console.error('--ttl must be an integer number of seconds between 60 and 604800');
  process.exit(2);
}
const database = await databaseForScript(config, pino({ level: 'warn' }, pino.destination(2)));
try {
  const keys = await loadSharedSigningKeys({ databaseUrl: database.url, dataKey: database.dataKey, importFile: config.auth.keyFile });
  const roles = values.roles.split(',').map((r) => r.trim()).filter(Boolean);
  const token = await keys.sign(
    { sub: values.sub, tenant: values.tenant, roles, ...(values.clearance ? { clearance: values.clearance } : {}) },
    { issuer: config.auth.issuer, audience: config.auth.audience, ttlSeconds: ttl },
  );
  await keys.close();
  process.stdout.write(`${token}\n`);
} finally {
  await database.close();
}
