/**
 * A canary secret (the integration token) and a caller's credential never appear in the
 * operational log, the decision log, a span, `dump` or an error body.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { stringify } from 'yaml';
import type { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { main } from '../../src/cli/main';
import type { Telemetry } from '../../src/telemetry/setup';
import { send, startTestBroker, testConfig } from '../helpers/broker';
import type { TestBroker } from '../helpers/broker';
import { startTestTelemetry } from '../helpers/telemetry';
import { startUpstream } from '../helpers/upstream';
import type { FakeUpstream } from '../helpers/upstream';

const CANARY = 'canary-9b1e5c2d-token';
const CALLER = 'caller-credential-77e0';
let exporter: InMemorySpanExporter;
let telemetry: Telemetry;
let upstream: FakeUpstream;
let tb: TestBroker;

beforeAll(async () => {
  ({ exporter, telemetry } = await startTestTelemetry());
  upstream = await startUpstream((req, res) => {
    if (req.url?.includes('fail')) {
      res.socket?.destroy();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
  tb = await startTestBroker(testConfig(upstream.url, {}, { TEST_GHE_TOKEN: CANARY }), { env: { TEST_GHE_TOKEN: CANARY } });
});

afterAll(async () => {
  await tb.close();
  await upstream.close();
  await telemetry.shutdown();
});

function everything(bodies: string[]): string {
  const spans = exporter.getFinishedSpans().map((s) => JSON.stringify({ name: s.name, attributes: s.attributes, events: s.events, status: s.status }));
  return [...bodies, ...tb.logLines, ...tb.log.records.map((r) => JSON.stringify(r)), ...spans].join('\n');
}

it('keeps the token and the caller credential out of logs, spans and error bodies', async () => {
  const headers = { authorization: `Bearer ${CALLER}`, 'x-api-key': CALLER, cookie: `s=${CALLER}` };
  const base = `/proxy/${upstream.url}/api/v3/repos/acme/app`;
  const replies = await Promise.all([
    send(tb.base, `${base}/contents/package.json?ref=main`, { headers }),
    send(tb.base, `${base}/contents/package.json?access_token=${CALLER}`, { headers }),
    send(tb.base, `${base}/contents/secret.txt?access_token=${CALLER}`, { headers }),
    send(tb.base, `/proxy/http://127.0.0.1:1/x?token=${CALLER}`, { headers }),
    send(tb.base, `${base}/a%00b?token=${CALLER}`, { headers }),
    send(tb.base, `${base}/contents/fail/package.json`, { headers }),
  ]);
  expect(replies.map((r) => r.status)).toEqual([200, 403, 403, 403, 400, 502]);
  expect(upstream.received[0]?.headers.authorization).toBe(`Bearer ${CANARY}`);
  await tb.log.waitFor(6);
  const all = everything(replies.map((r) => r.body.toString('utf8') + JSON.stringify(r.headers)));
  expect(all).not.toContain(CANARY);
  expect(all).not.toContain(CALLER);
});

it('dump redacts a literal token and shows only references otherwise', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rego-broker-dump-'));
  const file = join(dir, 'c.yaml');
  writeFileSync(
    file,
    stringify({
      integrations: [
        { name: 'a', type: 'github', baseUrl: 'https://ghe.example.com/api/v3', auth: { scheme: 'bearer', token: CANARY } },
        { name: 'b', type: 'github', baseUrl: 'https://ghe2.example.com/api/v3', auth: { scheme: 'bearer', tokenEnv: 'B_TOKEN' } },
      ],
      tunnel: { privateKey: CANARY },
    }),
  );
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks: string[] = [];
  out.on('data', (c: Buffer) => chunks.push(c.toString()));
  err.on('data', (c: Buffer) => chunks.push(c.toString()));
  const code = await main(['dump', '-c', file], { env: { B_TOKEN: CANARY }, stdin: new PassThrough(), stdout: out, stderr: err });
  expect(code).toBe(0);
  const text = chunks.join('');
  expect(text).not.toContain(CANARY);
  expect(text).toContain('[REDACTED]');
  expect(text).toContain('"tokenEnv": "B_TOKEN"');
});
