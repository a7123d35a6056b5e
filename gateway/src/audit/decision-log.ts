/**
 * The decision log: one JSON line per request answered on /proxy, in OPA's decision-log shape
 * (decision_id, timestamp, path, input, result, bundles, trace_id, span_id, metrics, labels)
 * plus `upstream` for proxied requests. Writing never blocks or fails a response; a write error
 * is reported once to the operational log.
 */
import pino from 'pino';
import type { JsonValue } from '../policy/types';
import type { Logger } from '../telemetry/logger';

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

  /** Resolves once at least `n` records were written. */
  waitFor(n: number): Promise<DecisionRecord[]> {
    if (this.records.length >= n) return Promise.resolve(this.records);
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }
  flush(): Promise<void> {
    return Promise.resolve();
  }
}

/** Writes JSON lines to stdout ("-") or a file, asynchronously through SonicBoom. */
export class StreamDecisionLog implements DecisionLog {
  private readonly dest: pino.DestinationStream & { flush?(cb?: (err?: Error) => void): void; flushSync?(): void; on?(e: string, f: (err: Error) => void): void };
  private failed = false;

  constructor(path: string, private readonly logger: Logger) {
    this.dest = pino.destination({ dest: path === '-' ? 1 : path, sync: false, mkdir: true, minLength: 0 });
    this.dest.on?.('error', (err: Error) => this.report(err));
  }

  write(record: DecisionRecord): void {
    try {
      this.dest.write(`${JSON.stringify(record)}\n`);
    } catch (err) {
      this.report(err as Error);
    }
  }

  flush(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.dest.flush) return resolve();
      try {
        this.dest.flush(() => resolve());
      } catch {
        resolve();
      }
    });
  }

  private report(err: Error): void {
    if (this.failed) return;
    this.failed = true;
    this.logger.error({ err: err.message }, 'decision log write failed');
  }
}
