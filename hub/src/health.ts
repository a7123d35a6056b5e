/**
 * Whether a replica may be routed to: a pure function of what the hub knows about it, so the
 * rule of the protocol (docs/hub.md, "Healthy") lives in one place and is tested as a table.
 */

/** Why a replica is not routed to, in the order the checks run. */
export type UnhealthyReason = 'duplicate' | 'draining' | 'marked_down' | 'no_heartbeat' | 'heartbeat_stale' | 'no_handshake';

/** What the hub knows about one replica at a moment. */
export interface HealthFacts {
  /** Time of its latest accepted heartbeat (ms since the epoch), or null. */
  lastHeartbeatMs: number | null;
  /** Its latest heartbeat said `draining`. */
  draining: boolean;
  /** Two processes are heartbeating as this replica. */
  conflict: boolean;
  /** A connection to it failed since its latest heartbeat. */
  markedDown: boolean;
  /** Time of its latest WireGuard handshake, or null (only read when the hub manages WireGuard). */
  lastHandshakeMs: number | null;
}

/** The thresholds health is judged by. */
export interface HealthRules {
  /** A heartbeat older than this is stale. */
  staleAfterMs: number;
  /** Require a handshake within `handshakeMaxAgeMs` (true when the hub manages WireGuard). */
  requireHandshake: boolean;
  /** WireGuard's session lifetime (180 s). */
  handshakeMaxAgeMs: number;
}

/** The verdict. */
export type Health = { healthy: true } | { healthy: false; reason: UnhealthyReason };

/** Judge one replica at `nowMs`. */
export function replicaHealth(f: HealthFacts, nowMs: number, rules: HealthRules): Health {
  if (f.conflict) return { healthy: false, reason: 'duplicate' };
  if (f.draining) return { healthy: false, reason: 'draining' };
  if (f.markedDown) return { healthy: false, reason: 'marked_down' };
  if (f.lastHeartbeatMs === null) return { healthy: false, reason: 'no_heartbeat' };
  if (nowMs - f.lastHeartbeatMs > rules.staleAfterMs) return { healthy: false, reason: 'heartbeat_stale' };
  if (rules.requireHandshake && (f.lastHandshakeMs === null || nowMs - f.lastHandshakeMs > rules.handshakeMaxAgeMs)) {
    return { healthy: false, reason: 'no_handshake' };
  }
  return { healthy: true };
}
