/**
 * The decision log: one JSON line per request answered on /proxy, in OPA's decision-log shape
 * (decision_id, timestamp, path, input, result, bundles, trace_id, span_id, metrics, labels)
 * plus `upstream` for proxied requests. Writing never blocks or fails a response; a write error
 * is reported once to the operational log. A log file is rotated by size (`StreamDecisionLog`).
 */
import { fstatSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import pino from 'pino';
import type { DecisionLogConfig } from '../config/types';
import type { JsonValue } from '../policy/types';
import type { Logger } from '../telemetry/logger';
import { rotateFiles } from './rotate';

/** One decision record. */
export interface DecisionRecord {
  decision_id: string;
  timestamp: string;
  path: string;
  input: JsonValue;
  result: JsonValue;
  bundles: { 'rego-broker': { revision: string } };
  trace_id?: string;
  span_id?: string;
  metrics: Record<string, number>;
  labels: Record<string, string>;
  erased?: string[];
  dry_run?: boolean;
  /** HTTP status the caller received. */
  status: number;
  upstream?: { status: number | null; bytes: number; duration_ms: number; error?: string };
}

/** Where records go. */
export interface DecisionLog {
  write(record: DecisionRecord): void;
  /** Flush buffered records; resolves when written. */
  flush(): Promise<void>;
}

/** Collects records in memory (for embedding and tests). */
export class MemoryDecisionLog implements DecisionLog {
  readonly records: DecisionRecord[] = [];
  private waiters: Array<{ n: number; resolve: (records: DecisionRecord[]) => void }> = [];

  write(record: DecisionRecord): void {
    this.records.push(record);
    const ready = this.waiters.filter((w) => this.records.length >= w.n);
    this.waiters = this.waiters.filter((w) => this.records.length < w.n);
    for (const w of ready) w.resolve(this.records);
  }

  /** Resolves with the record of `decisionId` once it is written. */
  async waitForDecision(decisionId: string): Promise<DecisionRecord> {
    for (;;) {
      const found = this.records.find((r) => r.decision_id === decisionId);
      if (found !== undefined) return found;
      await this.waitFor(this.records.length + 1);
    }
  }

  /** Resolves once at least `n` records were written. */
  waitFor(n: number): Promise<DecisionRecord[]> {
    if (this.records.length >= n) return Promise.resolve(this.records);
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }
  flush(): Promise<void> {
    return Promise.resolve();
  }
}

type SonicBoom = ReturnType<typeof pino.destination>;

/**
 * One destination stream (SonicBoom, asynchronous) with a count of the bytes handed to it and
 * not yet written, so that `drained` can wait for them (SonicBoom's own `flush` returns at once
 * when `minLength` is 0).
 */
class Sink {
  private pending = 0;
  private done = false;
  private waiters: Array<() => void> = [];
  private closed: Promise<void> | null = null;

  constructor(
    private readonly dest: SonicBoom,
    onError: (err: Error) => void,
  ) {
    dest.on('write', (n: number) => {
      this.pending = Math.max(0, this.pending - n);
      if (this.pending === 0) this.wake();
    });
    dest.on('error', (err: Error) => {
      // A failed stream writes nothing more: nobody should wait for it.
      this.done = true;
      this.wake();
      onError(err);
    });
    dest.on('close', () => {
      this.done = true;
      this.wake();
    });
  }

  write(line: string, bytes: number): void {
    if (this.done) return;
    this.dest.write(line);
    // Counted once accepted: a write that throws must not leave `drained` waiting for it.
    this.pending += bytes;
  }

  /** Resolves when everything written so far reached the file (or the stream failed). */
  drained(): Promise<void> {
    if (this.pending === 0 || this.done) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Write what is buffered, close the file descriptor; resolves when closed (or failed). */
  end(): Promise<void> {
    if (this.closed) return this.closed;
    this.closed = this.done
      ? Promise.resolve()
      : new Promise((resolve) => {
          this.dest.once('close', () => resolve());
          this.dest.once('error', () => resolve());
          try {
            this.dest.end();
          } catch {
            resolve();
          }
        });
    return this.closed;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/** What `new StreamDecisionLog(path, logger)` uses: the configuration schema's defaults. */
export const DECISION_LOG_DEFAULTS: Readonly<Omit<DecisionLogConfig, 'path'>> = Object.freeze({
  maxBodyBytes: 4096,
  maxFileBytes: 100 * 1024 * 1024,
  maxFiles: 5,
});

/**
 * Writes JSON lines to stdout ("-") or a file, asynchronously through SonicBoom. A file is
 * rotated by size (see `rotate.ts`): before a record would take it past `maxFileBytes`, the
 * file is renamed to `path.1` (older ones shifted, at most `maxFiles` kept) and a new `path` is
 * opened for that record. The size is counted from the file's size at open plus the bytes of
 * each record written, so a record is never split across files; one larger than
 * `maxFileBytes` gets a file of its own. The old stream finishes writing what it had buffered
 * into its file descriptor, which follows the rename, then closes.
 */
export class StreamDecisionLog implements DecisionLog {
  private readonly config: DecisionLogConfig;
  private sink: Sink | null = null;
  /** Streams of rotated files still writing their buffers. */
  private readonly draining = new Set<Promise<void>>();
  private size = 0;
  private failed = false;

  /**
   * @param config where to write and how to bound it; a string is a path with
   *   {@link DECISION_LOG_DEFAULTS} (the form before the limits existed).
   */
  constructor(
    config: DecisionLogConfig | string,
    private readonly logger: Logger,
  ) {
    this.config = typeof config === 'string' ? { path: config, ...DECISION_LOG_DEFAULTS } : { ...config };
    this.sink = this.open();
  }

  write(record: DecisionRecord): void {
    try {
      const line = `${JSON.stringify(record)}\n`;
      const bytes = Buffer.byteLength(line);
      if (this.rotates() && this.size > 0 && this.size + bytes > this.config.maxFileBytes) this.rotate();
      this.sink?.write(line, bytes);
      this.size += bytes;
    } catch (err) {
      this.report(err as Error);
    }
  }

  flush(): Promise<void> {
    const all = [...this.draining];
    if (this.sink) all.push(this.sink.drained());
    return Promise.all(all).then(() => undefined);
  }

  private rotates(): boolean {
    return this.config.path !== '-' && this.config.maxFileBytes > 0;
  }

  /** Open `path` (appending) or stdout, and learn the file's size. Null when it cannot. */
  private open(): Sink | null {
    const { path } = this.config;
    try {
      let fd = 1;
      this.size = 0;
      if (path !== '-') {
        mkdirSync(dirname(path), { recursive: true });
        fd = openSync(path, 'a');
        this.size = fstatSync(fd).size;
      }
      return new Sink(pino.destination({ dest: fd, sync: false, minLength: 0 }), (err) => this.report(err));
    } catch (err) {
      this.report(err as Error);
      return null;
    }
  }

  private rotate(): void {
    const old = this.sink;
    try {
      rotateFiles(this.config.path, this.config.maxFiles);
    } catch (err) {
      // Keep appending to the current file, and try again after another maxFileBytes.
      this.report(err as Error);
      this.size = 0;
      return;
    }
    this.sink = this.open();
    if (old) {
      const closing = old.end().then(() => {
        this.draining.delete(closing);
      });
      this.draining.add(closing);
    }
  }

  private report(err: Error): void {
    if (this.failed) return;
    this.failed = true;
    this.logger.error({ err: err.message }, 'decision log write failed');
  }
}
