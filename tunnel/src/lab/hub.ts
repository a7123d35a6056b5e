/**
 * The lab: the SaaS side of the tunnel on this machine, for the end-to-end tests (tunnel and
 * whole broker), the demo and the bench. It runs the real hub (`rego-broker hub`, the built CLI)
 * in a network namespace of its own, so what the tests exercise is what a vendor runs. It
 * creates two namespaces joined by a veth pair (hub 10.231.N.1 and 10.231.N.3, broker 10.231.N.2,
 * /29), writes the hub's configuration with every broker replica as a peer, starts the hub and a
 * small SaaS service (the relayed-webhooks receiver) in the hub namespace, and can send requests
 * from the hub namespace, directly through the tunnel or through the hub's front. Everything it
 * creates has a random suffix and is removed by `teardown()`, safe to call after any failure.
 *
 * Needs root, `ip`, `wg`, `wireguard-go`, /dev/net/tun and the built CLI; see `hubPrerequisites()`.
 */
import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate, randomBytes, randomInt } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { PeerConfig } from '../config';
import { addressFromDeploymentId } from '../address';
import type { CommandResult } from '../exec';
import { SPAWN_RUNNER } from '../exec';
import { generatePrivateKey, publicKeyFromPrivate } from '../keys';
import { uapiSocketPath } from '../uapi-socket';
import { execIn, execInChecked, host, killChild, pollUntil, spawnIn, waitForLine } from './netns';

/** The hub's TLS carrier, for brokers whose firewall drops UDP (see `labCarrierCertificate`). */
export interface LabCarrier {
  /** PEM files of the hub's certificate and key. */
  certFile: string;
  keyFile: string;
  /** Port of the carrier on the hub's first veth address (default 443). */
  port?: number;
}

/**
 * A self-signed certificate for the hub's carrier, written into `dir`, with the SHA-256
 * fingerprint a broker pins (the pin is the hub's identity: no host name is checked).
 */
export function labCarrierCertificate(dir: string): LabCarrier & { pinSha256: string } {
  const keyFile = path.join(dir, 'carrier-hub.key');
  const certFile = path.join(dir, 'carrier-hub.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile,
    '-days', '1', '-subj', '/CN=rego-broker lab hub'], { stdio: 'ignore' });
  return { certFile, keyFile, pinSha256: new X509Certificate(readFileSync(certFile)).fingerprint256 };
}

/** Options of `createHub`. */
export interface HubOptions {
  /** Use this broker namespace (created if missing, deleted by teardown only if created here). */
  brokerNs?: string;
  /** Deployment id of the broker; random when not given. */
  deploymentId?: number;
  /** Public key of replica 0; when absent a key pair is made and `brokerPrivateKey` is set. */
  brokerPublicKey?: string;
  /** How many broker replicas the hub registers (default 1); each gets its own key and address. */
  replicas?: number;
  /** Keepalive the broker should use towards the hub (default 1 s). */
  persistentKeepalive?: number;
  /** Give the broker the hub's endpoint as this DNS name (via /etc/netns/<brokerNs>/hosts). */
  endpointHostName?: string;
  /** Run the hub's TLS carrier too. */
  carrier?: LabCarrier;
  /** Seconds without a heartbeat before the hub stops routing to a replica (default 3). */
  staleAfterSeconds?: number;
}

/** The answer to `request`. */
export type HubResponse = { status: number; body: string; headers?: Record<string, string> } | { error: string };

/** One broker replica registered with the hub. */
export interface LabReplica {
  index: number;
  publicKey: string;
  /** Set when the lab made the key pair. Test material only. */
  privateKey: string | null;
  tunnelAddress: string;
  /** A free interface name for this replica. */
  interface: string;
  /**
   * Its own network namespace, like a pod or host of its own (replica 0's is `brokerNs`): two
   * replicas in one namespace would share one routing table, and the second one's packets to the
   * hub would leave through the first one's tunnel.
   */
  ns: string;
  /** Its address on its own veth link to the hub. */
  vethAddress: string;
  /** The peer entry this replica needs for the hub (the hub's address on that link). */
  peerConfig: PeerConfig;
}

/** A running hub. */
export interface Hub {
  hubNs: string;
  brokerNs: string;
  /** WireGuard interface name in the hub namespace. */
  hubInterface: string;
  /** Replica 0's interface name (unique like the namespaces). */
  brokerInterface: string;
  hubVethAddress: string;
  /** A second hub address on the veth, for endpoint moves and proxies. */
  hubVethAddress2: string;
  brokerVethAddress: string;
  hubTunnelAddress: string;
  /** Replica 0's tunnel address (each replica's is in `replicas`). */
  brokerTunnelAddress: string;
  deploymentId: number;
  hubPublicKey: string;
  /** Replica 0's public key. */
  brokerPublicKey: string;
  /** Replica 0's private key when the lab made it. Test material only. */
  brokerPrivateKey: string | null;
  /** Every registered replica, by index. */
  replicas: LabReplica[];
  hubListenPort: number;
  /** The hub's heartbeat URL through the tunnel. */
  heartbeatUrl: string;
  /** `http://[hub tunnel address]:8081/webhooks`: POST below it is recorded, GET lists what was received. */
  webhooksUrl: string;
  /** `wss://<hub veth address>:<port>/wireguard` when the hub runs its carrier, else null. */
  carrierUrl: string | null;
  /** `http://127.0.0.1:<port>` of the hub's front, inside the hub namespace. */
  frontUrl: string;
  /** The peer entry a broker replica needs for this hub. */
  peerConfigForBroker: PeerConfig;
  /** The hub's log lines (JSON), as written so far. */
  hubLogs(): string[];
  /** HTTP request from the hub namespace (GET unless `method` says otherwise). */
  request(url: string, opts?: { timeoutMs?: number; method?: string }): Promise<HubResponse>;
  /** Kill the hub (SIGKILL, with its wireguard-go: like a crash) and wait until its interface is gone. */
  killHub(): Promise<void>;
  /** Start the hub again with the same configuration and wait until it has started. */
  startHub(): Promise<void>;
  /** `wg show <hubInterface> dump` in the hub namespace. */
  hubDump(): Promise<string>;
  /** Point the broker's DNS name for the hub at `address` (needs `endpointHostName`). */
  setHubHostAddress(address: string): Promise<void>;
  /** Remove an address from the hub's veth (the hub "moves"). */
  removeHubVethAddress(address: string): Promise<void>;
  /** Run a command in the broker namespace. */
  execInBroker(cmd: string, args: readonly string[], opts?: { stdin?: string; timeoutMs?: number }): Promise<CommandResult>;
  /** Run a command in the hub namespace (the SaaS side). */
  execInHub(cmd: string, args: readonly string[], opts?: { stdin?: string; timeoutMs?: number }): Promise<CommandResult>;
  /**
   * Start a long-running command in the broker namespace (killed by teardown if still
   * running). Its environment is PATH plus `env`.
   */
  spawnInBroker(cmd: string, args: readonly string[], env?: NodeJS.ProcessEnv): ChildProcess;
  /** The same in replica `index`'s namespace. */
  spawnInReplica(index: number, cmd: string, args: readonly string[], env?: NodeJS.ProcessEnv): ChildProcess;
  /** Run a command in replica `index`'s namespace. */
  execInReplica(index: number, cmd: string, args: readonly string[], opts?: { stdin?: string; timeoutMs?: number }): Promise<CommandResult>;
  /** The same in the hub namespace (the SaaS's own services, load generators). */
  spawnInHub(cmd: string, args: readonly string[], env?: NodeJS.ProcessEnv): ChildProcess;
  /** Remove everything the hub created. Idempotent. */
  teardown(): Promise<void>;
}

const HUB_TUNNEL_ADDRESS = 'fdf0:59dc:33cf:9be9::1';
// Fixed ports are fine inside our own namespaces.
const HUB_LISTEN_PORT = 51820;
const HEARTBEAT_PORT = 8080;
const WEBHOOKS_PORT = 8081;
const FRONT_PORT = 8000;
const ADMIN_PORT = 9100;
const BROKER_PORT = 8080;

// The SaaS service the relayed webhooks go to: POST /webhooks/<relay> is kept in order (headers
// and body as received); GET /webhooks lists them as JSON.
const WEBHOOKS_SCRIPT = `
const http = require('node:http');
const hooks = [];
const s = http.createServer((req, res) => {
  if (req.method === 'POST' && req.url.startsWith('/webhooks/')) {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      hooks.push({ url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.end('ok');
    });
    return;
  }
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(hooks));
});
s.listen(${WEBHOOKS_PORT}, '::', () => console.log('listening'));
`;

const REQUEST_SCRIPT = `
const http = require('node:http');
const [url, ms, method] = process.argv.slice(1);
const req = http.request(url, { method, agent: false }, (res) => {
  let body = '';
  res.setEncoding('utf8');
  res.on('data', (d) => (body += d));
  res.on('end', () => console.log(JSON.stringify({ status: res.statusCode, body, headers: res.headers })));
});
req.setTimeout(Number(ms), () => req.destroy(new Error('timeout after ' + ms + ' ms')));
req.on('error', (e) => console.log(JSON.stringify({ error: e.code ?? e.message })));
req.end();
`;

/** The repository root (holds package.json), from the source tree or from dist/. */
function repoRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error('lab: cannot find the repository root');
  }
}

/** The built CLI the lab runs the hub with. */
export const HUB_CLI = path.join(repoRoot(), 'dist/gateway/src/cli/main.js');

/**
 * The `tunnel` section of a broker configuration that dials this hub as replica `replica`: its
 * interface name, deployment id, replica index, peer entry and heartbeat URL, with the key file
 * the caller wrote (0600) and any heartbeat settings to add.
 */
export function brokerTunnelSection(hub: Hub, privateKeyFile: string, heartbeat: Readonly<Record<string, number | boolean>> = {}, replica = 0): Record<string, unknown> {
  const r = hub.replicas[replica];
  if (r === undefined) throw new Error(`lab: the hub has no replica ${replica}`);
  return {
    enabled: true,
    interface: r.interface,
    privateKeyFile,
    deploymentId: hub.deploymentId,
    replica,
    peers: [r.peerConfig],
    heartbeat: { url: hub.heartbeatUrl, ...heartbeat },
  };
}

/** Why the hub cannot run here, or null when it can. Synchronous, so a suite can skip itself. */
export function hubPrerequisites(): string | null {
  if (process.geteuid?.() !== 0) return 'needs root (network namespaces)';
  for (const tool of ['ip', 'wg', 'wireguard-go']) {
    if (spawnSync(tool, tool === 'ip' ? ['-V'] : ['--version']).status !== 0) return `needs ${tool} on PATH`;
  }
  if (!existsSync('/dev/net/tun')) return 'needs /dev/net/tun';
  if (!existsSync(HUB_CLI)) return `needs the built CLI (${path.relative(repoRoot(), HUB_CLI)}: npm run build)`;
  return null;
}

/** Create the namespaces and veth pair, and start the hub and the webhooks receiver. */
export async function createHub(opts: HubOptions = {}): Promise<Hub> {
  const sfx = randomBytes(3).toString('hex');
  const hubNs = `rb-hub-${sfx}`;
  const brokerNs = opts.brokerNs ?? `rb-brk-${sfx}`;
  const net = `10.231.${randomInt(0, 256)}`; // a /24 per lab: a /29 per replica link
  const [hubVeth, hubVeth2, brokerVeth] = [`${net}.1`, `${net}.3`, `${net}.2`];
  const hubInterface = `rbh${sfx}`;
  const deploymentId = opts.deploymentId ?? randomInt(1, 0x10000);
  const hubPrivateKey = generatePrivateKey();
  const hubPublicKey = publicKeyFromPrivate(hubPrivateKey);
  // Replica i has its own namespace and veth link: 10.231.N.(8i+1) on the hub side, .(8i+2) its own.
  const replicas: LabReplica[] = Array.from({ length: opts.replicas ?? 1 }, (_, index) => {
    const privateKey = index === 0 && opts.brokerPublicKey !== undefined ? null : generatePrivateKey();
    const hubSide = index === 0 ? hubVeth : `${net}.${8 * index + 1}`;
    return {
      index,
      privateKey,
      publicKey: privateKey === null ? (opts.brokerPublicKey ?? '') : publicKeyFromPrivate(privateKey),
      tunnelAddress: addressFromDeploymentId(deploymentId, index),
      interface: index === 0 ? `rbb${sfx}` : `rbb${sfx}r${index}`,
      ns: index === 0 ? brokerNs : `rb-brk-${sfx}-${index}`,
      vethAddress: index === 0 ? brokerVeth : `${net}.${8 * index + 2}`,
      peerConfig: {
        publicKey: hubPublicKey,
        endpoint: `${index === 0 ? (opts.endpointHostName ?? hubSide) : hubSide}:${HUB_LISTEN_PORT}`,
        allowedIps: [`${HUB_TUNNEL_ADDRESS}/128`],
        persistentKeepalive: opts.persistentKeepalive ?? 1,
      },
    };
  });
  const hostsDir = `/etc/netns/${brokerNs}`;
  const dir = await mkdtemp(path.join(tmpdir(), 'rb-lab-hub-'));
  const configFile = path.join(dir, 'hub.json');
  const keyFile = path.join(dir, 'hub-wg.key');

  const children = new Set<ChildProcess>();
  const created: string[] = [];
  let hubProcess: ChildProcess | null = null;
  const logLines: string[] = [];
  let tornDown: Promise<void> | null = null;

  const nsPids = async (ns: string): Promise<number[]> =>
    (await SPAWN_RUNNER.run('ip', ['netns', 'pids', ns])).stdout.split('\n').filter((p) => /^\d+$/.test(p)).map(Number);
  const killPids = (pids: number[]): void => {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };

  const teardown = (): Promise<void> => {
    tornDown ??= (async () => {
      for (const c of children) await killChild(c, 'SIGKILL');
      for (const ns of created) {
        // Anything else still running in our own namespaces was started by this test run.
        killPids(await nsPids(ns));
        await SPAWN_RUNNER.run('ip', ['netns', 'del', ns]);
      }
      if (opts.endpointHostName !== undefined) await rm(hostsDir, { recursive: true, force: true });
      await rm(uapiSocketPath(hubInterface), { force: true });
      for (const r of replicas) await rm(uapiSocketPath(r.interface), { force: true });
      await rm(dir, { recursive: true, force: true });
    })();
    return tornDown;
  };

  const writeConfig = async (): Promise<void> => {
    const config = {
      wireguard: { interface: hubInterface, privateKeyFile: keyFile, listenPort: HUB_LISTEN_PORT, address: HUB_TUNNEL_ADDRESS },
      ...(opts.carrier ? { carrier: { enabled: true, host: hubVeth, port: opts.carrier.port ?? 443, certFile: opts.carrier.certFile, keyFile: opts.carrier.keyFile } } : {}),
      heartbeat: { port: HEARTBEAT_PORT, staleAfterSeconds: opts.staleAfterSeconds ?? 3 },
      front: { host: '127.0.0.1', port: FRONT_PORT, brokerPort: BROKER_PORT, connectTimeoutMs: 1000 },
      admin: { host: '127.0.0.1', port: ADMIN_PORT },
      deployments: [{ id: deploymentId, name: 'lab', replicas: replicas.map((r) => ({ index: r.index, publicKey: r.publicKey })) }],
    };
    await writeFile(configFile, JSON.stringify(config, null, 2), { mode: 0o600 });
  };

  // Every line the hub writes (stdout and stderr), and who waits for which.
  let waiters: Array<{ from: number; match: (l: string) => boolean; resolve: () => void }> = [];
  const keep = (line: string): void => {
    logLines.push(line);
    const i = logLines.length - 1;
    waiters = waiters.filter((w) => (i >= w.from && w.match(line) ? (w.resolve(), false) : true));
  };
  /** Resolve when a hub log line from index `from` on matches; reject after `ms` or when the hub exits. */
  const waitForLog = (match: (l: string) => boolean, ms: number, from: number, child: ChildProcess): Promise<void> => {
    if (logLines.slice(from).some(match)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const fail = (why: string): void => {
        waiters = waiters.filter((x) => x !== w);
        clearTimeout(timer);
        reject(new Error(`${why}:\n${logLines.slice(from).join('\n')}`));
      };
      const onExit = (code: number | null): void => fail(`the hub exited (${code})`);
      const timer = setTimeout(() => fail(`no expected hub log line within ${ms} ms`), ms);
      const w = { from, match, resolve: (): void => (clearTimeout(timer), child.off('exit', onExit), resolve()) };
      waiters.push(w);
      child.once('exit', onExit);
    });
  };

  const startHub = async (): Promise<void> => {
    const child = spawnIn(hubNs, process.execPath, [HUB_CLI, 'hub', '-c', configFile]);
    children.add(child);
    child.once('exit', () => children.delete(child));
    hubProcess = child;
    for (const stream of [child.stdout, child.stderr]) if (stream) createInterface({ input: stream }).on('line', keep);
    await waitForLog((l) => l.includes('"hub started"'), 15_000, logLines.length, child);
  };

  const killHub = async (): Promise<void> => {
    const wgGo = (await nsPids(hubNs)).filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'wireguard-go';
      } catch {
        return false;
      }
    });
    if (hubProcess !== null) await killChild(hubProcess, 'SIGKILL');
    hubProcess = null;
    killPids(wgGo);
    await pollUntil(async () => (await execIn(hubNs, 'ip', ['link', 'show', 'dev', hubInterface])).code !== 0, 5000);
    // Its control socket stays behind, as after a real crash: starting the hub again copes with it.
  };

  const writeHosts = async (address: string): Promise<void> => {
    await mkdir(hostsDir, { recursive: true });
    await writeFile(`${hostsDir}/hosts`, `127.0.0.1 localhost\n::1 localhost\n${address} ${opts.endpointHostName ?? ''}\n`);
  };

  const replicaNs = (index: number): string => {
    const r = replicas[index];
    if (r === undefined) throw new Error(`lab: the hub has no replica ${index}`);
    return r.ns;
  };
  const spawnChild = (ns: string, cmd: string, args: readonly string[], env: NodeJS.ProcessEnv): ChildProcess => {
    const c = spawnIn(ns, cmd, args, env);
    children.add(c);
    c.once('exit', () => children.delete(c));
    return c;
  };

  const request = async (url: string, o: { timeoutMs?: number; method?: string } = {}): Promise<HubResponse> => {
    const r = await execIn(hubNs, process.execPath, ['-e', REQUEST_SCRIPT, url, String(o.timeoutMs ?? 2000), o.method ?? 'GET']);
    return JSON.parse(r.stdout.trim() || JSON.stringify({ error: r.stderr.trim() })) as HubResponse;
  };

  try {
    await writeFile(keyFile, `${hubPrivateKey}\n`, { mode: 0o600 });
    await writeConfig();
    for (const ns of [hubNs, ...replicas.map((r) => r.ns)]) {
      const exists = (await SPAWN_RUNNER.run('ip', ['netns', 'exec', ns, 'true'])).code === 0;
      if (ns === brokerNs && exists) continue;
      await host('ip', ['netns', 'add', ns]);
      created.push(ns);
      await execInChecked(ns, 'ip', ['link', 'set', 'lo', 'up']);
    }
    for (const r of replicas) {
      const [hv, bv] = r.index === 0 ? [`rbvh${sfx}`, `rbvb${sfx}`] : [`rbvh${sfx}${r.index}`, `rbvb${sfx}${r.index}`];
      await host('ip', ['link', 'add', hv, 'netns', hubNs, 'type', 'veth', 'peer', 'name', bv, 'netns', r.ns]);
      await execInChecked(hubNs, 'ip', ['addr', 'add', `${r.index === 0 ? hubVeth : `${net}.${8 * r.index + 1}`}/29`, 'dev', hv]);
      if (r.index === 0) {
        // Keep the second address when the first is removed (Linux drops secondaries by default).
        await execInChecked(hubNs, 'sysctl', ['-qw', `net.ipv4.conf.${hv}.promote_secondaries=1`]);
        await execInChecked(hubNs, 'ip', ['addr', 'add', `${hubVeth2}/29`, 'dev', hv]);
      }
      await execInChecked(hubNs, 'ip', ['link', 'set', hv, 'up']);
      await execInChecked(r.ns, 'ip', ['addr', 'add', `${r.vethAddress}/29`, 'dev', bv]);
      await execInChecked(r.ns, 'ip', ['link', 'set', bv, 'up']);
    }
    if (opts.endpointHostName !== undefined) await writeHosts(hubVeth);
    await startHub();
    const webhooks = spawnIn(hubNs, process.execPath, ['-e', WEBHOOKS_SCRIPT]);
    children.add(webhooks);
    await waitForLine(webhooks, (l) => l === 'listening', 5000);
  } catch (err) {
    await teardown();
    throw err;
  }

  const replica0 = replicas[0];
  if (replica0 === undefined) throw new Error('lab: at least one replica');
  const frontUrl = `http://127.0.0.1:${FRONT_PORT}`;
  return {
    hubNs, brokerNs, hubInterface, brokerInterface: replica0.interface,
    hubVethAddress: hubVeth, hubVethAddress2: hubVeth2, brokerVethAddress: brokerVeth,
    hubTunnelAddress: HUB_TUNNEL_ADDRESS, brokerTunnelAddress: replica0.tunnelAddress, deploymentId,
    hubPublicKey, brokerPublicKey: replica0.publicKey, brokerPrivateKey: replica0.privateKey,
    replicas,
    hubListenPort: HUB_LISTEN_PORT,
    heartbeatUrl: `http://[${HUB_TUNNEL_ADDRESS}]:${HEARTBEAT_PORT}/heartbeat`,
    webhooksUrl: `http://[${HUB_TUNNEL_ADDRESS}]:${WEBHOOKS_PORT}/webhooks`,
    frontUrl,
    carrierUrl: opts.carrier ? `wss://${hubVeth}:${opts.carrier.port ?? 443}/wireguard` : null,
    peerConfigForBroker: replica0.peerConfig,
    hubLogs: () => [...logLines],
    request,
    killHub,
    startHub,
    hubDump: () => execInChecked(hubNs, 'wg', ['show', hubInterface, 'dump']),
    setHubHostAddress: writeHosts,
    async removeHubVethAddress(address) {
      await execInChecked(hubNs, 'ip', ['addr', 'del', `${address}/29`, 'dev', `rbvh${sfx}`]);
    },
    execInBroker: (cmd, args, o = {}) => execIn(brokerNs, cmd, args, o),
    execInHub: (cmd, args, o = {}) => execIn(hubNs, cmd, args, o),
    spawnInBroker: (cmd, args, env = {}) => spawnChild(brokerNs, cmd, args, env),
    spawnInHub: (cmd, args, env = {}) => spawnChild(hubNs, cmd, args, env),
    spawnInReplica: (index, cmd, args, env = {}) => spawnChild(replicaNs(index), cmd, args, env),
    execInReplica: (index, cmd, args, o = {}) => execIn(replicaNs(index), cmd, args, o),
    teardown,
  };
}
