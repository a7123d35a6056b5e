/**
 * The `tunnel-direct-carrier` target: `tunnel-direct` with WireGuard's datagrams over the TLS
 * carrier (`tunnel.transport: tcp`, the hub's certificate pinned) instead of UDP. The hub
 * namespace runs the carrier on 443 in front of its WireGuard port; the broker namespace runs
 * `tunnel-endpoint.js` with the carrier configuration. Comparing it with `tunnel-direct` gives
 * the carrier's cost.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brokerTunnelSection } from '../tunnel/src/lab/hub';
import type { Child } from './proc';
import { startChild, stop } from './proc';
import type { Running, TunnelLab } from './targets';
import { LARGE_ROUTE, ROOT, SMALL_ROUTE } from './targets';

const CARRIER_HUB = join(ROOT, 'dist', 'bench', 'carrier-hub.js');
const TUNNEL_ENDPOINT = join(ROOT, 'dist', 'bench', 'tunnel-endpoint.js');

/** Start the hub's carrier and the broker-side endpoint over it; the row is measured from the hub namespace. */
export async function startCarrierDirect(lab: TunnelLab, dir: string): Promise<Running> {
  const { hub } = lab;
  const key = join(dir, 'carrier-hub.key');
  const cert = join(dir, 'carrier-hub.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
    '-days', '1', '-subj', '/CN=hub', '-addext', `subjectAltName=IP:${hub.hubVethAddress}`], { stdio: 'ignore' });
  const env = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' };
  const port = (line: string): number | undefined => (JSON.parse(line) as { port?: number }).port;
  const children: Child[] = [];
  try {
    const server = await startChild('carrier-hub', ['ip', 'netns', 'exec', hub.hubNs, process.execPath, CARRIER_HUB,
      JSON.stringify({ host: hub.hubVethAddress, port: 443, keyFile: key, certFile: cert, targetPort: hub.hubListenPort })], {
      env, cwd: ROOT, logFile: join(dir, 'carrier-hub.log'), stream: 'stdout', timeoutMs: 10_000, ready: port,
    });
    children.push(server.child);
    const configFile = join(dir, 'broker-tunnel-carrier.json');
    const section = brokerTunnelSection(hub, join(dir, 'tunnel-wg.key'));
    const peers = [{ ...hub.peerConfigForBroker, carrierUrl: `wss://${hub.hubVethAddress}:443/wireguard` }];
    const pin = new X509Certificate(readFileSync(cert)).fingerprint256;
    writeFileSync(configFile, `${JSON.stringify({ tunnel: { ...section, peers, transport: 'tcp', carrier: { pinSha256: [pin] } } }, null, 2)}\n`);
    const endpoint = await startChild('tunnel-endpoint-carrier', ['ip', 'netns', 'exec', hub.brokerNs, process.execPath, TUNNEL_ENDPOINT, configFile], {
      env, cwd: ROOT, logFile: join(dir, 'tunnel-endpoint-carrier.log'), stream: 'stdout', timeoutMs: 20_000, ready: port,
    });
    children.push(endpoint.child);
    const base = `http://[${hub.brokerTunnelAddress}]:${endpoint.value}/api/v3`;
    const deadline = Date.now() + 10_000;
    for (;;) {
      const r = await lab.client.probe(`${base}${SMALL_ROUTE}`, 2000).catch(() => ({ status: 0, body: '' }));
      if (r.status === 200) break;
      if (Date.now() > deadline) throw new Error(`the carrier endpoint did not answer within 10 s (log: ${join(dir, 'tunnel-endpoint-carrier.log')})`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return {
      name: 'tunnel-direct-carrier', pid: endpoint.child.pid, smallUrl: `${base}${SMALL_ROUTE}`, largeUrl: `${base}${LARGE_ROUTE}`,
      // The endpoint first: its tunnel must be down before the carrier goes.
      children: [endpoint.child, server.child],
      notes: { transport: 'tcp (TLS carrier, WebSocket over ws)', carrierHubPid: server.child.pid },
      client: lab.client,
    };
  } catch (err) {
    for (const c of children.reverse()) await stop(c);
    throw err;
  }
}
