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
import { diag, DiagLogLevel } from '@opentelemetry/api';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { TelemetryConfig } from '../config/types';
import type { Logger } from './logger';

export interface Telemetry {
  /** Flush and stop; never throws. */
  shutdown(): Promise<void>;
}

export interface TelemetryOptions {
  config: TelemetryConfig;
  logger: Logger;
  /** Replaces the configured exporter (tests pass an in-memory one). */
  spanProcessors?: SpanProcessor[];
}

/** Longest a shutdown waits for spans to be flushed (an unreachable collector retries). */
const SHUTDOWN_MS = 5000;

const NOOP: Telemetry = { shutdown: () => Promise.resolve() };

async function processors(config: TelemetryConfig): Promise<SpanProcessor[]> {
  switch (config.traces.exporter) {
    case 'otlp': {
      const { BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
      return [new BatchSpanProcessor(new OTLPTraceExporter(config.traces.endpoint ? { url: config.traces.endpoint } : {}))];
    }
    case 'console': {
      const { ConsoleSpanExporter, SimpleSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
      return [new SimpleSpanProcessor(new ConsoleSpanExporter())];
    }
    case 'none':
      return [];
  }
}

/**
 * Start tracing. With exporter `none` (and no injected processors) nothing is started and the
 * SDK is not even loaded (it is most of the broker's idle memory); the API's no-op tracer stays.
 */
export async function startTelemetry(options: TelemetryOptions): Promise<Telemetry> {
  const spanProcessors = options.spanProcessors ?? (await processors(options.config));
  if (spanProcessors.length === 0) return NOOP;
  const { NodeTracerProvider } = await import('@opentelemetry/sdk-trace-node');
  const { detectResources, envDetector, resourceFromAttributes } = await import('@opentelemetry/resources');
  const { logger } = options;
  diag.setLogger(
    {
      error: (msg: string) => logger.warn({ telemetry: true }, msg),
      warn: (msg: string) => logger.warn({ telemetry: true }, msg),
      info: () => undefined,
      debug: () => undefined,
      verbose: () => undefined,
    },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
  // OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME describe the resource (the configured
  // service name wins); the provider reads OTEL_TRACES_SAMPLER*, the exporter OTEL_EXPORTER_OTLP_*.
  const resource = detectResources({ detectors: [envDetector] }).merge(resourceFromAttributes({ 'service.name': options.config.serviceName }));
  const provider = new NodeTracerProvider({ resource, spanProcessors });
  try {
    // Global tracer provider, AsyncLocalStorage context manager, W3C trace-context propagation.
    provider.register();
  } catch (err) {
    logger.warn({ err: (err as Error).message }, 'telemetry could not start; continuing without traces');
    return NOOP;
  }
  return {
    shutdown: async () => {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          logger.warn({ ms: SHUTDOWN_MS }, 'telemetry flush did not finish in time; spans may be lost');
          resolve();
        }, SHUTDOWN_MS);
      });
      try {
        await Promise.race([provider.shutdown(), deadline]);
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'telemetry shutdown failed');
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
