/**
 * End to end: the whole broker (`rego-broker run`, the built CLI) in its own network namespace
 * with a real WireGuard tunnel to a hub in another one. The hub plays the SaaS: its requests
 * reach the broker's /proxy through the tunnel only, the broker judges them with the shipped
 * policy bundle and proxies the allowed ones to a fake upstream inside the broker's namespace.
 * Runs only as root with ip, wg, wireguard-go and /dev/net/tun; otherwise the suite is skipped
 * and says why. Needs `npm run build` first (`npm test` does it).
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Hub } from '../../../tunnel/src/lab/hub';
import { brokerTunnelSection, createHub, hubPrerequisites } from '../../../tunnel/src/lab/hub';
import { killChild, pollUntil, awaitAtMost } from '../../../tunnel/src/lab/netns';
import { recordingUpstreamScript } from '../../../tunnel/src/lab/upstream';
import { Lines } from '../helpers/lines';
import type { ProbeAnswer } from '../helpers/probe';
import { AdminProbe } from '../helpers/probe';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist/gateway/src/cli/main.js');
const BUNDLE = path.join(ROOT, 'policies/build/bundle.tar.gz');
const INTERVAL_S = 1;
const PROXY_PORT = 8080; // inside the broker's own namespace
const ADMIN_PORT = 9090;
const TOKEN = `e2e-ghe-${randomBytes(6).toString('hex')}`;

// Decided before the suite is defined, so a skip is visible with its reason.
const missing = hubPrerequisites();
const describeE2e = missing === null ? describe : describe.skip;
if (missing !== null) console.warn(`broker tunnel e2e skipped: ${missing}`);

const UPSTREAM_SCRIPT = recordingUpstreamScript({ upstream: 'ghe' });

interface LogLine {
  msg?: string;
  level?: number;
  port?: number;
  host?: string;
}
interface Seen {
  method: string;
  url: string;
  authorization: string | null;
}
interface Broker {
  child: ChildProcess;
  logs: Lines;
  exited: Promise<number | null>;
}
interface DecisionLine {
  decision_id: string;
  status: number;
  result: { allow?: boolean; rule?: string; code?: string };
  input: { request?: { path?: string } };
}

describeE2e(`broker through a tunnel, e2e (${missing ?? 'root, the built CLI in a namespace, userspace WireGuard'})`, () => {
  let hub: Hub | null = null;
  let dir = '';
  let decisionLogPath = '';
  let upstreamPort = 0;
  let upstream: { child: ChildProcess; lines: Lines } | null = null;
  let probe: AdminProbe | null = null;
  let broker: Broker | null = null;
  const timings: Record<string, number> = {};
  const answered: Array<{ what: string; status: number }> = [];

  const h = (): Hub => {
    if (hub === null) throw new Error('hub not created');
    return hub;
  };
  const b = (): NonNullable<typeof broker> => {
    if (broker === null) throw new Error('broker not started');
    return broker;
  };
  const logged = (msg: string): number => b().logs.json<LogLine>().filter((l) => l.msg === msg).length;

  const api = (): string => `http://127.0.0.1:${upstreamPort}/api/v3/repos/acme/app`;
  /** A /proxy request from the hub namespace, to the broker's tunnel address unless `host` says otherwise. */
  const viaTunnel = async (dest: string, host = `[${h().brokerTunnelAddress}]`): Promise<{ status: number; body: string } | { error: string }> => {
    const r = await h().request(`http://${host}:${PROXY_PORT}/proxy/${dest}`, { timeoutMs: 3000 });
    if ('status' in r) answered.push({ what: dest, status: r.status });
    return r;
  };
  /** GET on the admin listener, from inside the broker namespace. */
  const admin = async (p: string): Promise<ProbeAnswer> => {
    if (probe === null) throw new Error('probe not started');
    return probe.get(`http://127.0.0.1:${ADMIN_PORT}${p}`);
  };
  const readyStatus = async (): Promise<number> => (await admin('/readyz')).status ?? 0;
  const upstreamSeen = (): Seen[] => upstream?.lines.json<Seen>().filter((s) => s.method !== undefined) ?? [];

  const others: Broker[] = [];

  /** Write a broker configuration (the tunnel to the hub, one GitHub integration) and return its path. */
  const writeConfig = async (name: string, heartbeat: Record<string, unknown> = {}): Promise<string> => {
    const config = {
      listen: { host: '127.0.0.1', port: PROXY_PORT },
      admin: { host: '127.0.0.1', port: ADMIN_PORT },
      // Re-apply the peer at every failed beat, so a restarted hub gets a fresh handshake at once.
      tunnel: brokerTunnelSection(h(), path.join(dir, 'wg.key'), { intervalSeconds: INTERVAL_S, timeoutSeconds: 1, graceSeconds: 1, failuresBeforeReresolve: 1, ...heartbeat }),
      policy: { bundle: BUNDLE },
      integrations: [
        { name: 'ghe', type: 'github', baseUrl: `http://127.0.0.1:${upstreamPort}/api/v3`, auth: { scheme: 'bearer', tokenEnv: 'E2E_GHE_TOKEN' } },
      ],
      telemetry: { decisionLog: { path: decisionLogPath }, traces: { exporter: 'none' } },
      shutdown: { graceSeconds: 2 },
    };
    const file = path.join(dir, `${name}.json`);
    await writeFile(file, JSON.stringify(config, null, 2));
    return file;
  };
  /** Start `rego-broker run -c <config>` (the built CLI) in the broker namespace. */
  const spawnBroker = (configPath: string): Broker => {
    const child = h().spawnInBroker(process.execPath, [CLI, 'run', '-c', configPath], { E2E_GHE_TOKEN: TOKEN });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, logs: new Lines(child.stderr), exited };
  };
  /** The first log line with message `msg`, or a rejection with the whole log if the broker exits first. */
  const awaitLog = async (br: Broker, msg: string, ms: number): Promise<LogLine> => {
    const early = br.exited.then((code) => {
      throw new Error(`the broker exited with ${code} before logging "${msg}":\n${br.logs.all.join('\n')}`);
    });
    return JSON.parse(await Promise.race([br.logs.waitFor((l) => l.includes(`"msg":"${msg}"`), ms), early])) as LogLine;
  };
  const brokerPids = async (comm: string): Promise<number[]> => {
    const pids = (await h().execInBroker('ip', ['netns', 'pids', h().brokerNs])).stdout.split('\n').filter((p) => /^\d+$/.test(p));
    return pids.map(Number).filter((p) => {
      try {
        return readFileSync(`/proc/${p}/comm`, 'utf8').trim() === comm;
      } catch {
        return false;
      }
    });
  };
  /** No WireGuard interface in the broker namespace, and no wireguard-go process. */
  const expectNoTunnelLeft = async (): Promise<void> => {
    const links = await h().execInBroker('ip', ['-o', 'link', 'show']);
    expect(links.code).toBe(0);
    expect(links.stdout).not.toContain('wireguard');
    expect(links.stdout).not.toContain(h().brokerInterface);
    expect(await brokerPids('wireguard-go')).toEqual([]);
  };

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${path.relative(ROOT, CLI)} is missing: run \`npm run build\` first (npm test does)`);
    if (!existsSync(BUNDLE)) throw new Error(`${path.relative(ROOT, BUNDLE)} is missing: run \`npm run build\` first (npm test does)`);
    const t0 = Date.now();
    hub = await createHub();
    timings.hubMs = Date.now() - t0;
    dir = await mkdtemp(path.join(tmpdir(), 'rb-broker-e2e-'));
    await writeFile(path.join(dir, 'wg.key'), `${hub.brokerPrivateKey ?? ''}\n`, { mode: 0o600 });
    decisionLogPath = path.join(dir, 'decisions.jsonl');

    const up = hub.spawnInBroker(process.execPath, ['-e', UPSTREAM_SCRIPT]);
    upstream = { child: up, lines: new Lines(up.stdout) };
    upstreamPort = (JSON.parse(await upstream.lines.waitFor((l) => l.includes('listening'), 10_000)) as { listening: number }).listening;
    probe = await AdminProbe.start((cmd, args) => h().spawnInBroker(cmd, args));

    const t1 = Date.now();
    broker = spawnBroker(await writeConfig('broker'));
    const line = await awaitLog(broker, 'broker listening', 20_000);
    timings.brokerListeningMs = Date.now() - t1;
    expect(line.host).toBe(hub.brokerTunnelAddress);
    expect(line.port).toBe(PROXY_PORT);
    expect(await pollUntil(async () => (await readyStatus()) === 200, 10_000, 50)).toBe(true);
    timings.brokerReadyMs = Date.now() - t1;
  }, 60_000);

  afterAll(async () => {
    if (broker !== null && broker.child.exitCode === null && broker.child.signalCode === null) {
      broker.child.kill('SIGTERM');
      await awaitAtMost(broker.exited, 5000);
    }
    for (const c of [broker?.child, ...others.map((o) => o.child), upstream?.child, probe?.child]) if (c) await killChild(c, 'SIGKILL');
    await hub?.teardown();
    if (dir !== '') await rm(dir, { recursive: true, force: true });
    console.warn(`broker tunnel e2e timings (ms): ${JSON.stringify(timings)}`);
  }, 30_000);

  test('an allowed request from the hub goes through the tunnel and reaches the upstream with the configured token', async () => {
    const t = Date.now();
    const r = await viaTunnel(`${api()}/contents/package.json`);
    timings.allowedRequestMs = Date.now() - t;
    expect(r).toMatchObject({ status: 200 });
    expect(JSON.parse((r as { body: string }).body)).toEqual({ upstream: 'ghe', url: '/api/v3/repos/acme/app/contents/package.json' });
    await upstream?.lines.waitFor((l) => l.includes('package.json'), 2000);
    expect(upstreamSeen()).toEqual([{ method: 'GET', url: '/api/v3/repos/acme/app/contents/package.json', authorization: `Bearer ${TOKEN}` }]);
  });

  test('a denied request gets 403 from the policy and does not reach the upstream', async () => {
    const r = await viaTunnel(`${api()}/contents/src/main.go`);
    expect(r).toMatchObject({ status: 403 });
    const err = (JSON.parse((r as { body: string }).body) as { error: { code: string; decision_id: string } }).error;
    expect(err.code).toBe('POLICY_DENIED');
    expect(err.decision_id).toMatch(/\S/);
    // The broker answers only after the upstream would have, so a proxied request would be seen by now.
    expect(upstreamSeen().map((s) => s.url)).toEqual(['/api/v3/repos/acme/app/contents/package.json']);
  });

  test('/proxy answers on the tunnel address only: not on the broker veth address; admin is not reachable from the hub', async () => {
    expect(await viaTunnel(`${api()}/contents/package.json`, h().brokerVethAddress)).toEqual({ error: 'ECONNREFUSED' });
    expect(await h().request(`http://${h().brokerVethAddress}:${ADMIN_PORT}/readyz`)).toEqual({ error: 'ECONNREFUSED' });
    expect(await h().request(`http://[${h().brokerTunnelAddress}]:${ADMIN_PORT}/readyz`)).toEqual({ error: 'ECONNREFUSED' });
    const metrics = (await admin('/metrics')).body ?? '';
    // A replica labels every series with its index.
    expect(metrics).toContain('rego_broker_tunnel_up{replica="0"} 1');
    expect(metrics).toContain('rego_broker_tunnel_heartbeat_ok{replica="0"} 1');
    expect(metrics).toMatch(/rego_broker_decisions_total\{replica="0",result="allow",code="ALLOWED"\} 1\n/);
    expect(metrics).toMatch(/rego_broker_decisions_total\{replica="0",result="deny",code="POLICY_DENIED"\} 1\n/);
  });

  test('a second broker with the same interface stops at the tunnel preflight: exit 2, one line naming the interface', async () => {
    const second = spawnBroker(await writeConfig('second'));
    others.push(second);
    const lines = new Lines(second.child.stdout);
    expect(await second.exited).toBe(2);
    const plain = second.logs.all.filter((l) => !l.startsWith('{'));
    expect(plain).toEqual([`rego-broker run: interface ${h().brokerInterface} already exists (another broker running? set tunnel.interface to another name)`]);
    expect(lines.all).toEqual([]);
    expect(await readyStatus()).toBe(200);
  });

  test('/readyz follows the tunnel: not ready when the hub dies, ready again within two heartbeat intervals after it is back', async () => {
    expect(await readyStatus()).toBe(200);
    const killedAt = Date.now();
    await h().killHub();
    expect(await pollUntil(async () => (await readyStatus()) === 503, 10_000, 50)).toBe(true);
    timings.notReadyAfterHubKilledMs = Date.now() - killedAt;
    expect(JSON.parse((await admin('/readyz')).body ?? '{}')).toEqual({ status: 'not ready', reason: 'tunnel heartbeat not recent' });
    expect(logged('tunnel heartbeat lost')).toBe(1);

    await h().startHub();
    const backAt = Date.now();
    expect(await pollUntil(async () => (await readyStatus()) === 200, 10_000, 20)).toBe(true);
    timings.readyAfterHubBackMs = Date.now() - backAt;
    expect(timings.readyAfterHubBackMs).toBeLessThanOrEqual(2 * INTERVAL_S * 1000 + 500);
    await b().logs.waitFor((l) => l.includes('"tunnel heartbeat restored"'), 2000);
    expect(logged('tunnel heartbeat restored')).toBe(1);

    const r = await viaTunnel(`${api()}/contents/go.sum`);
    expect(r).toMatchObject({ status: 200 });
    await upstream?.lines.waitFor((l) => l.includes('go.sum'), 2000);
    expect(upstreamSeen().at(-1)).toEqual({ method: 'GET', url: '/api/v3/repos/acme/app/contents/go.sum', authorization: `Bearer ${TOKEN}` });
    expect(logged('tunnel failed')).toBe(0);
  }, 30_000);

  test('SIGTERM: the broker exits 0, its interface is gone from its namespace, one decision record per request', async () => {
    const t = Date.now();
    b().child.kill('SIGTERM');
    expect(await b().exited).toBe(0);
    timings.shutdownMs = Date.now() - t;
    expect(logged('tunnel interface removed')).toBe(1);
    await expectNoTunnelLeft();

    const records = readFileSync(decisionLogPath, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as DecisionLine);
    expect(records.map((r) => [r.input.request?.path, r.status])).toEqual(answered.map((a) => [new URL(a.what).pathname, a.status]));
    expect(records.map((r) => r.result.allow)).toEqual([true, false, true]);
    expect(new Set(records.map((r) => r.decision_id)).size).toBe(records.length);
    // Only the allowed requests reached the upstream, each with the configured token.
    expect(upstreamSeen().map((s) => [s.url, s.authorization])).toEqual([
      ['/api/v3/repos/acme/app/contents/package.json', `Bearer ${TOKEN}`],
      ['/api/v3/repos/acme/app/contents/go.sum', `Bearer ${TOKEN}`],
    ]);
  });

  test('when the tunnel dies (wireguard-go killed), the broker cleans up and exits 1', async () => {
    const br = spawnBroker(await writeConfig('crash'));
    others.push(br);
    await awaitLog(br, 'broker listening', 20_000);
    expect(await pollUntil(async () => (await readyStatus()) === 200, 10_000, 50)).toBe(true);
    const [wgPid, ...more] = await brokerPids('wireguard-go');
    expect(more).toEqual([]);
    const killedAt = Date.now();
    process.kill(wgPid ?? 0, 'SIGKILL');
    expect(await br.exited).toBe(1);
    timings.exitAfterTunnelCrashMs = Date.now() - killedAt;
    const msgs = br.logs.json<LogLine>().map((l) => l.msg);
    expect(msgs).toEqual(expect.arrayContaining(['tunnel interface process exited', 'tunnel failed', 'tunnel interface removed', 'stopped']));
    await expectNoTunnelLeft();
  }, 30_000);

  test('a signal while the tunnel is still starting (waiting for the first heartbeat) removes the tunnel and exits 0', async () => {
    await h().killHub();
    const br = spawnBroker(await writeConfig('early-signal', { requiredAtStart: true, intervalSeconds: 5 }));
    others.push(br);
    await awaitLog(br, 'tunnel interface up', 20_000);
    const signalledAt = Date.now();
    br.child.kill('SIGTERM');
    expect(await br.exited).toBe(0);
    timings.exitAfterEarlySignalMs = Date.now() - signalledAt;
    const msgs = br.logs.json<LogLine>().map((l) => l.msg);
    expect(msgs).not.toContain('broker listening');
    expect(msgs).toEqual(expect.arrayContaining(['tunnel interface removed', 'stopped']));
    await expectNoTunnelLeft();
  }, 30_000);
});
