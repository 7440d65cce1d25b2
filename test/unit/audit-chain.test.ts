import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chainTemplate, eventHash, GENESIS_HASH, type ChainedFields } from '../../src/modules/audit/chain.js';

/** What audit_append (migration 20261202100000) computes from the template, in the database. */
const hashFromTemplate = (fields: ChainedFields) => {
  const { seq, prevHash, ...rest } = fields;
  const t = chainTemplate(rest);
  return createHash('sha256').update(`${prevHash}\n${t.beforePrev}${JSON.stringify(prevHash)}${t.beforeSeq}${seq}${t.afterSeq}`).digest('hex');
};

describe('the chain template the database completes', () => {
  const base: ChainedFields = {
    tenantId: '01900000-0000-7000-8000-000000000001',
    seq: 41,
    id: '01900000-0000-7000-8000-0000000000aa',
    at: '2026-12-02T04:20:00.123Z',
    actorTenant: 'witten',
    actorSub: 'sachbearbeiterin@witten',
    clientId: null,
    grantId: null,
    action: 'file.updated',
    objectType: 'file',
    objectId: '01900000-0000-7000-8000-0000000000bb',
    oldValues: { title: 'Bauantrag' },
    newValues: { title: 'Bauantrag Müller "Ruhrstraße"', nested: { seq: 1, prevHash: 'x', list: [1, null, 'ä'] } },
    requestId: 'req-1',
    prevHash: 'ab'.repeat(32),
  };

  it('gives exactly the hash eventHash gives, whatever the values', () => {
    expect(hashFromTemplate(base)).toBe(eventHash(base));
    const first = { ...base, seq: 1, prevHash: GENESIS_HASH, oldValues: null, newValues: null, requestId: null, objectId: null, clientId: 'portal', grantId: base.id };
    expect(hashFromTemplate(first)).toBe(eventHash(first));
    expect(hashFromTemplate({ ...base, seq: 123456789 })).toBe(eventHash({ ...base, seq: 123456789 }));
  });

  it('depends on seq and prevHash like eventHash (a different place in the chain is a different hash)', () => {
    expect(hashFromTemplate({ ...base, seq: 42 })).not.toBe(eventHash(base));
    expect(hashFromTemplate({ ...base, prevHash: GENESIS_HASH })).not.toBe(eventHash(base));
  });
});
