import { describe, expect, it } from 'vitest';
import { basicCredentials, basicUser, bearerJwt, credentialsFor } from '../../src/lib/authorization.js';

const JWT = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln';
const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;

describe('Authorization header parsing (RFC 9110 §11)', () => {
  it('takes the scheme in any case, after one or more spaces', () => {
    for (const h of [`Bearer ${JWT}`, `bearer ${JWT}`, `BEARER ${JWT}`, `Bearer   ${JWT}`, ` Bearer ${JWT} `]) expect(bearerJwt(h), h).toBe(JWT);
    expect(credentialsFor('bAsIc YWxpY2U6c2VjcmV0', 'Basic')).toBe('YWxpY2U6c2VjcmV0');
  });

  it('refuses another scheme, no space, a tab, trailing junk and what is not a JWT', () => {
    for (const h of [undefined, '', `Basic ${JWT}`, `Bearer${JWT}`, `Bearer\t${JWT}`, `Bearer ${JWT} x`, 'Bearer abc', 'Bearer ']) expect(bearerJwt(h), String(h)).toBeNull();
  });

  it('decodes Basic credentials, percent-decoded (RFC 6749 §2.3.1)', () => {
    expect(basicCredentials(basic('alice:secret'))).toEqual({ user: 'alice', password: 'secret' });
    expect(basicCredentials(basic('hattingen%3Aportal:p%40ss:word'))).toEqual({ user: 'hattingen:portal', password: 'p@ss:word' });
    expect(basicUser(basic('alice:secret'))).toBe('alice');
  });

  it('refuses Basic credentials that are not strict base64, have no user-id or bad percent-encoding', () => {
    // Node's base64 decoder would skip '.', '~' and '-': these all decoded to alice:secret before.
    for (const token of ['YWxp.Y2U6c2VjcmV0', 'YWxpY2U6c2VjcmV0~', 'YWxpY2U6c2VjcmV0.', 'YWxpY2U6c2VjcmV', 'YWxpY2U6c2VjcmV0===']) {
      expect(basicCredentials(`Basic ${token}`), token).toBeNull();
      expect(basicUser(`Basic ${token}`), token).toBeNull();
    }
    expect(basicCredentials(basic(':secret'))).toBeNull();
    expect(basicCredentials(basic('nocolon'))).toBeNull();
    expect(basicCredentials(basic('al%ZZice:secret'))).toBeNull();
  });
});
