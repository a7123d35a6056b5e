/**
 * The decision-log writer: JSON lines to a file or stdout, batched, bounded, and loud.
 *
 * Why this exists: the decision record is the broker's evidence of who accessed what. A writer
 * that falls behind must not pile records up in memory without bound, and a sink that fails
 * (disk full, I/O error, a deleted file, a stdout reader that went away) must not lose records
 * quietly. So:
 *
 * - Records are serialized at once and queued; whenever no write is in flight, everything
 *   queued goes to the sink in one `write` (group commit). Throughput grows with the load, and
 *   a record waits at most for the one write ahead of it: at a SIGKILL the records lost are at
 *   most those queued (`bufferBytes`, plus records of requests already admitted) and the one
 *   write in flight.
 * - `refusal()` tells the broker to refuse new requests (fail closed, `onFailure: refuse`)
 *   while the queue is over `bufferBytes` or the sink is failing. With `onFailure: serve` a
 *   record that does not fit is dropped and counted instead.
 * - A failing sink is logged once when it fails and once when it recovers, counted, and retried
 *   every {@link RETRY_MS}; a file that was renamed or deleted is reopened (also on `reopen()`,
 *   which `rego-broker run` calls on SIGUSR1), so writing resumes by itself.
 * - Size rotation (`rotate.ts`) happens between writes, on record boundaries.
 * - `close(ms)` gives up after `ms` and says how many records were not written.
 */
import type { DecisionLogConfig } from '../config/types';
import { ConfigError } from '../errors';
import type { Logger } from '../telemetry/logger';
import type { DecisionLog, DecisionLogStats, DecisionRecord } from './decision-log';
import { rotateFiles } from './rotate';
import { FdSink } from './sink';

/** Pause between attempts while the sink fails. */
const RETRY_MS = 250;
/** Pause before writing again to a pipe that is full (EAGAIN): a slow reader, not a failure. */
const AGAIN_MS = 10;
/** How often a log file is checked for having been renamed or deleted. */
const CHECK_MS = 1000;
/** Largest single write: bounds the memory a batch takes and the work one write does. */
const MAX_BATCH_BYTES = 1024 * 1024;

/** What `new StreamDecisionLog(path, logger)` uses: the configuration schema's defaults. */
export const DECISION_LOG_DEFAULTS: Readonly<Omit<DecisionLogConfig, 'path'>> = Object.freeze({
  maxBodyBytes: 4096,
  maxFileBytes: 100 * 1024 * 1024,
  maxFiles: 5,
  onFailure: 'refuse',
  bufferBytes: 8 * 1024 * 1024,
  maxPendingRecords: 4096,
});

interface Batch {
  buf: Buffer;
  offset: number;
  records: number;
}

export class StreamDecisionLog implements DecisionLog {
  private readonly config: DecisionLogConfig;
  private sink: FdSink | null;
  private queue: string[] = [];
  private queuedBytes = 0;
  private batch: Batch | null = null;
  private writing = false;
  private scheduled = false;
  private size = 0;
  private failure: { code: string; message: string; since: number } | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly checkTimer: NodeJS.Timeout | null;
  private reopenWanted = false;
  private closed = false;
  /** Past the close deadline: no more attempts. */
  private stopped = false;
  private idleWaiters: Array<() => void> = [];
  private readonly counts = { written: 0, failures: 0, recoveries: 0, lost: 0, reopened: 0 };
  private lostSinceReport = 0;

  /**
   * Opens the sink at once: a path that cannot be opened is a configuration error naming
   * `telemetry.decisionLog.path` (exit 2), not a failure discovered later.
   *
   * @param config where to write and how to bound it; a string is a path with
   *   {@link DECISION_LOG_DEFAULTS}.
   */
  constructor(
    config: (Partial<DecisionLogConfig> & { path: string }) | string,
    private readonly logger: Logger,
  ) {
    this.config = typeof config === 'string' ? { path: config, ...DECISION_LOG_DEFAULTS } : { ...DECISION_LOG_DEFAULTS, ...config };
    try {
      this.sink = FdSink.open(this.config.path);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new ConfigError(`telemetry.decisionLog.path: cannot open ${this.config.path} for writing (${e.code ?? e.message})`);
    }
    this.size = this.sink.sizeAtOpen;
    this.checkTimer = this.config.path === '-' ? null : setInterval(() => this.checkReplaced(), CHECK_MS);
    this.checkTimer?.unref();
  }

  write(record: DecisionRecord): void {
    let line: string;
    try {
      line = `${JSON.stringify(record)}\n`;
    } catch (err) {
      this.lose(1, `record not serializable: ${(err as Error).message}`);
      return;
    }
    if (this.closed) return this.lose(1, 'decision log closed');
    const bytes = Buffer.byteLength(line);
    // Refuse mode never drops: the broker stops admitting requests instead, and records of
    // requests already admitted still fit in (the overshoot is bounded by the requests in flight).
    if (this.config.onFailure === 'serve' && this.queuedBytes + bytes > this.config.bufferBytes) {
      return this.lose(1, this.failure ? `sink failing (${this.failure.code})` : 'buffer full');
    }
    this.queue.push(line);
    this.queuedBytes += bytes;
    this.schedule();
  }

  refusal(): string | null {
    if (this.config.onFailure === 'serve') return null;
    if (this.failure) return `decision log sink failing (${this.failure.code})`;
    if (this.queuedBytes >= this.config.bufferBytes) return 'decision log buffer full';
    return null;
  }

  problem(): string | null {
    return this.failure ? `decision log sink failing (${this.failure.code}): ${this.failure.message}` : null;
  }

  stats(): DecisionLogStats {
    return {
      ...this.counts,
      bufferedRecords: this.queue.length + (this.batch?.records ?? 0),
      bufferedBytes: this.queuedBytes + (this.batch ? this.batch.buf.length - this.batch.offset : 0),
      healthy: this.failure === null,
    };
  }

  reopen(): void {
    if (this.config.path === '-') return;
    this.reopenWanted = true;
    if (!this.writing) this.pump();
  }

  /** Resolves once everything written so far reached the sink; may wait for ever on a failing one (see `close`). */
  flush(): Promise<void> {
    if (this.idle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(ms: number): Promise<number> {
    this.closed = true;
    if (this.checkTimer) clearInterval(this.checkTimer);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.flush(), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const unwritten = this.queue.length + (this.batch?.records ?? 0);
    // A write still in flight keeps its descriptor; the process exit releases it.
    if (!this.writing) this.sink?.close();
    this.wake();
    return unwritten;
  }

  private idle(): boolean {
    return this.queue.length === 0 && this.batch === null && !this.writing;
  }

  private schedule(): void {
    if (this.scheduled || this.writing || this.failure !== null) return;
    this.scheduled = true;
    // After the current turn of the event loop, so the records it produced go in one write.
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  /** Start the next write, if there is something to write and nothing in flight. */
  private pump(): void {
    if (this.writing || this.stopped) return;
    if (this.reopenWanted || this.sink === null) this.reopenSink();
    if (this.sink === null) return this.retryLater();
    if (this.batch === null) {
      if (this.queue.length === 0) return this.wake();
      this.batch = this.takeBatch();
    }
    const { batch, sink } = this;
    if (batch === null || sink === null) return;
    this.writing = true;
    sink.write(batch.buf, batch.offset).then(
      (n) => {
        this.writing = false;
        batch.offset += n;
        this.size += n;
        if (batch.offset >= batch.buf.length) {
          this.counts.written += batch.records;
          this.batch = null;
        }
        if (this.failure !== null) this.recovered();
        this.pump();
      },
      (err: NodeJS.ErrnoException) => {
        this.writing = false;
        this.failed(err);
      },
    );
  }

  /** Take queued records for one write, stopping where size rotation must come first. */
  private takeBatch(): Batch | null {
    const rotates = this.config.path !== '-' && this.config.maxFileBytes > 0;
    const first = this.queue[0];
    if (first === undefined) return null;
    if (rotates && this.size > 0 && this.size + Buffer.byteLength(first) > this.config.maxFileBytes) this.rotate();
    let bytes = 0;
    let n = 0;
    for (const line of this.queue) {
      const b = Buffer.byteLength(line);
      if (n > 0 && (bytes + b > MAX_BATCH_BYTES || (rotates && this.size + bytes + b > this.config.maxFileBytes))) break;
      bytes += b;
      n += 1;
    }
    const lines = this.queue.slice(0, n);
    this.queue = this.queue.slice(n);
    this.queuedBytes -= bytes;
    return { buf: Buffer.from(lines.join(''), 'utf8'), offset: 0, records: n };
  }

  private rotate(): void {
    try {
      rotateFiles(this.config.path, this.config.maxFiles);
    } catch (err) {
      // Keep appending to the current file, and try again after another maxFileBytes.
      this.logger.error({ err: (err as Error).message }, 'decision log rotation failed');
      this.size = 0;
      return;
    }
    this.reopenWanted = true;
    this.reopenSink();
  }

  /** Open `path` afresh (renamed, deleted, rotated, or asked to); on failure the sink is failing. */
  private reopenSink(): void {
    this.reopenWanted = false;
    let next: FdSink;
    try {
      next = FdSink.open(this.config.path);
    } catch (err) {
      this.sink?.close();
      this.sink = null;
      this.failed(err as NodeJS.ErrnoException);
      return;
    }
    this.sink?.close();
    this.sink = next;
    this.size = next.sizeAtOpen;
    this.counts.reopened += 1;
  }

  private checkReplaced(): void {
    if (this.sink !== null && this.sink.replaced()) {
      this.logger.info({ path: this.config.path }, 'decision log file was renamed or deleted; reopening');
      this.reopen();
    }
  }

  private failed(err: NodeJS.ErrnoException): void {
    if (err.code === 'EAGAIN') {
      // A pipe whose reader is slow: wait for it; the buffer bound turns a stall into refusals.
      setTimeout(() => this.pump(), AGAIN_MS).unref();
      return;
    }
    this.counts.failures += 1;
    if (this.failure === null) {
      this.failure = { code: err.code ?? 'EIO', message: err.message, since: Date.now() };
      const { bufferedRecords } = this.stats();
      this.logger.error({ code: this.failure.code, err: err.message, path: this.config.path, bufferedRecords, onFailure: this.config.onFailure }, 'decision log sink failing');
    }
    // I/O errors and a vanished file are cured by a new descriptor; a full disk by waiting.
    if (this.config.path !== '-' && err.code !== 'ENOSPC' && err.code !== 'EDQUOT') this.reopenWanted = true;
    this.retryLater();
  }

  private retryLater(): void {
    if (this.retryTimer !== null || this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.pump();
    }, RETRY_MS);
  }

  private recovered(): void {
    const down = this.failure ? (Date.now() - this.failure.since) / 1000 : 0;
    this.failure = null;
    this.lostSinceReport = 0;
    this.counts.recoveries += 1;
    this.logger.warn({ path: this.config.path, downSeconds: down, lostRecords: this.counts.lost }, 'decision log sink recovered');
  }

  private lose(n: number, why: string): void {
    this.counts.lost += n;
    // One line per burst of losses (first loss, then every 1000th), not one per record.
    if (this.lostSinceReport === 0 || this.lostSinceReport % 1000 === 0) this.logger.error({ why, lostRecords: this.counts.lost }, 'decision record lost');
    this.lostSinceReport += n;
  }

  private wake(): void {
    if (!this.idle() && !this.closed) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
