// `npm run keys:rotate`: a new signing key in the table every instance shares (signing_key). Each
// instance signs with it from its next reload (at most 30 s; a token of the new key makes an instance
// reload at once), no restart; tokens of the previous keys verify until they expire. With the owner
// login (DATABASE_OWNER_URL, or the embedded default) keys beyond the newest three are deleted.
import pino from 'pino';
import { loadSharedSigningKeys, rotateSharedSigningKeys } from '../src/auth/keys.js';
import { databaseForScript } from '../src/bootstrap.js';
import { loadConfig } from '../src/config.js';

const config = loadConfig();
const database = await databaseForScript(config, pino({ level: 'warn' }, pino.destination(2)));
try {
  // The first use imports an old key file (AUTH_KEY_FILE) or makes a key, as an instance's start does.
  await (await loadSharedSigningKeys({ databaseUrl: database.url, dataKey: database.dataKey, importFile: config.auth.keyFile })).close();
  const { kid, retained } = await rotateSharedSigningKeys({ databaseUrl: database.url, ownerUrl: database.ownerUrl, dataKey: database.dataKey });
  console.warn(`new signing key ${kid}; ${retained} key(s) in table signing_key`);
} finally {
  await database.close();
}
