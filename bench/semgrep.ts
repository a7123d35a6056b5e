/**
 * The Semgrep Network Broker as a bench target, through the same WireGuard lab as rego-broker:
 * it speaks WireGuard in-process (no TUN), so it runs in the broker namespace as a second peer
 * of the lab's hub, with its own key and tunnel address, proxying to the same sample upstream.
 *
 * The binary comes from PATH (`semgrep-network-broker`), or is built with `go build` from a
 * checkout of its public repository named by BENCH_SEMGREP_SRC (the figures in the README are
 * from its tag v0.24.0) into the git-ignored bench/.semgrep/. Its source is never part of this
 * repository. Without either, its rows say why.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatePrivateKey, publicKeyFromPrivate } from '../tunnel/src/keys';
import type { LoadClient } from './measure';
import type { Child } from './proc';
import { startChild } from './proc';
import { LARGE_ROUTE, ROOT, SMALL_ROUTE } from './targets';
import type { Running, TunnelLab } from './targets';

const BINARY = 'semgrep-network-broker';
/** Its tunnel address: in the broker prefix, apart from any deployment id the lab derives. */
const SEMGREP_ADDRESS = 'fdf0:59dc:33cf:9be8:0:ffff:0:1';
const PROXY_PORT = 8081;

/** The binary's path, or why there is none. */
export function ensureSemgrep(env: NodeJS.ProcessEnv, log: (s: string) => void): { binary: string } | { reason: string } {
  const onPath = spawnSync('sh', ['-c', `command -v ${BINARY}`], { encoding: 'utf8' });
  if (onPath.status === 0 && onPath.stdout.trim() !== '') return { binary: onPath.stdout.trim() };
  const src = env.BENCH_SEMGREP_SRC;
  if (src === undefined || src === '') {
    return { reason: `${BINARY} is not on PATH and BENCH_SEMGREP_SRC (a checkout of its repository, tag v0.24.0) is not set` };
  }
  const out = join(ROOT, 'bench', '.semgrep');
  const binary = join(out, BINARY);
  if (existsSync(binary)) return { binary };
  mkdirSync(out, { recursive: true });
  log(`semgrep-nb: go build in ${src}`);
  try {
    execFileSync('go', ['build', '-o', binary, '.'], { cwd: src, stdio: 'pipe', timeout: 600_000 });
    return { binary };
  } catch (err) {
    return { reason: `go build in ${src} failed: ${(err as Error).message.slice(0, 200)}` };
  }
}

/** Its configuration: WireGuard to the hub, an allowlist for the sample upstream with the token. */
function config(lab: TunnelLab, privateKey: string): Record<string, unknown> {
  const peer = lab.hub.peerConfigForBroker;
  return {
    inbound: {
      wireguard: {
        localAddress: SEMGREP_ADDRESS,
        privateKey,
        mtu: 1320,
        peers: [{ publicKey: peer.publicKey, endpoint: peer.endpoint, allowedIps: peer.allowedIps[0], persistentKeepaliveInterval: 1 }],
      },
      heartbeat: { url: lab.hub.heartbeatUrl, intervalSeconds: 30, timeoutSeconds: 5 },
      proxyListenPort: PROXY_PORT,
      allowlist: [{ url: `http://127.0.0.1:${lab.upstreamPort}/*`, methods: ['GET'], setRequestHeaders: { Authorization: 'Bearer bench-token' } }],
    },
  };
}

/** Start it in the lab's broker namespace as a second peer of the hub; resolves once a request goes through. */
export async function startSemgrep(lab: TunnelLab, binary: string, dir: string, client: LoadClient): Promise<Running> {
  const privateKey = generatePrivateKey();
  const hub = lab.hub;
  await hub.execInHub('wg', ['set', hub.hubInterface, 'peer', publicKeyFromPrivate(privateKey), 'allowed-ips', `${SEMGREP_ADDRESS}/128`]);
  await hub.execInHub('ip', ['-6', 'route', 'replace', `${SEMGREP_ADDRESS}/128`, 'dev', hub.hubInterface]);
  const configFile = join(dir, 'semgrep-nb.json');
  writeFileSync(configFile, `${JSON.stringify(config(lab, privateKey), null, 2)}\n`, { mode: 0o600 });
  // Started without a readiness line of its own: wait for the first request through the tunnel.
  const { child } = await startChild<true>('semgrep-nb', ['ip', 'netns', 'exec', hub.brokerNs, binary, '-c', configFile, '-j'], {
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
    cwd: dir,
    logFile: join(dir, 'semgrep-nb.log'),
    stream: 'stderr',
    timeoutMs: 20_000,
    ready: () => true,
  });
  const base = `http://[${SEMGREP_ADDRESS}]:${PROXY_PORT}/proxy/http://127.0.0.1:${lab.upstreamPort}/api/v3`;
  const children: Child[] = [child];
  const deadline = Date.now() + 20_000;
  for (;;) {
    const r = await client.probe(`${base}${SMALL_ROUTE}`, 2000).catch(() => ({ status: 0, body: '' }));
    if (r.status === 200 && r.body.length >= 2000) break;
    if (Date.now() > deadline) throw new Error(`semgrep-nb did not answer through the tunnel (log: ${join(dir, 'semgrep-nb.log')})`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { name: 'semgrep-nb-tunnel', pid: child.pid, smallUrl: `${base}${SMALL_ROUTE}`, largeUrl: `${base}${LARGE_ROUTE}`, children, notes: { address: SEMGREP_ADDRESS }, client };
}
