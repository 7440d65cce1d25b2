import { uuidv7 } from 'uuidv7';
import type { Db } from '../../db/client.js';
import { SEED_SERVICES } from './catalogue.js';
import { insertMissingServices } from './repo.js';

/**
 * Ships the catalogue of domain.md's online services: Hattingen's four, and the Kreis's
 * Schwerbehindertenausweis. Switched off: the tenant admin turns a service on once its plan unit
 * exists (PATCH …/online-services/{id} {active: true} checks it).
 */
export async function seedOnlineServices(owner: Db): Promise<number> {
  let added = 0;
  for (const [slug, defs] of Object.entries(SEED_SERVICES)) {
    added += await insertMissingServices(owner, slug, defs.map((d) => ({ ...d, formSchema: d.formSchema as object, active: false, createdBy: 'seed' })), uuidv7);
  }
  return added;
}
