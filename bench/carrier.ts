/**
 * The `tunnel-direct-carrier` target: `tunnel-direct` with WireGuard's datagrams over the TLS
 * carrier (`tunnel.transport: tcp`, the hub's certificate pinned) instead of UDP. The lab's hub
 * runs its carrier on 443 in front of its WireGuard port; the broker namespace runs
 * `tunnel-endpoint.js` with the carrier configuration. Comparing it with `tunnel-direct` gives
 * the carrier's cost.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brokerTunnelSection } from '../tunnel/src/lab/hub';
import type { Child } from './proc';
import { startChild, stop } from './proc';
import type { Running, TunnelLab } from './targets';
import { LARGE_ROUTE, ROOT, SMALL_ROUTE } from './targets';

const TUNNEL_ENDPOINT = join(ROOT, 'dist', 'bench', 'tunnel-endpoint.js');

/** Start the broker-side endpoint over the hub's carrier; the row is measured from the hub namespace. */
export async function startCarrierDirect(lab: TunnelLab, dir: string): Promise<Running> {
  const { hub } = lab;
  if (hub.carrierUrl === null || lab.carrierPin === null) throw new Error('the lab hub runs no carrier (its certificate is made with openssl)');
  const env = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' };
  const port = (line: string): number | undefined => (JSON.parse(line) as { port?: number }).port;
  const children: Child[] = [];
  try {
    const configFile = join(dir, 'broker-tunnel-carrier.json');
    const section = brokerTunnelSection(hub, join(dir, 'tunnel-wg.key'));
    const peers = [{ ...hub.peerConfigForBroker, carrierUrl: hub.carrierUrl }];
    writeFileSync(configFile, `${JSON.stringify({ tunnel: { ...section, peers, transport: 'tcp', carrier: { pinSha256: [lab.carrierPin] } } }, null, 2)}\n`);
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
      children: [endpoint.child],
      notes: { transport: 'tcp (TLS carrier, WebSocket over ws, the hub\'s own)' },
      client: lab.client,
    };
  } catch (err) {
    for (const c of children.reverse()) await stop(c);
    throw err;
  }
}
