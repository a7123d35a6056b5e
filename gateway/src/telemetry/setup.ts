/**
 * The one place that knows the OpenTelemetry SDK: NodeSDK with the HTTP instrumentation only
 * (SERVER spans for incoming, CLIENT spans for proxied requests), and the configured exporter.
 * The rest of the gateway uses `@opentelemetry/api` alone. Telemetry failures go to the log
 * through `diag` and are swallowed: they never change a decision.
 */
import { IncomingMessage } from 'node:http';
import type { ClientRequest } from 'node:http';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import type { InstrumentationBase } from '@opentelemetry/instrumentation';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { TelemetryConfig } from '../config/types';
import type { Logger } from './logger';

export interface Telemetry {
  /** The instrumentations in use (module loaders that bypass Node's `require` must apply them). */
  readonly instrumentations: readonly InstrumentationBase[];
  /** Flush and stop; never throws. */
  shutdown(): Promise<void>;
}

export interface TelemetryOptions {
  config: TelemetryConfig;
  logger: Logger;
  /** Replaces the configured exporter (tests pass an in-memory one). */
  spanProcessors?: SpanProcessor[];
  /** Paths whose incoming requests get no span (admin probes). */
  ignorePaths?: readonly string[];
}

const REDACTED = 'REDACTED';
/** Longest a shutdown waits for spans to be flushed (an unreachable collector retries). */
const SHUTDOWN_MS = 5000;

/**
 * Why this exists: query strings carry tokens (`access_token`, `private_token`, signed URLs),
 * and a list of parameter names to redact always misses one. Spans keep the path and lose the
 * whole query; the decision log keeps the query, masked by the policy.
 */
export function redactQuery(span: Span, request: ClientRequest | IncomingMessage): void {
  if (request instanceof IncomingMessage) {
    if ((request.url ?? '').includes('?')) span.setAttribute('url.query', REDACTED);
    return;
  }
  const q = request.path.indexOf('?');
  if (q < 0) return;
  const host = request.getHeader('host');
  span.setAttribute('url.full', `${request.protocol}//${typeof host === 'string' ? host : request.host}${request.path.slice(0, q)}?${REDACTED}`);
}

const NOOP: Telemetry = { instrumentations: [], shutdown: () => Promise.resolve() };

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
  const ignore = new Set(options.ignorePaths ?? []);
  const instrumentations = [
    new HttpInstrumentation({
      ignoreIncomingRequestHook: (req) => ignore.has((req.url ?? '').split('?', 1)[0] ?? ''),
      requestHook: redactQuery,
      // The proxy makes its own CLIENT span (see proxy/proxy.ts): the outgoing side of this
      // instrumentation wraps every stream listener and costs more than the proxying itself.
      disableOutgoingRequestInstrumentation: true,
    }),
  ];
  // Traces only: empty metric readers and log processors keep the SDK from starting its own
  // OTLP metrics and logs exporters from the environment.
  const sdk = new NodeSDK({ serviceName: options.config.serviceName, spanProcessors, instrumentations, metricReaders: [], logRecordProcessors: [] });
  try {
    sdk.start();
  } catch (err) {
    logger.warn({ err: (err as Error).message }, 'telemetry could not start; continuing without traces');
    return NOOP;
  }
  return {
    instrumentations,
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
