/**
 * Why this exists: two broker processes configured with the same key (or the same address)
 * both reach the hub as one replica. WireGuard lets the latest one win, so they take turns,
 * and requests meant for one land on the other. Each broker process sends a random instance
 * id; the ids of a replica flipping BACK (A, then B, then A again within the window) prove
 * two processes. A single change A → B is a restart and is fine.
 */

/** What the hub remembers of a replica's instance ids. Immutable; `observeInstance` returns a new one. */
export interface InstanceHistory {
  /** The instance id of the latest heartbeat. */
  readonly current: string | null;
  /** Each id seen within the window, with when it was last seen (ms). */
  readonly seen: ReadonlyMap<string, number>;
  /** The replica is in conflict until this time (ms); each flip back extends it. */
  readonly conflictUntilMs: number;
}

/** No heartbeat seen yet. */
export const EMPTY_HISTORY: InstanceHistory = Object.freeze({ current: null, seen: new Map<string, number>(), conflictUntilMs: 0 });

/** The result of one observation. */
export interface Observation {
  history: InstanceHistory;
  /** The replica is in conflict now. */
  conflict: boolean;
  /** This heartbeat was an id coming back after another one (a proof of two processes). */
  flippedBack: boolean;
}

/** True while the replica is in conflict. */
export function inConflict(h: InstanceHistory, nowMs: number): boolean {
  return nowMs < h.conflictUntilMs;
}

/**
 * Record a heartbeat's instance id. A heartbeat without one (an older broker) tells nothing
 * and changes nothing.
 */
export function observeInstance(h: InstanceHistory, instance: string | null, nowMs: number, windowMs: number): Observation {
  if (instance === null) return { history: h, conflict: inConflict(h, nowMs), flippedBack: false };
  const seen = new Map([...h.seen].filter(([, at]) => nowMs - at <= windowMs));
  const flippedBack = h.current !== null && instance !== h.current && seen.has(instance);
  seen.set(instance, nowMs);
  const conflictUntilMs = flippedBack ? nowMs + windowMs : h.conflictUntilMs;
  const history: InstanceHistory = { current: instance, seen, conflictUntilMs };
  return { history, conflict: inConflict(history, nowMs), flippedBack };
}
