/**
 * The heartbeat: a request through the tunnel at a fixed interval. It is what readiness
 * means, it logs when the tunnel is lost and when it is back (once each, not every beat), and
 * after repeated failures it has the peer endpoints resolved and applied again, so a hub that
 * moved to a new address or restarted is found again.
 *
 * Each beat tells the hub who is calling (deployment, replica, a random id of this process)
 * and whether this replica is `serving` or `draining` (docs/replicas.md): a replica that is
 * shutting down says so first, and the hub stops routing to it before it stops listening.
 */
import type { HeartbeatConfig } from './config';
import type { HeartbeatFetch } from './http-get';
import { httpGet } from './http-get';
import type { TunnelLogger } from './logger';

/** What a replica tells the hub in `x-rego-broker-state`. */
export type ReplicaState = 'serving' | 'draining';

/** Who sends the heartbeat: sent as headers with every beat. */
export interface HeartbeatIdentity {
  /** The deployment id, or null when only an explicit address is configured (then not sent). */
  deployment: number | null;
  /** The replica index. */
  replica: number;
  /** Random hex id of this process start: tells a restart from two processes with one key. */
  instance: string;
}

/** The headers of a beat (names lower-case, values decimal or hex). */
export function heartbeatHeaders(identity: HeartbeatIdentity, state: ReplicaState): Record<string, string> {
  const headers: Record<string, string> = {};
  if (identity.deployment !== null) headers['x-rego-broker-deployment'] = String(identity.deployment);
  headers['x-rego-broker-replica'] = String(identity.replica);
  headers['x-rego-broker-instance'] = identity.instance;
  headers['x-rego-broker-state'] = state;
  return headers;
}

/** The heartbeat's counters, for readiness and metrics. */
export interface HeartbeatState {
  /** Result of the latest beat; null before the first one finished. */
  ok: boolean | null;
  /** Failed beats since the latest success. */
  consecutiveFailures: number;
  /** Failed beats since start. */
  failuresTotal: number;
  /** Successful beats since start. */
  successesTotal: number;
  /** When the latest successful beat finished. */
  lastSuccess: Date | null;
  /** When the latest failed beat finished. */
  lastFailure: Date | null;
  /** Why the latest beat failed, null after a success. */
  lastError: string | null;
  /** How often the peer endpoints were resolved and applied again. */
  reresolvesTotal: number;
}

/** Timers, injectable so tests control time. Handles are opaque. */
export interface Scheduler {
  /** Call `fn` after `ms`; returns a handle for `clearTimeout`. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancel a timer; unknown or fired handles are ignored. */
  clearTimeout(handle: unknown): void;
}

/** Real timers, `unref()`'d so they never keep the process alive. */
export const SYSTEM_SCHEDULER: Scheduler = Object.freeze({
  setTimeout: (fn: () => void, ms: number): unknown => setTimeout(fn, ms).unref(),
  clearTimeout: (h: unknown): void => clearTimeout(h as NodeJS.Timeout),
});

/** What a `Heartbeat` needs. */
export interface HeartbeatOptions {
  /** URL, interval, timeout, grace and re-resolve threshold. */
  config: Pick<HeartbeatConfig, 'url' | 'intervalSeconds' | 'timeoutSeconds' | 'graceSeconds' | 'failuresBeforeReresolve'>;
  /** Where transitions are logged. */
  logger: TunnelLogger;
  /** The request (default: `httpGet`). */
  fetch?: HeartbeatFetch;
  /** Sent as headers with every request (none when absent). */
  identity?: HeartbeatIdentity;
  /** Replaces the request entirely (e.g. a handshake check when there is no URL). */
  check?: () => Promise<void>;
  /** Resolve the peer endpoints again and apply them; called every `failuresBeforeReresolve` failures in a row. */
  reresolve?: () => Promise<void>;
  /** Current time (default: `new Date()`). */
  now?: () => Date;
  /** Timers (default: real, unref'd). */
  scheduler?: Scheduler;
}

/** The heartbeat state machine and its timer. */
export class Heartbeat {
  private readonly o: HeartbeatOptions;
  private readonly scheduler: Scheduler;
  private readonly now: () => Date;
  private readonly s: HeartbeatState = {
    ok: null, consecutiveFailures: 0, failuresTotal: 0, successesTotal: 0,
    lastSuccess: null, lastFailure: null, lastError: null, reresolvesTotal: 0,
  };
  private timer: unknown = null;
  private running = false;
  private waiters: Array<() => void> = [];
  private announced: ReplicaState = 'serving';

  constructor(options: HeartbeatOptions) {
    this.o = options;
    this.scheduler = options.scheduler ?? SYSTEM_SCHEDULER;
    this.now = options.now ?? ((): Date => new Date());
  }

  private get intervalMs(): number {
    return this.o.config.intervalSeconds * 1000;
  }

  /** Start beating: the first beat now, then one per interval (measured from each beat's start). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Stop the timer; a beat in flight finishes but schedules nothing. Idempotent. */
  stop(): void {
    this.running = false;
    if (this.timer !== null) this.scheduler.clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(ms: number): void {
    this.timer = this.scheduler.setTimeout(() => {
      this.timer = null;
      const started = this.now().getTime();
      void this.beat().then(() => {
        if (this.running) this.schedule(Math.max(0, started + this.intervalMs - this.now().getTime()));
      });
    }, ms);
  }

  /** Run one beat and update the state; resolves to its result. Never rejects. */
  async beat(): Promise<boolean> {
    return (await this.attempt()) === null;
  }

  /** One beat; resolves to why it failed, or null on success. Never rejects. */
  private async attempt(): Promise<string | null> {
    const { config } = this.o;
    const identity = this.o.identity;
    const headers = identity === undefined ? undefined : heartbeatHeaders(identity, this.announced);
    const check = this.o.check ?? ((): Promise<void> => (this.o.fetch ?? httpGet)(config.url, config.timeoutSeconds * 1000, headers));
    try {
      await check();
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      await this.failed(why);
      return why;
    }
    this.succeeded();
    return null;
  }

  private succeeded(): void {
    const s = this.s;
    const previous = s.ok;
    const failures = s.consecutiveFailures;
    s.ok = true;
    s.successesTotal += 1;
    s.consecutiveFailures = 0;
    s.lastError = null;
    s.lastSuccess = this.now();
    if (previous === null) this.o.logger.info({ url: this.o.config.url }, 'tunnel heartbeat established');
    else if (previous === false) this.o.logger.info({ url: this.o.config.url, failures }, 'tunnel heartbeat restored');
    for (const w of this.waiters.splice(0)) w();
  }

  private async failed(error: string): Promise<void> {
    const s = this.s;
    const previous = s.ok;
    s.ok = false;
    s.failuresTotal += 1;
    s.consecutiveFailures += 1;
    s.lastError = error;
    s.lastFailure = this.now();
    if (previous !== false) this.o.logger.warn({ url: this.o.config.url, error }, 'tunnel heartbeat lost');
    const n = this.o.config.failuresBeforeReresolve;
    if (this.o.reresolve !== undefined && n > 0 && s.consecutiveFailures % n === 0) {
      s.reresolvesTotal += 1;
      try {
        await this.o.reresolve();
      } catch (err) {
        if (s.consecutiveFailures === n) {
          this.o.logger.warn({ error: err instanceof Error ? err.message : String(err) }, 'tunnel endpoint re-resolution failed');
        }
      }
    }
  }

  /** `serving` until `drain`, then `draining` for every later beat. */
  replicaState(): ReplicaState {
    return this.announced;
  }

  /** Say `draining` in every later beat; sends nothing now. */
  markDraining(): void {
    this.announced = 'draining';
  }

  /**
   * Switch to `draining` and send one beat at once (bounded by the heartbeat timeout); resolves
   * to its result and never rejects. Every later beat says `draining` too. Without a heartbeat
   * URL (a custom check) nothing is sent: resolves null.
   */
  async drain(): Promise<{ ok: boolean; error: string | null } | null> {
    this.markDraining();
    if (this.o.check !== undefined || this.o.config.url === '') return null;
    // Bounded here too: the request (an injected one as well) must not hold the shutdown up.
    const timeoutMs = this.o.config.timeoutSeconds * 1000;
    let timer: unknown = null;
    const late = new Promise<string>((resolve) => {
      timer = this.scheduler.setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
    });
    const error = await Promise.race([this.attempt(), late]);
    this.scheduler.clearTimeout(timer);
    return { ok: error === null, error };
  }

  /** True when a beat succeeded within the interval plus the grace period, and the heartbeat runs. */
  isHealthy(now: Date = this.now()): boolean {
    const last = this.s.lastSuccess;
    const window = (this.o.config.intervalSeconds + this.o.config.graceSeconds) * 1000;
    return this.running && last !== null && now.getTime() - last.getTime() <= window;
  }

  /** A copy of the counters. */
  state(): HeartbeatState {
    return { ...this.s };
  }

  /** Resolves true at the first successful beat (at once if one already succeeded), false after `timeoutMs`. */
  waitForSuccess(timeoutMs: number): Promise<boolean> {
    if (this.s.successesTotal > 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (): void => {
        this.scheduler.clearTimeout(t);
        resolve(true);
      };
      const t = this.scheduler.setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(done);
    });
  }
}
