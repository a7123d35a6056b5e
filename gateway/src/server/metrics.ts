/** Decision counters for the admin `/metrics` endpoint, in Prometheus text format. */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { DecisionRecord } from '../audit/decision-log';

export class Metrics {
  private readonly decisions = new Map<string, number>();
  private evalNsTotal = 0;
  private evaluations = 0;
  /** Upstream failures by what failed (errno, `timeout`, `upstream_aborted`, `response_deadline`). */
  private readonly upstreamErrors = new Map<string, number>();
  private refusals = 0;
  /** Event-loop delay since start: queueing the handlers cannot see (sampled every 10 ms). */
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 10 });

  constructor() {
    this.loopDelay.enable();
  }

  /** Count one request refused on arrival because its record could not be kept. */
  refused(): void {
    this.refusals += 1;
  }
  private readonly policyLoads = { ok: 0, failed: 0 };
  private revision: string | null = null;

  /** Count one bundle load (start, reload, bundle service poll) and note the revision in service. */
  policyLoaded(result: 'ok' | 'failed', revision: string): void {
    this.policyLoads[result] += 1;
    if (result === 'ok' || this.revision === null) this.revision = revision;
  }

  /** Count one answered request. */
  observe(record: DecisionRecord): void {
    const r = record.result as { allow?: unknown; code?: unknown } | null;
    const allowed = r !== null && r.allow === true;
    const code = allowed ? upstreamCode(record) : typeof r?.code === 'string' ? r.code : 'POLICY_DENIED';
    const key = `${allowed ? 'allow' : 'deny'}|${code}`;
    this.decisions.set(key, (this.decisions.get(key) ?? 0) + 1);
    const error = record.upstream?.error;
    if (error) this.upstreamErrors.set(error, (this.upstreamErrors.get(error) ?? 0) + 1);
    const evalNs = record.metrics.timer_eval_ns ?? 0;
    if (evalNs > 0) {
      this.evalNsTotal += evalNs;
      this.evaluations += 1;
    }
  }

  /** Prometheus exposition text. */
  text(): string {
    const lines = [
      '# HELP rego_broker_upstream_errors_total Allowed requests whose upstream exchange failed, by error.',
      '# TYPE rego_broker_upstream_errors_total counter',
      ...[...this.upstreamErrors].map(([error, n]) => `rego_broker_upstream_errors_total{error="${error.replace(/["\\\n]/g, '_')}"} ${n}`),
      '# HELP rego_broker_event_loop_delay_seconds Event-loop delay since start (p50, p99, max).',
      '# TYPE rego_broker_event_loop_delay_seconds gauge',
      `rego_broker_event_loop_delay_seconds{quantile="0.5"} ${this.loopDelay.percentile(50) / 1e9}`,
      `rego_broker_event_loop_delay_seconds{quantile="0.99"} ${this.loopDelay.percentile(99) / 1e9}`,
      `rego_broker_event_loop_delay_seconds{quantile="1"} ${this.loopDelay.max / 1e9}`,
      '# HELP rego_broker_decision_log_refused_total Requests refused on arrival (DECISION_LOG_UNAVAILABLE) because their record could not be kept.',
      '# TYPE rego_broker_decision_log_refused_total counter',
      `rego_broker_decision_log_refused_total ${this.refusals}`,
      '# HELP rego_broker_decisions_total Requests answered on /proxy, by result and code.',
      '# TYPE rego_broker_decisions_total counter',
    ];
    for (const [key, n] of this.decisions) {
      const [result, code] = key.split('|');
      lines.push(`rego_broker_decisions_total{result="${result}",code="${code}"} ${n}`);
    }
    lines.push(
      '# HELP rego_broker_policy_eval_seconds_sum Time spent in policy evaluation.',
      '# TYPE rego_broker_policy_eval_seconds_sum counter',
      `rego_broker_policy_eval_seconds_sum ${this.evalNsTotal / 1e9}`,
      '# HELP rego_broker_policy_evaluations_total Policy evaluations.',
      '# TYPE rego_broker_policy_evaluations_total counter',
      `rego_broker_policy_evaluations_total ${this.evaluations}`,
      '# HELP rego_broker_policy_loads_total Policy bundle loads (start, reload, bundle service), by result; a failed one leaves the old bundle in service.',
      '# TYPE rego_broker_policy_loads_total counter',
      `rego_broker_policy_loads_total{result="ok"} ${this.policyLoads.ok}`,
      `rego_broker_policy_loads_total{result="failed"} ${this.policyLoads.failed}`,
    );
    if (this.revision !== null) {
      lines.push(
        '# HELP rego_broker_policy_bundle_info The policy bundle in service (revision label; empty when none is loaded).',
        '# TYPE rego_broker_policy_bundle_info gauge',
        `rego_broker_policy_bundle_info{revision="${this.revision.replace(/["\\\n]/g, '_')}"} 1`,
      );
    }
    return `${lines.join('\n')}\n`;
  }
}

/**
 * The code an allowed request is counted under: ALLOWED, or the upstream failure the caller got
 * (a 502 or 504 the broker answered itself is not a plain allow).
 */
function upstreamCode(record: DecisionRecord): string {
  if (!record.upstream?.error) return 'ALLOWED';
  if (record.status === 504) return 'UPSTREAM_TIMEOUT';
  if (record.status === 502) return 'UPSTREAM_UNREACHABLE';
  return 'UPSTREAM_ABORTED';
}

/** A Prometheus label value, escaped (exposition format: backslash, quote, newline). */
function labelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/**
 * `rego_broker_info`: always 1, its labels say what this broker is (version and, with a tunnel,
 * deployment and replica), for joining other series on.
 */
export function brokerInfo(version: string, labels: Readonly<Record<string, string>>): string {
  const all = Object.entries({ version, ...labels }).map(([k, v]) => `${k}="${labelValue(v)}"`).join(',');
  return [
    '# HELP rego_broker_info This broker: version, and with a tunnel its deployment and replica index.',
    '# TYPE rego_broker_info gauge',
    `rego_broker_info{${all}} 1`,
    '',
  ].join('\n');
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{\s*\}?)?/;

/**
 * Add `labels` to every sample of a Prometheus text exposition (comments left as they are), so
 * each series of one replica is told from the same series of another also where the scrape
 * does not add a per-pod label (federation, a push gateway, a copied text).
 */
export function labelEverySeries(text: string, labels: Readonly<Record<string, string>>): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return text;
  const added = entries.map(([k, v]) => `${k}="${labelValue(v)}"`).join(',');
  return text
    .split('\n')
    .map((line) => {
      if (line === '' || line.startsWith('#')) return line;
      const m = SAMPLE.exec(line);
      if (m === null) return line;
      const name = m[1] as string;
      const open = m[2];
      if (open === undefined) return `${name}{${added}}${line.slice(name.length)}`;
      // `name{}` or `name{a="b",…}`
      const rest = line.slice(name.length + open.length);
      return open.endsWith('}') ? `${name}{${added}}${rest}` : `${name}{${added},${rest}`;
    })
    .join('\n');
}
