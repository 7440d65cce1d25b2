import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogue, type ProblemCode } from '../../src/errors.js';
import { negotiate } from '../../src/modules/problems/routes.js';
import { buildTestApp, TEST_ISSUER, type TestApp } from '../support/app.js';
import { problem } from '../support/records.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());

const json = { accept: 'application/json' };
const entry = (code: ProblemCode) => ({ type: `${TEST_ISSUER}/problems/${code}`, code, ...catalogue[code] });

describe('problem types where `type` points (GET /problems, /problems/{code})', () => {
  it('a real problem’s type dereferences, without a token, to its catalogue entry as JSON', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/tenants/witten' });
    expect(res.statusCode).toBe(401);
    const type = res.json().type as string;
    expect(type).toBe(`${TEST_ISSUER}/problems/unauthenticated`);
    const doc = await t.app.inject({ method: 'GET', url: new URL(type).pathname, headers: json });
    expect(doc.statusCode).toBe(200);
    expect(doc.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(doc.headers.vary).toBe('Accept');
    expect(doc.headers['cache-control']).toBe('public, max-age=3600');
    expect(doc.json()).toEqual({
      type,
      code: 'unauthenticated',
      status: 401,
      title: 'Authentication required',
      description: catalogue.unauthenticated.description,
    });
  });

  it('GET /problems with Accept: application/json lists every catalogue entry, in catalogue order', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/problems', headers: json });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ items: (Object.keys(catalogue) as ProblemCode[]).map(entry) });
  });

  it('answers an HTML page by default and to browsers, with the texts escaped and no script allowed', async () => {
    for (const accept of [undefined, 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8']) {
      const res = await t.app.inject({ method: 'GET', url: '/problems/digest-mismatch', headers: accept ? { accept } : {} });
      expect(res.statusCode, accept).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['content-security-policy']).toBe("default-src 'none'; style-src 'unsafe-inline'");
      expect(res.body).toContain('<h1>The content does not match its Content-Digest</h1>');
      expect(res.body).toContain('<dt>code</dt><dd><code>digest-mismatch</code></dd><dt>status</dt><dd>422</dd>');
      expect(res.body).toContain(`<code>${TEST_ISSUER}/problems/digest-mismatch</code>`);
      expect(res.body).toContain('<a href="../problems">All problem types</a>');
      expect(res.body).not.toContain('<script');
    }
    // Apostrophes in a description are escaped; backticks become <code>.
    const page = await t.app.inject({ method: 'GET', url: '/problems/disposal-out-of-order' });
    expect(page.body).toContain('The disposal step does not start from the file&#39;s disposal state (<code>disposalState</code>;');
    const list = await t.app.inject({ method: 'GET', url: '/problems' });
    expect(list.statusCode).toBe(200);
    expect(list.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(list.body).toContain('<tr><td><a href="problems/checked-out"><code>checked-out</code></a></td><td>409</td><td>The document is checked out by someone else</td></tr>');
    expect(list.body.match(/<tr><td>/g)).toHaveLength(Object.keys(catalogue).length);
  });

  it('answers 404 not-found to an unknown code, 400 to a malformed one, 406 when Accept excludes both', async () => {
    const unknown = await t.app.inject({ method: 'GET', url: '/problems/no-such-code', headers: json });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual(problem('not-found', 'No such problem type', '/problems/no-such-code'));
    // An inherited property of a plain object is no code either.
    const proto = await t.app.inject({ method: 'GET', url: '/problems/constructor', headers: json });
    expect(proto.statusCode).toBe(404);
    const bad = await t.app.inject({ method: 'GET', url: '/problems/Not_A_Code', headers: json });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('validation-failed');
    const none = await t.app.inject({ method: 'GET', url: '/problems/not-found', headers: { accept: 'image/png' } });
    expect(none.statusCode).toBe(406);
    expect(none.json()).toEqual(problem('not-acceptable', 'Accept text/html or application/json', '/problems/not-found'));
  });
});

describe('negotiate (Accept between HTML and JSON)', () => {
  it('takes the more specific range and the higher q; a tie and no Accept give HTML', () => {
    expect(negotiate(undefined)).toBe('text/html');
    expect(negotiate('')).toBe('text/html');
    expect(negotiate('*/*')).toBe('text/html');
    expect(negotiate('application/json')).toBe('application/json');
    expect(negotiate('application/*')).toBe('application/json');
    expect(negotiate('text/html;q=0.5, application/json')).toBe('application/json');
    expect(negotiate('application/json;q=0.4, */*;q=0.5')).toBe('text/html');
    expect(negotiate('*/*, text/html;q=0')).toBe('application/json');
    expect(negotiate('image/png')).toBeNull();
    expect(negotiate('application/json;q=0, text/*;q=0')).toBeNull();
  });
});
