// Mints a development token signed with the service's own current key, the one the instances share
// in PostgreSQL (table signing_key; DATABASE_URL, or the embedded server under DATA_DIR):
//   npm run token -- --tenant witten --roles clerk[,reader] [--sub alice] [--ttl 3600] [--clearance 002] [--create-key]
// It makes no key (and no database, no data key) of its own: where it finds none, it is not looking at
// the server's database, and a token of a key made there would be refused. Exit 1 says where it looked.
// --create-key makes one anyway (an embedded PostgreSQL under a fresh DATA_DIR, a key in an empty table).
import { parseArgs } from 'node:util';
import pino from 'pino';
import { NoDataKeyError } from '../src/auth/data-key.js';
import { loadSharedSigningKeys, NoSigningKeyError, type SigningKeys } from '../src/auth/keys.js';
import { databaseForScript, describeDatabase, NoEmbeddedDatabaseError } from '../src/bootstrap.js';
import { loadConfig } from '../src/config.js';
import { CONFIDENTIALITY_LEVELS, isConfidentiality } from '../src/core/confidentiality.js';

const { values } = parseArgs({
  options: {
    tenant: { type: 'string' },
    roles: { type: 'string', default: '' },
    sub: { type: 'string', default: 'dev-user' },
    ttl: { type: 'string', default: '3600' },
    clearance: { type: 'string' },
    'create-key': { type: 'boolean', default: false },
  },
});
if (values.clearance !== undefined && !isConfidentiality(values.clearance)) {
  console.error(`--clearance must be one of ${CONFIDENTIALITY_LEVELS.join(', ')} (003 offen … 004 streng geheim)`);
  process.exit(2);
}
if (!values.tenant) {
  console.error('usage: npm run token -- --tenant <slug> --roles <role[,role]> [--sub <subject>] [--ttl <seconds>] [--clearance <level>] [--create-key]');
  process.exit(2);
}
const config = loadConfig();
const ttl = Number(values.ttl);
if (!Number.isInteger(ttl) || ttl < 60 || ttl > 7 * 86400) {
  console.error('--ttl must be an integer number of seconds between 60 and 604800');
  process.exit(2);
}
const create = values['create-key'];
const POINT = "Point DATABASE_URL at the server's database (or DATA_DIR at the server's data directory, for its embedded PostgreSQL)";

/** Why no token can be minted here, and how to point the script at the server's keys; exit 1. */
function refuse(err: unknown, databaseUrl?: string): never {
  const where = databaseUrl ? `the database ${describeDatabase(databaseUrl)}` : 'the database';
  if (err instanceof NoEmbeddedDatabaseError) {
    console.error(
      `npm run token: DATABASE_URL is not set and DATA_DIR=${err.dataDir} holds no embedded PostgreSQL (no ${err.secretFile}), ` +
        `so there is no signing key to mint with. ${POINT}, or pass --create-key to start one there with a new key (only a server ` +
        'using that DATA_DIR will accept its tokens).',
    );
  } else if (err instanceof NoSigningKeyError) {
    const what = err.reason === 'empty' ? 'holds no signing key (table signing_key is empty)' : 'has no table signing_key (no EN-Akte schema)';
    console.error(
      `npm run token: ${where} ${what}, so it is not the database a server signs with: a key made here would be one no server knows. ` +
        `${POINT}${err.reason === 'empty' ? ', or pass --create-key to create a key there anyway' : ''}.`,
    );
  } else if (err instanceof NoDataKeyError) {
    console.error(
      `npm run token: there is no data key at ${err.file}, so the signing keys in ${where} cannot be opened. ` +
        "Point SECRETS_KEY_FILE (or DATA_DIR) at the server's data key, or pass --create-key to create one.",
    );
  } else {
    console.error(`npm run token: ${(err as Error).message}`);
  }
  process.exit(1);
}

const database = await databaseForScript(config, pino({ level: 'warn' }, pino.destination(2)), { create }).catch((err: unknown) =>
  refuse(err, config.database.url),
);
let keys: SigningKeys;
try {
  keys = await loadSharedSigningKeys({ databaseUrl: database.url, dataKey: database.dataKey, importFile: config.auth.keyFile, create });
} catch (err) {
  await database.close();
  refuse(err, database.url);
}
try {
  const roles = values.roles.split(',').map((r) => r.trim()).filter(Boolean);
  const token = await keys.sign(
    { sub: values.sub, tenant: values.tenant, roles, ...(values.clearance ? { clearance: values.clearance } : {}) },
    { issuer: config.auth.issuer, audience: config.auth.audience, ttlSeconds: ttl },
  );
  process.stdout.write(`${token}\n`);
} finally {
  await keys.close();
  await database.close();
}
