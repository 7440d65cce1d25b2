import { context, defaultTextMapGetter, ROOT_CONTEXT } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { Telemetry, TelemetrySettings } from './index.js';

/** One per process: it carries the active span across awaits, callbacks and timers (AsyncLocalStorage). */
let contextManager: AsyncLocalStorageContextManager | undefined;

/**
 * The OpenTelemetry SDK, loaded only when OTEL_EXPORTER_OTLP_ENDPOINT is set: spans are batched
 * and POSTed as OTLP JSON to `<endpoint>/v1/traces` (the exporter also honours the standard
 * OTEL_EXPORTER_OTLP_HEADERS / _TIMEOUT variables). New traces are sampled by trace id at
 * `samplerRatio`; a request carrying a `traceparent` follows its caller's decision.
 *
 * The provider is not registered globally: each app owns its own (tests build several in one
 * process), and shutting one down leaves the others alone. Only the context manager is global.
 */
export function startTracing(settings: TelemetrySettings & { endpoint: string }, version?: string): Telemetry {
  if (!contextManager) {
    contextManager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(contextManager);
  }
  const exporter = new OTLPTraceExporter({ url: `${settings.endpoint.replace(/\/+$/, '')}/v1/traces` });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName, ...(version ? { [ATTR_SERVICE_VERSION]: version } : {}) }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(settings.samplerRatio) }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  const propagator = new W3CTraceContextPropagator();
  return {
    enabled: true,
    tracer: provider.getTracer('en-akte', version),
    extract: (headers) => propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter),
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
