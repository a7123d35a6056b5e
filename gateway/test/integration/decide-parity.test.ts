/**
 * `rego-broker decide` answers the same as the running broker on the same requests: same
 * allow, rule, reasons, status and code.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { stringify } from 'yaml';
import { main } from '../../src/cli/main';
import { startTestBroker, testConfig, TOKEN_ENV } from '../helpers/broker';
import type { TestBroker } from '../helpers/broker';
import { rawRequest } from '../helpers/raw';
import { SHIPPED_BUNDLE } from '../helpers/rego';
import { startUpstream } from '../helpers/upstream';
import type { FakeUpstream } from '../helpers/upstream';

let upstream: FakeUpstream;
let tb: TestBroker;
let configFile: string;

beforeAll(async () => {
  upstream = await startUpstream();
  const integrations = [{ name: 'ghe', type: 'github', baseUrl: `${upstream.url}/api/v3`, auth: { scheme: 'bearer', tokenEnv: TOKEN_ENV } }];
  configFile = join(mkdtempSync(join(tmpdir(), 'rego-broker-parity-')), 'c.yaml');
  writeFileSync(configFile, stringify({ policy: { bundle: SHIPPED_BUNDLE }, integrations }));
  tb = await startTestBroker(testConfig(upstream.url, { integrations }));
});

afterAll(async () => {
  await tb.close();
  await upstream.close();
});

interface Line {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
}

const requests = (): Line[] => {
  const api = `${upstream.url}/api/v3`;
  return [
    { method: 'GET', url: `${api}/repos/acme/app/contents/package.json?ref=main` },
    { method: 'GET', url: `${api}/repos/acme/app/contents/deep/dir/go.mod` },
    { method: 'GET', url: `${api}/repos/acme/app/contents/src/main.go` },
    { method: 'GET', url: `${api}/repos/acme/app` },
    { method: 'DELETE', url: `${api}/repos/acme/app` },
    { method: 'POST', url: `${api}/repos/acme/app/issues/3/comments`, body: { body: 'found 2 vulnerable packages' } },
    { method: 'POST', url: `${api}/repos/acme/app/issues/3/comments`, body: { body: 'x', labels: ['y'] } },
    { method: 'GET', url: `${api}/repos/acme/app/contents/%2e%2e/secret` },
    { method: 'GET', url: `http://127.0.0.1:1/elsewhere` },
  ];
};

async function decideAll(lines: Line[]): Promise<Array<Record<string, unknown>>> {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const out: string[] = [];
  stdout.on('data', (c: Buffer) => out.push(c.toString()));
  stdin.end(lines.map((l) => JSON.stringify(l)).join('\n'));
  const code = await main(['decide', '-c', configFile], { env: { [TOKEN_ENV]: 'x' }, stdin, stdout, stderr: new PassThrough() });
  expect(code).toBe(0);
  return out.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

it('agrees with the broker on every request', async () => {
  const lines = requests();
  const decided = await decideAll(lines);
  expect(decided).toHaveLength(lines.length);
  for (const [i, line] of lines.entries()) {
    const body = line.body === undefined ? undefined : JSON.stringify(line.body);
    // Sent byte for byte: Node's client would resolve %2e%2e itself before the broker saw it.
    const head = `${line.method} /proxy/${line.url} HTTP/1.1\r\nhost: broker${body ? `\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}` : ''}`;
    const raw = await rawRequest(tb.broker.port, head, body ?? '');
    const reply = { status: raw.status, json: () => JSON.parse(raw.body) as unknown };
    const records = await tb.log.waitFor(i + 1);
    const record = records[i]!;
    const d = decided[i]!;
    const broker = {
      allow: reply.status < 300,
      status: reply.status < 300 ? null : reply.status,
      code: reply.status < 300 ? null : (reply.json() as { error: { code: string } }).error.code,
      rule: (record.result as { rule?: string }).rule ?? null,
      reasons: (record.result as { reasons?: string[] }).reasons ?? [],
    };
    expect({ line: i, allow: d.allow, status: d.status, code: d.code, rule: d.rule, reasons: d.reasons }).toEqual({ line: i, ...broker });
  }
});

it('reports malformed lines and exits 1', async () => {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const out: string[] = [];
  stdout.on('data', (c: Buffer) => out.push(c.toString()));
  stdin.end('{"method":"GET"}\nnot json\n');
  const code = await main(['decide', '-c', configFile], { env: { [TOKEN_ENV]: 'x' }, stdin, stdout, stderr: new PassThrough() });
  expect(code).toBe(1);
  expect(out.join('')).toContain('"line":1');
  expect(out.join('')).toContain('"line":2');
});
