import type { HeartbeatOptions } from '../../src/heartbeat';
import { Heartbeat } from '../../src/heartbeat';
import { FakeTime, flush, recordingLogger } from '../helpers/fakes';

const config = { url: 'http://[fdf0:59dc:33cf:9be9::1]/ping', intervalSeconds: 10, timeoutSeconds: 2, graceSeconds: 5, failuresBeforeReresolve: 3 };

/** A fetch whose outcome the test sets beat by beat. */
function scriptedFetch(): { fetch: NonNullable<HeartbeatOptions['fetch']>; up: boolean; calls: Array<[string, number]> } {
  const s = {
    up: true,
    calls: [] as Array<[string, number]>,
    fetch: (url: string, timeoutMs: number): Promise<void> => {
      s.calls.push([url, timeoutMs]);
      return s.up ? Promise.resolve() : Promise.reject(new Error('connect ETIMEDOUT'));
    },
  };
  return s;
}

function setup(overrides: Partial<HeartbeatOptions> = {}) {
  const time = new FakeTime();
  const logger = recordingLogger();
  const f = scriptedFetch();
  const reresolve = jest.fn(() => Promise.resolve());
  const hb = new Heartbeat({ config, logger, fetch: f.fetch, reresolve, now: time.now, scheduler: time, ...overrides });
  return { time, logger, f, reresolve, hb };
}

describe('Heartbeat state machine', () => {
  test('fetches the configured URL with the timeout in ms', async () => {
    const { hb, f } = setup();
    await hb.beat();
    expect(f.calls).toEqual([[config.url, 2000]]);
  });

  test('logs each transition once, not every beat', async () => {
    const { hb, f, logger } = setup();
    const sequence = [true, true, false, false, false, false, true, true, false, true];
    for (const up of sequence) {
      f.up = up;
      await hb.beat();
    }
    expect(logger.messages()).toEqual([
      'tunnel heartbeat established',
      'tunnel heartbeat lost',
      'tunnel heartbeat restored',
      'tunnel heartbeat lost',
      'tunnel heartbeat restored',
    ]);
    expect(logger.records[2]?.obj).toMatchObject({ failures: 4 });
    expect(hb.state()).toMatchObject({ ok: true, failuresTotal: 5, successesTotal: 5, consecutiveFailures: 0, lastError: null });
  });

  test('a failing start is logged as lost once', async () => {
    const { hb, f, logger } = setup();
    f.up = false;
    await hb.beat();
    await hb.beat();
    expect(logger.messages()).toEqual(['tunnel heartbeat lost']);
    expect(logger.records[0]?.obj).toMatchObject({ error: 'connect ETIMEDOUT' });
  });

  test('re-resolves the endpoints every failuresBeforeReresolve consecutive failures', async () => {
    const { hb, f, reresolve } = setup();
    f.up = false;
    const counts: number[] = [];
    for (let i = 0; i < 7; i++) {
      await hb.beat();
      counts.push(reresolve.mock.calls.length);
    }
    expect(counts).toEqual([0, 0, 1, 1, 1, 2, 2]);
    f.up = true;
    await hb.beat();
    f.up = false;
    await hb.beat();
    await hb.beat();
    expect(reresolve).toHaveBeenCalledTimes(2); // the count starts again after a success
    expect(hb.state().reresolvesTotal).toBe(2);
  });

  test('a failing re-resolution is logged once per outage and does not break the beat', async () => {
    const { hb, f, logger } = setup({ reresolve: () => Promise.reject(new Error('ENOTFOUND hub.example.com')) });
    f.up = false;
    for (let i = 0; i < 9; i++) expect(await hb.beat()).toBe(false);
    expect(logger.messages()).toEqual(['tunnel heartbeat lost', 'tunnel endpoint re-resolution failed']);
  });

  test('failuresBeforeReresolve 0 never re-resolves', async () => {
    const { hb, f, reresolve } = setup({ config: { ...config, failuresBeforeReresolve: 0 } });
    f.up = false;
    for (let i = 0; i < 5; i++) await hb.beat();
    expect(reresolve).not.toHaveBeenCalled();
  });

  test('a custom check replaces the fetch', async () => {
    const { hb, f } = setup({ check: () => Promise.reject(new Error('no handshake')) });
    expect(await hb.beat()).toBe(false);
    expect(f.calls).toEqual([]);
    expect(hb.state().lastError).toBe('no handshake');
  });
});

describe('Heartbeat timing', () => {
  test('beats at start and then once per interval; healthy within interval + grace', async () => {
    const { hb, f, time } = setup();
    hb.start();
    expect(hb.isHealthy()).toBe(false);
    await time.advance(0);
    expect(f.calls).toHaveLength(1);
    expect(hb.isHealthy()).toBe(true);
    await time.advance(9_999);
    expect(f.calls).toHaveLength(1);
    await time.advance(1);
    expect(f.calls).toHaveLength(2);
    f.up = false;
    await time.advance(10_000);
    expect(f.calls).toHaveLength(3);
    // last success at t=10 s: healthy until 10 + 10 + 5 = 25 s
    const t0 = time.now().getTime() - 20_000;
    expect(hb.isHealthy(new Date(t0 + 25_000))).toBe(true);
    expect(hb.isHealthy(new Date(t0 + 25_001))).toBe(false);
    hb.stop();
  });

  test('stop clears the timer, is idempotent, and makes it unhealthy', async () => {
    const { hb, time, f } = setup();
    hb.start();
    hb.start();
    await time.advance(0);
    expect(time.pending).toBe(1);
    hb.stop();
    hb.stop();
    expect(time.pending).toBe(0);
    expect(hb.isHealthy()).toBe(false);
    await time.advance(60_000);
    expect(f.calls).toHaveLength(1);
  });

  test('a beat in flight at stop schedules nothing', async () => {
    let release: () => void = () => undefined;
    const { hb, time } = setup({ fetch: () => new Promise<void>((r) => (release = r)) });
    hb.start();
    await time.advance(0);
    hb.stop();
    release();
    await flush();
    expect(time.pending).toBe(0);
  });

  test('a slow beat does not shift the cadence', async () => {
    let release: () => void = () => undefined;
    const starts: number[] = [];
    const { hb, time } = setup({
      fetch: () => {
        starts.push(time.now().getTime());
        return new Promise<void>((r) => (release = r));
      },
    });
    hb.start();
    await time.advance(0);
    await time.advance(1_500);
    release();
    await time.advance(8_500);
    expect(starts[1]! - starts[0]!).toBe(10_000);
    hb.stop();
  });

  test('waitForSuccess resolves at the first success, or false at the timeout', async () => {
    const a = setup();
    a.f.up = false;
    a.hb.start();
    const waiting = a.hb.waitForSuccess(25_000);
    await a.time.advance(10_000);
    a.f.up = true;
    await a.time.advance(10_000);
    await expect(waiting).resolves.toBe(true);
    await expect(a.hb.waitForSuccess(1)).resolves.toBe(true);
    a.hb.stop();

    const b = setup();
    b.f.up = false;
    b.hb.start();
    const never = b.hb.waitForSuccess(15_000);
    await b.time.advance(15_000);
    await expect(never).resolves.toBe(false);
    b.hb.stop();
  });
});
