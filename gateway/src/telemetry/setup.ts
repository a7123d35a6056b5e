/**
 * The one place that knows the OpenTelemetry SDK: NodeSDK (resource, context manager, W3C
 * propagation, the standard `OTEL_*` variables) with the configured span exporter. The spans
 * themselves are made by the gateway through `@opentelemetry/api`: SERVER in
 * `server-span.ts`, INTERNAL `broker.policy.evaluate`, CLIENT in `proxy/proxy.ts`. (No HTTP
 * auto-instrumentation: it wraps every listener of every stream a proxied request touches,
 * and measured at more CPU per request than the proxying itself.) Telemetry failures go to the
 * log through `diag` and are swallowed: they never change a decision.
 */
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
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

function processors(config: TelemetryConfig): SpanProcessor[] {
  switch (config.traces.exporter) {
    case 'otlp':
      return [new BatchSpanProcessor(new OTLPTraceExporter(config.traces.endpoint ? { url: config.traces.endpoint } : {}))];
    case 'console':
      return [new SimpleSpanProcessor(new ConsoleSpanExporter())];
    case 'none':
      return [];
  }
}

/** Start tracing; with exporter `none` (and no injected processors) nothing is started at all. */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  const spanProcessors = options.spanProcessors ?? processors(options.config);
  if (spanProcessors.length === 0) return NOOP;
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
  // Traces only: empty metric readers and log processors keep the SDK from starting its own
  // OTLP metrics and logs exporters from the environment.
  const sdk = new NodeSDK({ serviceName: options.config.serviceName, spanProcessors, instrumentations: [], metricReaders: [], logRecordProcessors: [] });
  try {
    sdk.start();
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
        await Promise.race([sdk.shutdown(), deadline]);
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'telemetry shutdown failed');
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
