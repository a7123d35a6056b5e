/**
 * The one place that knows the OpenTelemetry SDK: a Node tracer provider (resource, context
 * manager, W3C propagation, the standard `OTEL_*` variables) with the configured span exporter.
 * Not the all-in-one NodeSDK, which loads every exporter and signal: about 7 MiB of resident
 * memory the broker does not use.
 *
 * The spans themselves are made by the gateway through `@opentelemetry/api`: SERVER in
 * `server-span.ts`, INTERNAL `broker.policy.evaluate`, CLIENT in `proxy/proxy.ts`. No HTTP
 * auto-instrumentation: it wraps every listener of every stream a proxied request touches, and
 * measured at more CPU per request than the proxying itself. Telemetry failures go to the log
 * through `diag` and are swallowed: they never change a decision.
 */
import { randomBytes } from 'node:crypto';
import { context, diag, DiagLogLevel, propagation, trace } from '@opentelemetry/api';
import type { Context, Span, SpanOptions, Tracer, TracerProvider } from '@opentelemetry/api';
import type { ReadableSpan, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReplicaIdentity } from '../config/replica';
import type { TelemetryConfig } from '../config/types';
import type { Logger } from './logger';
import { RESOURCE_DEPLOYMENT, RESOURCE_INSTANCE_ID, RESOURCE_REPLICA } from './semconv';

/** What a shutdown could not do. */
export interface TelemetryShutdown {
  /** Spans ended but never exported (dropped, failed, or still queued at the deadline). */
  spansLost: number;
}

export interface Telemetry {
  /** Flush and stop within `deadlineMs` (default {@link SHUTDOWN_MS}); never throws. */
  shutdown(deadlineMs?: number): Promise<TelemetryShutdown>;
  /** Spans dropped so far (queue full or export failed), for `/metrics`. */
  droppedSpans(): number;
}

export interface TelemetryOptions {
  /** Only `serviceName` and `traces` are read; the rest of the telemetry section may come along. */
  config: Pick<TelemetryConfig, 'serviceName' | 'traces'> & { decisionLog?: unknown; logLevel?: unknown };
  logger: Logger;
  /** Replaces the configured exporter (tests pass an in-memory one). */
  spanProcessors?: SpanProcessor[];
  /** Longest one export may take, ms: a shutdown never waits past it for a dead collector. */
  exportTimeoutMs?: number;
  /** With a tunnel, which replica this is: resource attributes of every span. */
  replica?: ReplicaIdentity | null;
}

/**
 * The resource attributes of a replica: `service.instance.id` `<deployment>-<replica>` (the
 * replica index alone without a deployment id), `rego_broker.replica`, `rego_broker.deployment`.
 */
export function replicaResource(identity: ReplicaIdentity | null | undefined): Record<string, string | number> {
  if (identity === null || identity === undefined) return {};
  const { deployment, replica } = identity;
  return {
    [RESOURCE_INSTANCE_ID]: deployment === null ? String(replica) : `${deployment}-${replica}`,
    [RESOURCE_REPLICA]: replica,
    ...(deployment === null ? {} : { [RESOURCE_DEPLOYMENT]: deployment }),
  };
}

/** Longest a shutdown waits for spans to be flushed (an unreachable collector retries). */
const SHUTDOWN_MS = 5000;
/** OTLP `ExportResultCode.SUCCESS`. */
const EXPORT_SUCCESS = 0;
/** The batch processor's own report of spans it could not queue. */
const DROPPED = /^Dropped (\d+) spans/;

const NOOP: Telemetry = { shutdown: () => Promise.resolve({ spansLost: 0 }), droppedSpans: () => 0 };

interface SpanCounts {
  ended: number;
  exported: number;
  dropped: number;
}

/** Counts what the exporter did with the spans handed to it. */
function countingExporter(inner: SpanExporter, counts: SpanCounts): SpanExporter {
  return {
    export: (spans: ReadableSpan[], done) =>
      inner.export(spans, (result) => {
        if ((result.code as number) === EXPORT_SUCCESS) counts.exported += spans.length;
        else counts.dropped += spans.length;
        done(result);
      }),
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
  };
}

async function processors(config: TelemetryOptions['config'], counts: SpanCounts, timeoutMs: number): Promise<SpanProcessor[]> {
  const { BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
  let processor: SpanProcessor;
  switch (config.traces.exporter) {
    case 'otlp': {
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
      const exporter = new OTLPTraceExporter({ timeoutMillis: timeoutMs, ...(config.traces.endpoint ? { url: config.traces.endpoint } : {}) });
      processor = new BatchSpanProcessor(countingExporter(exporter, counts), { exportTimeoutMillis: timeoutMs });
      break;
    }
    case 'console':
      processor = new SimpleSpanProcessor(countingExporter(new ConsoleSpanExporter(), counts));
      break;
    case 'none':
      return [];
  }
  // Counted before the exporting processor sees the span, so `ended - exported` is what was lost.
  const counting: SpanProcessor = {
    onStart: () => undefined,
    onEnd: () => void (counts.ended += 1),
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
  return [counting, processor];
}

/**
 * Trace context without export: every span gets a trace id (the caller's, from `traceparent`,
 * or a new one) and a span id, so decision records and forwarded requests carry a trace id that
 * logs of other systems can be joined on, while nothing is recorded or sent. Spans are the API's
 * non-recording spans: no SDK is loaded.
 */
const contextOnlyTracer: Tracer = {
  startSpan(_name: string, _options?: SpanOptions, ctx?: Context): Span {
    const parent = ctx ? trace.getSpanContext(ctx) : undefined;
    const continued = parent !== undefined && trace.isSpanContextValid(parent);
    return trace.wrapSpanContext({
      traceId: continued ? parent.traceId : randomBytes(16).toString('hex'),
      spanId: randomBytes(8).toString('hex'),
      traceFlags: continued ? parent.traceFlags : 0,
    });
  },
  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...rest: unknown[]): ReturnType<F> {
    const fn = rest[rest.length - 1] as F;
    const options = rest.length > 1 ? (rest[0] as SpanOptions) : undefined;
    const ctx = rest.length > 2 ? (rest[1] as Context) : context.active();
    const span = contextOnlyTracer.startSpan(name, options, ctx);
    return context.with(trace.setSpan(ctx, span), () => fn(span)) as ReturnType<F>;
  },
};
const contextOnlyProvider: TracerProvider = { getTracer: () => contextOnlyTracer };

/** With export off: W3C propagation and trace ids, nothing recorded. */
async function startContextOnly(): Promise<Telemetry> {
  const { W3CTraceContextPropagator } = await import('@opentelemetry/core');
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(contextOnlyProvider);
  return NOOP;
}

/**
 * Start tracing. With exporter `none` (and no injected processors) the SDK is not even loaded
 * (it is most of the broker's idle memory): trace context is still created or continued, and
 * only export is off (see contextOnlyTracer).
 */
export async function startTelemetry(options: TelemetryOptions): Promise<Telemetry> {
  const counts: SpanCounts = { ended: 0, exported: 0, dropped: 0 };
  const counted = options.spanProcessors === undefined;
  const spanProcessors = options.spanProcessors ?? (await processors(options.config, counts, options.exportTimeoutMs ?? SHUTDOWN_MS));
  if (spanProcessors.length === 0) return startContextOnly();
  const { NodeTracerProvider } = await import('@opentelemetry/sdk-trace-node');
  const { detectResources, envDetector, resourceFromAttributes } = await import('@opentelemetry/resources');
  const { logger } = options;
  diag.setLogger(
    {
      error: (msg: string) => logger.warn({ telemetry: true }, msg),
      warn: (msg: string) => {
        const dropped = DROPPED.exec(msg);
        if (dropped) counts.dropped += Number(dropped[1]);
        logger.warn({ telemetry: true }, msg);
      },
      info: () => undefined,
      debug: () => undefined,
      verbose: () => undefined,
    },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
  // OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME describe the resource (the configured
  // service name and replica win); the provider reads OTEL_TRACES_SAMPLER*, the exporter OTEL_EXPORTER_OTLP_*.
  const resource = detectResources({ detectors: [envDetector] }).merge(
    resourceFromAttributes({ 'service.name': options.config.serviceName, ...replicaResource(options.replica) }),
  );
  const provider = new NodeTracerProvider({ resource, spanProcessors });
  try {
    // Global tracer provider and W3C trace-context propagation. No context manager: the gateway
    // passes each request's trace context to the spans it parents, and AsyncLocalStorage would
    // cost an async hook on every promise of every request.
    provider.register({ contextManager: null });
  } catch (err) {
    logger.warn({ err: (err as Error).message }, 'telemetry could not start; continuing without traces');
    return NOOP;
  }
  return {
    droppedSpans: () => counts.dropped,
    shutdown: async (deadlineMs = SHUTDOWN_MS) => {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          logger.warn({ ms: deadlineMs }, 'telemetry flush did not finish in time; spans may be lost');
          resolve();
        }, deadlineMs);
      });
      try {
        await Promise.race([provider.shutdown(), deadline]);
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'telemetry shutdown failed');
      } finally {
        clearTimeout(timer);
      }
      return { spansLost: counted ? Math.max(0, counts.ended - counts.exported) : 0 };
    },
  };
}
