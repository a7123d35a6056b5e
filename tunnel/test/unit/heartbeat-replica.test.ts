import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HeartbeatOptions } from '../../src/heartbeat';
import { Heartbeat, heartbeatHeaders } from '../../src/heartbeat';
import { answerReason, httpGet, MAX_ANSWER_BYTES } from '../../src/http-get';
import { FakeTime, recordingLogger } from '../helpers/fakes';

const config = { url: 'http://[fdf0:59dc:33cf:9be9::1]/heartbeat', intervalSeconds: 10, timeoutSeconds: 2, graceSeconds: 5, failuresBeforeReresolve: 3 };
const identity = { deployment: 8849, replica: 1, instance: '0123456789abcdef0123456789abcdef' };

type Call = { url: string; timeoutMs: number; headers: Record<string, string> | undefined };

function setup(overrides: Partial<HeartbeatOptions> = {}) {
  const time = new FakeTime();
  const calls: Call[] = [];
  const fetch: NonNullable<HeartbeatOptions['fetch']> = (url, timeoutMs, headers) => {
    calls.push({ url, timeoutMs, headers: headers === undefined ? undefined : { ...headers } });
    return Promise.resolve();
  };
  const hb = new Heartbeat({ config, logger: recordingLogger(), fetch, identity, now: time.now, scheduler: time, ...overrides });
  return { time, calls, hb };
}

describe('heartbeat headers', () => {
  test.each([
    ['with a deployment id', identity, 'serving' as const, {
      'x-rego-broker-deployment': '8849', 'x-rego-broker-replica': '1',
      'x-rego-broker-instance': identity.instance, 'x-rego-broker-state': 'serving',
    }],
    ['with an explicit address only (no deployment id)', { ...identity, deployment: null, replica: 0 }, 'draining' as const, {
      'x-rego-broker-replica': '0', 'x-rego-broker-instance': identity.instance, 'x-rego-broker-state': 'draining',
    }],
  ])('%s', (_name, id, state, expected) => {
    expect(heartbeatHeaders(id, state)).toEqual(expected);
  });

  test('every beat carries them; after drain() every beat says draining', async () => {
    const { hb, calls, time } = setup();
    hb.start();
    await time.advance(0);
    expect(hb.replicaState()).toBe('serving');
    expect(await hb.drain()).toEqual({ ok: true, error: null });
    expect(hb.replicaState()).toBe('draining');
    await time.advance(10_000);
    expect(calls.map((c) => c.headers?.['x-rego-broker-state'])).toEqual(['serving', 'draining', 'draining']);
    expect(calls.every((c) => c.headers?.['x-rego-broker-instance'] === identity.instance && c.headers['x-rego-broker-replica'] === '1')).toBe(true);
    hb.stop();
  });

  test('without an identity no headers are sent (as before)', async () => {
    const { hb, calls } = setup({ identity: undefined });
    await hb.beat();
    expect(calls[0]?.headers).toBeUndefined();
  });
});

describe('Heartbeat.drain', () => {
  test('a failed draining beat is reported with its reason and counted as a failure', async () => {
    const { hb } = setup({ fetch: () => Promise.reject(new Error('heartbeat answered HTTP 403 HUB_UNKNOWN_PEER')) });
    expect(await hb.drain()).toEqual({ ok: false, error: 'heartbeat answered HTTP 403 HUB_UNKNOWN_PEER' });
    expect(hb.state()).toMatchObject({ ok: false, failuresTotal: 1 });
  });

  test('is bounded by the heartbeat timeout even when the request never answers', async () => {
    const { hb, time } = setup({ fetch: () => new Promise<void>(() => undefined) });
    const result = hb.drain();
    await time.advance(1_999);
    let settled = false;
    void result.then(() => (settled = true));
    await time.advance(0);
    expect(settled).toBe(false);
    await time.advance(1);
    await expect(result).resolves.toEqual({ ok: false, error: 'no answer within 2000 ms' });
    expect(time.pending).toBe(0);
  });

  test('sends nothing without a heartbeat URL (a handshake check instead), but later beats would say draining', async () => {
    const check = jest.fn(() => Promise.resolve());
    const { hb, calls } = setup({ check, config: { ...config, url: '' } });
    expect(await hb.drain()).toBeNull();
    expect(check).not.toHaveBeenCalled();
    expect(calls).toEqual([]);
    expect(hb.replicaState()).toBe('draining');
  });
});

describe('answerReason', () => {
  test.each([
    [409, '{"code":"HUB_DUPLICATE_REPLICA","message":"two processes as replica 1"}', 'heartbeat answered HTTP 409 HUB_DUPLICATE_REPLICA: two processes as replica 1'],
    [403, '{"code":"HUB_UNKNOWN_PEER"}', 'heartbeat answered HTTP 403 HUB_UNKNOWN_PEER'],
    [500, 'Internal Server Error', 'heartbeat answered HTTP 500'],
    [502, '{"code":42}', 'heartbeat answered HTTP 502'],
    [400, '{"code":"not a code\\n"}', 'heartbeat answered HTTP 400'],
    [400, '["HUB_X"]', 'heartbeat answered HTTP 400'],
    [409, '{"code":"HUB_REPLICA_MISMATCH","message":"line\\nbreak"}', 'heartbeat answered HTTP 409 HUB_REPLICA_MISMATCH: line break'],
  ])('%d %s', (status, body, expected) => {
    expect(answerReason(status, body)).toBe(expected);
  });

  test('a long message is cut', () => {
    const reason = answerReason(409, JSON.stringify({ code: 'HUB_REPLICA_MISMATCH', message: 'x'.repeat(10_000) }));
    expect(reason.length).toBeLessThan(300);
  });
});

describe('httpGet against a local hub', () => {
  let server: http.Server;
  let base: string;
  const seen: http.IncomingHttpHeaders[] = [];
  let answer: { status: number; body: string } = { status: 200, body: '{}' };

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(answer.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/heartbeat`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('sends the replica headers', async () => {
    answer = { status: 200, body: '{"deployment":8849,"replica":1,"state":"draining"}' };
    await httpGet(base, 2000, heartbeatHeaders(identity, 'draining'));
    expect(seen.at(-1)).toMatchObject({
      'x-rego-broker-deployment': '8849', 'x-rego-broker-replica': '1',
      'x-rego-broker-instance': identity.instance, 'x-rego-broker-state': 'draining',
      'user-agent': 'rego-broker-heartbeat',
    });
  });

  test('a non-2xx answer fails with the hub\'s code', async () => {
    answer = { status: 409, body: '{"code":"HUB_DUPLICATE_REPLICA","message":"instances flip"}' };
    await expect(httpGet(base, 2000, heartbeatHeaders(identity, 'serving'))).rejects.toThrow('heartbeat answered HTTP 409 HUB_DUPLICATE_REPLICA: instances flip');
  });

  test('reads at most MAX_ANSWER_BYTES of a failed answer', async () => {
    answer = { status: 503, body: `{"code":"HUB_X","message":"${'y'.repeat(MAX_ANSWER_BYTES * 4)}"}` };
    await expect(httpGet(base, 2000)).rejects.toThrow(/^heartbeat answered HTTP 503$/);
  });

  test('the hub\'s code reaches the logged failure reason', async () => {
    answer = { status: 403, body: '{"code":"HUB_UNKNOWN_PEER","message":"no such replica"}' };
    const logger = recordingLogger();
    const hb = new Heartbeat({ config: { ...config, url: base }, logger, identity });
    expect(await hb.beat()).toBe(false);
    expect(logger.records[0]).toMatchObject({ msg: 'tunnel heartbeat lost', obj: { error: 'heartbeat answered HTTP 403 HUB_UNKNOWN_PEER: no such replica' } });
  });
});
