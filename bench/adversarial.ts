/**
 * Adversarial inputs: for each class of input the broker bounds (JSON keys, depth, values and
 * string length, query parameters, headers, GraphQL size), a request at the limit (and one past
 * it) sent while a steady allowed load runs, and the worst event-loop delay it causes in the
 * broker, with the answer it gets. The broker runs in this process (the real startBroker with the
 * shipped bundle, the decision log to a file, the evaluation worker), so its event loop is the
 * one measured; the steady load is one keep-alive connection of allowed requests.
 *
 * `node dist/bench/adversarial.js` runs this section alone. Bounded: each case sends one
 * adversarial request and at most 2,000 steady requests or 3 s.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startBroker } from '../gateway/src/app';
import { loadFromFiles } from '../gateway/src/cli/args';
import { createLogger } from '../gateway/src/telemetry/logger';
import { upstream as sampleUpstream } from './servers';

/** Target: no class stalls the loop longer than this. */
export const STALL_TARGET_MS = 50;

export interface AdversarialCase {
  name: string;
  /** Bytes sent (target and body). */
  bytes: number;
  status: number;
  code: string | null;
  /** Time to the adversarial request's answer, ms. */
  answerMs: number;
  /** Worst event-loop delay while it was handled, ms. */
  maxLoopDelayMs: number;
  /** Slowest steady request meanwhile, ms. */
  maxSteadyMs: number;
}

interface Attack {
  name: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/** The requests, built against the GitHub integration at `api` and its GraphQL endpoint. */
function attacks(api: string, graphql: string): Attack[] {
  const comment = `/proxy/${api}/repos/acme/app/issues/3/comments`;
  const post = (name: string, body: string, path = comment): Attack => ({ name, method: 'POST', path, headers: JSON_HEADERS, body });
  const keys = (n: number): string => JSON.stringify({ body: 'x', ...Object.fromEntries(Array.from({ length: n }, (_, i) => [i.toString(36), 1])) });
  const nested = (depth: number): string => `{"body":${'['.repeat(depth)}${']'.repeat(depth)}}`;
  const fields = (n: number): string => Array.from({ length: n }, (_, i) => `f${i}: login`).join(' ');
  const bomb = ['query { viewer { ...F0 } }', ...Array.from({ length: 40 }, (_, i) => `fragment F${i} on User { ...F${i + 1} ...F${i + 1} }`), 'fragment F40 on User { login }'].join(' ');
  const manifest = `/proxy/${api}/repos/acme/app/contents/package.json`;
  return [
    post('JSON: 999 keys in one object (at keysPerObject)', keys(999)),
    post('JSON: 100k keys in one object (past it)', keys(100_000)),
    post('JSON: nested 31 deep (at depth)', nested(30)),
    post('JSON: nested 100k deep (past it)', nested(100_000)),
    post('JSON: 9,990 values (at nodes)', JSON.stringify({ body: 'x', v: Array.from({ length: 9_990 }, () => 0) })),
    post('JSON: one 256 KiB string (at stringBytes)', JSON.stringify({ body: 'x'.repeat(262_000) })),
    post('JSON: 1 MiB of 4 KiB strings', JSON.stringify({ body: 'x', s: Array.from({ length: 250 }, () => 'y'.repeat(4096)) })),
    {
      name: 'query: 64 parameters (at queryParams)',
      method: 'GET',
      path: `${manifest}?${Array.from({ length: 64 }, (_, i) => `p${i}=${'v'.repeat(100)}`).join('&')}`,
      headers: {},
      body: '',
    },
    { name: 'headers: 60 of 200 bytes (near headers)', method: 'GET', path: manifest, headers: Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`x-h${i}`, 'h'.repeat(200)])), body: '' },
    post('GraphQL: 1,000 aliased fields (at maxNodes)', JSON.stringify({ query: `{ viewer { ${fields(999)} } }` }), `/proxy/${graphql}`),
    post('GraphQL: 4,000 tokens of arguments', JSON.stringify({ query: `{ viewer { login(${Array.from({ length: 1300 }, (_, i) => `a${i}: 1`).join(' ')}) } }` }), `/proxy/${graphql}`),
    post('GraphQL: fragment bomb (2^40 fields)', JSON.stringify({ query: bomb }), `/proxy/${graphql}`),
  ];
}

function request(agent: http.Agent, port: number, a: { method: string; path: string; headers: Record<string, string>; body: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const body = Buffer.from(a.body);
    const req = http.request({ host: '127.0.0.1', port, method: a.method, path: a.path, agent, headers: { ...a.headers, ...(body.length > 0 ? { 'content-length': String(body.length) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Run the cases against a broker in this process. */
export async function adversarialBench(): Promise<AdversarialCase[]> {
  const dir = mkdtempSync(join(tmpdir(), 'rego-broker-adversarial-'));
  const up = sampleUpstream();
  await new Promise<void>((resolve) => up.once('listening', resolve));
  const upPort = (up.address() as AddressInfo).port;
  const api = `http://127.0.0.1:${upPort}/api/v3`;
  const configFile = join(dir, 'broker.json');
  const bundle = join(__dirname, '..', '..', 'policies', 'build', 'bundle.tar.gz');
  writeFileSync(
    configFile,
    JSON.stringify({
      listen: { host: '127.0.0.1', port: 0 },
      admin: { host: '127.0.0.1', port: 0 },
      policy: { bundle },
      telemetry: { decisionLog: { path: join(dir, 'decisions.jsonl') }, logLevel: 'error' },
      integrations: [{ name: 'ghe', type: 'github', baseUrl: api, auth: { scheme: 'bearer', tokenEnv: 'BENCH_GHE_TOKEN' } }],
    }),
  );
  const env = { BENCH_GHE_TOKEN: 'bench-token' };
  const { config } = loadFromFiles([configFile], env);
  const broker = await startBroker({ config, env, logger: createLogger('error') });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const steady = { method: 'GET', path: `/proxy/${api}/repos/acme/app/contents/package.json?ref=main`, headers: {}, body: '' };
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const results: AdversarialCase[] = [];
  try {
    for (let i = 0; i < 200; i += 1) await request(agent, broker.port, steady);
    for (const a of attacks(api, `http://127.0.0.1:${upPort}/api/graphql`)) {
      let running = true;
      let maxSteadyMs = 0;
      const load = (async () => {
        const deadline = Date.now() + 3000;
        for (let n = 0; running && n < 2000 && Date.now() < deadline; n += 1) {
          const t0 = process.hrtime.bigint();
          await request(agent, broker.port, steady);
          maxSteadyMs = Math.max(maxSteadyMs, Number(process.hrtime.bigint() - t0) / 1e6);
        }
      })();
      await new Promise((r) => setTimeout(r, 100));
      histogram.reset();
      const t0 = process.hrtime.bigint();
      const answer = await request(agent, broker.port, a);
      const answerMs = Number(process.hrtime.bigint() - t0) / 1e6;
      await new Promise((r) => setTimeout(r, 100));
      const maxLoopDelayMs = histogram.max / 1e6;
      running = false;
      await load;
      let code: string | null = null;
      try {
        code = (JSON.parse(answer.body) as { error?: { code?: string } }).error?.code ?? null;
      } catch {
        code = null;
      }
      results.push({ name: a.name, bytes: a.path.length + Buffer.byteLength(a.body), status: answer.status, code, answerMs, maxLoopDelayMs, maxSteadyMs });
    }
  } finally {
    histogram.disable();
    agent.destroy();
    await broker.close(1000);
    await new Promise<void>((resolve) => up.close(() => resolve()));
  }
  return results;
}

/** The section as text lines. */
export function renderAdversarial(cases: AdversarialCase[]): string[] {
  const worst = Math.max(...cases.map((c) => c.maxLoopDelayMs));
  return [
    `adversarial inputs (one request each during a steady allowed load; target: no event-loop stall over ${STALL_TARGET_MS} ms; worst ${worst.toFixed(1)} ms)`,
    ...cases.map(
      (c) =>
        `  ${c.name.padEnd(50)} ${String(c.bytes).padStart(8)} B  -> ${c.status} ${(c.code ?? 'upstream').padEnd(18)} answer ${c.answerMs.toFixed(1).padStart(6)} ms  loop stall ${c.maxLoopDelayMs.toFixed(1).padStart(6)} ms  slowest steady ${c.maxSteadyMs.toFixed(1).padStart(6)} ms`,
    ),
  ];
}

if (require.main === module) {
  adversarialBench().then(
    (cases) => process.stdout.write(`${renderAdversarial(cases).join('\n')}\n`),
    (err: unknown) => {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
