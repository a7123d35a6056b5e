/**
 * Tracing for in-process tests: an in-memory exporter behind the broker's own telemetry setup.
 * Jest loads Node's core modules without going through `require`, so the HTTP
 * instrumentation's hook never fires there; this applies its patches to `http` and `https`
 * directly, as the hook would.
 */
import http from 'node:http';
import https from 'node:https';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createLogger } from '../../src/telemetry/logger';
import { startTelemetry } from '../../src/telemetry/setup';
import type { Telemetry } from '../../src/telemetry/setup';

const CORE: Record<string, unknown> = { http, https };

export function startTestTelemetry(ignorePaths: readonly string[] = []): { exporter: InMemorySpanExporter; telemetry: Telemetry } {
  const exporter = new InMemorySpanExporter();
  const telemetry = startTelemetry({
    config: { serviceName: 'rego-broker-test', traces: { exporter: 'none', endpoint: '' }, decisionLog: { path: '-' }, logLevel: 'silent' },
    logger: createLogger('silent'),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
    ignorePaths,
  });
  for (const instrumentation of telemetry.instrumentations) {
    for (const def of instrumentation.getModuleDefinitions()) {
      const exports = CORE[def.name];
      if (exports !== undefined && def.patch) def.patch(exports, process.versions.node);
    }
  }
  return { exporter, telemetry };
}
