/**
 * Decision records shipped to an OPA-compatible decision-log service besides the file: gzip
 * JSON batches with the bearer token; a service that is down never holds a request up, and what
 * cannot be kept is dropped and counted.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { send, startTestBroker, testConfig } from '../helpers/broker';
import { SHIPPED_BUNDLE } from '../helpers/rego';
import { startUpstream } from '../helpers/upstream';
import type { FakeUpstream } from '../helpers/upstream';

const CANARY = 'decision-service-token-canary-61b2';

interface Batch {
  authorization: string | undefined;
  encoding: string | undefined;
  records: Array<{ decision_id: string; path: string }>;
}

/** A decision-log service that records each batch; resolves `until(n)` once n records arrived. */
async function startService(): Promise<{ url: string; batches: Batch[]; until(n: number): Promise<void>; close(): Promise<void> }> {
  const batches: Batch[] = [];
  let waiters: Array<{ n: number; resolve: () => void }> = [];
  const count = (): number => batches.reduce((n, b) => n + b.records.length, 0);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const records = JSON.parse(gunzipSync(Buffer.concat(chunks)).toString('utf8')) as Batch['records'];
      batches.push({ authorization: req.headers.authorization, encoding: req.headers['content-encoding'], records });
      res.writeHead(200).end();
      waiters = waiters.filter((w) => (count() >= w.n ? (w.resolve(), false) : true));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/logs`,
    batches,
    until: (n) => (count() >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

let upstream: FakeUpstream;

beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(() => upstream.close());

const manifest = (): string => `/proxy/${upstream.url}/api/v3/repos/acme/app/contents/package.json?ref=main`;

it('ships every record as a gzip JSON batch with the token, besides the file', async () => {
  const service = await startService();
  const config = testConfig(upstream.url, { policy: { bundle: SHIPPED_BUNDLE }, telemetry: { decisionService: { url: service.url, tokenEnv: 'DS_TOKEN', flushSeconds: 1 } } });
  const tb = await startTestBroker(config, { env: { DS_TOKEN: CANARY } });
  try {
    const replies = await Promise.all([send(tb.base, manifest()), send(tb.base, manifest()), send(tb.base, `/proxy/${upstream.url}/api/v3/repos/acme/app/hooks`)]);
    expect(replies.map((r) => r.status)).toEqual([200, 200, 403]);
    await service.until(3);
    const shipped = service.batches.flatMap((b) => b.records.map((r) => r.decision_id)).sort();
    expect(shipped).toEqual(replies.map((r) => r.headers['x-broker-decision-id'] as string).sort());
    expect(service.batches.every((b) => b.authorization === `Bearer ${CANARY}` && b.encoding === 'gzip')).toBe(true);
    expect(tb.log.records).toHaveLength(3);
    const metrics = (await send(`http://127.0.0.1:${tb.broker.adminPort}`, '/metrics')).body.toString('utf8');
    expect(metrics).toContain('rego_broker_decision_service_shipped_total 3');
    expect(tb.logLines.join('\n')).not.toContain(CANARY);
  } finally {
    await tb.close();
    await service.close();
  }
});

it('never holds a request up when the service is down; what does not fit is dropped and counted', async () => {
  const config = testConfig(upstream.url, { telemetry: { decisionService: { url: 'http://127.0.0.1:1/logs', flushSeconds: 1, bufferBytes: 1 } } });
  const tb = await startTestBroker(config);
  try {
    const replies = await Promise.all([send(tb.base, manifest()), send(tb.base, manifest())]);
    expect(replies.map((r) => r.status)).toEqual([200, 200]);
    await tb.log.waitFor(2);
    const metrics = (await send(`http://127.0.0.1:${tb.broker.adminPort}`, '/metrics')).body.toString('utf8');
    expect(metrics).toContain('rego_broker_decision_service_dropped_total 2');
  } finally {
    await tb.close();
  }
});
