/** Prometheus text exposition (format 0.0.4) of the tunnel's state, appended to `/metrics`. */
import type { HeartbeatState } from './heartbeat';
import type { TunnelStatus } from './status';

function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function family(out: string[], name: string, type: 'gauge' | 'counter', help: string, samples: [string, number][]): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  for (const [labels, value] of samples) out.push(`${name}${labels} ${value}`);
}

const seconds = (d: Date | null): number => (d === null ? 0 : Math.floor(d.getTime() / 1000));

/**
 * The tunnel metrics as Prometheus text lines, ending with a newline. `status` is null when
 * the interface could not be read (then `rego_broker_tunnel_up` is 0 and no peer lines are
 * written); `heartbeat` is null when no heartbeat runs.
 */
export function tunnelMetrics(status: TunnelStatus | null, heartbeat: HeartbeatState | null): string {
  const out: string[] = [];
  const peers = status?.peers ?? [];
  const per = (f: (p: TunnelStatus['peers'][number]) => number): [string, number][] =>
    peers.map((p) => [`{peer="${label(p.publicKey)}"}`, f(p)]);
  family(out, 'rego_broker_tunnel_up', 'gauge', 'Whether the tunnel interface could be read (1) or not (0).', [['', status === null ? 0 : 1]]);
  family(out, 'rego_broker_tunnel_peer_last_handshake_seconds', 'gauge', 'Unix time of the latest handshake with the peer, 0 if none.', per((p) => seconds(p.latestHandshake)));
  family(out, 'rego_broker_tunnel_peer_rx_bytes_total', 'counter', 'Bytes received from the peer.', per((p) => p.rxBytes));
  family(out, 'rego_broker_tunnel_peer_tx_bytes_total', 'counter', 'Bytes sent to the peer.', per((p) => p.txBytes));
  if (heartbeat !== null) {
    family(out, 'rego_broker_tunnel_heartbeat_ok', 'gauge', 'Whether the latest heartbeat succeeded (1) or not (0).', [['', heartbeat.ok === true ? 1 : 0]]);
    family(out, 'rego_broker_tunnel_heartbeat_failures_total', 'counter', 'Heartbeats that failed.', [['', heartbeat.failuresTotal]]);
    family(out, 'rego_broker_tunnel_heartbeat_consecutive_failures', 'gauge', 'Heartbeats failed in a row.', [['', heartbeat.consecutiveFailures]]);
    family(out, 'rego_broker_tunnel_heartbeat_last_success_seconds', 'gauge', 'Unix time of the latest successful heartbeat, 0 if none.', [['', seconds(heartbeat.lastSuccess)]]);
    family(out, 'rego_broker_tunnel_endpoint_reresolves_total', 'counter', 'Times the peer endpoints were resolved and applied again.', [['', heartbeat.reresolvesTotal]]);
  }
  return `${out.join('\n')}\n`;
}
