import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { errors } from '../../errors.js';

// ajv-formats is CommonJS; under ESM its function may arrive wrapped in `default`.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

/** Form schemas are JSON Schema draft-07, validated by ajv (never coerced, never defaulted). */
const ajv = new Ajv({ allErrors: true, strict: false, coerceTypes: false, useDefaults: false, removeAdditional: false, validateSchema: true, addUsedSchema: false });
addFormats(ajv);

const FORM_SCHEMA_MAX_BYTES = 64 * 1024;
export const FORM_DATA_MAX_BYTES = 256 * 1024;
const ERRORS_MAX = 50;

// Compiled validators by the schema's text: a changed service compiles once, the old one is dropped by size.
const compiled = new Map<string, ValidateFunction>();

function compile(schema: object): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (!validate) {
    if (compiled.size > 200) compiled.clear();
    validate = ajv.compile(schema);
    compiled.set(key, validate);
  }
  return validate;
}

/** Checks a form schema an admin gives: valid JSON Schema, an object schema, and not too large. */
export function checkFormSchema(schema: Record<string, unknown>): void {
  if (JSON.stringify(schema).length > FORM_SCHEMA_MAX_BYTES) {
    throw errors.formInvalid('The form schema is too large', [{ path: '/formSchema', message: `must be at most ${FORM_SCHEMA_MAX_BYTES} bytes serialised` }]);
  }
  if (typeof schema.$schema === 'string' && !/^https?:\/\/json-schema\.org\/draft-07\/schema#?$/.test(schema.$schema)) {
    throw errors.formInvalid('Form schemas are JSON Schema draft-07', [{ path: '/formSchema/$schema', message: 'must be http://json-schema.org/draft-07/schema#' }]);
  }
  if (schema.type !== 'object') {
    throw errors.formInvalid('The form data is a JSON object', [{ path: '/formSchema/type', message: 'must be "object"' }]);
  }
  try {
    compile(schema);
  } catch (err) {
    throw errors.formInvalid('The form schema is not a valid JSON Schema', [{ path: '/formSchema', message: (err as Error).message.slice(0, 500) }]);
  }
}

const pointerOf = (e: ErrorObject) =>
  e.keyword === 'required' ? `${e.instancePath}/${(e.params as { missingProperty: string }).missingProperty}`
    : e.keyword === 'additionalProperties' ? `${e.instancePath}/${(e.params as { additionalProperty: string }).additionalProperty}`
      : e.instancePath;

/** Validates form data against its service's schema: 422 with a JSON pointer (into the submission) per problem. */
export function validateForm(schema: object, formData: unknown): void {
  if (JSON.stringify(formData).length > FORM_DATA_MAX_BYTES) {
    throw errors.formInvalid('The form data is too large', [{ path: '/formData', message: `must be at most ${FORM_DATA_MAX_BYTES} bytes serialised` }]);
  }
  const validate = compile(schema);
  if (validate(formData)) return;
  const list = (validate.errors ?? [])
    // if/then reports its own "must match then schema" besides the real cause.
    .filter((e) => e.keyword !== 'if')
    .slice(0, ERRORS_MAX)
    .map((e) => ({ path: `/formData${pointerOf(e)}`, message: e.message ?? 'is not valid' }));
  throw errors.formInvalid('The form data does not match the form of the service', list);
}

function valueAt(data: unknown, path: string): unknown {
  let v = data;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/** Renders a title pattern: `{a.b|c}` is the first of the form's values a.b, c that is text or a number; `{yyyy}` the year. */
export function renderTitle(pattern: string, formData: unknown, year: number): string {
  const out = pattern.replace(/\{([^{}]{1,200})\}/g, (_all, inner: string) => {
    if (inner === 'yyyy') return String(year);
    for (const alt of inner.split('|')) {
      const v = valueAt(formData, alt.trim());
      if (typeof v === 'string' || typeof v === 'number') return String(v);
    }
    return '–';
  });
  return out.replace(/\s+/g, ' ').trim().slice(0, 500) || 'Online-Antrag';
}

/** The form data as text a person reads in the file: the schema's titles as labels, nested by indentation. */
export function renderForm(schema: Record<string, unknown>, formData: unknown, head: string[]): string {
  const lines = [...head, ''];
  const walk = (s: Record<string, unknown> | undefined, value: unknown, label: string, depth: number) => {
    const pad = '  '.repeat(depth);
    if (Array.isArray(value)) {
      lines.push(`${pad}${label}:`);
      value.forEach((item, i) => walk(s?.items as Record<string, unknown> | undefined, item, `${i + 1}.`, depth + 1));
    } else if (value !== null && typeof value === 'object') {
      lines.push(`${pad}${label}:`);
      const props = (s?.properties ?? {}) as Record<string, Record<string, unknown>>;
      for (const [k, v] of Object.entries(value)) walk(props[k], v, (props[k]?.title as string | undefined) ?? k, depth + 1);
    } else {
      const shown = typeof value === 'boolean' ? (value ? 'ja' : 'nein') : String(value);
      lines.push(`${pad}${label}: ${shown}`);
    }
  };
  const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  for (const [k, v] of Object.entries((formData ?? {}) as Record<string, unknown>)) walk(props[k], v, (props[k]?.title as string | undefined) ?? k, 0);
  return `${lines.join('\n')}\n`;
}

/** A validator of a TypeBox schema for JSON that arrives outside Fastify's body parsing (a multipart field). */
export function compileInput<T>(schema: object): (value: unknown) => { ok: true; value: T } | { ok: false; errors: { path: string; message: string }[] } {
  const validate = ajv.compile(schema);
  return (value) =>
    validate(value)
      ? { ok: true, value: value as T }
      : { ok: false, errors: (validate.errors ?? []).slice(0, ERRORS_MAX).map((e) => ({ path: pointerOf(e) || '/', message: e.message ?? 'is not valid' })) };
}
