/**
 * Ships decision records to an OPA-compatible decision-log service besides the file: gzip JSON
 * batches POSTed every `flushSeconds`, as OPA's decision-log plugin does, so a team's existing
 * OPA tooling receives them. The buffer is bounded in bytes; a record that does not fit, or a
 * batch the service refuses after it was kept as long as there was room, is dropped and
 * counted. Shipping never blocks or refuses a request: the file log is the record of authority.
 */
import { gzipSync } from 'node:zlib';
import type { DecisionServiceConfig } from '../config/types';
import type { Logger } from '../telemetry/logger';
import type { DecisionLog, DecisionRecord } from './decision-log';

/** What the shipper did, for `/metrics`. */
export interface ShipperStats {
  shipped: number;
  dropped: number;
  failures: number;
  bufferedRecords: number;
}

export class DecisionShipper {
  private lines: string[] = [];
  private bytes = 0;
  private sending: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private failing = false;
  private readonly counts = { shipped: 0, dropped: 0, failures: 0 };

  constructor(
    private readonly config: DecisionServiceConfig,
    private readonly token: string | null,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.send(), this.config.flushSeconds * 1000);
    this.timer.unref();
  }

  add(record: DecisionRecord): void {
    const line = JSON.stringify(record);
    if (this.bytes + line.length > this.config.bufferBytes) {
      this.counts.dropped += 1;
      return;
    }
    this.lines.push(line);
    this.bytes += line.length;
  }

  stats(): ShipperStats {
    return { ...this.counts, bufferedRecords: this.lines.length };
  }

  /** Send what is buffered as one batch; a failed batch goes back to the front while it fits. */
  send(): Promise<void> {
    if (this.sending !== null || this.lines.length === 0) return this.sending ?? Promise.resolve();
    const batch = this.lines;
    const bytes = this.bytes;
    this.lines = [];
    this.bytes = 0;
    this.sending = this.post(batch)
      .then(() => {
        this.counts.shipped += batch.length;
        if (this.failing) this.logger.info({ records: batch.length }, 'decision log service reachable again');
        this.failing = false;
      })
      .catch((err: Error) => {
        this.counts.failures += 1;
        if (!this.failing) this.logger.warn({ err: err.message.slice(0, 200) }, 'decision log service failed; records are kept while they fit, then dropped and counted');
        this.failing = true;
        if (bytes + this.bytes <= this.config.bufferBytes) {
          this.lines = [...batch, ...this.lines];
          this.bytes += bytes;
        } else this.counts.dropped += batch.length;
      })
      .finally(() => {
        this.sending = null;
      });
    return this.sending;
  }

  /** Stop, try one last batch within `ms`; resolves with the records that were not shipped. */
  async close(ms: number): Promise<number> {
    if (this.timer !== null) clearInterval(this.timer);
    await this.sending;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.send(), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
    const left = this.lines.length;
    this.counts.dropped += left;
    this.lines = [];
    this.bytes = 0;
    return left;
  }

  private async post(batch: string[]): Promise<void> {
    const body = gzipSync(`[${batch.join(',')}]`);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'content-encoding': 'gzip' };
    if (this.token !== null) headers.authorization = `Bearer ${this.token}`;
    const res = await fetch(this.config.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.config.timeoutSeconds * 1000) });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`the decision log service answered ${res.status}`);
  }
}

/** The file decision log, with every record also handed to the shipper. */
export function withShipper(log: DecisionLog, shipper: DecisionShipper): DecisionLog {
  return {
    write: (record) => {
      log.write(record);
      shipper.add(record);
    },
    flush: () => log.flush(),
    refusal: () => log.refusal(),
    problem: () => log.problem(),
    stats: () => log.stats(),
    reopen: () => log.reopen(),
    close: async (ms) => {
      const [unwritten] = await Promise.all([log.close(ms), shipper.close(ms)]);
      return unwritten;
    },
  };
}

/** Prometheus text for the shipper. */
export function shipperMetrics(stats: ShipperStats): string {
  const lines: string[] = [];
  const metric = (name: string, type: 'counter' | 'gauge', help: string, value: number): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value}`);
  };
  metric('rego_broker_decision_service_shipped_total', 'counter', 'Decision records accepted by the decision log service.', stats.shipped);
  metric('rego_broker_decision_service_dropped_total', 'counter', 'Decision records not shipped (buffer full, or still unsent at shutdown).', stats.dropped);
  metric('rego_broker_decision_service_failures_total', 'counter', 'Batches the decision log service did not accept.', stats.failures);
  metric('rego_broker_decision_service_buffered_records', 'gauge', 'Decision records waiting to be shipped.', stats.bufferedRecords);
  return `${lines.join('\n')}\n`;
}
