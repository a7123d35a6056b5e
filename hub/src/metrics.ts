/** The hub's counters and gauges for the admin `/metrics` endpoint, in Prometheus text format. */
import { inConflict } from './duplicates';
import type { Registry, ReplicaState } from './registry';

/** What a heartbeat came to. */
export type HeartbeatResult = 'serving' | 'draining' | 'unknown_peer' | 'mismatch' | 'duplicate' | 'bad_request';

type Labels = Readonly<Record<string, string | number>>;

/** A counter family keyed by its label values. */
class Counter {
  private readonly values = new Map<string, { labels: Labels; n: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  inc(labels: Labels): void {
    const key = JSON.stringify(labels);
    const v = this.values.get(key);
    if (v === undefined) this.values.set(key, { labels, n: 1 });
    else v.n += 1;
  }

  lines(): string[] {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`, ...[...this.values.values()].map((v) => `${this.name}${fmt(v.labels)} ${v.n}`)];
  }
}

function fmt(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${String(v).replace(/["\\\n]/g, '_')}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

const of = (r: ReplicaState): Labels => ({ deployment: r.deploymentId, replica: r.index });

export class HubMetrics {
  private readonly requests = new Counter('rego_broker_hub_requests_total', 'Front requests answered, by deployment, replica (none when no replica was reached) and code (the replica\'s HTTP status, or the hub\'s error code).');
  private readonly retries = new Counter('rego_broker_hub_retries_total', 'Requests sent to another replica because they provably did not reach this one.');
  private readonly markedDown = new Counter('rego_broker_hub_marked_down_total', 'Times a replica was marked down by a failed connection (until its next heartbeat).');
  private readonly heartbeats = new Counter('rego_broker_hub_heartbeats_total', 'Heartbeats received, by replica and result.');
  private readonly unknownPeers = new Counter('rego_broker_hub_heartbeats_unknown_peer_total', 'Heartbeats from a source address that is no registered replica (403).');
  private readonly noHealthy = new Counter('rego_broker_hub_no_healthy_replica_total', 'Requests answered 503 HUB_NO_HEALTHY_REPLICA, by deployment.');
  private readonly reloads = new Counter('rego_broker_hub_reloads_total', 'Configuration reloads by result; a failed one leaves the old configuration in service.');
  private readonly handshakeReads = new Counter('rego_broker_hub_handshake_read_failures_total', 'Failed reads of the WireGuard handshake times (wg show dump).');

  /** Count one answered front request. */
  request(deploymentId: number | null, replica: ReplicaState | null, code: string | number): void {
    this.requests.inc({ deployment: deploymentId ?? 'none', replica: replica?.index ?? 'none', code });
  }

  retry(r: ReplicaState): void {
    this.retries.inc(of(r));
  }

  markDown(r: ReplicaState): void {
    this.markedDown.inc(of(r));
  }

  heartbeat(r: ReplicaState | null, result: HeartbeatResult): void {
    if (r === null) this.unknownPeers.inc({});
    else this.heartbeats.inc({ ...of(r), result });
  }

  noHealthyReplica(deploymentId: number): void {
    this.noHealthy.inc({ deployment: deploymentId });
  }

  reload(result: 'ok' | 'failed'): void {
    this.reloads.inc({ result });
  }

  handshakeReadFailed(): void {
    this.handshakeReads.inc({});
  }

  /** Prometheus exposition text; gauges are read from the registry at `nowMs`. */
  text(registry: Registry, nowMs: number): string {
    const replicas = registry.all();
    const gauge = (name: string, help: string, value: (r: ReplicaState) => number | null): string[] => [
      `# HELP ${name} ${help}`,
      `# TYPE ${name} gauge`,
      ...replicas.flatMap((r) => {
        const v = value(r);
        return v === null ? [] : [`${name}${fmt(of(r))} ${v}`];
      }),
    ];
    const age = (t: number | null): number | null => (t === null ? null : Math.max(0, (nowMs - t) / 1000));
    const lines = [
      ...gauge('rego_broker_hub_replica_healthy', 'The replica is routed to (1) or not (0).', (r) => (registry.health(r).healthy ? 1 : 0)),
      ...gauge('rego_broker_hub_replica_draining', 'The replica\'s latest heartbeat said draining.', (r) => (r.draining ? 1 : 0)),
      ...gauge('rego_broker_hub_replica_conflict', 'Two processes are heartbeating as this replica.', (r) => (inConflict(r.history, nowMs) ? 1 : 0)),
      ...gauge('rego_broker_hub_replica_marked_down', 'A connection to the replica failed since its latest heartbeat.', (r) => (r.markedDown ? 1 : 0)),
      ...gauge('rego_broker_hub_replica_heartbeat_age_seconds', 'Seconds since the replica\'s latest heartbeat (absent before the first).', (r) => age(r.lastHeartbeatMs)),
      ...gauge('rego_broker_hub_replica_handshake_age_seconds', 'Seconds since the replica\'s latest WireGuard handshake (absent before the first, or when WireGuard is managed elsewhere).', (r) => age(r.lastHandshakeMs)),
      ...this.requests.lines(),
      ...this.retries.lines(),
      ...this.markedDown.lines(),
      ...this.heartbeats.lines(),
      ...this.unknownPeers.lines(),
      ...this.noHealthy.lines(),
      ...this.reloads.lines(),
      ...this.handshakeReads.lines(),
    ];
    return `${lines.join('\n')}\n`;
  }
}
