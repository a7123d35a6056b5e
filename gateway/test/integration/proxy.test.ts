/**
 * The policy-gated request path end to end: real broker on port 0, fake upstream, the shipped
 * bundle, in-memory span exporter and decision log.
 */
import { SpanKind } from '@opentelemetry/api';
import type { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Telemetry } from '../../src/telemetry/setup';
import { startTestTelemetry } from '../helpers/telemetry';
import { send, startTestBroker, testConfig } from '../helpers/broker';
import type { TestBroker } from '../helpers/broker';
import { startUpstream } from '../helpers/upstream';
import type { FakeUpstream } from '../helpers/upstream';

let exporter: InMemorySpanExporter;
let telemetry: Telemetry;
let upstream: FakeUpstream;
let tb: TestBroker;
const TOKEN = 'upstream-token-7f3a';

beforeAll(async () => {
  ({ exporter, telemetry } = await startTestTelemetry());
  upstream = await startUpstream();
  tb = await startTestBroker(testConfig(upstream.url, {}, { TEST_GHE_TOKEN: TOKEN }), { env: { TEST_GHE_TOKEN: TOKEN } });
});

afterAll(async () => {
  await tb.close();
  await upstream.close();
  await telemetry.shutdown();
});

beforeEach(() => {
  upstream.received.length = 0;
  tb.log.records.length = 0;
  exporter.reset();
});

const manifest = () => `/proxy/${upstream.url}/api/v3/repos/acme/app/contents/package.json?ref=main`;

describe('allowed request', () => {
  it('reaches the upstream with the configured token and without the caller credentials', async () => {
    const reply = await send(tb.base, manifest(), { headers: { authorization: 'Bearer caller-secret', cookie: 'sid=1', accept: 'application/json' } });
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({ ok: true });
    const id = reply.headers['x-broker-decision-id'];
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(upstream.received).toHaveLength(1);
    const got = upstream.received[0]!;
    expect(got.url).toBe('/api/v3/repos/acme/app/contents/package.json?ref=main');
    expect(got.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(got.headers.cookie).toBeUndefined();
    expect(got.headers.host).toBe(`127.0.0.1:${upstream.port}`);
    expect(got.headers.accept).toBe('application/json');

    const [record] = await tb.log.waitFor(1);
    expect(record!.decision_id).toBe(id);
    expect(record!.result).toMatchObject({ allow: true, rule: 'github.contents.manifest' });
    expect(record!.upstream).toMatchObject({ status: 200, bytes: 11 });
    expect(JSON.stringify(record)).not.toContain('caller-secret');

    const spans = exporter.getFinishedSpans();
    const evalSpan = spans.find((s) => s.name === 'broker.policy.evaluate');
    expect(evalSpan?.attributes).toMatchObject({
      'broker.decision.id': id,
      'broker.decision.allow': true,
      'broker.decision.rule': 'github.contents.manifest',
      'broker.integration.name': 'ghe',
      'broker.integration.type': 'github',
    });
    const server = spans.find((s) => s.kind === SpanKind.SERVER && s.attributes['broker.decision.id'] === id);
    expect(server).toBeDefined();
    expect(record!.trace_id).toBe(server!.spanContext().traceId);
    expect(record!.span_id).toBe(server!.spanContext().spanId);
    expect(evalSpan!.spanContext().traceId).toBe(server!.spanContext().traceId);
    const client = spans.find((s) => s.kind === SpanKind.CLIENT && s.attributes['server.port'] === upstream.port);
    expect(client?.attributes).toMatchObject({
      'http.request.method': 'GET',
      'server.address': '127.0.0.1',
      'http.response.status_code': 200,
      'url.full': `http://127.0.0.1:${upstream.port}/api/v3/repos/acme/app/contents/package.json?REDACTED`,
    });
    expect(client!.parentSpanContext?.spanId).toBe(server!.spanContext().spanId);
    expect(got.headers.traceparent).toBe(`00-${server!.spanContext().traceId}-${client!.spanContext().spanId}-01`);
  });
});

describe('denied request', () => {
  it('never reaches the upstream and answers the JSON error with the decision id', async () => {
    const reply = await send(tb.base, `/proxy/${upstream.url}/api/v3/repos/acme/app/contents/src/main.go`);
    expect(reply.status).toBe(403);
    const id = reply.headers['x-broker-decision-id'];
    expect(reply.json()).toMatchObject({ error: { code: 'POLICY_DENIED', decision_id: id } });
    expect((reply.json() as { error: { reasons: string[] } }).error.reasons.length).toBeGreaterThan(0);
    expect(upstream.received).toHaveLength(0);
    const [record] = await tb.log.waitFor(1);
    expect(record!.decision_id).toBe(id);
    expect(record!.result).toMatchObject({ allow: false });
    const evalSpan = exporter.getFinishedSpans().find((s) => s.name === 'broker.policy.evaluate');
    expect(evalSpan?.attributes['broker.decision.id']).toBe(id);
    expect(evalSpan?.attributes['broker.decision.allow']).toBe(false);
  });

  it('denies a destination outside every integration before any policy runs', async () => {
    const reply = await send(tb.base, '/proxy/http://127.0.0.1:1/api/v3/repos/acme/app');
    expect(reply.status).toBe(403);
    expect(reply.json()).toMatchObject({ error: { code: 'DESTINATION_NOT_ALLOWED' } });
    const [record] = await tb.log.waitFor(1);
    expect(record!.result).toMatchObject({ allow: false, code: 'DESTINATION_NOT_ALLOWED' });
    expect(exporter.getFinishedSpans().some((s) => s.name === 'broker.policy.evaluate')).toBe(false);
  });
});
