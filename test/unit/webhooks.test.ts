import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { createSealer } from '../../src/lib/sealed.js';
import { matches, newWebhookSecret, parseAllowList, signatureHeaders } from '../../src/modules/webhooks/index.js';
import { addressProblem } from '../../src/modules/webhooks/targets.js';

const policy = (allow = '') => ({ allowHttp: false, allowedPrivate: parseAllowList(allow) });
const octet = fc.integer({ min: 0, max: 255 });

describe('Standard Webhooks signatures', () => {
  it('verify with the reference library for any id and body, and fail for any other body', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.json(), fc.json(), (id, body, other) => {
        const secret = newWebhookSecret();
        const headers = signatureHeaders([secret], id, body);
        expect(headers['webhook-signature']).toBe(new Webhook(secret).sign(id, new Date(Number(headers['webhook-timestamp']) * 1000), body));
        expect(() => new Webhook(secret).verify(body, headers)).not.toThrow();
        if (other !== body) expect(() => new Webhook(secret).verify(other, headers)).toThrow();
      }),
      { numRuns: 200 },
    );
  });
});

describe('event type filters', () => {
  it.each([
    [['file.created'], 'file.created', true],
    [['file.created'], 'file.closed', false],
    [['file.*'], 'file.closed', true],
    [['file.*'], 'version.created', false],
    [['*'], 'grant.expired', true],
    [['*'], 'webhook.test', false],
    [['document.*'], 'document.checked-in', true],
  ])('%o takes %s: %s', (filter, type, expected) => {
    expect(matches(filter, type)).toBe(expected);
  });
});

describe('the SSRF guard', () => {
  const refused = [
    fc.tuple(octet, octet, octet).map(([b, c, d]) => `10.${b}.${c}.${d}`),
    fc.tuple(octet, octet, octet).map(([b, c, d]) => `127.${b}.${c}.${d}`),
    fc.tuple(fc.integer({ min: 16, max: 31 }), octet, octet).map(([b, c, d]) => `172.${b}.${c}.${d}`),
    fc.tuple(octet, octet).map(([c, d]) => `192.168.${c}.${d}`),
    fc.tuple(octet, octet).map(([c, d]) => `169.254.${c}.${d}`),
    fc.tuple(octet, octet).map(([c, d]) => `::ffff:10.0.${c}.${d}`),
    fc.constantFrom('0.0.0.0', '::', '::1', 'fe80::1', 'fd00:ec2::254', '224.0.0.1', '255.255.255.255', '100.64.0.1'),
  ];

  it('refuses every loopback, private, link-local, unique-local, CGNAT, multicast and reserved address', () => {
    fc.assert(
      fc.property(fc.oneof(...refused), (ip) => {
        expect(addressProblem(ip, policy())).not.toBeNull();
      }),
      { numRuns: 500 },
    );
  });

  it('allows public unicast addresses', () => {
    for (const ip of ['93.184.216.34', '141.30.1.1', '2a00:1450:4001:82b::200e', '8.8.8.8']) expect(addressProblem(ip, policy())).toBeNull();
  });

  it('allows exactly what the allow-list names', () => {
    const p = policy('127.0.0.1, 10.20.0.0/16');
    expect(addressProblem('127.0.0.1', p)).toBeNull();
    expect(addressProblem('127.0.0.2', p)).toBe('127.0.0.2 is in the loopback range');
    expect(addressProblem('10.20.99.1', p)).toBeNull();
    expect(addressProblem('10.21.0.1', p)).toBe('10.21.0.1 is in the private range');
  });
});

describe('sealed secrets', () => {
  it('open to what was sealed, and not with another key or when tampered with', () => {
    const key = Buffer.alloc(32, 7);
    const sealer = createSealer(key);
    const secret = newWebhookSecret();
    const sealed = sealer.seal(secret);
    expect(sealed).not.toContain(secret.slice(6, 20));
    expect(sealer.open(sealed)).toBe(secret);
    expect(sealer.seal(secret)).not.toBe(sealed);
    expect(() => createSealer(Buffer.alloc(32, 8)).open(sealed)).toThrow();
    const [v, iv, body] = sealed.split('.');
    const flipped = Buffer.from(body!, 'base64url');
    flipped[0]! ^= 1;
    expect(() => sealer.open(`${v}.${iv}.${flipped.toString('base64url')}`)).toThrow();
  });
});
