import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { sqlState } from '../db/tenant-tx.js';
import { AppError, errors, genericClientError, type ProblemDetails } from '../errors.js';
import { outageOf, type Outage } from '../lib/unavailable.js';
import { Problem, PROBLEM_ERRORS_MAX, PROBLEM_TEXT_MAX } from '../schemas/common.js';

/** Fastify's own error codes that are the client's fault, mapped onto the catalogue. */
function fromFastifyError(err: FastifyError, bodyLimit: number): AppError | null {
  if (err.validation) {
    const list = err.validation.map((v) => ({
      path: `${err.validationContext ?? 'body'}${v.instancePath || ''}`,
      message: v.keyword === 'additionalProperties'
        ? `unknown property '${String((v.params as { additionalProperty?: string }).additionalProperty)}'`
        : (v.message ?? 'is invalid'),
    }));
    return errors.validation(list.map((e) => `${e.path} ${e.message}`).join('; '), list);
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return errors.payloadTooLarge(bodyLimit);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return errors.unsupportedMediaType('This operation does not accept that Content-Type; send application/json');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return errors.badRequest('Content-Length does not match the body');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return errors.malformedJson('The JSON body is empty');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return errors.malformedJson();
    case 'FST_ERR_BAD_URL':
    case 'FST_ERR_INVALID_URL':
      return errors.badRequest('The URL is malformed');
    case 'FST_ERR_ASYNC_CONSTRAINT':
      return errors.badRequest('The request does not match any route constraint');
    case 'FST_ERR_NOT_FOUND':
      return errors.notFound();
    default:
      break;
  }
  if (err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_TYPE') return errors.malformedJson();
  // PostgreSQL text cannot hold NUL (22021) and jsonb no \u0000 (22P05): whatever field or query
  // parameter carried it, it is the client's input, and the transaction has rolled back.
  const state = sqlState(err);
  if (state === '22021' || state === '22P05') return errors.badRequest('Text must not contain NUL characters (U+0000)');
  if (err.statusCode === 429) return errors.tooManyRequests(err.message);
  if (err.statusCode === 503) return errors.unavailable(err.message);
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    // Any other 4xx from Fastify or a plugin (multipart limits…): the generic code of its status.
    return genericClientError(err.statusCode, err.message);
  }
  return null;
}

const OUTAGE_DETAIL: Record<Outage, string> = {
  database: 'The database is unreachable or restarting; nothing was changed unless an earlier answer said so. Retry shortly (with the same Idempotency-Key)',
  storage: 'The object storage is unreachable; nothing was stored. Retry shortly (with the same Idempotency-Key)',
  'disk-full': 'The storage is full; nothing was stored. Retry once an operator has made room',
  dependency: 'A dependency (database or object storage) is unreachable; nothing was changed. Retry shortly (with the same Idempotency-Key)',
};

/** Text cut to what the Problem schema promises (a URL or a list of validation messages can be long). */
const cut = (text: string) => (text.length > PROBLEM_TEXT_MAX ? `${text.slice(0, PROBLEM_TEXT_MAX - 1)}…` : text);

export function toProblem(err: AppError, request: FastifyRequest): ProblemDetails {
  const extensions: Record<string, unknown> = { ...err.extensions };
  if (Array.isArray(extensions.errors)) {
    extensions.errors = (extensions.errors as { path: string; message: string }[]).slice(0, PROBLEM_ERRORS_MAX).map((e) => ({ path: cut(e.path), message: cut(e.message) }));
  }
  return {
    type: err.type,
    title: err.title,
    status: err.status,
    detail: cut(err.message),
    instance: cut(request.url.split('?')[0]!),
    code: err.code,
    requestId: request.id,
    ...extensions,
  };
}

/**
 * Headers that describe the representation a handler meant to send. A problem answers instead of
 * it (the handler threw after setting them, or the read's record failed in onSend), so they go.
 * Cache-Control stays: a capability URL's no-store holds for its problems too.
 */
const REPRESENTATION_HEADERS = ['etag', 'last-modified', 'content-length', 'content-disposition', 'content-range', 'repr-digest', 'content-digest'];

export function sendProblem(reply: FastifyReply, err: AppError) {
  for (const name of REPRESENTATION_HEADERS) reply.removeHeader(name);
  for (const [name, value] of Object.entries(err.headers)) reply.header(name, value);
  return reply.code(err.status).type('application/problem+json').send(toProblem(err, reply.request));
}

/**
 * One error handler for the whole API: catalogue errors as they are, Fastify's client errors
 * mapped to the catalogue, everything else logged in full and answered as a bare 500.
 */
export default fp(
  async function errorsPlugin(app: FastifyInstance, opts: { bodyLimit: number }) {
    app.addSchema(Problem);

    app.setErrorHandler((error: FastifyError, request, reply) => {
      // Refused before the body was read (412 on an upload, 413…): the rest of the body is still on
      // the wire, so the connection cannot carry another request. Close it after the answer.
      if (!request.raw.complete) reply.header('connection', 'close');
      const known = error instanceof AppError ? error : fromFastifyError(error, opts.bodyLimit);
      if (known) {
        if (known.status >= 500) request.log.error({ err: error }, known.message);
        else request.log.info({ code: known.code, detail: known.message }, 'client error');
        return sendProblem(reply, known);
      }
      const outage = outageOf(error);
      if (outage) {
        // Not a bug: a dependency is down, full or restarting (fault suite, test/faults). 503 + Retry-After.
        request.log.error({ err: error, outage }, 'dependency unavailable');
        return sendProblem(reply, errors.unavailable(OUTAGE_DETAIL[outage], { dependency: outage }));
      }
      request.log.error({ err: error }, 'unhandled error');
      return sendProblem(reply, errors.internal());
    });

    app.setNotFoundHandler((request, reply) => sendProblem(reply, errors.routeNotFound(request.method, request.url.split('?')[0]!)));
  },
  { name: 'errors', fastify: '5.x' },
);
