/**
 * The hub managing its WireGuard interface, with `ip` and `wg` replaced by a recorder: every
 * replica a peer with its own /128, the private key only in the private setconf file, health
 * needing a handshake, reloads by `wg set` only, and wireguard-go dying reported as fatal.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createHubLogger, dumpHubConfig, loadHubConfig, startHub } from '../../src/index';
import type { Hub } from '../../src/index';
import { generatePrivateKey, uapiSocketPath } from '../../../tunnel/src/index';
import { beat } from '../helpers/client';
import { tempDir } from '../helpers/files';
import type { TempDir } from '../helpers/files';
import { publicKeys } from '../helpers/keys';
import { LogCapture } from '../helpers/logs';
import { FakeRunner } from '../helpers/runner';

const [K0, K1, K2] = publicKeys(3) as [string, string, string];
const CANARY_KEY = generatePrivateKey();

describe('hub WireGuard', () => {
  let dir: TempDir;
  let hub: Hub | null;
  let logs: LogCapture;
  let runner: FakeRunner;
  const cleanups: Array<() => void> = [];
  const env = { HUB_KEY: CANARY_KEY };
  const settings = {
    wireguard: { enabled: true, interface: 'rbhubtest', privateKeyEnv: 'HUB_KEY', listenPort: 51999 },
    heartbeat: { host: '127.0.0.1', port: 0 },
    front: { port: 0 },
    admin: { port: 0 },
    log: { level: 'debug' },
  };
  const deployments = (replicas: unknown[]): Record<string, unknown> => ({ ...settings, deployments: [{ id: 12, replicas }] });
  const r0 = { index: 0, publicKey: K0, address: '127.0.0.2' };
  const r1 = { index: 1, publicKey: K1 };
  const load = (c: Record<string, unknown>, name = 'hub.yaml'): ReturnType<typeof loadHubConfig>['config'] => loadHubConfig({ files: [dir.write(name, c)], env }).config;

  beforeEach(() => {
    dir = tempDir();
    logs = new LogCapture();
    runner = new FakeRunner(CANARY_KEY);
    hub = null;
  });
  afterEach(async () => {
    await hub?.close();
    for (const c of cleanups.splice(0)) c();
    dir.cleanup();
  });

  const start = async (onFatal?: (err: Error) => void): Promise<Hub> => {
    hub = await startHub({ config: load(deployments([r0, r1])), env, logger: createHubLogger('debug', logs), runner, tickMs: 20, onFatal });
    return hub;
  };

  it('brings the interface up with every replica as a peer, the key only in the private setconf file', async () => {
    await start();
    expect(runner.setconfs).toHaveLength(1);
    const conf = runner.setconfs[0];
    expect(conf?.text).toContain(`PrivateKey = ${CANARY_KEY}\nListenPort = 51999\n`);
    expect(conf?.text).toContain(`PublicKey = ${K0}\nAllowedIPs = 127.0.0.2/32\n`);
    expect(conf?.text).toContain(`PublicKey = ${K1}\nAllowedIPs = fdf0:59dc:33cf:9be8:0:c:0:2/128\n`);
    expect(FakeRunner.gone(conf?.file ?? '')).toBe(true);
    const lines = runner.calls.map((c) => c.join(' '));
    expect(lines).toContain('ip -6 addr add fdf0:59dc:33cf:9be9::1/128 dev rbhubtest nodad');
    expect(lines).toContain('ip -6 route replace fdf0:59dc:33cf:9be8::/64 dev rbhubtest');
    expect(lines).toContain('ip -4 route replace 127.0.0.2/32 dev rbhubtest');
    expect(lines.join('\n')).not.toContain(CANARY_KEY);
  });

  it('routes only to a replica with a recent handshake as well as a heartbeat', async () => {
    const h = await start();
    expect((await beat(h.addresses.heartbeat, '127.0.0.2')).status).toBe(200);
    expect(h.status()[0]).toMatchObject({ healthy: false, reason: 'no_handshake' });
    const healthy = logs.next((l) => l.msg === 'replica healthy' && l.replica === 0);
    runner.handshakes.set(K0, Math.floor(Date.now() / 1000));
    await healthy;
    expect(h.status()[0]?.healthy).toBe(true);
    expect(h.metrics()).toMatch(/rego_broker_hub_replica_handshake_age_seconds\{deployment="12",replica="0"\} \d/);
  });

  it('reads the handshakes before answering a heartbeat from a replica it has no handshake for, so a broker that was answered is routed to', async () => {
    // Ticks far apart: only the read the heartbeat asks for can see the handshake.
    hub = await startHub({ config: load(deployments([r0, r1])), env, logger: createHubLogger('debug', logs), runner, tickMs: 60_000 });
    runner.handshakes.set(K0, Math.floor(Date.now() / 1000));
    const reads = (): number => runner.calls.filter((c) => c[1] === 'show' && c[3] === 'dump').length;
    const before = reads();
    expect((await beat(hub.addresses.heartbeat, '127.0.0.2')).status).toBe(200);
    expect(reads()).toBe(before + 1);
    expect(hub.status()[0]?.healthy).toBe(true);
    // Once the handshake is known, a heartbeat costs no read.
    expect((await beat(hub.addresses.heartbeat, '127.0.0.2')).status).toBe(200);
    expect(reads()).toBe(before + 1);
  });

  it('applies a reload peer by peer with wg set, never with a new setconf', async () => {
    const h = await start();
    runner.calls.length = 0;
    const out = await h.reload(load(deployments([{ ...r0, address: '127.0.0.5' }, { index: 2, publicKey: K2 }]), 'v2.yaml'));
    expect(out).toEqual({ ok: true, added: 2, removed: 2 });
    expect(runner.setconfs).toHaveLength(1);
    expect(runner.calls.map((c) => c.join(' '))).toEqual([
      `wg set rbhubtest peer ${K1} remove`,
      `wg set rbhubtest peer ${K0} allowed-ips 127.0.0.5/32`,
      `wg set rbhubtest peer ${K2} allowed-ips fdf0:59dc:33cf:9be8:0:c:0:3/128`,
      'ip -4 route replace 127.0.0.5/32 dev rbhubtest',
      'ip -4 route del 127.0.0.2/32 dev rbhubtest',
    ]);
  });

  it('never puts the private key in a log line, the metrics, the status or the dump', async () => {
    const h = await start();
    await beat(h.addresses.heartbeat, '127.0.0.2');
    await h.reload(load(deployments([r0]), 'v2.yaml'));
    await h.reload(() => load({ ...deployments([r0]), wireguard: { ...settings.wireguard, mtu: 1 } }, 'bad.yaml'));
    for (const text of [logs.text, h.metrics(), JSON.stringify(h.status()), JSON.stringify(dumpHubConfig(h.config()))]) {
      expect(text).not.toContain(CANARY_KEY);
    }
    expect(logs.text).toContain('reload refused');
  });

  it('refuses a private key that is not a WireGuard key, without echoing it', async () => {
    const config = load(deployments([r0]));
    const err = await startHub({ config, env: { HUB_KEY: 'not-a-key-CANARY' }, logger: createHubLogger('debug', logs), runner }).catch((e: unknown) => e);
    expect(String(err)).toMatch(/wireguard\.privateKey: not a WireGuard private key/);
    expect(String(err)).not.toContain('CANARY');
    expect(runner.calls).toHaveLength(0);
  });

  // Root only: the stand-in listens on a UAPI socket in /var/run/wireguard, as wireguard-go does,
  // because the interface counts as up only once that socket accepts connections.
  const asRoot = process.getuid?.() === 0;
  (asRoot ? it : it.skip)('reports wireguard-go exiting on its own as fatal', async () => {
    runner.kernel = 1;
    const pidFile = dir.write('pid', '');
    const iface = `rbhub${randomBytes(4).toString('hex')}`;
    const socket = uapiSocketPath(iface);
    const listen = `require('net').createServer((c) => c.destroy()).listen(process.argv[1])`;
    const fake = dir.write('wireguard-go', [
      '#!/bin/sh',
      `echo $$ > ${pidFile}`,
      `mkdir -p ${path.dirname(socket)}`,
      `exec "${process.execPath}" -e "${listen}" "${socket}"`,
      '',
    ].join('\n'));
    chmodSync(fake, 0o700);
    cleanups.push(() => rmSync(socket, { force: true }));
    let fatal: (err: Error) => void = () => undefined;
    const died = new Promise<Error>((resolve) => (fatal = resolve));
    const config = load({ ...deployments([r0]), wireguard: { ...settings.wireguard, interface: iface, wireguardGo: fake } });
    hub = await startHub({ config, env, logger: createHubLogger('debug', logs), runner, onFatal: (e) => fatal(e) });
    let pid = '';
    for (let i = 0; i < 100 && pid === ''; i += 1) {
      pid = readFileSync(pidFile, 'utf8').trim();
      if (pid === '') await new Promise((r) => setTimeout(r, 10));
    }
    process.kill(Number(pid), 'SIGKILL');
    expect((await died).message).toMatch(/exited unexpectedly/);
    expect(logs.lines.some((l) => l.msg === 'WireGuard stopped')).toBe(true);
  });
});
