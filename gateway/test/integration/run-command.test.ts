/**
 * `rego-broker run` as a process, as deployed: OTLP http/protobuf export to a collector, the
 * decision log to a file, and SIGTERM draining, flushing both and exiting 0.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { stringify } from 'yaml';
import { send } from '../helpers/broker';
import { REPO_ROOT, SHIPPED_BUNDLE } from '../helpers/rego';
import { startUpstream } from '../helpers/upstream';
import type { FakeUpstream } from '../helpers/upstream';

const CLI = join(REPO_ROOT, 'dist', 'gateway', 'src', 'cli', 'main.js');
let upstream: FakeUpstream;
let collector: http.Server;
let received: Array<{ type: string; bytes: number }> = [];
let exported: () => void = () => undefined;

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  upstream = await startUpstream();
  collector = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ type: String(req.headers['content-type']), bytes: Buffer.concat(chunks).length });
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      res.end();
      exported();
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await upstream.close();
  await new Promise<void>((resolve) => collector.close(() => resolve()));
});

function listening(child: ChildProcess): Promise<{ port: number; adminPort: number }> {
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stderr! }).on('line', (line) => {
      const rec = JSON.parse(line) as { msg?: string; port?: number; adminPort?: number };
      if (rec.msg === 'broker listening') resolve({ port: rec.port!, adminPort: rec.adminPort! });
    });
    child.once('exit', (code) => reject(new Error(`exited early with ${code}`)));
  });
}

it('exports spans over OTLP, logs decisions to a file and exits 0 on SIGTERM', async () => {
  received = [];
  const dir = mkdtempSync(join(tmpdir(), 'rego-broker-run-'));
  const log = join(dir, 'decisions.jsonl');
  const config = join(dir, 'broker.yaml');
  const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/v1/traces`;
  writeFileSync(
    config,
    stringify({
      listen: { host: '127.0.0.1', port: 0 },
      admin: { host: '127.0.0.1', port: 0 },
      policy: { bundle: SHIPPED_BUNDLE },
      telemetry: { traces: { exporter: 'otlp', endpoint }, decisionLog: { path: log }, logLevel: 'info' },
      integrations: [{ name: 'ghe', type: 'github', baseUrl: `${upstream.url}/api/v3`, auth: { scheme: 'bearer', tokenEnv: 'RUN_TOKEN' } }],
    }),
  );
  const child = spawn(process.execPath, [CLI, 'run', '-c', config], { env: { PATH: process.env.PATH, RUN_TOKEN: 'run-token' }, stdio: ['ignore', 'ignore', 'pipe'] });
  const { port } = await listening(child);
  const base = `http://127.0.0.1:${port}`;
  const allowed = await send(base, `/proxy/${upstream.url}/api/v3/repos/acme/app/contents/package.json`);
  const denied = await send(base, `/proxy/${upstream.url}/api/v3/repos/acme/app/contents/main.go`);
  expect([allowed.status, denied.status]).toEqual([200, 403]);

  const flushed = new Promise<void>((resolve) => {
    exported = resolve;
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  expect(await exit).toBe(0);
  await flushed;
  expect(received.length).toBeGreaterThan(0);
  expect(received[0]!.type).toBe('application/x-protobuf');
  const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { decision_id: string; trace_id?: string });
  expect(lines.map((l) => l.decision_id).sort()).toEqual([allowed.headers['x-broker-decision-id'], denied.headers['x-broker-decision-id']].sort());
  expect(lines.every((l) => /^[0-9a-f]{32}$/.test(l.trace_id ?? ''))).toBe(true);
});

it('exits 2 with the key named for an invalid configuration', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rego-broker-run-'));
  const config = join(dir, 'bad.yaml');
  writeFileSync(config, 'listen: {port: 8080, hots: x}\n');
  const child = spawn(process.execPath, [CLI, 'run', '-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  const err: string[] = [];
  child.stderr.on('data', (c: Buffer) => err.push(c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(code).toBe(2);
  expect(err.join('')).toContain('listen.hots');
});
