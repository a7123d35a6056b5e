/**
 * `rego-broker run` as a process, shut down while its sinks fail: the decision log on a full
 * disk (`/dev/full`), on a stdout nobody reads or whose reader went away, and spans bound for a
 * collector that accepts connections and never answers. SIGTERM always ends the process within
 * `shutdown.graceSeconds` plus the bounded flushes; the last line says how many records could
 * not be written and the exit code is 1 when any were lost. An unwritable decision log path
 * is exit 2 naming the key.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
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
const ALLOWED = '/api/v3/repos/acme/app/contents/package.json';
const GRACE_S = 1;
const FLUSH_S = 1;
/** grace + decision-log flush + telemetry flush + the exit grace, and room for a loaded machine. */
const BOUND_MS = (GRACE_S + 2 * FLUSH_S + 1) * 1000 + 4000;

let upstream: FakeUpstream;
/** Accepts OTLP connections and never answers. */
let blackHole: net.Server;
const held: net.Socket[] = [];

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  upstream = await startUpstream();
  blackHole = net.createServer((s) => void held.push(s));
  await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  for (const s of held) s.destroy();
  await new Promise<void>((resolve) => blackHole.close(() => resolve()));
  await upstream.close();
});

interface Line {
  msg?: string;
  recordsUnwritten?: number;
  spansLost?: number;
}

function configFile(decisionLog: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'rego-broker-sinks-'));
  const file = join(dir, 'broker.yaml');
  const endpoint = `http://127.0.0.1:${(blackHole.address() as AddressInfo).port}/v1/traces`;
  writeFileSync(
    file,
    stringify({
      listen: { host: '127.0.0.1', port: 0 },
      admin: { host: '127.0.0.1', port: 0 },
      policy: { bundle: SHIPPED_BUNDLE },
      telemetry: { traces: { exporter: 'otlp', endpoint }, decisionLog, logLevel: 'info' },
      shutdown: { graceSeconds: GRACE_S, flushSeconds: FLUSH_S },
      integrations: [{ name: 'ghe', type: 'github', baseUrl: `${upstream.url}/api/v3`, auth: { scheme: 'bearer', tokenEnv: 'RUN_TOKEN' } }],
    }),
  );
  return file;
}

interface Running {
  child: ChildProcess;
  port: number;
  lines: Line[];
  exited: Promise<number | null>;
}

function start(file: string, stdout: 'ignore' | 'pipe'): Promise<Running> {
  const child = spawn(process.execPath, [CLI, 'run', '-c', file], { env: { PATH: process.env.PATH, RUN_TOKEN: 'run-token' }, stdio: ['ignore', stdout, 'pipe'] });
  const lines: Line[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stderr! }).on('line', (text) => {
      const line = JSON.parse(text) as Line & { port?: number };
      lines.push(line);
      if (line.msg === 'broker listening') resolve({ child, port: line.port!, lines, exited });
    });
    void exited.then((code) => reject(new Error(`exited early with ${code}`)));
  });
}

/** SIGTERM, and how long the process took to exit, with its code and last line. */
async function terminate(r: Running): Promise<{ code: number | null; ms: number; last: Line | undefined }> {
  const started = Date.now();
  r.child.kill('SIGTERM');
  const code = await r.exited;
  return { code, ms: Date.now() - started, last: r.lines.at(-1) };
}

(existsSync('/dev/full') ? it : it.skip)('a full disk and a collector that never answers: exits within the bound, 1, saying what was lost', async () => {
  const r = await start(configFile({ path: '/dev/full' }), 'ignore');
  expect((await send(`http://127.0.0.1:${r.port}`, `/proxy/${upstream.url}${ALLOWED}`)).status).toBe(200);
  const { code, ms, last } = await terminate(r);
  expect(code).toBe(1);
  expect(ms).toBeLessThan(BOUND_MS);
  expect(last).toMatchObject({ msg: 'stopped', recordsUnwritten: 1 });
  expect(last?.spansLost).toBeGreaterThan(0);
  expect(r.lines.some((l) => l.msg === 'decision log sink failing')).toBe(true);
}, 30000);

it('a stdout reader that stopped reading: exits within the bound', async () => {
  const r = await start(configFile({ path: '-', bufferBytes: 16384 }), 'pipe');
  r.child.stdout!.pause();
  const base = `http://127.0.0.1:${r.port}`;
  // Until the pipe is full and the buffer behind it too (bounded in count).
  let status = 0;
  for (let i = 0; i < 2000 && status !== 503; i++) status = (await send(base, `/proxy/${upstream.url}${ALLOWED}`)).status;
  expect(status).toBe(503);
  const { code, ms, last } = await terminate(r);
  expect(ms).toBeLessThan(BOUND_MS);
  expect(code).toBe(1);
  expect(last).toMatchObject({ msg: 'stopped' });
  expect(last?.recordsUnwritten).toBeGreaterThan(0);
  r.child.stdout!.destroy();
}, 60000);

it('a stdout reader that went away (EPIPE): requests are refused, and the exit is 1', async () => {
  const r = await start(configFile({ path: '-' }), 'pipe');
  r.child.stdout!.destroy();
  const base = `http://127.0.0.1:${r.port}`;
  expect((await send(base, `/proxy/${upstream.url}${ALLOWED}`)).status).toBe(200);
  let reply = await send(base, `/proxy/${upstream.url}${ALLOWED}`);
  for (let i = 0; i < 200 && reply.status !== 503; i++) reply = await send(base, `/proxy/${upstream.url}${ALLOWED}`);
  expect(reply.json()).toMatchObject({ error: { code: 'DECISION_LOG_UNAVAILABLE', reasons: ['decision log sink failing (EPIPE)'] } });
  const { code, ms, last } = await terminate(r);
  expect(code).toBe(1);
  expect(ms).toBeLessThan(BOUND_MS);
  expect(last).toMatchObject({ msg: 'stopped' });
  expect(last?.recordsUnwritten).toBeGreaterThan(0);
}, 30000);

it('an unwritable decision log path is exit 2 naming the key', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rego-broker-sinks-'));
  writeFileSync(join(dir, 'file'), '');
  const child = spawn(process.execPath, [CLI, 'run', '-c', configFile({ path: join(dir, 'file', 'decisions.jsonl') })], {
    env: { PATH: process.env.PATH, RUN_TOKEN: 'run-token' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(code).toBe(2);
  expect(stderr).toContain('telemetry.decisionLog.path');
}, 30000);
