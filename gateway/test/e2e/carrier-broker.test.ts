/**
 * End to end: the whole broker (`rego-broker run`, the built CLI) when the customer's firewall
 * drops UDP to the hub and lets TCP out only through an authenticating HTTP proxy. The broker
 * namespace's nftables rules drop UDP and direct TCP towards the hub; a real tinyproxy with Basic
 * authentication runs on the hub's second address; the hub (`rego-broker hub`) runs its TLS
 * carrier on 443. The broker starts with `tunnel.transport: auto` and must come up over the
 * carrier within the bound, judge and proxy the hub's requests through it, never log the proxy
 * password, and move back to UDP without failing requests once UDP is allowed again.
 *
 * Runs only as root with ip, wg, wireguard-go, /dev/net/tun, nft, tinyproxy and openssl;
 * otherwise the suite is skipped and says why. Needs `npm run build` first (`npm test` does it).
 */
import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Hub } from '../../../tunnel/src/lab/hub';
import { brokerTunnelSection, createHub, hubPrerequisites, labCarrierCertificate } from '../../../tunnel/src/lab/hub';
import { killChild, pollUntil, awaitAtMost } from '../../../tunnel/src/lab/netns';
import { recordingUpstreamScript } from '../../../tunnel/src/lab/upstream';
import { Lines } from '../helpers/lines';
import { AdminProbe } from '../helpers/probe';
import type { LabFirewall } from '../../../tunnel/src/lab/firewall';
import { createLabFirewall } from '../../../tunnel/src/lab/firewall';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist/gateway/src/cli/main.js');
const BUNDLE = path.join(ROOT, 'policies/build/bundle.tar.gz');
const PROXY_USER = 'rb-e2e';
const PROXY_PASSWORD = `canary-proxy-${randomBytes(6).toString('hex')}`; // must never appear in a log line
const TOKEN = `e2e-ghe-${randomBytes(6).toString('hex')}`;
const BROKER_PORT = 8080; // inside the broker's own namespace
const ADMIN_PORT = 9090;
/** `auto` gives UDP this long before it switches; the broker must be ready within UP_BOUND_MS. */
const SWITCH_AFTER_S = 2;
const UP_BOUND_MS = 15_000;

function missingTools(): string | null {
  const hub = hubPrerequisites();
  if (hub !== null) return hub;
  for (const [tool, arg] of [['nft', '--version'], ['tinyproxy', '-v'], ['openssl', 'version']] as const) {
    if (spawnSync(tool, [arg]).status !== 0) return `needs ${tool} on PATH`;
  }
  return null;
}

const missing = missingTools();
const describeE2e = missing === null ? describe : describe.skip;
if (missing !== null) console.warn(`broker carrier e2e skipped: ${missing}`);

interface Answer {
  status?: number;
  body?: string;
  error?: string;
}

describeE2e(`broker over the TLS carrier, e2e (${missing ?? 'UDP dropped, TCP only through tinyproxy'})`, () => {
  let hub: Hub | null = null;
  let firewall: LabFirewall | null = null;
  let upstream: { child: ChildProcess; lines: Lines } | null = null;
  let probe: AdminProbe | null = null;
  let broker: { child: ChildProcess; logs: Lines; exited: Promise<number | null> } | null = null;
  const dir = mkdtempSync(path.join(tmpdir(), 'rb-broker-carrier-e2e-'));
  const decisionLog = path.join(dir, 'decisions.jsonl');
  const timings: Record<string, number> = {};
  let upstreamPort = 0;
  let answered = 0;

  const h = (): Hub => {
    if (hub === null) throw new Error('hub not created');
    return hub;
  };
  const fw = (): LabFirewall => {
    if (firewall === null) throw new Error('firewall not set up');
    return firewall;
  };
  const api = (): string => `http://127.0.0.1:${upstreamPort}/api/v3/repos/acme/app`;
  /** A /proxy request from the hub namespace through the tunnel to the broker. */
  const viaTunnel = async (dest: string): Promise<Answer> => {
    const r = await h().request(`http://[${h().brokerTunnelAddress}]:${BROKER_PORT}/proxy/${dest}`, { timeoutMs: 3000 });
    if ('status' in r) answered++;
    return r;
  };
  /** GET on the broker's admin listener, from inside the broker namespace. */
  const admin = async (p: string): Promise<Answer> => {
    if (probe === null) throw new Error('probe not started');
    return probe.get(`http://127.0.0.1:${ADMIN_PORT}${p}`);
  };
  const readyStatus = async (): Promise<number> => (await admin('/readyz')).status ?? 0;
  const transportOf = async (): Promise<string | undefined> => (await admin('/metrics')).body?.match(/rego_broker_tunnel_transport\{[^}]*\btransport="(\w+)"[^}]*\} 1/)?.[1];
  beforeAll(async () => {
    for (const f of [CLI, BUNDLE]) {
      if (!existsSync(f)) throw new Error(`${path.relative(ROOT, f)} is missing: run \`npm run build\` first (npm test does)`);
    }
    const carrier = labCarrierCertificate(dir);
    hub = await createHub({ carrier });
    writeFileSync(path.join(dir, 'wg.key'), `${h().brokerPrivateKey ?? ''}\n`, { mode: 0o600 });
    // A real proxy with Basic authentication on the hub's second address, and the firewall.
    firewall = await createLabFirewall(h(), dir, { user: PROXY_USER, password: PROXY_PASSWORD });

    const up = h().spawnInBroker(process.execPath, ['-e', recordingUpstreamScript({ upstream: 'ghe' })]);
    upstream = { child: up, lines: new Lines(up.stdout) };
    upstreamPort = (JSON.parse(await upstream.lines.waitFor((l) => l.includes('listening'), 10_000)) as { listening: number }).listening;
    probe = await AdminProbe.start((cmd, args) => h().spawnInBroker(cmd, args));

    const config = {
      listen: { host: '127.0.0.1', port: BROKER_PORT },
      admin: { host: '127.0.0.1', port: ADMIN_PORT },
      tunnel: {
        ...brokerTunnelSection(h(), path.join(dir, 'wg.key'), { intervalSeconds: 1, timeoutSeconds: 1, graceSeconds: 1, failuresBeforeReresolve: 3 }),
        peers: [{ ...h().peerConfigForBroker, carrierUrl: h().carrierUrl ?? '' }],
        transport: 'auto',
        carrier: {
          pinSha256: [carrier.pinSha256],
          switchAfterSeconds: SWITCH_AFTER_S, probeIntervalSeconds: 2, connectTimeoutSeconds: 3,
        },
        proxy: { url: fw().proxyUrl, username: PROXY_USER, passwordEnv: 'E2E_PROXY_PASSWORD' },
      },
      policy: { bundle: BUNDLE },
      integrations: [
        { name: 'ghe', type: 'github', baseUrl: `http://127.0.0.1:${upstreamPort}/api/v3`, auth: { scheme: 'bearer', tokenEnv: 'E2E_GHE_TOKEN' } },
      ],
      telemetry: { decisionLog: { path: decisionLog }, traces: { exporter: 'none' } },
      shutdown: { graceSeconds: 2 },
    };
    writeFileSync(path.join(dir, 'broker.json'), JSON.stringify(config, null, 2));
    const t0 = Date.now();
    const child = h().spawnInBroker(process.execPath, [CLI, 'run', '-c', path.join(dir, 'broker.json')], { E2E_GHE_TOKEN: TOKEN, E2E_PROXY_PASSWORD: PROXY_PASSWORD });
    broker = { child, logs: new Lines(child.stderr), exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
    const ready = await pollUntil(async () => {
      if (child.exitCode !== null) throw new Error(`the broker exited with ${child.exitCode}:\n${broker?.logs.all.join('\n') ?? ''}`);
      return (await readyStatus()) === 200;
    }, UP_BOUND_MS, 100);
    timings.readyOverCarrierMs = Date.now() - t0;
    if (!ready) throw new Error(`the broker was not ready within ${UP_BOUND_MS} ms:\n${broker.logs.all.join('\n')}`);
  }, 120_000);

  afterAll(async () => {
    if (broker !== null && broker.child.exitCode === null && broker.child.signalCode === null) {
      broker.child.kill('SIGTERM');
      await awaitAtMost(broker.exited, 5000);
    }
    for (const c of [broker?.child, upstream?.child, probe?.child]) if (c) await killChild(c, 'SIGKILL');
    await hub?.teardown(); // the namespaces take the firewall rules with them
    rmSync(dir, { recursive: true, force: true });
    console.warn(`broker carrier e2e timings (ms): ${JSON.stringify(timings)}`);
  }, 60_000);

  test('with UDP dropped, auto brings the broker up over the carrier through the proxy, within the bound', async () => {
    expect(timings.readyOverCarrierMs).toBeLessThanOrEqual(UP_BOUND_MS);
    expect(await transportOf()).toBe('tcp');
    const change = broker?.logs.json<{ msg?: string; from?: string; to?: string }>().filter((l) => l.msg === 'tunnel transport changed');
    expect(change).toEqual([expect.objectContaining({ from: 'udp', to: 'tcp' })]);
    const rules = await fw().rules();
    expect(rules).toMatch(/udp dport \d+ counter packets [1-9]/);
  });

  test('the hub’s requests are judged and proxied through the carrier: allowed ones reach the upstream with the token, denied ones do not', async () => {
    const allowed = await viaTunnel(`${api()}/contents/package.json`);
    expect(allowed).toMatchObject({ status: 200 });
    expect(JSON.parse(allowed.body ?? '{}')).toEqual({ upstream: 'ghe', url: '/api/v3/repos/acme/app/contents/package.json' });
    const denied = await viaTunnel(`${api()}/contents/src/main.go`);
    expect(denied).toMatchObject({ status: 403 });
    expect(JSON.stringify(JSON.parse(denied.body ?? '{}'))).toContain('POLICY_DENIED');
    await upstream?.lines.waitFor((l) => l.includes('package.json'), 2000);
    const seen = upstream?.lines.json<{ url?: string; authorization?: string }>().filter((s) => s.url !== undefined);
    expect(seen).toEqual([{ method: 'GET', url: '/api/v3/repos/acme/app/contents/package.json', authorization: `Bearer ${TOKEN}` }]);
  });

  test('the broker heals after the proxy restarts: not ready while it is down, ready and serving once it is back', async () => {
    await fw().killProxy();
    expect(await pollUntil(async () => (await readyStatus()) === 503, 10_000, 50)).toBe(true);
    await fw().startProxy();
    const backAt = Date.now();
    expect(await pollUntil(async () => (await readyStatus()) === 200, 15_000, 50)).toBe(true);
    timings.readyAfterProxyBackMs = Date.now() - backAt;
    expect(await transportOf()).toBe('tcp');
    expect(await viaTunnel(`${api()}/contents/go.mod`)).toMatchObject({ status: 200 });
  }, 40_000);

  test('when UDP is allowed again the broker moves back to UDP without failing a request', async () => {
    await fw().allowUdp();
    const openedAt = Date.now();
    const failures: Answer[] = [];
    // Requests keep flowing while the tunnel moves; bounded in count and time.
    for (let i = 0; i < 300 && Date.now() - openedAt < 20_000; i++) {
      const r = await viaTunnel(`${api()}/contents/package.json`);
      if (r.status !== 200) failures.push(r);
      if ((await transportOf()) === 'udp') break;
    }
    timings.backOnUdpMs = Date.now() - openedAt;
    expect(await transportOf()).toBe('udp');
    expect(failures).toEqual([]);
    expect(await viaTunnel(`${api()}/contents/go.sum`)).toMatchObject({ status: 200 });
  }, 40_000);

  test('SIGTERM: exit 0, one decision record per answered request, and the proxy password in no log line', async () => {
    broker?.child.kill('SIGTERM');
    expect(await broker?.exited).toBe(0);
    const records = readFileSync(decisionLog, 'utf8').split('\n').filter((l) => l !== '');
    expect(records).toHaveLength(answered);
    const everything = [...(broker?.logs.all ?? []), readFileSync(decisionLog, 'utf8')].join('\n');
    expect(everything).not.toContain(PROXY_PASSWORD);
    expect(everything).not.toContain(TOKEN);
  });
});
