/**
 * The heartbeat listener as the protocol says (docs/hub.md): identity by source address,
 * headers checked against it, draining recorded before the answer, two processes as one
 * replica detected by instance ids flipping back.
 */
import { publicKeys } from '../helpers/keys';
import { beat, front } from '../helpers/client';
import { startReplicas } from '../helpers/replicas';
import type { FakeReplica } from '../helpers/replicas';
import { startTestHub, testSettings } from '../helpers/hub';
import type { TestHub } from '../helpers/hub';

const A = '1234567890abcdef1234567890abcdef';
const B = 'fedcba0987654321fedcba0987654321';
const [K0, K1] = publicKeys(2) as [string, string];
const R0 = '127.0.0.2';
const R1 = '127.0.0.3';
const PATH = '/d/77/proxy/https://jira.example.com/rest/api/2/issue/X-1';

describe('hub heartbeat listener', () => {
  let replicas: FakeReplica[];
  let t: TestHub;

  beforeEach(async () => {
    const started = await startReplicas([R0, R1]);
    replicas = started.replicas;
    t = await startTestHub({
      ...testSettings(started.port),
      deployments: [{ id: 77, replicas: [{ index: 0, publicKey: K0, address: R0 }, { index: 1, publicKey: K1, address: R1 }] }],
    });
  });

  afterEach(async () => {
    await t.stop();
    await Promise.all(replicas.map((r) => r.close()));
  });

  const hb = (source: string, headers: Record<string, string> = {}, path?: string): ReturnType<typeof beat> => beat(t.hub.addresses.heartbeat, source, headers, path);
  const full = (replica: number, instance: string, state = 'serving'): Record<string, string> => ({
    'x-rego-broker-deployment': '77', 'x-rego-broker-replica': String(replica), 'x-rego-broker-instance': instance, 'x-rego-broker-state': state,
  });
  const codeOf = (a: { body: string }): unknown => (JSON.parse(a.body) as { code?: unknown }).code;

  it('answers 200 with what it recorded, on any path, with or without headers', async () => {
    const a = await hb(R0, full(0, A));
    expect([a.status, a.headers['content-type'], JSON.parse(a.body)]).toEqual([200, 'application/json', { deployment: 77, replica: 0, state: 'serving' }]);
    const old = await hb(R1, {}, '/ping');
    expect(JSON.parse(old.body)).toEqual({ deployment: 77, replica: 1, state: 'serving' });
    expect(t.hub.status().map((s) => s.healthy)).toEqual([true, true]);
    expect(t.hub.metrics()).toContain('rego_broker_hub_heartbeats_total{deployment="77",replica="0",result="serving"} 1');
  });

  it('answers 403 HUB_UNKNOWN_PEER to a source address that is no registered replica, whatever its headers claim', async () => {
    const a = await hb('127.0.0.9', full(0, A));
    expect([a.status, codeOf(a)]).toEqual([403, 'HUB_UNKNOWN_PEER']);
    expect(t.hub.status().every((s) => s.lastHeartbeatMs === null)).toBe(true);
    expect(t.hub.metrics()).toContain('rego_broker_hub_heartbeats_unknown_peer_total 1');
  });

  it('answers 409 HUB_REPLICA_MISMATCH when the headers claim another replica or deployment than the source proves', async () => {
    for (const headers of [full(1, A), { ...full(0, A), 'x-rego-broker-deployment': '78' }]) {
      const a = await hb(R0, headers);
      expect([a.status, codeOf(a)]).toEqual([409, 'HUB_REPLICA_MISMATCH']);
    }
    expect(t.hub.status()[0]?.lastHeartbeatMs).toBeNull();
  });

  it.each([
    ['a non-decimal deployment', { 'x-rego-broker-deployment': '0x4d' }],
    ['a deployment out of range', { 'x-rego-broker-deployment': '0' }],
    ['a replica out of range', { 'x-rego-broker-replica': '65535' }],
    ['a short instance id', { 'x-rego-broker-instance': 'abc' }],
    ['a non-hex instance id', { 'x-rego-broker-instance': 'z'.repeat(32) }],
    ['an unknown state', { 'x-rego-broker-state': 'sleeping' }],
  ])('answers 400 HUB_BAD_HEARTBEAT for %s', async (_name, headers) => {
    const a = await hb(R0, headers);
    expect([a.status, codeOf(a)]).toEqual([400, 'HUB_BAD_HEARTBEAT']);
    expect(t.hub.status()[0]?.lastHeartbeatMs).toBeNull();
  });

  it('stops routing to a draining replica before it answers the heartbeat', async () => {
    await hb(R0, full(0, A));
    await hb(R1, full(1, B));
    const drained = await hb(R0, full(0, A, 'draining'));
    expect(JSON.parse(drained.body)).toEqual({ deployment: 77, replica: 0, state: 'draining' });
    const answers = await Promise.all(Array.from({ length: 6 }, () => front(t.hub.addresses.front, PATH)));
    expect(answers.map((a) => a.headers['x-rego-hub-replica'])).toEqual(Array(6).fill('1'));
    expect(replicas[0]?.received).toHaveLength(0);
    // With the other one draining too, nothing is healthy.
    await hb(R1, full(1, B, 'draining'));
    expect((await front(t.hub.addresses.front, PATH)).status).toBe(503);
    expect(t.hub.metrics()).toContain('rego_broker_hub_replica_draining{deployment="77",replica="0"} 1');
    // A restarted replica (a new instance id, serving) takes traffic again.
    await hb(R0, full(0, A.replace('1', '9')));
    expect((await front(t.hub.addresses.front, PATH)).headers['x-rego-hub-replica']).toBe('0');
  });

  it('answers a draining heartbeat once the requests already sent to the replica have been answered', async () => {
    await hb(R0, full(0, A));
    const held = front(t.hub.addresses.front, PATH, { headers: { 'x-test-hold': '1' } });
    await replicas[0]?.held();
    await hb(R1, full(1, B));
    let answered = false;
    const drain = hb(R0, full(0, A, 'draining')).then((a) => ((answered = true), a));
    // While that answer waits, routing to replica 0 has already stopped.
    expect((await front(t.hub.addresses.front, PATH)).headers['x-rego-hub-replica']).toBe('1');
    expect(answered).toBe(false);
    replicas[0]?.release();
    expect((await held).status).toBe(200);
    expect(JSON.parse((await drain).body)).toEqual({ deployment: 77, replica: 0, state: 'draining' });
  });

  it('accepts a restart (A then B) and detects two processes as one replica (A, B, A)', async () => {
    expect((await hb(R0, full(0, A))).status).toBe(200);
    expect((await hb(R0, full(0, B))).status).toBe(200);
    const conflictLogged = t.logs.next((l) => /two broker processes/.test(String(l.msg)));
    const third = await hb(R0, full(0, A));
    expect([third.status, codeOf(third)]).toEqual([409, 'HUB_DUPLICATE_REPLICA']);
    expect((await conflictLogged).replica).toBe(0);
    // Both processes now get 409, and the replica is not routed to.
    const fourth = await hb(R0, full(0, B));
    expect([fourth.status, codeOf(fourth)]).toEqual([409, 'HUB_DUPLICATE_REPLICA']);
    expect(t.hub.status()[0]).toMatchObject({ healthy: false, reason: 'duplicate', conflict: true });
    await hb(R1, full(1, B));
    const answers = await Promise.all(Array.from({ length: 4 }, () => front(t.hub.addresses.front, PATH)));
    expect(answers.map((a) => a.headers['x-rego-hub-replica'])).toEqual(Array(4).fill('1'));
    expect(t.hub.metrics()).toContain('rego_broker_hub_replica_conflict{deployment="77",replica="0"} 1');
  });
});
