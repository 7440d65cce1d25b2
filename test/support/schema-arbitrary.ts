import fc from 'fast-check';
import { resolveSchema, type JsonSchema } from './openapi.js';

/**
 * fast-check values for a JSON schema of the contract: mostly valid (so requests get past
 * validation and reach the rules), with a mutation now and then at any node (wrong type, junk
 * text, boundary lengths, unknown keys), so the refusals are exercised too.
 */
export interface ArbitraryContext {
  /** Ids to use where a schema wants a uuid: real objects of several tenants, mixed with random ones. */
  ids: fc.Arbitrary<string>;
  /** false: only values the schema allows (so the request reaches the rules); true: mutations too. */
  mutate: boolean;
}

const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(null, '', 0, -1, 2 ** 53, 1.5, true, [], {}, '\u0000', '../../etc/passwd', '<script>alert(1)</script>', "' OR 1=1 --", '%00', '\u202e'),
);

/** Strings at the edges of their allowed length (and just beyond). */
function edgeString(min: number, max: number | undefined): fc.Arbitrary<string> {
  const lengths = [min, Math.max(0, min - 1), ...(max === undefined ? [1000] : [max, max + 1])];
  return fc.constantFrom(...lengths).chain((n) => fc.string({ unit: 'grapheme-ascii', minLength: n, maxLength: n }));
}

function exact(raw: JsonSchema, ctx: ArbitraryContext, depth: number): fc.Arbitrary<unknown> {
  const schema = resolveSchema(raw);
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum?.length) return fc.constantFrom(...schema.enum);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives?.length) return fc.oneof(...alternatives.map((a) => valueOf(a, ctx, depth + 1)));
  if (schema.allOf?.length) return valueOf(schema.allOf[0]!, ctx, depth + 1);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      if (depth > 4) return fc.constant({});
      const props = Object.entries(schema.properties ?? {});
      if (props.length === 0) {
        return fc.dictionary(fc.string({ maxLength: 20 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: Math.min(schema.maxProperties ?? 5, 5) });
      }
      const model = Object.fromEntries(props.map(([k, v]) => [k, valueOf(v, ctx, depth + 1)]));
      const record = fc.record(model, { requiredKeys: (schema.required ?? []).filter((k) => k in model) });
      if (!ctx.mutate) return record;
      // Now and then a key the schema does not know.
      return fc.tuple(record, fc.option(fc.string({ minLength: 1, maxLength: 12 }), { freq: 6 })).map(([r, extra]) => (extra === null ? r : { ...r, [extra]: 'unbekannt' }));
    }
    case 'array':
      return fc.array(valueOf(schema.items ?? {}, ctx, depth + 1), { minLength: schema.minItems ?? 0, maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? 4, 4)) });
    case 'integer':
      return fc.oneof(
        fc.integer({ min: schema.minimum ?? -1_000_000, max: schema.maximum ?? 1_000_000 }),
        fc.constantFrom(...[schema.minimum, schema.maximum].filter((n): n is number => n !== undefined).flatMap((n) => (ctx.mutate ? [n - 1, n, n + 1] : [n])), ...(ctx.mutate ? [0] : [])),
      );
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e9, max: schema.maximum ?? 1e9, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'string': {
      const max = schema.maxLength;
      if (schema.format === 'uuid') return ctx.mutate ? fc.oneof({ arbitrary: ctx.ids, weight: 5 }, { arbitrary: fc.string({ maxLength: 40 }), weight: 1 }) : ctx.ids;
      if (schema.format === 'date') return fc.date({ min: new Date('1900-01-01'), max: new Date('2199-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
      if (schema.format === 'date-time') return fc.date({ min: new Date('1970-01-01'), max: new Date('2199-12-31'), noInvalidDate: true }).map((d) => d.toISOString());
      if (schema.pattern) {
        return fc.stringMatching(new RegExp(schema.pattern)).map((s) => (max === undefined ? s : s.slice(0, max)));
      }
      const plain = fc.string({ unit: 'grapheme', minLength: schema.minLength ?? 0, maxLength: Math.min(max ?? 60, 60) });
      return ctx.mutate ? fc.oneof({ arbitrary: plain, weight: 6 }, { arbitrary: edgeString(schema.minLength ?? 0, max), weight: 1 }) : plain;
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** A value for `schema`; when mutating, now and then a wrong one at this node. */
export function valueOf(schema: JsonSchema, ctx: ArbitraryContext, depth = 0): fc.Arbitrary<unknown> {
  if (!ctx.mutate) return exact(schema, ctx, depth);
  return fc.oneof({ arbitrary: exact(schema, ctx, depth), weight: 10 }, { arbitrary: junk, weight: 1 });
}
