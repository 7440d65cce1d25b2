// `npm run keys:rotate`: a new signing key in the table every instance shares (signing_key). Each
// instance signs with it from its next reload (at most 30 s; a token of the new key makes an instance
// reload at once), no restart; tokens of the previous keys verify until they expire. With the owner
// login (DATABASE_OWNER_URL, or the embedded default) keys beyond the newest three are deleted.
// The same as `en-akte keys rotate` (src/maintenance.ts).
import pino from 'pino';
import { loadConfig } from '../src/config.js';
import { rotateSigningKey } from '../src/maintenance.js';

const config = loadConfig();
const { kid, retained } = await rotateSigningKey(config, pino({ level: 'warn' }, pino.destination(2)));
console.warn(`new signing key ${kid}; ${retained} key(s) in table signing_key`);
