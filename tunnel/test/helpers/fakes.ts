/** In-memory fakes for unit tests: a clock with timers, and a logger that records. */
import type { Scheduler } from '../../src/heartbeat';
import type { TunnelLogger } from '../../src/logger';

/** A manual clock and scheduler: time moves only with `advance`. */
export class FakeTime implements Scheduler {
  private t: number;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  constructor(start = Date.UTC(2030, 0, 1)) {
    this.t = start;
  }

  now = (): Date => new Date(this.t);

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Pending timers. */
  get pending(): number {
    return this.timers.size;
  }

  /** Move time forward, firing due timers in order and letting promises settle after each. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await flush();
      const next = [...this.timers.entries()].sort((a, b) => a[1].at - b[1].at)[0];
      if (next === undefined || next[1].at > end) break;
      this.timers.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
    await flush();
  }
}

/** Let pending promise callbacks run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/** One recorded log call. */
export interface LogRecord {
  level: 'info' | 'warn' | 'error';
  obj: object;
  msg: string;
}

/** A logger that keeps every call. */
export function recordingLogger(): TunnelLogger & { records: LogRecord[]; messages(): string[] } {
  const records: LogRecord[] = [];
  return {
    records,
    messages: () => records.map((r) => r.msg),
    info: (obj, msg) => records.push({ level: 'info', obj, msg }),
    warn: (obj, msg) => records.push({ level: 'warn', obj, msg }),
    error: (obj, msg) => records.push({ level: 'error', obj, msg }),
  };
}
