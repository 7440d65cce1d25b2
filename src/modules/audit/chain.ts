import { createHash } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

/** The fields of an event that its hash covers (everything but the hash itself). */
export interface ChainedFields {
  tenantId: string;
  seq: number;
  id: string;
  at: string;
  actorTenant: string;
  actorSub: string;
  clientId: string | null;
  grantId: string | null;
  action: string;
  objectType: string;
  objectId: string | null;
  oldValues: unknown;
  newValues: unknown;
  requestId: string | null;
  prevHash: string;
}

/** JSON with sorted keys: the same value always serialises to the same bytes (also after jsonb). */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** hash = SHA-256(prevHash ‖ canonical JSON of the event): changing, removing or reordering any event breaks the chain. */
export function eventHash(e: ChainedFields): string {
  return createHash('sha256').update(`${e.prevHash}\n${canonicalJson(e)}`).digest('hex');
}

export interface StoredEvent extends ChainedFields {
  hash: string;
}

export interface VerifyResult {
  ok: boolean;
  events: number;
  headHash: string;
  firstBroken: { seq: number; reason: string } | null;
}

/** Walks a tenant's events in seq order and reports the first broken link. */
export function verifyChain(events: Iterable<StoredEvent>): VerifyResult {
  let prev = GENESIS_HASH;
  let expectedSeq = 1;
  let count = 0;
  for (const e of events) {
    count++;
    if (e.seq !== expectedSeq) return { ok: false, events: count, headHash: prev, firstBroken: { seq: e.seq, reason: `sequence gap: expected ${expectedSeq}` } };
    if (e.prevHash !== prev) return { ok: false, events: count, headHash: prev, firstBroken: { seq: e.seq, reason: 'previous hash does not match the event before' } };
    const { hash, ...fields } = e;
    if (eventHash(fields) !== hash) return { ok: false, events: count, headHash: prev, firstBroken: { seq: e.seq, reason: 'content does not match its hash' } };
    prev = hash;
    expectedSeq++;
  }
  return { ok: true, events: count, headHash: prev, firstBroken: null };
}
