import { context, SpanKind, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import { ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_HTTP_ROUTE, ATTR_URL_PATH, ATTR_URL_SCHEME } from '@opentelemetry/semantic-conventions';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ATTR, type Telemetry } from '../telemetry/index.js';
import { redactCapabilityPath } from '../lib/redact.js';

interface Traced {
  span: Span;
  ctx: Context;
  ended: boolean;
}

/**
 * A server span per request, registered before every other hook so that whatever the request
 * does (authentication, the tenant, the handler's statements and storage calls) is its child.
 * An incoming W3C `traceparent` is continued. The span is named by the route template, never the
 * raw URL (ids), and carries the request id (X-Request-Id) and, once resolved, the tenant.
 *
 * The request's context is entered in callback-style hooks (`context.with(ctx, done)`): every hook
 * and the handler that Fastify runs from there inherit it. preValidation, which runs once the body
 * is read, enters it once more, so that a body parser resuming from another context (a stream's
 * events) cannot detach the handler from its request.
 */
export default fp(
  async function tracingPlugin(app: FastifyInstance, opts: { telemetry: Telemetry }) {
    const { tracer } = opts.telemetry;
    const traced = new WeakMap<FastifyRequest, Traced>();

    app.addHook('onRequest', (request, _reply, done) => {
      const route = request.routeOptions.url;
      const path = request.url.split('?', 1)[0]!;
      const parent = opts.telemetry.extract(request.headers);
      const span = tracer.startSpan(
        route ? `${request.method} ${route}` : request.method,
        {
          kind: SpanKind.SERVER,
          attributes: {
            [ATTR_HTTP_REQUEST_METHOD]: request.method,
            // A citizen's status token is a capability in the path: never in a trace either.
            [ATTR_URL_PATH]: redactCapabilityPath(path),
            [ATTR_URL_SCHEME]: request.protocol,
            ...(route ? { [ATTR_HTTP_ROUTE]: route } : {}),
            [ATTR.requestId]: request.id,
          },
        },
        parent,
      );
      const ctx = trace.setSpan(parent, span);
      traced.set(request, { span, ctx, ended: false });
      context.with(ctx, done);
    });

    app.addHook('preValidation', (request, _reply, done) => {
      const t = traced.get(request);
      if (t) context.with(t.ctx, done);
      else done();
    });

    const end = (request: FastifyRequest, status: number | null) => {
      const t = traced.get(request);
      if (!t || t.ended) return;
      t.ended = true;
      const tenant = request.ctx?.tenant.slug;
      if (tenant) t.span.setAttribute(ATTR.tenant, tenant);
      if (status === null) {
        t.span.setAttribute('error.type', 'aborted');
        t.span.setStatus({ code: SpanStatusCode.ERROR });
      } else {
        t.span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
        // Server spans fail on 5xx only: a 4xx is the client's (semantic conventions).
        if (status >= 500) {
          t.span.setAttribute('error.type', String(status));
          t.span.setStatus({ code: SpanStatusCode.ERROR });
        }
      }
      t.span.end();
    };
    app.addHook('onResponse', async (request, reply) => end(request, reply.statusCode));
    app.addHook('onRequestAbort', async (request) => end(request, null));
  },
  { name: 'en-akte-tracing', fastify: '5.x' },
);
