import type { HeartbeatState } from '../../src/heartbeat';
import { tunnelMetrics } from '../../src/metrics';
import type { TunnelStatus } from '../../src/status';
import { FIXTURE_PEER_KEY, FIXTURE_PUBLIC_KEY } from '../fixtures/wg-dumps';

const status: TunnelStatus = {
  interfaceName: 'wg-broker', publicKey: FIXTURE_PUBLIC_KEY, listenPort: 40754,
  peers: [{
    publicKey: FIXTURE_PEER_KEY, endpoint: '192.0.2.1:51820', allowedIps: ['fdf0:59dc:33cf:9be9::1/128'],
    latestHandshake: new Date(1795743576_000), rxBytes: 964, txBytes: 780, persistentKeepalive: 20,
  }],
};
const heartbeat: HeartbeatState = {
  ok: false, consecutiveFailures: 2, failuresTotal: 7, successesTotal: 40,
  lastSuccess: new Date(1795743500_000), lastFailure: new Date(1795743590_000), lastError: 'timeout', reresolvesTotal: 1,
};

describe('tunnelMetrics', () => {
  test('peer and heartbeat samples', () => {
    const lines = tunnelMetrics(status, heartbeat).split('\n').filter((l) => !l.startsWith('#'));
    expect(lines).toEqual([
      'rego_broker_tunnel_up 1',
      `rego_broker_tunnel_peer_last_handshake_seconds{peer="${FIXTURE_PEER_KEY}"} 1795743576`,
      `rego_broker_tunnel_peer_rx_bytes_total{peer="${FIXTURE_PEER_KEY}"} 964`,
      `rego_broker_tunnel_peer_tx_bytes_total{peer="${FIXTURE_PEER_KEY}"} 780`,
      'rego_broker_tunnel_heartbeat_ok 0',
      'rego_broker_tunnel_heartbeat_failures_total 7',
      'rego_broker_tunnel_heartbeat_consecutive_failures 2',
      'rego_broker_tunnel_heartbeat_last_success_seconds 1795743500',
      'rego_broker_tunnel_endpoint_reresolves_total 1',
      '',
    ]);
  });

  test('every family has HELP and TYPE, counters end in _total', () => {
    const text = tunnelMetrics(status, heartbeat);
    const names = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]);
    expect(names).toHaveLength(9);
    for (const [name, type] of names) {
      expect(text).toContain(`# HELP ${name} `);
      expect(type === 'counter').toBe(name?.endsWith('_total'));
    }
  });

  test('no handshake yet is 0; unreadable interface is up 0 without peer samples; no heartbeat, no heartbeat lines', () => {
    const fresh = { ...status, peers: [{ ...status.peers[0]!, latestHandshake: null }] };
    expect(tunnelMetrics(fresh, null)).toContain(`rego_broker_tunnel_peer_last_handshake_seconds{peer="${FIXTURE_PEER_KEY}"} 0\n`);
    const down = tunnelMetrics(null, { ...heartbeat, ok: true });
    expect(down).toContain('rego_broker_tunnel_up 0\n');
    expect(down).toContain('rego_broker_tunnel_heartbeat_ok 1\n');
    expect(down).not.toMatch(/\{peer=/);
    expect(tunnelMetrics(status, null)).not.toContain('heartbeat');
  });

  test('label values are escaped', () => {
    const odd = { ...status, peers: [{ ...status.peers[0]!, publicKey: 'a"b\\c\nd' }] };
    expect(tunnelMetrics(odd, null)).toContain('{peer="a\\"b\\\\c\\nd"}');
  });
});
