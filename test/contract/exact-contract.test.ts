import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { catalogue, type ProblemCode } from '../../src/errors.js';

/**
 * The committed openapi/openapi.json says exactly what the server does (src/plugins/openapi-contract.ts
 * writes it from the code): required If-Match, problem codes per status, problem types, response
 * headers, security, int64 sizes. Generators (Java, C#, TypeScript) build their clients from it.
 */
interface Header { $ref?: string; required?: boolean; schema?: Record<string, unknown>; description?: string }
interface Response { description: string; headers?: Record<string, Header>; content?: Record<string, { schema?: { $ref?: string } }> }
interface Parameter { in: string; name: string; required?: boolean; schema?: Record<string, unknown> }
interface Operation { operationId: string; parameters?: Parameter[]; responses: Record<string, Response>; security?: Record<string, string[]>[] }
interface Schema { $ref?: string; type?: string; format?: string; enum?: unknown[]; properties?: Record<string, Schema>; allOf?: Schema[]; items?: Schema; [k: string]: unknown }
const spec = JSON.parse(readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8')) as {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema>; headers: Record<string, Header>; securitySchemes: Record<string, Record<string, unknown>> };
};

const ops = Object.entries(spec.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op })));
const byId = (id: string) => ops.find((o) => o.op.operationId === id)!.op;
const headerParam = (op: Operation, name: string) => op.parameters?.find((p) => p.in === 'header' && p.name.toLowerCase() === name);
const codesOf = (status: number) => (Object.keys(catalogue) as ProblemCode[]).filter((c) => catalogue[c].status === status);
const statuses = [...new Set(Object.values(catalogue).map((e) => e.status))];
const PUBLIC = ['getHealth', 'getReadiness', 'getJwks', 'listProblemTypes', 'getProblemType', 'getApplicationStatus'];
const resolveHeader = (h: Header) => (h.$ref ? spec.components.headers[h.$ref.replace('#/components/headers/', '')]! : h);

describe('If-Match', () => {
  it('is required on every operation that answers 428 without it, and those answer 412 when it is stale', () => {
    const withIfMatch = ops.filter((o) => headerParam(o.op, 'if-match'));
    expect(withIfMatch.length).toBeGreaterThan(30);
    // Every operation that takes If-Match needs it (src/lib/preconditions.ts): none takes it optionally.
    expect(withIfMatch.filter((o) => !o.op.responses['428']).map((o) => o.op.operationId)).toEqual([]);
    // And 428 comes only from a missing If-Match (tus PATCH and HEAD reuse the one creation stored).
    expect(ops.filter((o) => o.op.responses['428'] && !headerParam(o.op, 'if-match')).map((o) => o.op.operationId)).toEqual([]);
    for (const { op } of withIfMatch) {
      // tus creation takes the ETag as ifMatch in Upload-Metadata too: there the header is one of two ways.
      expect(headerParam(op, 'if-match')!.required, op.operationId).toBe(op.operationId !== 'createUpload');
      expect(Object.keys(op.responses), op.operationId).toContain('412');
    }
    // Other headers stay optional as they were.
    expect(headerParam(byId('addVersion'), 'content-digest')!.required).toBe(false);
  });
});

describe('problem codes', () => {
  it('Problem.code is an enum of every catalogue code; Problem.type is a URI', () => {
    const problem = spec.components.schemas.Problem!;
    expect(problem.properties!.code!.enum).toEqual(Object.keys(catalogue));
    expect(problem.properties!.type!.format).toBe('uri');
  });

  it('Problem<status> lists exactly the catalogue codes of that status, for every status an operation answers', () => {
    const answered = new Set(ops.flatMap((o) => Object.keys(o.op.responses).map(Number)));
    // 405 method-not-allowed is in the catalogue, but the router answers unknown methods 404.
    expect(statuses.filter((s) => !answered.has(s))).toEqual([405]);
    expect(spec.components.schemas.Problem405).toBeUndefined();
    for (const status of statuses.filter((s) => answered.has(s))) {
      const schema = spec.components.schemas[`Problem${status}`]!;
      expect(schema.allOf![0]).toEqual({ $ref: '#/components/schemas/Problem' });
      expect(schema.allOf![1]!.properties!.code!.enum, String(status)).toEqual(codesOf(status));
      expect(schema.allOf![1]!.properties!.status!.enum).toEqual([status]);
    }
    expect(spec.components.schemas.Problem409!.allOf![1]!.properties!.code!.enum).toEqual(
      expect.arrayContaining(['conflict', 'object-closed', 'checked-out', 'unit-retired', 'open-cases', 'idempotency-in-progress', 'limit-reached', 'upload-offset-mismatch']),
    );
    expect(spec.components.schemas.Problem422!.allOf![1]!.properties!.code!.enum).toEqual(
      expect.arrayContaining(['digest-mismatch', 'idempotency-key-reused', 'unprocessable', 'form-invalid']),
    );
  });

  it('every error response refers to the Problem schema of its status and names its codes', () => {
    let seen = 0;
    for (const { op } of ops) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400) continue;
        const schema = response.content?.['application/problem+json']?.schema;
        expect(schema, `${op.operationId} ${status}`).toEqual({ $ref: `#/components/schemas/Problem${status}` });
        for (const code of codesOf(Number(status))) expect(response.description, `${op.operationId} ${status}`).toContain(`\`${code}\``);
        seen++;
      }
    }
    expect(seen).toBeGreaterThan(1000);
  });
});

describe('responses every operation can give', () => {
  it('400, 431, 500 and 503 everywhere; 401 where a token is needed; 429 where the limits count', () => {
    for (const { path, op } of ops) {
      const statuses = Object.keys(op.responses);
      expect(statuses, op.operationId).toEqual(expect.arrayContaining(['400', '431', '500', '503']));
      const secured = (op.security ?? []).some((r) => Object.keys(r).length > 0);
      if (secured) expect(statuses, op.operationId).toContain('401');
      else expect(statuses, op.operationId).not.toContain('401');
      if (path.startsWith('/v1/') || path === '/oauth/token') expect(statuses, op.operationId).toContain('429');
    }
  });
});

describe('response headers', () => {
  it('X-Request-Id on every response; WWW-Authenticate on 401; Retry-After on 429 and 503', () => {
    for (const { op } of ops) {
      for (const [status, response] of Object.entries(op.responses)) {
        const where = `${op.operationId} ${status}`;
        expect(response.headers?.['X-Request-Id'], where).toEqual({ $ref: '#/components/headers/X-Request-Id' });
        if (status === '401') expect(resolveHeader(response.headers!['WWW-Authenticate']!).required, where).toBe(true);
        if (status === '429' || status === '503') expect(response.headers?.['Retry-After'], where).toBeDefined();
      }
    }
    expect(spec.components.headers['X-Request-Id']!.schema).toMatchObject({ type: 'string', maxLength: 128 });
  });

  it('Idempotent-Replayed on what an Idempotency-Key replays: every answer below 500 but 401, 408, 429 and 431', () => {
    const idempotent = ops.filter((o) => headerParam(o.op, 'idempotency-key'));
    expect(idempotent.length).toBeGreaterThan(40);
    for (const { op } of ops) {
      for (const [status, response] of Object.entries(op.responses)) {
        const replayable = idempotent.some((o) => o.op === op) && Number(status) < 500 && !['401', '408', '429', '431'].includes(status);
        expect(response.headers?.['Idempotent-Replayed'] !== undefined, `${op.operationId} ${status}`).toBe(replayable);
      }
    }
  });

  it('ETag on getVersion; the download documents exactly the headers src/workflows/serve-content.ts sends', () => {
    expect(Object.keys(byId('getVersion').responses['200']!.headers!)).toContain('etag');
    const download = byId('getVersionContent').responses;
    const names = (status: string) => Object.keys(download[status]!.headers!).filter((h) => !/^(RateLimit-|Access-Control-|X-Request-Id)/.test(h)).sort();
    expect(names('200')).toEqual(['accept-ranges', 'cache-control', 'content-digest', 'content-disposition', 'content-length', 'content-security-policy', 'etag', 'repr-digest']);
    expect(names('206')).toEqual(['accept-ranges', 'cache-control', 'content-disposition', 'content-length', 'content-range', 'content-security-policy', 'etag', 'repr-digest']);
    expect(names('304')).toEqual(['accept-ranges', 'cache-control', 'content-disposition', 'content-security-policy', 'etag', 'repr-digest']);
    expect(names('307')).toEqual(['cache-control', 'etag', 'location', 'repr-digest']);
    expect(names('416')).toEqual(['content-range']);
    expect(download['200']!.headers!['content-length']!.schema).toMatchObject({ type: 'integer', format: 'int64' });
  });
});

describe('security', () => {
  it('an OAuth 2.0 client-credentials scheme at /oauth/token, offered beside bearerAuth on every bearer-secured operation', () => {
    expect(spec.components.securitySchemes.oauth2).toMatchObject({ type: 'oauth2', flows: { clientCredentials: { tokenUrl: '/oauth/token', scopes: {} } } });
    const bearer = ops.filter((o) => o.op.security?.some((r) => 'bearerAuth' in r));
    expect(bearer.length).toBeGreaterThan(100);
    for (const { op } of bearer) expect(op.security, op.operationId).toEqual([{ bearerAuth: [] }, { oauth2: [] }]);
  });

  it('public operations say so with security: []; the token endpoint takes HTTP Basic or the form fields', () => {
    for (const id of PUBLIC) expect(byId(id).security, id).toEqual([]);
    expect(byId('issueToken').security).toEqual([{ clientSecretBasic: [] }, {}]);
    expect(byId('listMyApplications').security).toEqual([{ citizenAuth: [] }]);
    // Every operation states its security; none declares an Authorization header (OpenAPI ignores those).
    for (const { op } of ops) {
      expect(op.security, op.operationId).toBeDefined();
      expect(headerParam(op, 'authorization'), op.operationId).toBeUndefined();
    }
  });
});

describe('int64', () => {
  it('sizes, byte offsets, sequences and counts over a tenant are int64', () => {
    expect(spec.components.schemas.Version!.properties!.size).toMatchObject({ type: 'integer', format: 'int64' });
    for (const [id, status, name] of [['createUpload', null, 'upload-length'], ['sendUploadPart', null, 'upload-offset'], ['getUploadOffset-head', '200', 'upload-offset'], ['getUploadOffset-head', '200', 'upload-length'], ['sendUploadPart', '204', 'upload-offset']] as const) {
      const schema = status ? byId(id).responses[status]!.headers![name]!.schema : headerParam(byId(id), name)!.schema;
      expect(schema, `${id} ${name}`).toEqual({ type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
    }
    const search = byId('search').responses['200']!.content!['application/json']!.schema as Schema;
    expect(search.properties!.total!.properties!.count).toMatchObject({ type: 'integer', format: 'int64' });
    // No integer named like a size, byte count, sequence or offset is int32 anywhere.
    const offenders: string[] = [];
    const walk = (node: unknown, at: string) => {
      if (!node || typeof node !== 'object') return;
      const s = node as Schema;
      for (const [name, p] of Object.entries(s.properties ?? {})) {
        if (p.type === 'integer' && /^(size|bytes\w*|\w*Bytes|seq|offset|length)$/.test(name) && p.format !== 'int64') offenders.push(`${at}.${name}`);
      }
      for (const [k, v] of Object.entries(s)) walk(v, `${at}.${k}`);
    };
    walk(spec, '');
    expect(offenders).toEqual([]);
  });
});
