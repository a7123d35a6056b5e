import { readFileSync, statSync } from 'node:fs';
import type { TunnelOptions as TunnelConfig } from '../../src/config';
import type { CommandResult, CommandRunner } from '../../src/exec';
import type { PreflightProbes } from '../../src/preflight';
import { startTunnel } from '../../src/tunnel';
import { FIXTURE_PEER_KEY, FIXTURE_PRIVATE_KEY, HUB_ONE_PEER } from '../fixtures/wg-dumps';
import { recordingLogger } from '../helpers/fakes';

/** A host where the kernel module exists and every command succeeds, unless `fail` matches. */
function fakeHost(fail: (cmd: string) => boolean = () => false) {
  const calls: string[] = [];
  const setconf: Array<{ text: string; mode: number }> = [];
  const runner: CommandRunner = {
    run(file, args): Promise<CommandResult> {
      const cmd = [file, ...args].join(' ');
      calls.push(cmd);
      if (args[0] === 'setconf' && args[2] !== undefined) {
        setconf.push({ text: readFileSync(args[2], 'utf8'), mode: statSync(args[2]).mode & 0o777 });
      }
      if (fail(cmd)) return Promise.resolve({ code: 2, stdout: '', stderr: `RTNETLINK answers: File exists ${FIXTURE_PRIVATE_KEY}` });
      const stdout = args[0] === 'show' && args[2] === 'dump' ? HUB_ONE_PEER : '';
      return Promise.resolve({ code: 0, stdout, stderr: '' });
    },
  };
  const probes: PreflightProbes = {
    effectiveUid: () => 0, effectiveCapabilities: () => Promise.resolve(null), kernelWireguard: () => Promise.resolve(true),
    fileExists: () => Promise.resolve(true), toolRuns: () => Promise.resolve(true), interfaceExists: () => Promise.resolve(false),
    ipv6Addresses: () => Promise.resolve([]), resolve: () => Promise.resolve('192.0.2.10'),
  };
  return { calls, setconf, runner, probes };
}

const cfg: TunnelConfig = {
  interface: 'wg-broker',
  localAddress: '', deploymentId: 8849, mtu: 0,
  peers: [{ publicKey: FIXTURE_PEER_KEY, endpoint: 'hub.example.com:51820', allowedIps: ['fdf0:59dc:33cf:9be9::1/128', '10.40.0.0/16'], persistentKeepalive: 20 }],
  heartbeat: { url: 'http://[fdf0:59dc:33cf:9be9::1]/ping', intervalSeconds: 30, timeoutSeconds: 5, graceSeconds: 30, failuresBeforeReresolve: 3, },
  wireguardGo: 'wireguard-go', wg: '/usr/bin/wg',
};

describe('startTunnel with the kernel module (fake host)', () => {
  test('sets up in order, keeps the key off argv, reports ready, and stops idempotently', async () => {
    const host = fakeHost();
    const logger = recordingLogger();
    const fetch = jest.fn(() => Promise.resolve());
    const t = await startTunnel(cfg, { privateKey: FIXTURE_PRIVATE_KEY, logger, runner: host.runner, probes: host.probes, fetch });
    expect(t.address).toBe('fdf0:59dc:33cf:9be8:0:2291:0:1');
    expect(await t.waitForFirstHeartbeat(1000)).toBe(true);
    expect(t.ready()).toBe(true);
    expect(host.calls.slice(0, 6)).toEqual([
      'ip link add wg-broker type wireguard',
      expect.stringMatching(/^\/usr\/bin\/wg setconf wg-broker \/.+\/wg\.conf$/),
      'ip -6 addr add fdf0:59dc:33cf:9be8:0:2291:0:1/128 dev wg-broker nodad',
      'ip link set dev wg-broker mtu 1320 up',
      'ip -6 route replace fdf0:59dc:33cf:9be9::1/128 dev wg-broker',
      'ip -4 route replace 10.40.0.0/16 dev wg-broker',
    ]);
    expect(host.setconf).toEqual([{ mode: 0o600, text: expect.stringContaining(`PrivateKey = ${FIXTURE_PRIVATE_KEY}\n`) as string }]);
    expect(host.setconf[0]?.text).toContain('Endpoint = 192.0.2.10:51820');
    expect(host.calls.join('\n')).not.toContain(FIXTURE_PRIVATE_KEY);
    expect(JSON.stringify(logger.records)).not.toContain(FIXTURE_PRIVATE_KEY);
    expect(await t.metrics()).toContain('rego_broker_tunnel_heartbeat_ok 1');
    await Promise.all([t.stop(), t.stop()]);
    await t.stop();
    expect(t.ready()).toBe(false);
    expect(host.calls.filter((c) => c === 'ip link del dev wg-broker')).toHaveLength(1);
    expect(logger.messages()).toEqual(['tunnel interface up', 'tunnel heartbeat established', 'tunnel interface removed']);
  });

  test('a failing step undoes what was done and throws BRINGUP_FAILED without the key', async () => {
    const host = fakeHost((c) => c.startsWith('ip -6 addr add'));
    const err = await startTunnel(cfg, { privateKey: FIXTURE_PRIVATE_KEY, logger: recordingLogger(), runner: host.runner, probes: host.probes })
      .then(() => null, (e: unknown) => e as { code: string; exitCode: number; message: string });
    expect(err).toMatchObject({ code: 'TUNNEL_BRINGUP_FAILED', exitCode: 1 });
    expect(err?.message).toMatch(/^tunnel wg-broker could not be set up: ip -6 addr add .* exited with 2: RTNETLINK answers: File exists/);
    expect(host.calls).toContain('ip link del dev wg-broker');
  });

  test('the setconf step redacts the private key from wg error output', async () => {
    const host = fakeHost((c) => c.includes(' setconf '));
    const err = await startTunnel(cfg, { privateKey: FIXTURE_PRIVATE_KEY, logger: recordingLogger(), runner: host.runner, probes: host.probes })
      .then(() => null, (e: unknown) => e as Error);
    expect(err?.message).toContain('[redacted]');
    expect(err?.message).not.toContain(FIXTURE_PRIVATE_KEY);
  });

  test('preflight failures come before any command', async () => {
    const host = fakeHost();
    const probes = { ...host.probes, interfaceExists: () => Promise.resolve(true) };
    await expect(startTunnel(cfg, { privateKey: FIXTURE_PRIVATE_KEY, logger: recordingLogger(), runner: host.runner, probes }))
      .rejects.toMatchObject({ code: 'TUNNEL_INTERFACE_EXISTS', exitCode: 2 });
    expect(host.calls).toEqual([]);
  });
});

describe('startTunnel: replica identity and draining', () => {
  type Beat = { url: string; headers: Record<string, string> };
  function recordingFetch(answer: (beat: Beat) => Promise<void> = () => Promise.resolve()) {
    const beats: Beat[] = [];
    const fetch = (url: string, _timeoutMs: number, headers?: Readonly<Record<string, string>>): Promise<void> => {
      const beat = { url, headers: { ...(headers ?? {}) } };
      beats.push(beat);
      return answer(beat);
    };
    return { beats, fetch };
  }

  test('replica 1 takes the second address and says who it is in every beat', async () => {
    const host = fakeHost();
    const { beats, fetch } = recordingFetch();
    const t = await startTunnel({ ...cfg, replica: 1 }, { privateKey: FIXTURE_PRIVATE_KEY, logger: recordingLogger(), runner: host.runner, probes: host.probes, fetch });
    expect(await t.waitForFirstHeartbeat(1000)).toBe(true);
    expect(t.address).toBe('fdf0:59dc:33cf:9be8:0:2291:0:2');
    expect(t.replica).toBe(1);
    expect(t.instance).toMatch(/^[0-9a-f]{32}$/);
    expect(beats[0]?.headers).toEqual({
      'x-rego-broker-deployment': '8849', 'x-rego-broker-replica': '1',
      'x-rego-broker-instance': t.instance, 'x-rego-broker-state': 'serving',
    });
    await t.stop();
  });

  test('each start has its own instance id', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const host = fakeHost();
      const t = await startTunnel(cfg, { privateKey: FIXTURE_PRIVATE_KEY, logger: recordingLogger(), runner: host.runner, probes: host.probes, fetch: () => Promise.resolve() });
      ids.push(t.instance);
      await t.stop();
    }
    expect(ids[0]).not.toBe(ids[1]);
  });

  test('announceDraining sends exactly one draining beat, awaits its answer, logs it, and makes the tunnel not ready', async () => {
    const host = fakeHost();
    let answerDraining: () => void = () => undefined;
    const { beats, fetch } = recordingFetch((b) =>
      b.headers['x-rego-broker-state'] === 'draining' ? new Promise<void>((r) => (answerDraining = r)) : Promise.resolve());
    const logger = recordingLogger();
    const t = await startTunnel(cfg, { privateKey: FIXTURE_PRIVATE_KEY, logger, runner: host.runner, probes: host.probes, fetch, instance: 'ab'.repeat(16) });
    expect(await t.waitForFirstHeartbeat(1000)).toBe(true);
    expect(t.replicaState()).toBe('serving');
    let announced = false;
    const first = t.announceDraining().then(() => (announced = true));
    const second = t.announceDraining();
    await new Promise((r) => setImmediate(r));
    expect(announced).toBe(false); // waits for the hub's answer
    expect(t.ready()).toBe(false);
    expect(t.replicaState()).toBe('draining');
    answerDraining();
    await Promise.all([first, second]);
    expect(beats.map((b) => b.headers['x-rego-broker-state'])).toEqual(['serving', 'draining']);
    expect(beats[1]?.headers['x-rego-broker-instance']).toBe('ab'.repeat(16));
    const line = logger.records.find((r) => r.msg === 'announced draining to the hub');
    expect(line).toMatchObject({ level: 'info', obj: { ok: true, replica: 0, url: cfg.heartbeat.url } });
    await t.stop();
  });

  test('a refused draining beat is logged with the hub\'s code and does not throw', async () => {
    const host = fakeHost();
    const { fetch } = recordingFetch((b) =>
      b.headers['x-rego-broker-state'] === 'draining' ? Promise.reject(new Error('heartbeat answered HTTP 409 HUB_DUPLICATE_REPLICA')) : Promise.resolve());
    const logger = recordingLogger();
    const t = await startTunnel(cfg, { privateKey: FIXTURE_PRIVATE_KEY, logger, runner: host.runner, probes: host.probes, fetch });
    await t.waitForFirstHeartbeat(1000);
    await expect(t.announceDraining()).resolves.toBeUndefined();
    expect(logger.records.find((r) => r.msg === 'announced draining to the hub')).toMatchObject({
      level: 'warn', obj: { ok: false, error: 'heartbeat answered HTTP 409 HUB_DUPLICATE_REPLICA' },
    });
    await t.stop();
  });

  test('without a heartbeat URL, or after stop, nothing is sent', async () => {
    const host = fakeHost();
    const { beats, fetch } = recordingFetch();
    const logger = recordingLogger();
    const t = await startTunnel({ ...cfg, heartbeat: { ...cfg.heartbeat, url: '' } }, { privateKey: FIXTURE_PRIVATE_KEY, logger, runner: host.runner, probes: host.probes, fetch });
    await t.announceDraining();
    expect(beats).toEqual([]);
    expect(t.replicaState()).toBe('draining');
    expect(logger.messages()).not.toContain('announced draining to the hub');
    await t.stop();

    const host2 = fakeHost();
    const rec = recordingFetch();
    const t2 = await startTunnel(cfg, { privateKey: FIXTURE_PRIVATE_KEY, logger: recordingLogger(), runner: host2.runner, probes: host2.probes, fetch: rec.fetch });
    await t2.waitForFirstHeartbeat(1000);
    await t2.stop();
    await t2.announceDraining();
    expect(rec.beats.map((b) => b.headers['x-rego-broker-state'])).toEqual(['serving']);
  });
});
