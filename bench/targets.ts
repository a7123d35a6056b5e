/**
 * The systems under test, each started in its own process(es) on loopback: the sample
 * upstream, the bare proxy, the OTLP sink, rego-broker (the real CLI) and Snyk Broker; and the
 * tunnel variant, in the lab's network namespaces.
 */
import { spawn } from 'node:child_process';
import { existsSync, openSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import type { Hub } from '../tunnel/src/lab/hub';
import { brokerTunnelSection, createHub, labCarrierCertificate } from '../tunnel/src/lab/hub';
import { namespaceClient } from './load-runner';
import type { LoadClient } from './measure';
import { probe } from './measure';
import type { Child } from './proc';
import { startChild, stop, tail } from './proc';

export const ROOT = join(__dirname, '..', '..');
const DIST = join(ROOT, 'dist');
const CLI = join(DIST, 'gateway', 'src', 'cli', 'main.js');
const SERVERS = join(DIST, 'bench', 'servers.js');
const SNYK_PRELOAD = join(DIST, 'bench', 'snyk-preload.js');
const TUNNEL_ENDPOINT = join(DIST, 'bench', 'tunnel-endpoint.js');
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
  /** Where the requests come from (default: this process, on loopback). */
  client?: LoadClient;
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
 * The settings of rego-broker as deployed that every variant shares: the shipped bundle, tracing
 * to the OTLP sink, the decision log to a file, one GitHub Enterprise integration.
 */
function deployedSettings(o: { upstreamPort: number; sinkPort: number; decisionLog: string }): Record<string, unknown> {
  return {
    policy: { bundle: join(ROOT, 'policies', 'build', 'bundle.tar.gz') },
    telemetry: { traces: { exporter: 'otlp', endpoint: `http://127.0.0.1:${o.sinkPort}/v1/traces` }, decisionLog: { path: o.decisionLog } },
    integrations: [{ name: 'ghe', type: 'github', baseUrl: `http://127.0.0.1:${o.upstreamPort}/api/v3`, auth: { scheme: 'bearer', tokenEnv: 'BENCH_GHE_TOKEN' } }],
  };
}

/** The "broker listening" line of the broker's log, or undefined. */
function listeningPort(line: string): number | undefined {
  const rec = JSON.parse(line) as { msg?: string; port?: number };
  return rec.msg === 'broker listening' ? rec.port : undefined;
}

/**
 * rego-broker as deployed: the real CLI in its own process, the shipped bundle, tracing through
 * a BatchSpanProcessor to the OTLP sink, the decision log to a file. `nodeArgs` (for example
 * `--cpu-prof`) go to its Node.
 */
export async function startRegoBroker(opts: { upstreamPort: number; sinkPort: number; dir: string; nodeArgs: string[] }): Promise<{ running: Running; configFile: string; env: NodeJS.ProcessEnv }> {
  const configFile = join(opts.dir, 'broker.json');
  const decisionLog = join(opts.dir, 'decisions.jsonl');
  const config = { listen: { host: '127.0.0.1', port: 0 }, admin: { host: '127.0.0.1', port: 0 }, ...deployedSettings({ ...opts, decisionLog }) };
  writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
  const env = { ...process.env, BENCH_GHE_TOKEN: 'bench-token' };
  const { child, value: port } = await startChild('rego-broker', [process.execPath, ...opts.nodeArgs, CLI, 'run', '-c', configFile], {
    env,
    cwd: ROOT,
    logFile: join(opts.dir, 'rego-broker.stdout.log'),
    stream: 'stderr',
    timeoutMs: 20_000,
    ready: listeningPort,
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

/** Ports of the broker inside its own namespace (fixed: nothing else listens there). */
const TUNNEL_PROXY_PORT = 8080;
const TUNNEL_ADMIN_PORT = 9090;

/**
 * The tunnel variant: the lab's hub (two network namespaces, a veth pair, wireguard-go on the
 * hub side) with the sample upstream and the OTLP sink on 127.0.0.1 inside the broker's
 * namespace. Its two targets are measured with requests from the hub namespace, through the
 * tunnel, one after the other (they use the same interface name and key).
 */
export interface TunnelLab {
  hub: Hub;
  /** SHA-256 fingerprint of the hub's carrier certificate, or null when it runs no carrier. */
  carrierPin: string | null;
  /** The sample upstream, on 127.0.0.1 in the broker namespace. */
  upstreamPort: number;
  /** Requests from the hub namespace. */
  client: LoadClient;
  /** Requests from inside the broker namespace (for the sink's counters). */
  brokerSide: LoadClient;
  sinkPort: number;
  /** `tunnel-direct`: the tunnel brought up from the broker configuration, the upstream served on its address, no broker. */
  startDirect(): Promise<Running>;
  /** `rego-broker-tunnel`: the real CLI with the tunnel enabled, the upstream on 127.0.0.1 next to it. */
  startBroker(nodeArgs: string[]): Promise<Running>;
  /** `rego-broker-hub-2`: two replicas of the same deployment, measured through the hub's front. */
  startReplicas(nodeArgs: string[]): Promise<Running>;
  /** Stop every process and remove the namespaces. Idempotent. */
  teardown: () => Promise<void>;
}

/** Create the hub and the broker-side helpers; on failure nothing is left behind. */
export async function startTunnelLab(dir: string): Promise<TunnelLab> {
  // Without openssl there is no carrier certificate: only the carrier's row says so.
  let carrier: ReturnType<typeof labCarrierCertificate> | null = null;
  try {
    carrier = labCarrierCertificate(dir);
  } catch {
    carrier = null;
  }
  const hub = await createHub({ replicas: 2, ...(carrier ? { carrier } : {}) });
  const children: Child[] = [];
  const keyFile = join(dir, 'tunnel-wg.key');
  const keyFile1 = join(dir, 'tunnel-wg-1.key');
  let tornDown: Promise<void> | null = null;
  const teardown = (): Promise<void> => {
    tornDown ??= stopAll(children)
      .finally(() => hub.teardown())
      .finally(() => [keyFile, keyFile1].forEach((f) => rmSync(f, { force: true })));
    return tornDown;
  };
  // Only PATH and what is given: nothing like REGO_BROKER_* from this environment reaches the namespace.
  const inBroker = async <T>(name: string, argv: string[], stream: 'stdout' | 'stderr', ready: (line: string) => T | undefined, env: NodeJS.ProcessEnv = {}, ns = hub.brokerNs): Promise<{ child: Child; value: T }> => {
    const started = await startChild(name, ['ip', 'netns', 'exec', ns, process.execPath, ...argv], {
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', ...env },
      cwd: ROOT,
      logFile: join(dir, `${name}.log`),
      stream,
      timeoutMs: 20_000,
      ready,
    });
    children.push(started.child);
    return started;
  };
  const port = (line: string): number | undefined => (JSON.parse(line) as { port?: number }).port;
  try {
    const upstreamPort = (await inBroker('tunnel-upstream', [SERVERS, 'upstream'], 'stdout', port)).value;
    const sinkPort = (await inBroker('tunnel-sink', [SERVERS, 'sink'], 'stdout', port)).value;
    writeFileSync(keyFile, `${hub.brokerPrivateKey ?? ''}\n`, { mode: 0o600 });
    writeFileSync(keyFile1, `${hub.replicas[1]?.privateKey ?? ''}\n`, { mode: 0o600 });
    const decisionLog = join(dir, 'tunnel-decisions.jsonl');
    /** Replica `i`'s configuration file (replica 0 is also the single-broker target). */
    const replicaConfig = (i: number): string => {
      const file = join(dir, i === 0 ? 'broker-tunnel.json' : `broker-tunnel-${i}.json`);
      const config = {
        listen: { host: '127.0.0.1', port: TUNNEL_PROXY_PORT },
        admin: { host: '127.0.0.1', port: TUNNEL_ADMIN_PORT + i },
        tunnel: brokerTunnelSection(hub, i === 0 ? keyFile : keyFile1, { requiredAtStart: true, intervalSeconds: 2 }, i),
        ...deployedSettings({ upstreamPort, sinkPort, decisionLog: i === 0 ? decisionLog : join(dir, `tunnel-decisions-${i}.jsonl`) }),
      };
      writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
      return file;
    };
    const configFile = replicaConfig(0);
    const client = namespaceClient(hub.hubNs);
    const address = `[${hub.brokerTunnelAddress}]`;
    const api = `http://127.0.0.1:${upstreamPort}/api/v3`;
    const answers = async (url: string): Promise<void> =>
      waitFor(url, 10_000, async () => {
        const r = await client.probe(url, 2000);
        return r.status === 200 && r.body.length >= 2000;
      });
    const notes = { hubNs: hub.hubNs, brokerNs: hub.brokerNs, interface: hub.brokerInterface, address: hub.brokerTunnelAddress };
    return {
      hub,
      carrierPin: carrier?.pinSha256 ?? null,
      upstreamPort,
      client,
      brokerSide: namespaceClient(hub.brokerNs),
      sinkPort,
      async startDirect() {
        const { child, value } = await inBroker('tunnel-endpoint', [TUNNEL_ENDPOINT, configFile], 'stdout', port);
        const base = `http://${address}:${value}/api/v3`;
        await answers(`${base}${SMALL_ROUTE}`);
        return { name: 'tunnel-direct', pid: child.pid, smallUrl: `${base}${SMALL_ROUTE}`, largeUrl: `${base}${LARGE_ROUTE}`, children: [child], notes, client };
      },
      async startBroker(nodeArgs) {
        const { child, value } = await inBroker('rego-broker-tunnel', [...nodeArgs, CLI, 'run', '-c', configFile], 'stderr', listeningPort, { BENCH_GHE_TOKEN: 'bench-token' });
        const base = `http://${address}:${value}/proxy/${api}`;
        await answers(`${base}${SMALL_ROUTE}`);
        return { name: 'rego-broker-tunnel', pid: child.pid, smallUrl: `${base}${SMALL_ROUTE}`, largeUrl: `${base}${LARGE_ROUTE}`, children: [child], notes: { ...notes, decisionLog }, client };
      },
      async startReplicas(nodeArgs) {
        // Replica 1 is a host of its own: the same upstream and sink at the same addresses as replica 0's.
        const ns1 = hub.replicas[1]?.ns ?? '';
        const helpers = [
          await inBroker('tunnel-upstream-1', [SERVERS, 'upstream', String(upstreamPort)], 'stdout', port, {}, ns1),
          await inBroker('tunnel-sink-1', [SERVERS, 'sink', String(sinkPort)], 'stdout', port, {}, ns1),
        ];
        const started = await Promise.all([0, 1].map((i) =>
          inBroker(`rego-broker-replica-${i}`, [...nodeArgs, CLI, 'run', '-c', i === 0 ? configFile : replicaConfig(i)], 'stderr', listeningPort, { BENCH_GHE_TOKEN: 'bench-token' }, i === 0 ? hub.brokerNs : ns1)));
        const base = `${hub.frontUrl}/d/${hub.deploymentId}/proxy/${api}`;
        // Both replicas must be in the hub's rotation before the load starts.
        const seen = new Set<string>();
        await waitFor('both replicas behind the hub', 20_000, async () => {
          const r = await client.probe(`${base}${SMALL_ROUTE}`, 2000);
          if (r.status === 200 && r.body.length >= 2000) seen.add(String(r.headers?.['x-rego-hub-replica'] ?? ''));
          return seen.has('0') && seen.has('1');
        });
        const [first, second] = started;
        return {
          name: 'rego-broker-hub-2', pid: first?.child.pid ?? null, smallUrl: `${base}${SMALL_ROUTE}`, largeUrl: `${base}${LARGE_ROUTE}`,
          children: [...started, ...helpers].map((s) => s.child), notes: { ...notes, front: hub.frontUrl, replicaPids: [first?.child.pid, second?.child.pid] }, client,
        };
      },
      teardown,
    };
  } catch (err) {
    await teardown();
    throw err;
  }
}
