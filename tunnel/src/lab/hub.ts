/**
 * The lab hub: plays the SaaS side of the tunnel on this machine, for the end-to-end tests
 * (tunnel and whole broker) and the demo. It is not used by the broker itself. It creates two network
 * namespaces joined by a veth pair (hub 10.231.N.1 and 10.231.N.3, broker 10.231.N.2, /29),
 * runs a userspace WireGuard peer and a small HTTP server (the heartbeat URL) in the hub
 * namespace, and can send requests from the hub through the tunnel. Everything it creates has
 * a random suffix and is removed by `teardown()`, which is safe to call after any failure.
 *
 * Needs root, `ip`, `wg`, `wireguard-go` and /dev/net/tun; see `hubPrerequisites()`.
 */
import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import type { PeerConfig } from '../config';
import { addressFromDeploymentId } from '../address';
import type { CommandResult } from '../exec';
import { SPAWN_RUNNER } from '../exec';
import { generatePrivateKey, publicKeyFromPrivate } from '../keys';
import { withSecretFile } from '../secret-file';
import { execIn, execInChecked, host, killChild, pollUntil, spawnIn, waitForLine } from './netns';

/** Options of `createHub`. */
export interface HubOptions {
  /** Use this broker namespace (created if missing, deleted by teardown only if created here). */
  brokerNs?: string;
  /** Deployment id of the broker; random when not given. */
  deploymentId?: number;
  /** Public key of the broker; when absent a key pair is made and `brokerPrivateKey` is set. */
  brokerPublicKey?: string;
  /** Keepalive the broker should use towards the hub (default 1 s). */
  persistentKeepalive?: number;
  /** Give the broker the hub's endpoint as this DNS name (via /etc/netns/<brokerNs>/hosts). */
  endpointHostName?: string;
}

/** The answer to `request`. */
export type HubResponse = { status: number; body: string } | { error: string };

/** A running hub. */
export interface Hub {
  hubNs: string;
  brokerNs: string;
  /** WireGuard interface name in the hub namespace. */
  hubInterface: string;
  /** A free interface name for the broker's side (unique like the namespaces). */
  brokerInterface: string;
  hubVethAddress: string;
  /** A second hub address on the veth, for endpoint moves. */
  hubVethAddress2: string;
  brokerVethAddress: string;
  hubTunnelAddress: string;
  brokerTunnelAddress: string;
  deploymentId: number;
  hubPublicKey: string;
  brokerPublicKey: string;
  /** Set when the hub made the broker's key pair. Test material only. */
  brokerPrivateKey: string | null;
  hubListenPort: number;
  /** `http://[hub tunnel address]:8080/ping`, answered 200 by the hub. */
  heartbeatUrl: string;
  /** `http://[hub tunnel address]:8080/webhooks`: POST below it is recorded, GET lists what was received. */
  webhooksUrl: string;
  /** The peer entry the broker needs for this hub. */
  peerConfigForBroker: PeerConfig;
  /** HTTP GET from the hub namespace. */
  request(url: string, opts?: { timeoutMs?: number }): Promise<HubResponse>;
  /** Kill the hub's wireguard-go (SIGKILL: like a crash) and wait until its interface is gone. */
  killWg(): Promise<void>;
  /** Start the hub's wireguard-go again with the same keys and wait until it is configured. */
  startWg(): Promise<void>;
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
  /** Remove everything the hub created. Idempotent. */
  teardown(): Promise<void>;
}

const HUB_TUNNEL_ADDRESS = 'fdf0:59dc:33cf:9be9::1';
const HUB_LISTEN_PORT = 51820; // fixed ports are fine inside our own namespaces
const HUB_HTTP_PORT = 8080;

// POST /webhooks/<relay> plays the SaaS receiving relayed webhooks (kept in order, headers and
// body as received); GET /webhooks lists them as JSON.
const SERVER_SCRIPT = `
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
  if (req.url === '/webhooks') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(hooks));
    return;
  }
  res.setHeader('content-type', 'text/plain');
  res.end(req.url === '/ping' ? 'pong' : 'hub ' + req.method + ' ' + req.url);
});
s.listen(${HUB_HTTP_PORT}, '::', () => console.log('listening'));
`;

const REQUEST_SCRIPT = `
const http = require('node:http');
const [url, ms] = process.argv.slice(1);
const req = http.get(url, { agent: false }, (res) => {
  let body = '';
  res.setEncoding('utf8');
  res.on('data', (d) => (body += d));
  res.on('end', () => console.log(JSON.stringify({ status: res.statusCode, body })));
});
req.setTimeout(Number(ms), () => req.destroy(new Error('timeout after ' + ms + ' ms')));
req.on('error', (e) => console.log(JSON.stringify({ error: e.code ?? e.message })));
`;

/**
 * The `tunnel` section of a broker configuration that dials this hub: its interface name,
 * deployment id, peer entry and heartbeat URL, with the key file the caller wrote (0600) and
 * any heartbeat settings to add.
 */
export function brokerTunnelSection(hub: Hub, privateKeyFile: string, heartbeat: Readonly<Record<string, number | boolean>> = {}): Record<string, unknown> {
  return {
    enabled: true,
    interface: hub.brokerInterface,
    privateKeyFile,
    deploymentId: hub.deploymentId,
    peers: [hub.peerConfigForBroker],
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
  return null;
}

/** Create the namespaces, veth pair, hub WireGuard peer and heartbeat server. */
export async function createHub(opts: HubOptions = {}): Promise<Hub> {
  const sfx = randomBytes(3).toString('hex');
  const hubNs = `rb-hub-${sfx}`;
  const brokerNs = opts.brokerNs ?? `rb-brk-${sfx}`;
  const net = `10.231.${randomInt(0, 256)}`;
  const [hubVeth, hubVeth2, brokerVeth] = [`${net}.1`, `${net}.3`, `${net}.2`];
  const hubInterface = `rbh${sfx}`;
  const deploymentId = opts.deploymentId ?? randomInt(1, 0x10000);
  const brokerTunnelAddress = addressFromDeploymentId(deploymentId);
  const hubPrivateKey = generatePrivateKey();
  const brokerPrivateKey = opts.brokerPublicKey === undefined ? generatePrivateKey() : null;
  const brokerPublicKey = opts.brokerPublicKey ?? publicKeyFromPrivate(brokerPrivateKey ?? '');
  const hostsDir = `/etc/netns/${brokerNs}`;

  const children = new Set<ChildProcess>();
  const created: string[] = [];
  let wg: ChildProcess | null = null;
  let tornDown: Promise<void> | null = null;

  const teardown = (): Promise<void> => {
    tornDown ??= (async () => {
      for (const c of children) await killChild(c, 'SIGKILL');
      for (const ns of created) {
        // Anything else still running in our own namespaces was started by this test run.
        const pids = await SPAWN_RUNNER.run('ip', ['netns', 'pids', ns]);
        for (const pid of pids.stdout.split('\n').filter((p) => /^\d+$/.test(p))) {
          try {
            process.kill(Number(pid), 'SIGKILL');
          } catch {
            // already gone
          }
        }
        await SPAWN_RUNNER.run('ip', ['netns', 'del', ns]);
      }
      if (opts.endpointHostName !== undefined) await rm(hostsDir, { recursive: true, force: true });
      await rm(`/var/run/wireguard/${hubInterface}.sock`, { force: true });
      await rm(`/var/run/wireguard/rbb${sfx}.sock`, { force: true });
    })();
    return tornDown;
  };

  const hubConf = [
    '[Interface]', `PrivateKey = ${hubPrivateKey}`, `ListenPort = ${HUB_LISTEN_PORT}`,
    '', '[Peer]', `PublicKey = ${brokerPublicKey}`, `AllowedIPs = ${brokerTunnelAddress}/128`, '',
  ].join('\n');

  const startWg = async (): Promise<void> => {
    const child = spawnIn(hubNs, 'wireguard-go', ['-f', hubInterface], { WG_PROCESS_FOREGROUND: '1', LOG_LEVEL: 'error' });
    children.add(child);
    child.once('exit', () => children.delete(child));
    wg = child;
    const up = await pollUntil(async () => (await execIn(hubNs, 'wg', ['show', hubInterface, 'listen-port'])).code === 0, 5000);
    if (!up) throw new Error(`hub wireguard-go did not create ${hubInterface}`);
    await withSecretFile(hubConf, (file) => execInChecked(hubNs, 'wg', ['setconf', hubInterface, file]));
    await execInChecked(hubNs, 'ip', ['-6', 'addr', 'add', `${HUB_TUNNEL_ADDRESS}/128`, 'dev', hubInterface, 'nodad']);
    await execInChecked(hubNs, 'ip', ['link', 'set', 'dev', hubInterface, 'mtu', '1320', 'up']);
    await execInChecked(hubNs, 'ip', ['-6', 'route', 'replace', `${brokerTunnelAddress}/128`, 'dev', hubInterface]);
  };

  const killWg = async (): Promise<void> => {
    if (wg !== null) await killChild(wg, 'SIGKILL');
    wg = null;
    await pollUntil(async () => (await execIn(hubNs, 'ip', ['link', 'show', 'dev', hubInterface])).code !== 0, 5000);
  };

  const writeHosts = async (address: string): Promise<void> => {
    await mkdir(hostsDir, { recursive: true });
    await writeFile(`${hostsDir}/hosts`, `127.0.0.1 localhost\n::1 localhost\n${address} ${opts.endpointHostName ?? ''}\n`);
  };

  try {
    for (const ns of [hubNs, brokerNs]) {
      const exists = (await SPAWN_RUNNER.run('ip', ['netns', 'exec', ns, 'true'])).code === 0;
      if (ns === brokerNs && exists) continue;
      await host('ip', ['netns', 'add', ns]);
      created.push(ns);
      await execInChecked(ns, 'ip', ['link', 'set', 'lo', 'up']);
    }
    await host('ip', ['link', 'add', `rbvh${sfx}`, 'netns', hubNs, 'type', 'veth', 'peer', 'name', `rbvb${sfx}`, 'netns', brokerNs]);
    // Keep the second address when the first is removed (Linux drops secondaries by default).
    await execInChecked(hubNs, 'sysctl', ['-qw', `net.ipv4.conf.rbvh${sfx}.promote_secondaries=1`]);
    await execInChecked(hubNs, 'ip', ['addr', 'add', `${hubVeth}/29`, 'dev', `rbvh${sfx}`]);
    await execInChecked(hubNs, 'ip', ['addr', 'add', `${hubVeth2}/29`, 'dev', `rbvh${sfx}`]);
    await execInChecked(hubNs, 'ip', ['link', 'set', `rbvh${sfx}`, 'up']);
    await execInChecked(brokerNs, 'ip', ['addr', 'add', `${brokerVeth}/29`, 'dev', `rbvb${sfx}`]);
    await execInChecked(brokerNs, 'ip', ['link', 'set', `rbvb${sfx}`, 'up']);
    if (opts.endpointHostName !== undefined) await writeHosts(hubVeth);
    await startWg();
    const server = spawnIn(hubNs, process.execPath, ['-e', SERVER_SCRIPT]);
    children.add(server);
    await waitForLine(server, (l) => l === 'listening', 5000);
  } catch (err) {
    await teardown();
    throw err;
  }

  return {
    hubNs, brokerNs, hubInterface, brokerInterface: `rbb${sfx}`,
    hubVethAddress: hubVeth, hubVethAddress2: hubVeth2, brokerVethAddress: brokerVeth,
    hubTunnelAddress: HUB_TUNNEL_ADDRESS, brokerTunnelAddress, deploymentId,
    hubPublicKey: publicKeyFromPrivate(hubPrivateKey), brokerPublicKey, brokerPrivateKey,
    hubListenPort: HUB_LISTEN_PORT,
    heartbeatUrl: `http://[${HUB_TUNNEL_ADDRESS}]:${HUB_HTTP_PORT}/ping`,
    webhooksUrl: `http://[${HUB_TUNNEL_ADDRESS}]:${HUB_HTTP_PORT}/webhooks`,
    peerConfigForBroker: {
      publicKey: publicKeyFromPrivate(hubPrivateKey),
      endpoint: `${opts.endpointHostName ?? hubVeth}:${HUB_LISTEN_PORT}`,
      allowedIps: [`${HUB_TUNNEL_ADDRESS}/128`],
      persistentKeepalive: opts.persistentKeepalive ?? 1,
    },
    async request(url, o = {}) {
      const r = await execIn(hubNs, process.execPath, ['-e', REQUEST_SCRIPT, url, String(o.timeoutMs ?? 2000)]);
      return JSON.parse(r.stdout.trim() || JSON.stringify({ error: r.stderr.trim() })) as HubResponse;
    },
    killWg,
    startWg,
    hubDump: () => execInChecked(hubNs, 'wg', ['show', hubInterface, 'dump']),
    setHubHostAddress: writeHosts,
    async removeHubVethAddress(address) {
      await execInChecked(hubNs, 'ip', ['addr', 'del', `${address}/29`, 'dev', `rbvh${sfx}`]);
    },
    execInBroker: (cmd, args, o = {}) => execIn(brokerNs, cmd, args, o),
    execInHub: (cmd, args, o = {}) => execIn(hubNs, cmd, args, o),
    spawnInBroker(cmd, args, env = {}) {
      const c = spawnIn(brokerNs, cmd, args, env);
      children.add(c);
      c.once('exit', () => children.delete(c));
      return c;
    },
    teardown,
  };
}
