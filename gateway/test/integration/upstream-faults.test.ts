/**
 * Upstream faults after the response headers: an upstream that dies mid-body, or drip-feeds
 * past `proxy.maxResponseSeconds`, ends the caller's exchange at once (the connection is
 * destroyed, not left waiting for the caller's own timeout), and the decision record names the
 * upstream error instead of blaming the client. `/metrics` counts them apart from plain allows.
 */
import http from 'node:http';
import { send, startTestBroker, testConfig } from '../helpers/broker';
import type { TestBroker } from '../helpers/broker';
import { startUpstream } from '../helpers/upstream';
import type { FakeUpstream } from '../helpers/upstream';

const ROUTE = '/api/v3/repos/acme/app/contents/package.json';
let mode: 'die' | 'drip' = 'die';
let upstream: FakeUpstream;
let tb: TestBroker;

beforeAll(async () => {
  upstream = await startUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
    if (mode === 'die') {
      // Headers and a first chunk on the wire, then the connection dies.
      res.write('{"partial":', () => res.socket?.destroy());
      return;
    }
    res.write('{"partial":');
    // One byte at a time, until the broker gives up on it (bounded by the socket closing).
    const drip = setInterval(() => (res.destroyed ? clearInterval(drip) : res.write(' ')), 50);
  });
  tb = await startTestBroker(testConfig(upstream.url, { proxy: { timeoutMs: 5000, maxResponseSeconds: 1 } }));
});

afterAll(async () => {
  await tb.close();
  await upstream.close();
});

/** Send a GET and resolve when the response ends or breaks: how it ended, its decision id, the bytes. */
function exchange(path: string): Promise<{ status: number; ended: 'complete' | 'broken'; decisionId: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${tb.base}${path}`, { agent: false }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      const done = (ended: 'complete' | 'broken'): void =>
        resolve({ status: res.statusCode ?? 0, ended, decisionId: String(res.headers['x-broker-decision-id']), bytes });
      res.on('end', () => done('complete'));
      res.on('error', () => done('broken'));
      res.on('aborted', () => done('broken'));
    });
    req.on('error', reject);
  });
}

it.each([
  ['dies mid-body', 'die', 'upstream_aborted'],
  ['drip-feeds past proxy.maxResponseSeconds', 'drip', 'response_deadline'],
] as const)('an upstream that %s: the caller is cut off at once and the record names the upstream error', async (_name, m, error) => {
  mode = m;
  const got = await exchange(`/proxy/${upstream.url}${ROUTE}`);
  expect(got).toMatchObject({ status: 200, ended: 'broken' });
  expect(got.bytes).toBeLessThan(1000);
  const record = await tb.log.waitForDecision(got.decisionId);
  expect(record.upstream).toMatchObject({ status: 200, error });
  expect(record.upstream?.duration_ms).toBeGreaterThan(0);
  expect(record.labels.client_aborted).toBeUndefined();
});

it('counts upstream errors by error, and not as plain allows', async () => {
  const metrics = (await send(`http://127.0.0.1:${tb.broker.adminPort}`, '/metrics')).body.toString('utf8');
  expect(metrics).toContain('rego_broker_upstream_errors_total{error="upstream_aborted"} 1');
  expect(metrics).toContain('rego_broker_upstream_errors_total{error="response_deadline"} 1');
  expect(metrics).toContain('rego_broker_decisions_total{result="allow",code="UPSTREAM_ABORTED"} 2');
  expect(metrics).not.toContain('code="ALLOWED"');
});

it('an upstream that is down is counted as UPSTREAM_UNREACHABLE (502)', async () => {
  const dead = await startUpstream();
  await dead.close();
  const cfg = testConfig(dead.url);
  const other = await startTestBroker(cfg);
  try {
    const reply = await send(other.base, `/proxy/${dead.url}${ROUTE}`);
    expect(reply.status).toBe(502);
    await other.log.waitFor(1);
    const metrics = (await send(`http://127.0.0.1:${other.broker.adminPort}`, '/metrics')).body.toString('utf8');
    expect(metrics).toContain('rego_broker_decisions_total{result="allow",code="UPSTREAM_UNREACHABLE"} 1');
    expect(metrics).toMatch(/rego_broker_upstream_errors_total\{error="ECONNREFUSED"\} 1/);
  } finally {
    await other.close();
  }
});
