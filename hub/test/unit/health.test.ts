/** The health rule as a table: each fact alone makes a replica unhealthy, with its reason. */
import type { HealthFacts, HealthRules } from '../../src/health';
import { replicaHealth } from '../../src/health';

const NOW = 1_000_000;
const RULES: HealthRules = { staleAfterMs: 5000, requireHandshake: false, handshakeMaxAgeMs: 180_000 };
const WG: HealthRules = { ...RULES, requireHandshake: true };
const FRESH: HealthFacts = { lastHeartbeatMs: NOW - 1000, draining: false, conflict: false, markedDown: false, lastHandshakeMs: null };

describe('replicaHealth', () => {
  const cases: Array<[string, Partial<HealthFacts>, HealthRules, string | null]> = [
    ['a recent heartbeat, WireGuard elsewhere', {}, RULES, null],
    ['a heartbeat exactly at the limit', { lastHeartbeatMs: NOW - 5000 }, RULES, null],
    ['no heartbeat yet', { lastHeartbeatMs: null }, RULES, 'no_heartbeat'],
    ['a stale heartbeat', { lastHeartbeatMs: NOW - 5001 }, RULES, 'heartbeat_stale'],
    ['draining', { draining: true }, RULES, 'draining'],
    ['in conflict', { conflict: true }, RULES, 'duplicate'],
    ['conflict wins over draining', { conflict: true, draining: true }, RULES, 'duplicate'],
    ['marked down', { markedDown: true }, RULES, 'marked_down'],
    ['managed WireGuard, no handshake', {}, WG, 'no_handshake'],
    ['managed WireGuard, an old handshake', { lastHandshakeMs: NOW - 180_001 }, WG, 'no_handshake'],
    ['managed WireGuard, a recent handshake', { lastHandshakeMs: NOW - 179_000 }, WG, null],
    ['managed WireGuard, handshake but stale heartbeat', { lastHandshakeMs: NOW, lastHeartbeatMs: NOW - 6000 }, WG, 'heartbeat_stale'],
  ];
  it.each(cases)('%s', (_name, facts, rules, reason) => {
    const h = replicaHealth({ ...FRESH, ...facts }, NOW, rules);
    expect(h).toEqual(reason === null ? { healthy: true } : { healthy: false, reason });
  });
});
