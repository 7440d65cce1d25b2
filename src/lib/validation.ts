import { Ajv, type Options, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifyServerOptions } from 'fastify';

// ajv-formats is CommonJS; under ESM its function may arrive wrapped in `default`.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

function makeAjv(coerce: boolean, shared: Record<string, unknown>) {
  const options: Options = {
    // Unknown properties are rejected (400), never silently stripped.
    removeAdditional: false,
    useDefaults: true,
    coerceTypes: coerce ? 'array' : false,
    allErrors: true,
    strict: false,
  };
  const ajv = new Ajv(options);
  addFormats(ajv);
  for (const schema of Object.values(shared)) ajv.addSchema(schema as object);
  return ajv;
}

/**
 * Two validators: query strings, path parameters and headers are text and get coerced
 * (`?limit=20` → 20); JSON bodies are validated strictly, so `"10"` is not a number and `null`
 * never turns into `0`. Installed through `schemaController` (not setValidatorCompiler), because
 * Fastify rebuilds the validator of every context that adds shared schemas from this factory.
 */
export const schemaController: FastifyServerOptions['schemaController'] = {
  compilersFactory: {
    buildValidator(externalSchemas) {
      const shared = (externalSchemas ?? {}) as Record<string, unknown>;
      const strict = makeAjv(false, shared);
      const coercing = makeAjv(true, shared);
      return (definition) => {
        const { schema, httpPart } = definition;
        if (httpPart !== 'body') return coercing.compile(schema as object);
        // Fastify passes the media type of a `content` body schema; @fastify/ajv-compiler's type omits it.
        const { contentType } = definition as { contentType?: string };
        // Streamed content (uploads) is described, not validated: the handler reads the raw stream,
        // and the parts of a multipart body one by one (each checked there).
        if ((schema as { format?: string }).format === 'binary' || contentType?.startsWith('multipart/')) {
          return (() => true) as unknown as ValidateFunction;
        }
        const validate = strict.compile(schema as object);
        const { required, minProperties } = schema as { required?: unknown[]; minProperties?: number };
        const requiresNothing = !required?.length && !minProperties;
        if (!requiresNothing) return validate;
        // A POST without a body (close, approve…) is valid when the body schema requires nothing.
        const optional = ((data: unknown) => {
          if (data === undefined || data === null) return true;
          const ok = validate(data);
          optional.errors = validate.errors;
          return ok;
        }) as ValidateFunction;
        return optional;
      };
    },
  },
};
