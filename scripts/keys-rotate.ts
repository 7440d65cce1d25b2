// `npm run keys:rotate`: a new signing key in AUTH_KEY_FILE. Restart the instances (rolling) to sign
// with it; tokens signed with the previous keys keep verifying until they expire.
import { loadOrCreateSigningKeys, rotateSigningKeys } from '../src/auth/keys.js';
import { loadConfig } from '../src/config.js';

const config = loadConfig();
await loadOrCreateSigningKeys(config.auth.keyFile);
const { kid, retained } = await rotateSigningKeys(config.auth.keyFile);
console.log(`new signing key ${kid}; ${retained} key(s) in ${config.auth.keyFile}`);
