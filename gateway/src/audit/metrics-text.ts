/** The decision log's health for the admin `/metrics` endpoint, in Prometheus text format. */
import type { DecisionLogStats } from './decision-log';

/** Prometheus text for the decision log's counters and gauges, and the spans dropped. */
export function decisionLogMetrics(stats: DecisionLogStats, droppedSpans: number): string {
  const lines: string[] = [];
  const metric = (name: string, type: 'counter' | 'gauge', help: string, value: number): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value}`);
  };
  metric('rego_broker_decision_log_written_total', 'counter', 'Decision records written to the sink.', stats.written);
  metric('rego_broker_decision_log_write_failures_total', 'counter', 'Failed decision log writes or opens (each is retried).', stats.failures);
  metric('rego_broker_decision_log_recoveries_total', 'counter', 'Times the decision log sink came back after failing.', stats.recoveries);
  metric('rego_broker_decision_log_lost_total', 'counter', 'Decision records dropped (onFailure: serve with a full buffer).', stats.lost);
  metric('rego_broker_decision_log_reopened_total', 'counter', 'Times the decision log file was opened afresh (rotation, rename, deletion, SIGUSR1).', stats.reopened);
  metric('rego_broker_decision_log_buffered_records', 'gauge', 'Decision records waiting to be written.', stats.bufferedRecords);
  metric('rego_broker_decision_log_buffered_bytes', 'gauge', 'Bytes of decision records waiting to be written.', stats.bufferedBytes);
  metric('rego_broker_decision_log_healthy', 'gauge', '1 while the decision log sink accepts writes, 0 while it fails.', stats.healthy ? 1 : 0);
  metric('rego_broker_spans_dropped_total', 'counter', 'Spans dropped: the export queue was full or the export failed.', droppedSpans);
  return `${lines.join('\n')}\n`;
}
