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

/** The canonical JSON of an event in three parts, around the values of `prevHash` and `seq`. */
export interface ChainTemplate {
  beforePrev: string;
  beforeSeq: string;
  afterSeq: string;
}

/**
 * The canonical JSON of an event whose place in the chain is not known yet: the database fills in
 * `prevHash` and `seq` under the tenant's lock (migration 20261202100000_audit_append), so that
 * `prevHash + "\n" + beforePrev + JSON(prevHash) + beforeSeq + seq + afterSeq` is exactly what
 * `eventHash` hashes.
 */
export function chainTemplate(fields: Omit<ChainedFields, 'seq' | 'prevHash'>): ChainTemplate {
  const values = fields as unknown as Record<string, unknown>;
  const keys = [...Object.keys(values).filter((k) => values[k] !== undefined), 'prevHash', 'seq'].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const parts: string[] = [];
  let current = '{';
  keys.forEach((k, i) => {
    current += `${i ? ',' : ''}${JSON.stringify(k)}:`;
    if (k === 'prevHash' || k === 'seq') {
      parts.push(current);
      current = '';
    } else current += canonicalJson(values[k]);
  });
  parts.push(`${current}}`);
  const [beforePrev, beforeSeq, afterSeq] = parts as [string, string, string];
  return { beforePrev, beforeSeq, afterSeq };
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

/**
 * Checks a tenant's events one by one, in seq order, keeping only the previous hash: a chain of
 * any length is verified in constant memory.
 */
export function createChainVerifier() {
  let prev = GENESIS_HASH;
  let expectedSeq = 1;
  let events = 0;
  let firstBroken: VerifyResult['firstBroken'] = null;
  return {
    /** Feeds the next event; false once a link is broken (later events are not checked). */
    push(e: StoredEvent): boolean {
      if (firstBroken) return false;
      events++;
      const { hash, ...fields } = e;
      if (e.seq !== expectedSeq) firstBroken = { seq: e.seq, reason: `sequence gap: expected ${expectedSeq}` };
      else if (e.prevHash !== prev) firstBroken = { seq: e.seq, reason: 'previous hash does not match the event before' };
      else if (eventHash(fields) !== hash) firstBroken = { seq: e.seq, reason: 'content does not match its hash' };
      if (firstBroken) return false;
      prev = hash;
      expectedSeq++;
      return true;
    },
    result(): VerifyResult {
      return { ok: firstBroken === null, events, headHash: prev, firstBroken };
    },
  };
}

