/**
 * End to end: WireGuard over the TLS carrier when UDP is blocked. Two namespaces (broker and
 * hub); in the broker namespace an nftables rule drops everything towards the hub except TCP
 * to a real HTTP proxy (tinyproxy, with Basic authentication) running on a second hub
 * address; the hub runs the carrier on 443. The tunnel starts with `transport: auto` and must
 * come up over the carrier within the bound, carry requests, heal after the proxy restarts,
 * and move back to UDP, without failing requests, once UDP is allowed again.
 *
 * Runs only as root with ip, wg, wireguard-go, /dev/net/tun, nft, tinyproxy and openssl;
 * otherwise the suite is skipped and says why.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TunnelOptions } from '../../src/config';
import type { TunnelDetails } from '../../src/tunnel';
import type { DriverClient } from '../helpers/driver-client';
import { DriverClient as Driver, buildDriver } from '../helpers/driver-client';
import type { Hub } from '../helpers/hub';
import { createHub, hubPrerequisites, labCarrierCertificate } from '../helpers/hub';
import type { LabFirewall } from '../../src/lab/firewall';
import { createLabFirewall } from '../../src/lab/firewall';
import { killChild, pollUntil, awaitAtMost } from '../helpers/netns';

const PROXY_USER = 'rb-e2e';
const PROXY_PASSWORD = 'canary-tinyproxy-5d2f91'; // a canary: must never appear in a log line
/** `auto` gives UDP this long before it switches; the whole bring-up must fit in UP_BOUND_MS. */
const SWITCH_AFTER_S = 2;
const UP_BOUND_MS = 15_000;

function missingTools(): string | null {
  const hub = hubPrerequisites();
  if (hub !== null) return hub;
  const tools: Array<[string, string]> = [['nft', '--version'], ['tinyproxy', '-v'], ['openssl', 'version']];
  for (const [tool, arg] of tools) {
    if (spawnSync(tool, [arg]).status !== 0) return `needs ${tool} on PATH`;
  }
  return null;
}

const missing = missingTools();
const describeE2e = missing === null ? describe : describe.skip;
if (missing !== null) console.warn(`carrier e2e skipped: ${missing}`);

describeE2e(`carrier e2e (${missing ?? 'UDP dropped, TCP only through tinyproxy'})`, () => {
  let hub: Hub | null = null;
  let driver: DriverClient | null = null;
  let pin = '';
  let firewall: LabFirewall | null = null;
  let cleanupBuild: (() => Promise<void>) | null = null;
  const dir = mkdtempSync(path.join(tmpdir(), 'rb-carrier-e2e-'));
  const timings: Record<string, number> = {};

  const h = (): Hub => {
    if (hub === null) throw new Error('hub not created');
    return hub;
  };
  const d = (): DriverClient => {
    if (driver === null) throw new Error('driver not started');
    return driver;
  };
  const fw = (): LabFirewall => {
    if (firewall === null) throw new Error('firewall not set up');
    return firewall;
  };
  const ready = (): Promise<boolean> => d().result<boolean>('ready');
  const details = (): Promise<TunnelDetails> => d().result<TunnelDetails>('details');

  /** One request from the hub, through the tunnel, to the broker's server on its tunnel address. */
  const throughTunnel = async (n: number): Promise<boolean> => {
    const r = await h().request(`http://[${h().brokerTunnelAddress}]:8081/req-${n}`, { timeoutMs: 3000 });
    return 'status' in r && r.status === 200 && r.body === `broker GET /req-${n}`;
  };

  beforeAll(async () => {
    const built = await buildDriver();
    cleanupBuild = built.cleanup;
    // The hub's carrier certificate; the broker pins its SHA-256 fingerprint.
    const carrier = labCarrierCertificate(dir);
    pin = carrier.pinSha256;
    hub = await createHub({ persistentKeepalive: 1, carrier });
    // A real proxy with Basic authentication on the hub's second address, and the firewall.
    firewall = await createLabFirewall(h(), dir, { user: PROXY_USER, password: PROXY_PASSWORD });

    driver = new Driver(h().spawnInBroker(process.execPath, [built.script]));
    const config: TunnelOptions = {
      interface: h().brokerInterface, localAddress: '', deploymentId: h().deploymentId, mtu: 1320,
      peers: [{ ...h().peerConfigForBroker, carrierUrl: h().carrierUrl ?? '' }],
      heartbeat: { url: h().heartbeatUrl, intervalSeconds: 1, timeoutSeconds: 0.5, graceSeconds: 0.5, failuresBeforeReresolve: 3 },
      wireguardGo: 'wireguard-go', wg: 'wg',
      transport: 'auto',
      carrier: {
        pinSha256: [pin],
        caFile: '', switchAfterSeconds: SWITCH_AFTER_S, probeIntervalSeconds: 2, connectTimeoutSeconds: 3,
      },
      proxy: { url: fw().proxyUrl, username: PROXY_USER, noProxy: [] },
    };
    const t0 = Date.now();
    const started = await driver.start(config, h().brokerPrivateKey ?? '', 8081, PROXY_PASSWORD);
    if (started.error !== undefined) throw new Error(`startTunnel failed: ${started.error.message}`);
    const first = await driver.result<boolean>('waitForFirstHeartbeat', { timeoutMs: UP_BOUND_MS });
    timings.upOverCarrierMs = Date.now() - t0;
    if (!first) throw new Error(`no first heartbeat: ${JSON.stringify(driver.events.slice(-20))}`);
  }, 120_000);

  afterAll(async () => {
    if (driver !== null) {
      await awaitAtMost(driver.call('stop'), 5000);
      await killChild(driver.child, 'SIGKILL');
    }
    await hub?.teardown(); // the namespaces take the firewall rules with them
    await cleanupBuild?.();
    rmSync(dir, { recursive: true, force: true });
    console.warn(`carrier e2e timings (ms): ${JSON.stringify(timings)}`);
  }, 60_000);

  test('auto comes up over the carrier within the bound, once UDP got its chance', async () => {
    expect(timings.upOverCarrierMs).toBeLessThanOrEqual(UP_BOUND_MS);
    expect(await ready()).toBe(true);
    expect(await details()).toMatchObject({ transport: 'tcp', mode: 'auto', carrier: [{ connected: true, lastError: null }] });
    const changes = d().logs('tunnel transport changed');
    expect(changes).toHaveLength(1);
    expect(changes[0]?.obj).toMatchObject({ from: 'udp', to: 'tcp' });
    const metrics = await d().result<string>('metrics');
    expect(metrics).toContain('rego_broker_tunnel_transport{transport="tcp"} 1');
    expect(metrics).toContain('rego_broker_tunnel_transport{transport="udp"} 0');
    expect(metrics).toMatch(/rego_broker_tunnel_carrier_connected\{peer="[^"]+"\} 1/);
    // The firewall really dropped the UDP attempts.
    const rules = await fw().rules();
    expect(rules).toMatch(/udp dport \d+ counter packets [1-9]/);
  });

  test('requests flow through the tunnel over the carrier', async () => {
    for (let i = 0; i < 10; i++) expect(await throughTunnel(i)).toBe(true);
  }, 30_000);

  test('the heartbeat heals after the proxy restarts', async () => {
    await fw().killProxy();
    const killedAt = Date.now();
    expect(await pollUntil(async () => !(await ready()), 10_000, 50)).toBe(true);
    timings.notReadyAfterProxyKillMs = Date.now() - killedAt;
    await fw().startProxy();
    const backAt = Date.now();
    expect(await pollUntil(ready, 15_000, 50)).toBe(true);
    timings.readyAfterProxyBackMs = Date.now() - backAt;
    expect(await throughTunnel(100)).toBe(true);
    expect(d().logs('tunnel carrier connected').length).toBeGreaterThanOrEqual(2);
    expect((await details()).transport).toBe('tcp');
  }, 40_000);

  test('when UDP is allowed again the tunnel moves back to UDP without failing requests', async () => {
    await fw().allowUdp();
    const openedAt = Date.now();
    const failures: number[] = [];
    let n = 200;
    // Requests keep going while the tunnel moves; bounded in time and count.
    while (Date.now() - openedAt < 20_000 && n < 400) {
      if (!(await throughTunnel(n))) failures.push(n);
      n += 1;
      if ((await details()).transport === 'udp') break;
    }
    timings.backOnUdpMs = Date.now() - openedAt;
    expect((await details()).transport).toBe('udp');
    for (let i = 0; i < 5; i++) if (!(await throughTunnel(1000 + i))) failures.push(1000 + i);
    expect(failures).toEqual([]);
    const changes = d().logs('tunnel transport changed');
    expect(changes).toHaveLength(2);
    expect(changes[1]?.obj).toMatchObject({ from: 'tcp', to: 'udp' });
    expect(await d().result<string>('metrics')).toContain('rego_broker_tunnel_transport{transport="udp"} 1');
    const status = await d().result<{ peers: Array<{ endpoint: string | null }> }>('status');
    expect(status.peers[0]?.endpoint).toBe(`${h().hubVethAddress}:${h().hubListenPort}`);
  }, 60_000);

  test('the proxy password never appears in a log line', () => {
    expect(JSON.stringify(d().events)).not.toContain(PROXY_PASSWORD);
    expect(d().stderr).not.toContain(PROXY_PASSWORD);
  });
});
