/** Prometheus text exposition (format 0.0.4) of the tunnel's state, appended to `/metrics`. */
import type { RelayStats } from './carrier/relay';
import type { HeartbeatState } from './heartbeat';
import type { TunnelStatus } from './status';

function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function family(out: string[], name: string, type: 'gauge' | 'counter', help: string, samples: [string, number][]): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  for (const [labels, value] of samples) out.push(`${name}${labels} ${value}`);
}

/** The transport's part of the metrics. */
export interface TransportMetrics {
  /** `udp` or `tcp` (the TLS carrier). */
  current: 'udp' | 'tcp';
  /** Moves between transports since start. */
  changesTotal: number;
  /** Carrier relay counters per peer, while relays are open. */
  relays: ReadonlyMap<string, RelayStats>;
}

const seconds = (d: Date | null): number => (d === null ? 0 : Math.floor(d.getTime() / 1000));

/**
 * The tunnel metrics as Prometheus text lines, ending with a newline. `status` is null when
 * the interface could not be read (then `rego_broker_tunnel_up` is 0 and no peer lines are
 * written); `heartbeat` is null when no heartbeat runs.
 */
export function tunnelMetrics(status: TunnelStatus | null, heartbeat: HeartbeatState | null, transport: TransportMetrics | null = null): string {
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
  if (transport !== null) {
    family(out, 'rego_broker_tunnel_transport', 'gauge', 'The transport in use: 1 for udp or tcp (the TLS carrier), 0 for the other.', [
      ['{transport="udp"}', transport.current === 'udp' ? 1 : 0],
      ['{transport="tcp"}', transport.current === 'tcp' ? 1 : 0],
    ]);
    family(out, 'rego_broker_tunnel_transport_changes_total', 'counter', 'Moves between UDP and the TLS carrier.', [['', transport.changesTotal]]);
    const relays = [...transport.relays];
    const perRelay = (f: (s: RelayStats) => number): [string, number][] => relays.map(([peer, s]) => [`{peer="${label(peer)}"}`, f(s)]);
    family(out, 'rego_broker_tunnel_carrier_connected', 'gauge', 'Whether the TLS carrier to the peer is connected.', perRelay((s) => (s.connected ? 1 : 0)));
    family(out, 'rego_broker_tunnel_carrier_connect_failures_total', 'counter', 'Failed attempts to open the TLS carrier.', perRelay((s) => s.connectFailuresTotal));
    family(out, 'rego_broker_tunnel_carrier_dropped_datagrams_total', 'counter', 'Datagrams dropped because the carrier was down or backed up.', perRelay((s) => s.droppedDatagrams));
  }
  return `${out.join('\n')}\n`;
}
