/**
 * The decision log: one JSON line per request answered on /proxy, in OPA's decision-log shape
 * (decision_id, timestamp, path, input, result, bundles, trace_id, span_id, metrics, labels)
 * plus `upstream` for proxied requests. Writing never blocks a response; when records cannot
 * be written the log says so (`refusal`, `problem`, `stats`) and the broker refuses new
 * requests or counts the loss (`stream-log.ts`).
 */
import type { JsonValue } from '../policy/types';

export { DECISION_LOG_DEFAULTS, StreamDecisionLog } from './stream-log';

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

/** Counters and gauges of a decision log, for `/metrics`. */
export interface DecisionLogStats {
  /** Records that reached the sink. */
  written: number;
  /** Failed write (or open) attempts. */
  failures: number;
  /** Times the sink came back after failing. */
  recoveries: number;
  /** Records dropped (`onFailure: serve` with a full buffer, or after close). */
  lost: number;
  /** Times the file was opened afresh (rotation, rename, deletion, SIGUSR1). */
  reopened: number;
  /** Records waiting to be written. */
  bufferedRecords: number;
  bufferedBytes: number;
  /** False while the sink fails. */
  healthy: boolean;
}

/** Where records go. */
export interface DecisionLog {
  write(record: DecisionRecord): void;
  /** Flush buffered records; resolves when written. */
  flush(): Promise<void>;
  /** Why a new request must be refused now (fail closed), or null when it may be served. */
  refusal(): string | null;
  /** Why the sink is failing, or null when it is healthy. */
  problem(): string | null;
  stats(): DecisionLogStats;
  /** Open the file afresh (after an external rotation); nothing for stdout. */
  reopen(): void;
  /** Write what is buffered within `ms`, then release the sink; resolves with the records not written. */
  close(ms: number): Promise<number>;
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
  refusal(): string | null {
    return null;
  }
  problem(): string | null {
    return null;
  }
  stats(): DecisionLogStats {
    const written = this.records.length;
    return { written, failures: 0, recoveries: 0, lost: 0, reopened: 0, bufferedRecords: 0, bufferedBytes: 0, healthy: true };
  }
  reopen(): void {
    // Nothing to reopen in memory.
  }
  close(): Promise<number> {
    return Promise.resolve(0);
  }
}

