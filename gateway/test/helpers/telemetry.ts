/** Tracing for in-process tests: an in-memory exporter behind the broker's own telemetry setup. */
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createLogger } from '../../src/telemetry/logger';
import { startTelemetry } from '../../src/telemetry/setup';
import type { Telemetry } from '../../src/telemetry/setup';

export async function startTestTelemetry(): Promise<{ exporter: InMemorySpanExporter; telemetry: Telemetry }> {
  const exporter = new InMemorySpanExporter();
  const telemetry = await startTelemetry({
    config: { serviceName: 'rego-broker-test', traces: { exporter: 'none', endpoint: '' }, decisionLog: { path: '-', maxBodyBytes: 4096, maxFileBytes: 0, maxFiles: 1 }, logLevel: 'silent' },
    logger: createLogger('silent'),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  return { exporter, telemetry };
}
