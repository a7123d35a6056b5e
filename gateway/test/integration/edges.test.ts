/** Upstream failures, body limits, header hygiene and the admin listener. */
import http from 'node:http';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { loadEvaluator } from '../../src/app';
import { createLogger } from '../../src/telemetry/logger';
import { send, startTestBroker, testConfig } from '../helpers/broker';
import type { TestBroker } from '../helpers/broker';
import { startUpstream } from '../helpers/upstream';
import type { FakeUpstream } from '../helpers/upstream';

let upstream: FakeUpstream;
let tb: TestBroker;
let hang: Array<() => void> = [];

beforeAll(async () => {
  upstream = await startUpstream((req, res) => {
    if (req.url?.includes('/hang/')) {
      hang.push(() => res.end());
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'keep-alive': 'timeout=5', 'x-upstream': 'yes' });
    res.end('{}');
  });
  tb = await startTestBroker(testConfig(upstream.url, { proxy: { timeoutMs: 300 }, policy: { maxBodyBytes: 1024 } }));
});

afterAll(async () => {
  for (const h of hang) h();
  hang = [];
  await tb.close();
  await upstream.close();
});

beforeEach(() => {
  upstream.received.length = 0;
});

const api = (): string => `/proxy/${upstream.url}/api/v3`;

describe('upstream failures', () => {
  it('maps a refused connection to 502 UPSTREAM_UNREACHABLE', async () => {
    const closed = await startUpstream();
    const url = closed.url;
    await closed.close();
    const t = await startTestBroker(testConfig(url));
    try {
      const reply = await send(t.base, `/proxy/${url}/api/v3/repos/acme/app`);
      expect(reply.status).toBe(502);
      expect(reply.json()).toMatchObject({ error: { code: 'UPSTREAM_UNREACHABLE' } });
      const [record] = await t.log.waitFor(1);
      expect(record!.upstream).toMatchObject({ status: null, error: 'ECONNREFUSED' });
    } finally {
      await t.close();
    }
  });

  it('maps an upstream that does not answer in time to 504 UPSTREAM_TIMEOUT', async () => {
    const reply = await send(tb.base, `${api()}/repos/acme/hang/contents/package.json`);
    expect(reply.status).toBe(504);
    expect(reply.json()).toMatchObject({ error: { code: 'UPSTREAM_TIMEOUT' } });
  });
});

describe('request bodies', () => {
  const commentPath = (): string => `${api()}/repos/acme/app/issues/7/comments`;

  it('forwards an allowed JSON body byte for byte', async () => {
    const body = '{ "body" : "2 vulnerable packages" }';
    const reply = await send(tb.base, commentPath(), { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    expect(reply.status).toBe(200);
    expect(upstream.received[0]?.body.toString()).toBe(body);
    expect(upstream.received[0]?.headers['content-length']).toBe(String(body.length));
  });

  it('rejects a body beyond policy.maxBodyBytes with 413 before reading it', async () => {
    const reply = await send(tb.base, commentPath(), { method: 'POST', body: `{"body":"${'x'.repeat(2000)}"}`, headers: { 'content-type': 'application/json' } });
    expect(reply.status).toBe(413);
    expect(reply.json()).toMatchObject({ error: { code: 'BODY_TOO_LARGE' } });
    expect(upstream.received).toHaveLength(0);
  });

  it('rejects a chunked body that grows beyond the limit with 413', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${tb.base}${commentPath()}`, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write('{"body":"');
      req.write('y'.repeat(1500));
      req.end('"}');
    });
    expect(status).toBe(413);
    expect(upstream.received).toHaveLength(0);
  });

  it('rejects a body declared JSON that does not parse with 400', async () => {
    const reply = await send(tb.base, commentPath(), { method: 'POST', body: '{"body": ', headers: { 'content-type': 'application/json' } });
    expect(reply.status).toBe(400);
    expect(reply.json()).toMatchObject({ error: { code: 'INPUT_INVALID' } });
  });

  it('gives the policy a JSON body sent without a content type', async () => {
    const reply = await send(tb.base, commentPath(), { method: 'POST', body: '{"body":"x","extra":1}' });
    expect(reply.status).toBe(403);
  });
});

describe('header hygiene', () => {
  it('strips hop-by-hop, forwarding and override headers both ways', async () => {
    const reply = await send(tb.base, `${api()}/repos/acme/app`, {
      headers: {
        connection: 'x-secret-hop',
        'x-secret-hop': '1',
        'x-forwarded-for': '10.0.0.1',
        'x-original-url': '/admin',
        'x-http-method-override': 'DELETE',
        'proxy-authorization': 'Basic abc',
        'x-broker-decision-id': 'spoofed',
        'user-agent': 'scanner/1.0',
      },
    });
    expect(reply.status).toBe(200);
    const h = upstream.received[0]!.headers;
    for (const name of ['x-secret-hop', 'x-forwarded-for', 'x-original-url', 'x-http-method-override', 'proxy-authorization', 'x-broker-decision-id']) {
      expect(h[name]).toBeUndefined();
    }
    expect(h['user-agent']).toBe('scanner/1.0');
    expect(reply.headers['keep-alive']).toBeUndefined();
    expect(reply.headers['x-upstream']).toBe('yes');
    expect(reply.headers['x-broker-decision-id']).not.toBe('spoofed');
  });
});

describe('admin listener', () => {
  const get = (port: number, path: string): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      http
        .get(`http://127.0.0.1:${port}${path}`, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        })
        .on('error', reject);
    });

  it('answers healthz, readyz and metrics', async () => {
    expect((await get(tb.broker.adminPort, '/healthz')).status).toBe(200);
    expect((await get(tb.broker.adminPort, '/readyz')).status).toBe(200);
    const metrics = await get(tb.broker.adminPort, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('rego_broker_decisions_total');
  });

  it('is not ready while no bundle is loaded', async () => {
    const config = testConfig(upstream.url, { policy: { bundle: join(tmpdir(), 'missing.tar.gz') } });
    const t = await startTestBroker(config, { evaluator: await loadEvaluator(config, createLogger('silent')) });
    try {
      const ready = await get(t.broker.adminPort, '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body).toContain('policy bundle not loaded');
      expect((await get(t.broker.adminPort, '/healthz')).status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('does not serve /proxy', async () => {
    expect((await get(tb.broker.adminPort, `/proxy/${upstream.url}/api/v3/repos/acme/app`)).status).toBe(404);
  });
});
