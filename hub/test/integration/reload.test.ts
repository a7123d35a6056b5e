/**
 * Reload: deployments and replicas change by difference (a replica that stays keeps its
 * state), an invalid configuration or a listener change is refused and the old one stays.
 */
import { publicKeys } from '../helpers/keys';
import { beat, front } from '../helpers/client';
import { startReplicas } from '../helpers/replicas';
import type { FakeReplica } from '../helpers/replicas';
import { startTestHub, testSettings } from '../helpers/hub';
import type { TestHub } from '../helpers/hub';

const [K0, K1] = publicKeys(2) as [string, string];
const R0 = '127.0.0.2';
const R1 = '127.0.0.3';
const PATH = '/d/5/proxy/https://gitlab.example.com/api/v4/projects';

describe('hub reload', () => {
  let replicas: FakeReplica[];
  let t: TestHub;
  let settings: Record<string, unknown>;
  const one = { index: 0, publicKey: K0, address: R0 };
  const two = { index: 1, publicKey: K1, address: R1 };

  beforeEach(async () => {
    const started = await startReplicas([R0, R1]);
    replicas = started.replicas;
    settings = testSettings(started.port);
    t = await startTestHub({ ...settings, deployments: [{ id: 5, replicas: [one] }] });
  });

  afterEach(async () => {
    await t.stop();
    await Promise.all(replicas.map((r) => r.close()));
  });

  const servedBy = async (n: number): Promise<string[]> => {
    const out: string[] = [];
    for (let i = 0; i < n; i += 1) out.push(String((await front(t.hub.addresses.front, PATH)).headers['x-rego-hub-replica']));
    return out;
  };

  it('adds a replica, keeping the state of the one that stays, then removes one', async () => {
    expect((await beat(t.hub.addresses.heartbeat, R0)).status).toBe(200);
    expect((await beat(t.hub.addresses.heartbeat, R1)).status).toBe(403);

    const added = await t.hub.reload(() => t.load({ ...settings, deployments: [{ id: 5, replicas: [one, two] }] }, 'v2.yaml'));
    expect(added).toEqual({ ok: true, added: 1, removed: 0 });
    // Replica 0 needs no new heartbeat: its state was kept.
    expect(await servedBy(2)).toEqual(['0', '0']);
    expect((await beat(t.hub.addresses.heartbeat, R1)).status).toBe(200);
    expect((await servedBy(4)).sort()).toEqual(['0', '0', '1', '1']);

    const removed = await t.hub.reload(t.load({ ...settings, deployments: [{ id: 5, replicas: [two] }] }, 'v3.yaml'));
    expect(removed).toEqual({ ok: true, added: 0, removed: 1 });
    expect(await servedBy(3)).toEqual(['1', '1', '1']);
    expect((await beat(t.hub.addresses.heartbeat, R0)).status).toBe(403);
    expect(t.hub.metrics()).toContain('rego_broker_hub_reloads_total{result="ok"} 2');
    expect(t.logs.lines.filter((l) => l.msg === 'configuration reloaded').map((l) => [l.added, l.removed])).toEqual([[['5/1'], []], [[], ['5/0']]]);
  });

  it('refuses an invalid configuration and keeps the old one', async () => {
    await beat(t.hub.addresses.heartbeat, R0);
    const bad = await t.hub.reload(() => t.load({ ...settings, deployments: [{ id: 5, replicas: [one, { ...two, publicKey: K0 }] }] }, 'bad.yaml'));
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.reason).toMatch(/bad\.yaml: deployments\[0\]\.replicas\[1\]\.publicKey: is the same key as deployments\[0\]\.replicas\[0\]/);
    expect(await servedBy(2)).toEqual(['0', '0']);
    expect(t.hub.config().deployments[0]?.replicas).toHaveLength(1);
    expect(t.hub.metrics()).toContain('rego_broker_hub_reloads_total{result="failed"} 1');
    expect(t.logs.lines.some((l) => l.msg === 'reload refused; the configuration in service stays')).toBe(true);
  });

  it('refuses a change to a listener: a restart is needed', async () => {
    const moved = await t.hub.reload(t.load({ ...settings, front: { host: '127.0.0.1', port: 1, brokerPort: 1 }, deployments: [{ id: 5, replicas: [one, two] }] }, 'moved.yaml'));
    expect(moved).toEqual({ ok: false, reason: expect.stringMatching(/^front\.port changed: a restart is needed/) as string });
    expect(t.hub.config().deployments[0]?.replicas).toHaveLength(1);
  });
});
