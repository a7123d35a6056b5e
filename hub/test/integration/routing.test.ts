/**
 * The front with real sockets: round robin over healthy replicas, retries only when the
 * request provably did not reach a replica, 502 (never retried) when it may have, 503 when no
 * replica is healthy, and the answers for unknown paths and deployments.
 */
import { publicKeys } from '../helpers/keys';
import { beat, front } from '../helpers/client';
import { startReplicas } from '../helpers/replicas';
import type { FakeReplica } from '../helpers/replicas';
import { startTestHub, testSettings } from '../helpers/hub';
import type { TestHub } from '../helpers/hub';

const INSTANCE_A = 'a'.repeat(32);
const INSTANCE_B = 'b'.repeat(32);
const INSTANCE_C = 'c'.repeat(32);
const [K0, K1, K2] = publicKeys(3) as [string, string, string];
// 127.0.0.4 never listens: a replica that refuses connections.
const ADDRS = ['127.0.0.2', '127.0.0.3'];
const REFUSING = '127.0.0.4';
const codeOf = (a: { body: string }): unknown => (JSON.parse(a.body) as { code?: unknown }).code;
const URL_PATH = '/d/4242/proxy/https://ghe.example.com/api/v3/repos/acme/app?x=1';

describe('hub front', () => {
  let replicas: FakeReplica[];
  let t: TestHub;

  beforeEach(async () => {
    const started = await startReplicas(ADDRS);
    replicas = started.replicas;
    t = await startTestHub({
      ...testSettings(started.port, { front: { maxBodyBytes: 65536 } }),
      deployments: [
        { id: 4242, name: 'acme', replicas: [
          { index: 0, publicKey: K0, address: ADDRS[0] },
          { index: 1, publicKey: K1, address: ADDRS[1] },
          { index: 2, publicKey: K2, address: REFUSING },
        ] },
      ],
    });
  });

  afterEach(async () => {
    await t.stop();
    await Promise.all(replicas.map((r) => r.close()));
  });

  const heartbeatAll = async (addresses: readonly string[]): Promise<void> => {
    const ids: Record<string, string> = { [ADDRS[0] ?? '']: INSTANCE_A, [ADDRS[1] ?? '']: INSTANCE_B, [REFUSING]: INSTANCE_C };
    for (const a of addresses) expect((await beat(t.hub.addresses.heartbeat, a, { 'x-rego-broker-instance': ids[a] ?? '' })).status).toBe(200);
  };
  const seen = (): number[] => replicas.map((r) => r.received.length);

  it('spreads requests across the healthy replicas and passes method, path, query, headers and body', async () => {
    await heartbeatAll(ADDRS);
    const answers = [];
    for (let i = 0; i < 10; i += 1) {
      answers.push(await front(t.hub.addresses.front, URL_PATH, { method: 'POST', headers: { 'content-type': 'application/json', 'x-custom': 'v', connection: 'keep-alive, x-hop', 'x-hop': 'gone' }, body: '{"n":1}' }));
    }
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    expect(seen()).toEqual([5, 5]);
    expect(new Set(answers.map((a) => a.headers['x-rego-hub-replica']))).toEqual(new Set(['0', '1']));
    const got = replicas[0]?.received[0];
    expect(got).toMatchObject({ method: 'POST', url: '/proxy/https://ghe.example.com/api/v3/repos/acme/app?x=1', body: '{"n":1}' });
    expect(got?.headers).toMatchObject({ 'content-type': 'application/json', 'x-custom': 'v', 'content-length': '7' });
    expect(got?.headers['x-hop']).toBeUndefined();
  });

  it('passes the path and query byte for byte: the broker, not the hub, normalizes and judges them', async () => {
    await heartbeatAll(ADDRS);
    // Encoded dot segments, an encoded slash, a matrix parameter, case and a repeated parameter: all the broker's to refuse.
    const raw = '/proxy/https://ghe.example.com/api/v3/repos/Acme/app/contents/%2e%2e/%2F;x=1/a?sudo=1&ref=a&ref=b';
    expect((await front(t.hub.addresses.front, `/d/4242${raw}`)).status).toBe(200);
    expect([...(replicas[0]?.received ?? []), ...(replicas[1]?.received ?? [])].map((r) => r.url)).toEqual([raw]);
  });

  it('retries a refused connection on another replica and marks the refusing one down until its next heartbeat', async () => {
    await heartbeatAll([...ADDRS, REFUSING]);
    const marked = t.logs.next((l) => l.msg === 'replica unhealthy' && l.replica === 2 && l.reason === 'marked_down');
    const answers = [];
    for (let i = 0; i < 6; i += 1) answers.push(await front(t.hub.addresses.front, URL_PATH, { method: 'POST', body: 'x' }));
    expect(answers.map((a) => a.status)).toEqual(Array(6).fill(200));
    expect(answers.every((a) => a.headers['x-rego-hub-replica'] !== '2')).toBe(true);
    await marked;
    expect(t.hub.status().find((s) => s.replica === 2)).toMatchObject({ healthy: false, reason: 'marked_down', markedDown: true });
    const metrics = t.hub.metrics();
    expect(metrics).toContain('rego_broker_hub_retries_total{deployment="4242",replica="2"} 1');
    expect(metrics).toContain('rego_broker_hub_marked_down_total{deployment="4242",replica="2"} 1');
    expect(seen().reduce((a, b) => a + b)).toBe(6);
    // Its next heartbeat makes it eligible again.
    await heartbeatAll([REFUSING]);
    expect(t.hub.status().find((s) => s.replica === 2)).toMatchObject({ healthy: true, markedDown: false });
  });

  it('answers 502 and does not retry when the replica fails after receiving the request', async () => {
    await heartbeatAll(ADDRS);
    const a = await front(t.hub.addresses.front, URL_PATH, { method: 'POST', headers: { 'x-test-reset': '1' }, body: 'create-issue' });
    expect(a.status).toBe(502);
    expect(JSON.parse(a.body)).toMatchObject({ code: 'HUB_REPLICA_FAILED' });
    // Exactly one replica saw it: the other never did.
    expect(seen().sort()).toEqual([0, 1]);
    expect(t.hub.metrics()).not.toContain('rego_broker_hub_retries_total{');
    // A replica that took the request is not marked down: it was reachable.
    expect(t.hub.status().filter((s) => s.replica < 2).every((s) => s.healthy)).toBe(true);
  });

  it('answers 503 with retry-after when no replica has sent a heartbeat', async () => {
    const none = await front(t.hub.addresses.front, URL_PATH);
    expect(none.status).toBe(503);
    expect(none.headers['retry-after']).toBe('30');
    expect(JSON.parse(none.body)).toEqual({ code: 'HUB_NO_HEALTHY_REPLICA', message: expect.any(String) as string });
    expect(t.hub.metrics()).toContain('rego_broker_hub_no_healthy_replica_total{deployment="4242"} 1');
    expect(seen()).toEqual([0, 0]);
  });

  it('answers 404 with a code for an unknown deployment and for any other path', async () => {
    const unknown = await front(t.hub.addresses.front, '/d/7/proxy/https://x.example/');
    expect([unknown.status, codeOf(unknown)]).toEqual([404, 'HUB_UNKNOWN_DEPLOYMENT']);
    for (const path of ['/', '/proxy/https://x.example/', '/d/4242/other', '/d/04242/proxy/https://x.example/', '/d/4242']) {
      const a = await front(t.hub.addresses.front, path);
      expect([path, a.status, codeOf(a)]).toEqual([path, 404, 'HUB_NOT_FOUND']);
    }
  });

  it('refuses a body over front.maxBodyBytes with 413 without sending it, declared or chunked', async () => {
    await heartbeatAll(ADDRS);
    const declared = await front(t.hub.addresses.front, URL_PATH, { method: 'POST', body: 'x'.repeat(65537) });
    expect([declared.status, codeOf(declared)]).toEqual([413, 'HUB_BODY_TOO_LARGE']);
    const chunked = await front(t.hub.addresses.front, URL_PATH, { method: 'POST', headers: { 'transfer-encoding': 'chunked' }, body: 'x'.repeat(65537) });
    expect([chunked.status, codeOf(chunked)]).toEqual([413, 'HUB_BODY_TOO_LARGE']);
    const fits = await front(t.hub.addresses.front, URL_PATH, { method: 'POST', body: 'x'.repeat(65536) });
    expect(fits.status).toBe(200);
    expect(seen().sort()).toEqual([0, 1]);
  });
});

describe('hub front, stale heartbeats', () => {
  it('stops routing to a replica whose heartbeat went stale', async () => {
    const { replicas, port } = await startReplicas(['127.0.0.2']);
    const t = await startTestHub({
      ...testSettings(port, { heartbeat: { staleAfterSeconds: 0.5 } }),
      deployments: [{ id: 9, replicas: [{ index: 0, publicKey: K0, address: '127.0.0.2' }] }],
    });
    try {
      expect((await beat(t.hub.addresses.heartbeat, '127.0.0.2')).status).toBe(200);
      expect((await front(t.hub.addresses.front, '/d/9/proxy/https://x.example/')).status).toBe(200);
      await t.logs.waitFor((l) => l.msg === 'replica unhealthy' && l.reason === 'heartbeat_stale');
      const a = await front(t.hub.addresses.front, '/d/9/proxy/https://x.example/');
      expect([a.status, a.headers['retry-after']]).toEqual([503, '1']);
      expect(replicas[0]?.received).toHaveLength(1);
    } finally {
      await t.stop();
      await Promise.all(replicas.map((r) => r.close()));
    }
  });

  it('answers 502 to a request waiting for a replica whose heartbeats stop, without retrying it', async () => {
    const { replicas, port } = await startReplicas(['127.0.0.2', '127.0.0.3']);
    const t = await startTestHub({
      ...testSettings(port, { heartbeat: { staleAfterSeconds: 1 } }),
      deployments: [{ id: 9, replicas: [{ index: 0, publicKey: K0, address: '127.0.0.2' }, { index: 1, publicKey: K1, address: '127.0.0.3' }] }],
    });
    try {
      expect((await beat(t.hub.addresses.heartbeat, '127.0.0.2')).status).toBe(200);
      // Only replica 0 has a heartbeat, so it gets the request; it holds it and then "vanishes".
      const pending = front(t.hub.addresses.front, '/d/9/proxy/https://x.example/', { method: 'POST', headers: { 'x-test-hold': '1' }, body: 'once' });
      await replicas[0]?.held();
      expect((await beat(t.hub.addresses.heartbeat, '127.0.0.3')).status).toBe(200);
      const a = await pending;
      expect([a.status, codeOf(a), a.headers['x-rego-hub-replica']]).toEqual([502, 'HUB_REPLICA_FAILED', '0']);
      expect(JSON.parse(a.body)).toMatchObject({ message: 'the replica stopped sending heartbeats while the request was in flight; it was not retried' });
      expect(replicas[1]?.received).toHaveLength(0);
      replicas[0]?.release();
    } finally {
      await t.stop();
      await Promise.all(replicas.map((r) => r.close()));
    }
  });
});

describe('hub front connections', () => {
  it.each([
    [false, 3],
    [true, 1],
  ])('with front.keepAlive %s, three requests use %d connection(s)', async (keepAlive, connections) => {
    const { replicas, port } = await startReplicas(['127.0.0.2']);
    const t = await startTestHub({
      ...testSettings(port, { front: { keepAlive } }),
      deployments: [{ id: 9, replicas: [{ index: 0, publicKey: K0, address: '127.0.0.2' }] }],
    });
    try {
      await beat(t.hub.addresses.heartbeat, '127.0.0.2');
      for (let i = 0; i < 3; i += 1) expect((await front(t.hub.addresses.front, '/d/9/proxy/https://x.example/')).status).toBe(200);
      expect(new Set(replicas[0]?.received.map((r) => r.remotePort)).size).toBe(connections);
    } finally {
      await t.stop();
      await Promise.all(replicas.map((r) => r.close()));
    }
  });
});
