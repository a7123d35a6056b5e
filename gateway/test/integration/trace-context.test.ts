/**
 * Audit joins with span export off: every decision record carries a trace id (the caller's
 * from `traceparent`, or a new one) and the proxied request carries the same trace context, so
 * logs of different systems join on it; nothing is recorded or exported.
 */
import { DECISION_HEADER } from '../../src/server/respond';
import { createLogger } from '../../src/telemetry/logger';
import { startTelemetry } from '../../src/telemetry/setup';
import type { Telemetry } from '../../src/telemetry/setup';
import { send, startTestBroker, testConfig } from '../helpers/broker';
import type { TestBroker } from '../helpers/broker';
import { startUpstream } from '../helpers/upstream';
import type { FakeUpstream } from '../helpers/upstream';

let upstream: FakeUpstream;
let telemetry: Telemetry;
let tb: TestBroker;

beforeAll(async () => {
  telemetry = await startTelemetry({ config: { serviceName: 'rego-broker-test', traces: { exporter: 'none', endpoint: '' } }, logger: createLogger('silent') });
  upstream = await startUpstream();
  tb = await startTestBroker(testConfig(upstream.url));
});
afterAll(async () => {
  await tb.close();
  await upstream.close();
  await telemetry.shutdown();
});

const PATH = (): string => `/proxy/${upstream.url}/api/v3/repos/acme/app/contents/package.json`;

it('continues the caller trace: the record and the upstream request carry its trace id', async () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const reply = await send(tb.base, PATH(), { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
  expect(reply.status).toBe(200);
  const record = await tb.log.waitForDecision(String(reply.headers[DECISION_HEADER]));
  expect(record.trace_id).toBe(traceId);
  expect(record.span_id).toMatch(/^[0-9a-f]{16}$/);
  const forwarded = upstream.received[upstream.received.length - 1]!;
  expect(String(forwarded.headers.traceparent)).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
});

it('starts a trace when the caller has none, for allows and denies alike', async () => {
  const allowed = await send(tb.base, PATH());
  const denied = await send(tb.base, `/proxy/${upstream.url}/api/v3/repos/acme/app/contents/main.go`);
  expect([allowed.status, denied.status]).toEqual([200, 403]);
  const ids = new Set<string>();
  for (const reply of [allowed, denied]) {
    const record = await tb.log.waitForDecision(String(reply.headers[DECISION_HEADER]));
    expect(record.trace_id).toMatch(/^[0-9a-f]{32}$/);
    ids.add(record.trace_id!);
  }
  expect(ids.size).toBe(2);
});
