import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { etagOf } from '../../src/lib/etag.js';
import { NOT_AN_ID, OPERATION_EXAMPLES } from '../../src/plugins/openapi-examples.js';
import { spec, type JsonSchema, type Operation } from '../support/openapi.js';

/**
 * The examples Swagger UI shows (src/plugins/openapi-examples.ts, written by withExamples) on the
 * committed openapi/openapi.json: every operation has them, each is valid against its schema, and
 * none names an operation that does not exist. One load of the document, no app.
 */

interface MediaType {
  schema?: JsonSchema;
  example?: unknown;
  examples?: Record<string, { summary?: string; description?: string; value?: unknown }>;
}
interface Response {
  content?: Record<string, MediaType>;
  headers?: Record<string, { schema?: JsonSchema; example?: unknown }>;
}

/** Every operation, HEAD included (the tus offset request is one). */
const allOperations: { id: string; path: string; op: Operation }[] = Object.entries(spec.paths).flatMap(([path, item]) =>
  (['get', 'head', 'post', 'put', 'patch', 'delete'] as const)
    .filter((m) => (item as Record<string, Operation | undefined>)[m])
    .map((m) => {
      const op = (item as Record<string, Operation>)[m]!;
      return { id: op.operationId ?? `${m.toUpperCase()} ${path}`, path, op };
    }),
);

// ajv-formats is CommonJS; under ESM its function may arrive wrapped in `default` (as in src/lib/validation.ts).
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => Ajv2020;
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
addFormats(ajv);
// OpenAPI's own formats: ajv-formats knows int32/int64 and binary; "binary" strings are bytes.
ajv.addFormat('binary', true);

/**
 * A schema with the document's components beside it, so that `#/components/schemas/…` references
 * (recursive ones too, such as PlanTreeNode) resolve as they do in the document.
 */
const withComponents = (schema: JsonSchema) => ({ ...schema, components: spec.components });

/** A response header, or the one of components.headers it refers to. */
function headerOf(header: { $ref?: string; example?: unknown; schema?: JsonSchema }): { example?: unknown; schema?: JsonSchema } {
  if (!header.$ref) return header;
  const components = (spec.components as { headers?: Record<string, { example?: unknown; schema?: JsonSchema }> }).headers ?? {};
  return components[header.$ref.replace(/^#\/components\/headers\//, '')] ?? {};
}

const compiled = new Map<string, ValidateFunction>();
function validatorOf(schema: JsonSchema): ValidateFunction {
  const key = JSON.stringify(schema);
  const known = compiled.get(key);
  if (known) return known;
  const v = ajv.compile(withComponents(schema));
  compiled.set(key, v);
  return v;
}

function check(where: string, schema: JsonSchema | undefined, value: unknown, out: string[]) {
  if (!schema) return out.push(`${where}: an example without a schema`);
  const validate = validatorOf(schema);
  if (!validate(value)) out.push(`${where}: ${ajv.errorsText(validate.errors)}`);
}

/** The values a media type shows (its example, or the values of its examples). */
function valuesOf(media: MediaType): unknown[] {
  const out: unknown[] = [];
  if (media.example !== undefined) out.push(media.example);
  for (const e of Object.values(media.examples ?? {})) if (e.value !== undefined) out.push(e.value);
  return out;
}

/** An example, or a described one (raw bytes Swagger UI cannot show: a summary, the text and a placeholder value). */
const hasExample = (media: MediaType) =>
  media.example !== undefined || Object.values(media.examples ?? {}).some((e) => e.value !== undefined && (typeof e.value !== 'string' || !e.value.startsWith('<') || Boolean(e.summary && e.description)));

const successOf = (responses: Record<string, unknown>) => Object.keys(responses).filter((s) => /^2\d\d$/.test(s)).sort()[0];

describe('the examples of openapi/openapi.json', { timeout: 60_000 }, () => {
  it('cover every operation: a request example per body media type, and the success response', () => {
    const missing: string[] = [];
    for (const { id, op } of allOperations) {
      for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) {
        if (!hasExample(media as MediaType)) missing.push(`${id}: request ${type}`);
      }
      const responses = (op.responses ?? {}) as Record<string, Response>;
      const status = successOf(responses);
      if (!status) {
        missing.push(`${id}: no success response`);
        continue;
      }
      const response = responses[status]!;
      for (const [code, other] of Object.entries(responses).filter(([s]) => /^2\d\d$/.test(s))) {
        for (const [type, media] of Object.entries(other.content ?? {})) if (!hasExample(media)) missing.push(`${id}: response ${code} ${type}`);
      }
      // A success without a body shows its headers instead (tus: Location, Upload-Offset…).
      if (!response.content) {
        const own = Object.entries(response.headers ?? {}).filter(([name]) => !/^(RateLimit-|Access-Control-)/.test(name));
        for (const [name, header] of own) if (headerOf(header).example === undefined) missing.push(`${id}: response ${status} header ${name}`);
      }
      // Every path parameter has an example, so the problem examples' instance is a real path.
      for (const p of op.parameters ?? []) if (p.in === 'path' && p.example === undefined) missing.push(`${id}: path parameter ${p.name}`);
    }
    expect(missing).toEqual([]);
    expect(allOperations.length).toBeGreaterThanOrEqual(110);
  });

  it('are valid against their schemas: request bodies, responses, response headers and parameters', () => {
    const invalid: string[] = [];
    let checked = 0;
    for (const { id, op } of allOperations) {
      for (const p of op.parameters ?? []) {
        if (p.example === undefined) continue;
        check(`${id}: parameter ${p.name}`, p.schema, p.example, invalid);
        checked++;
      }
      for (const [type, media] of Object.entries(op.requestBody?.content ?? {}) as [string, MediaType][]) {
        if (media.example !== undefined && media.examples) invalid.push(`${id}: request ${type} has both example and examples`);
        for (const value of valuesOf(media)) {
          check(`${id}: request ${type}`, media.schema, value, invalid);
          checked++;
        }
      }
      for (const [status, response] of Object.entries((op.responses ?? {}) as Record<string, Response>)) {
        for (const [type, media] of Object.entries(response.content ?? {})) {
          if (media.example !== undefined && media.examples) invalid.push(`${id}: response ${status} ${type} has both example and examples`);
          for (const value of valuesOf(media)) {
            check(`${id}: response ${status} ${type}`, media.schema, value, invalid);
            checked++;
          }
        }
        for (const [name, shared] of Object.entries(response.headers ?? {})) {
          const header = headerOf(shared);
          if (header.example === undefined) continue;
          check(`${id}: response ${status} header ${name}`, header.schema, header.example, invalid);
          checked++;
        }
      }
    }
    expect(invalid).toEqual([]);
    // Hundreds of examples, not a handful: the problems of every operation count too.
    expect(checked).toBeGreaterThan(1000);
  });

  it('problem examples are the service’s: status and code agree, and the instance is the example path', () => {
    const wrong: string[] = [];
    for (const { id, path, op } of allOperations) {
      const params = Object.fromEntries((op.parameters ?? []).filter((p) => p.in === 'path').map((p) => [p.name, String(p.example)]));
      const instance = path.replace(/\{([^}]+)\}/g, (_, name: string) => params[name]!);
      for (const [status, response] of Object.entries((op.responses ?? {}) as Record<string, Response>)) {
        const example = response.content?.['application/problem+json']?.example as Record<string, unknown> | undefined;
        if (!example) continue;
        if (example.status !== Number(status)) wrong.push(`${id} ${status}: status ${String(example.status)}`);
        if (typeof example.type !== 'string' || !example.type.endsWith(String(example.code))) wrong.push(`${id} ${status}: type ${String(example.type)}`);
        // A 400 for an id that is no UUID names the bad id in its path; every other problem the example path.
        const bad = String(example.detail).match(/^params\/(\w+) must match format "uuid"$/)?.[1];
        const expected = bad ? path.replace(/\{([^}]+)\}/g, (_, name: string) => (name === bad ? NOT_AN_ID : params[name]!)) : instance;
        if (example.instance !== expected) wrong.push(`${id} ${status}: instance ${String(example.instance)}`);
      }
      // The main problems are shown: a 404 wherever the route answers one.
      const notFound = ((op.responses ?? {}) as Record<string, Response>)['404'];
      if (notFound?.content && notFound.content['application/problem+json']?.example === undefined) wrong.push(`${id} 404: no example`);
    }
    expect(wrong).toEqual([]);
  });

  it('look like the service’s answers: UUIDv7 ids, RFC 3339 ms timestamps, ETags of the object shown', () => {
    const wrong: string[] = [];
    let etags = 0;
    const walk = (where: string, v: unknown) => {
      if (typeof v === 'string') {
        if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(v) && !/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab]/.test(v)) wrong.push(`${where}: ${v} is no UUIDv7`);
        if (/^\d{4}-\d{2}-\d{2}T/.test(v) && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(v)) wrong.push(`${where}: ${v} is no RFC 3339 UTC time with ms`);
      } else if (Array.isArray(v)) v.forEach((x, i) => walk(`${where}/${i}`, x));
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(`${where}/${k}`, x);
    };
    for (const { id, op } of allOperations) {
      for (const [status, response] of Object.entries((op.responses ?? {}) as Record<string, Response>)) {
        const media = response.content?.['application/json'] ?? response.content?.['application/problem+json'];
        if (media?.example !== undefined) walk(`${id} ${status}`, media.example);
        // An ETag is the service's: of the object in the body, at some row version (src/lib/etag.ts).
        const tag = response.headers?.etag?.example;
        const body = media?.example as { id?: string; updatedAt?: string; sha256?: string } | undefined;
        if (typeof tag === 'string' && body?.id) {
          etags++;
          const candidates = [...Array.from({ length: 20 }, (_, n) => etagOf(body.id!, n + 1)), ...(body.updatedAt ? [etagOf(body.id, new Date(body.updatedAt))] : []), ...(body.sha256 ? [`"${body.sha256}"`] : [])];
          if (!candidates.includes(tag)) wrong.push(`${id} ${status}: ETag ${tag} is not one of ${body.id}`);
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(etags).toBeGreaterThanOrEqual(45);
  });

  it('name only operations that exist (no stale examples)', () => {
    const ids = new Set(allOperations.map((o) => o.id));
    expect(Object.keys(OPERATION_EXAMPLES).filter((key) => !ids.has(key))).toEqual([]);
    expect(allOperations.map((o) => o.id).filter((id) => !(id in OPERATION_EXAMPLES))).toEqual([]);
  });
});
