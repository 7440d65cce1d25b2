import { ROOT_CONTEXT, SpanStatusCode, trace, type Context, type Span, type SpanOptions, type Tracer } from '@opentelemetry/api';
import type { Config } from '../config.js';

/**
 * OpenTelemetry traces, optional: the SDK (src/telemetry/otel.ts) is loaded, and anything
 * instrumented, only when OTEL_EXPORTER_OTLP_ENDPOINT is set. Without it every caller sees
 * `enabled: false` and adds no hook, wrapper or span at all, so tracing costs nothing then.
 *
 * What is traced (each a child of the span it happens in): HTTP requests (src/plugins/tracing.ts,
 * continuing an incoming W3C `traceparent`), the statements on the API's PostgreSQL pool
 * (src/db/traced-pool.ts), the blob store's operations (src/storage/traced.ts) and pg-boss jobs.
 * Spans carry no personal data: no parameter values, no error messages, no request bodies.
 */
export interface Telemetry {
  readonly enabled: boolean;
  readonly tracer: Tracer;
  /** The trace context of incoming headers (`traceparent`, `tracestate`), or the root context. */
  extract(headers: Record<string, string | string[] | undefined>): Context;
  /** Exports every span that has ended, now. */
  flush(): Promise<void>;
  /** Exports what is left and stops; later spans are dropped. */
  shutdown(): Promise<void>;
}

export type TelemetrySettings = Config['telemetry'];

/** Tracing off: the API's no-op tracer, never called by EN-Akte's own code (it checks `enabled`). */
export const noTelemetry: Telemetry = {
  enabled: false,
  tracer: trace.getTracer('en-akte'),
  extract: () => ROOT_CONTEXT,
  flush: async () => undefined,
  shutdown: async () => undefined,
};

/** Tracing as configured: `noTelemetry` without an endpoint, else an OTLP/HTTP exporting provider. */
export async function createTelemetry(settings: TelemetrySettings, version?: string): Promise<Telemetry> {
  if (!settings.endpoint) return noTelemetry;
  const { startTracing } = await import('./otel.js');
  return startTracing({ ...settings, endpoint: settings.endpoint }, version);
}

/** Attribute names of EN-Akte's own (beside the OpenTelemetry semantic conventions). */
export const ATTR = {
  requestId: 'en_akte.request_id',
  tenant: 'en_akte.tenant',
  storageKind: 'en_akte.storage.kind',
  storageOperation: 'en_akte.storage.operation',
} as const;

/**
 * Marks a span failed. Only the error's class name (or its SQLSTATE / S3 code) goes along, never
 * its message, which may quote stored data.
 */
export function failSpan(span: Span, err: unknown): void {
  const e = err as { name?: unknown; code?: unknown } | null;
  const type = typeof e?.code === 'string' && e.code ? e.code : typeof e?.name === 'string' && e.name ? e.name : 'Error';
  span.setAttribute('error.type', type);
  span.setStatus({ code: SpanStatusCode.ERROR });
}

/**
 * Runs `fn` in a span of its own (the current span's child), ending it when `fn` settles; with
 * tracing off just runs `fn`.
 */
export async function inSpan<T>(
  telemetry: Telemetry,
  name: string,
  options: SpanOptions,
  fn: (span: Span | undefined) => Promise<T>,
): Promise<T> {
  if (!telemetry.enabled) return fn(undefined);
  return telemetry.tracer.startActiveSpan(name, options, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      failSpan(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}
