/**
 * The systems under test, each started in its own process(es) on loopback: the sample
 * upstream, the bare proxy, the OTLP sink, rego-broker (the real CLI) and Snyk Broker.
 */
import { spawn } from 'node:child_process';
import { existsSync, openSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { probe } from './measure';
import type { Child } from './proc';
import { startChild, stop, tail } from './proc';

export const ROOT = join(__dirname, '..', '..');
const DIST = join(ROOT, 'dist');
const CLI = join(DIST, 'gateway', 'src', 'cli', 'main.js');
const SERVERS = join(DIST, 'bench', 'servers.js');
const SNYK_PRELOAD = join(DIST, 'bench', 'snyk-preload.js');
export const SNYK_DIR = join(ROOT, 'bench', '.snyk');
const SNYK_PACKAGE = join(SNYK_DIR, 'node_modules', 'snyk-broker');
const SNYK_CLI = join(SNYK_PACKAGE, 'dist', 'cli', 'index.js');

/** Path below the GitHub Enterprise API base that the policy allows and the upstream serves. */
export const SMALL_ROUTE = '/repos/acme/app/contents/package.json';
export const LARGE_ROUTE = '/repos/acme/large/contents/package.json';

export interface Running {
  name: string;
  /** Processes whose memory counts for this target (the broker, or Snyk's client). */
  pid: number | null;
  /** URL of the 2 KB and the 10 MiB response through this target. */
  smallUrl: string;
  largeUrl: string;
  children: Child[];
  /** Notes worth reporting (e.g. spans received by the sink). */
  notes: Record<string, unknown>;
}

export async function stopAll(children: Child[]): Promise<void> {
  await Promise.all(children.map((c) => stop(c)));
}

/** Start one of bench/servers.ts's modes; resolves with its port. */
export async function startServer(mode: 'upstream' | 'bare-proxy' | 'sink', logDir: string): Promise<{ child: Child; port: number }> {
  const { child, value } = await startChild(mode, [process.execPath, SERVERS, mode], {
    logFile: join(logDir, `${mode}.log`),
    stream: 'stdout',
    timeoutMs: 10_000,
    ready: (line) => (JSON.parse(line) as { port?: number }).port,
  });
  return { child, port: value };
}

/** A free loopback port (for programs that need a fixed one). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${what} not ready within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * rego-broker as deployed: the real CLI in its own process, the shipped bundle, tracing through
 * a BatchSpanProcessor to the OTLP sink, the decision log to a file. `nodeArgs` (for example
 * `--cpu-prof`) go to its Node.
 */
export async function startRegoBroker(opts: { upstreamPort: number; sinkPort: number; dir: string; nodeArgs: string[] }): Promise<{ running: Running; configFile: string; env: NodeJS.ProcessEnv }> {
  const configFile = join(opts.dir, 'broker.yaml');
  const decisionLog = join(opts.dir, 'decisions.jsonl');
  writeFileSync(
    configFile,
    [
      'listen: {host: 127.0.0.1, port: 0}',
      'admin: {host: 127.0.0.1, port: 0}',
      `policy: {bundle: "${join(ROOT, 'policies', 'build', 'bundle.tar.gz')}"}`,
      'telemetry:',
      `  traces: {exporter: otlp, endpoint: "http://127.0.0.1:${opts.sinkPort}/v1/traces"}`,
      `  decisionLog: {path: "${decisionLog}"}`,
      'integrations:',
      `  - {name: ghe, type: github, baseUrl: "http://127.0.0.1:${opts.upstreamPort}/api/v3", auth: {scheme: bearer, tokenEnv: BENCH_GHE_TOKEN}}`,
      '',
    ].join('\n'),
  );
  const env = { ...process.env, BENCH_GHE_TOKEN: 'bench-token' };
  const { child, value: port } = await startChild('rego-broker', [process.execPath, ...opts.nodeArgs, CLI, 'run', '-c', configFile], {
    env,
    cwd: ROOT,
    logFile: join(opts.dir, 'rego-broker.stdout.log'),
    stream: 'stderr',
    timeoutMs: 20_000,
    ready: (line) => {
      const rec = JSON.parse(line) as { msg?: string; port?: number };
      return rec.msg === 'broker listening' ? rec.port : undefined;
    },
  });
  const api = `http://127.0.0.1:${opts.upstreamPort}/api/v3`;
  return {
    configFile,
    env,
    running: {
      name: 'rego-broker',
      pid: child.pid,
      smallUrl: `http://127.0.0.1:${port}/proxy/${api}${SMALL_ROUTE}`,
      largeUrl: `http://127.0.0.1:${port}/proxy/${api}${LARGE_ROUTE}`,
      children: [child],
      notes: { decisionLog },
    },
  };
}

/** Install Snyk Broker into bench/.snyk/ unless it is there; resolves with an error text or null. */
export async function ensureSnyk(logDir: string, timeoutMs = 180_000): Promise<string | null> {
  if (!existsSync(SNYK_CLI)) {
    const log = openSync(join(logDir, 'snyk-install.log'), 'a');
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const code = await new Promise<number | null>((resolve) => {
      const p = spawn(npm, ['install', '--prefix', SNYK_DIR, '--no-audit', '--no-fund', 'snyk-broker'], { stdio: ['ignore', log, log] });
      const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
      p.once('error', () => resolve(-1));
      p.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    if (code !== 0 || !existsSync(SNYK_CLI)) return `npm install snyk-broker failed (exit ${code}; ${join(logDir, 'snyk-install.log')})`;
  }
  // The npm package ships without the default configuration that names its workloads.
  writeFileSync(
    join(SNYK_PACKAGE, 'config.default.json'),
    `${JSON.stringify(
      {
        BROKER_CLIENT_CONFIGURATION: {},
        FILTER_RULES_PATHS: {},
        REMOTE_WORKLOAD_NAME: 'BrokerWorkload',
        REMOTE_WORKLOAD_MODULE_PATH: '../broker-workload/websocketRequests',
        CLIENT_WORKLOAD_NAME: 'BrokerClientRequestWorkload',
        CLIENT_WORKLOAD_MODULE_PATH: '../broker-workload/clientLocalRequests',
      },
      null,
      2,
    )}\n`,
  );
  return null;
}

/**
 * Snyk Broker, server and client, on loopback: the client dials the server over a websocket and
 * applies an accept file allowing the same request (with the token added, as its GitHub
 * templates do). Requests enter at the server, as they do from snyk.io.
 */
export async function startSnykBroker(opts: { upstreamPort: number; dir: string }): Promise<Running> {
  const [serverPort, clientPort] = [await freePort(), await freePort()];
  const token = '0b8e1c3a-7c2f-4b55-9e0e-2f7f3b1b6f10';
  const origin = `http://127.0.0.1:${opts.upstreamPort}/api/v3`;
  const accept = join(opts.dir, 'snyk-accept.json');
  const rule = (path: string): object => ({ method: 'GET', path, origin, auth: { scheme: 'token', token: '${GITHUB_TOKEN}' } });
  // The server filters what enters at /broker/<token>/ with the same file; the client applies the private rules.
  const path = '/repos/:owner/:repo/contents/package.json';
  writeFileSync(accept, JSON.stringify({ public: [{ method: 'GET', path }], private: [rule(path)] }, null, 2));
  const base = { ...process.env, PREFLIGHT_CHECKS_ENABLED: 'false', IPV6_CONNECTIVITY_CHECK_ENABLED: 'false', ACCEPT: accept };
  const children: Child[] = [];
  const spawnSnyk = (role: 'server' | 'client', env: NodeJS.ProcessEnv): Child => {
    const logFile = join(opts.dir, `snyk-${role}.log`);
    const log = openSync(logFile, 'a');
    const proc = spawn(process.execPath, ['-r', SNYK_PRELOAD, SNYK_CLI, role], { env, cwd: opts.dir, stdio: ['ignore', log, log] });
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (c) => resolve(c)));
    const child = { name: `snyk-${role}`, proc, pid: proc.pid ?? 0, exited };
    children.push(child);
    return child;
  };
  try {
    spawnSnyk('server', { ...base, PORT: String(serverPort) });
    await waitFor('snyk-broker server', 30_000, async () => (await probe(`http://127.0.0.1:${serverPort}/healthcheck`, 2000)).status === 200);
    const client = spawnSnyk('client', {
      ...base,
      PORT: String(clientPort),
      BROKER_TOKEN: token,
      BROKER_SERVER_URL: `http://127.0.0.1:${serverPort}`,
      BROKER_CLIENT_URL: `http://127.0.0.1:${clientPort}`,
      GITHUB_TOKEN: 'bench-token',
    });
    const smallUrl = `http://127.0.0.1:${serverPort}/broker/${token}${SMALL_ROUTE}`;
    await waitFor('snyk-broker client', 30_000, async () => (await probe(smallUrl, 2000)).status === 200);
    return {
      name: 'snyk-broker',
      pid: client.pid,
      smallUrl,
      largeUrl: `http://127.0.0.1:${serverPort}/broker/${token}${LARGE_ROUTE}`,
      children,
      notes: { serverPid: children[0]?.pid, clientPid: client.pid },
    };
  } catch (err) {
    await stopAll(children);
    const logs = ['server', 'client'].map((r) => tail(join(opts.dir, `snyk-${r}.log`), 300)).join(' | ');
    throw new Error(`${(err as Error).message}${logs ? ` (${logs.replace(/\s+/g, ' ').slice(0, 400)})` : ''}`);
  }
}

/**
 * Hook for the tunnel variant (rego-broker behind its WireGuard tunnel). Not implemented yet:
 * it returns null and the bench reports the rows as not measured.
 */
export function startTunnelVariant(): Promise<Running | null> {
  return Promise.resolve(null);
}
