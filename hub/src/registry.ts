/**
 * The registered replicas and what the hub knows about each (heartbeats, handshakes, draining,
 * conflicts, failed connections), looked up by source address for heartbeats and by deployment
 * for routing. A reload replaces the registrations by difference: a replica whose deployment,
 * index, key and address are unchanged keeps its state.
 */
import type { InstanceHistory } from './duplicates';
import { EMPTY_HISTORY, inConflict, observeInstance } from './duplicates';
import type { Health, HealthRules } from './health';
import { replicaHealth } from './health';
import type { DeploymentConfig } from './types';

/** One replica's registration and state. Only the registry changes it. */
export interface ReplicaState {
  readonly deploymentId: number;
  readonly deploymentName: string | null;
  readonly index: number;
  readonly publicKey: string;
  readonly address: string;
  /** Latest accepted heartbeat, ms since the epoch. */
  lastHeartbeatMs: number | null;
  /** The state its latest heartbeat gave. */
  draining: boolean;
  /** A connection to it failed since its latest heartbeat. */
  markedDown: boolean;
  /** Its instance ids, for duplicate detection. */
  history: InstanceHistory;
  /** Latest WireGuard handshake, ms since the epoch. */
  lastHandshakeMs: number | null;
  /** The health last reported (for logging changes). */
  reported: Health;
}

/** The rules the registry judges by. */
export interface RegistryRules extends HealthRules {
  /** Window of duplicate detection. */
  duplicateWindowMs: number;
}

/** A replica's health changed (logged, counted). */
export interface HealthChange {
  replica: ReplicaState;
  health: Health;
}

/** What a heartbeat did to its replica. */
export interface HeartbeatEffect {
  /** The replica is in conflict now. */
  conflict: boolean;
  /** This heartbeat put it into conflict (it was not before). */
  conflictStarted: boolean;
}

/** Registrations added and removed by `apply`. */
export interface RegistryDiff {
  added: ReplicaState[];
  removed: ReplicaState[];
}

const NOT_YET: Health = { healthy: false, reason: 'no_heartbeat' };

function identity(d: number, r: { index: number; publicKey: string; address: string }): string {
  return `${d}|${r.index}|${r.publicKey}|${r.address}`;
}

export class Registry {
  private byId = new Map<number, { name: string | null; replicas: ReplicaState[]; next: number }>();
  private byAddr = new Map<string, ReplicaState>();

  constructor(
    deployments: readonly DeploymentConfig[],
    private rules: RegistryRules,
    private readonly now: () => number,
  ) {
    this.apply(deployments);
  }

  /** Replace the registrations, keeping the state of every replica whose identity is unchanged. */
  apply(deployments: readonly DeploymentConfig[]): RegistryDiff {
    const old = new Map<string, ReplicaState>();
    for (const r of this.byAddr.values()) old.set(identity(r.deploymentId, r), r);
    const byId = new Map<number, { name: string | null; replicas: ReplicaState[]; next: number }>();
    const byAddr = new Map<string, ReplicaState>();
    const added: ReplicaState[] = [];
    for (const d of deployments) {
      const replicas = d.replicas.map((rc): ReplicaState => {
        const key = identity(d.id, rc);
        const kept = old.get(key);
        old.delete(key);
        if (kept !== undefined && kept.deploymentName === d.name) return kept;
        const fresh: ReplicaState = kept !== undefined
          ? { ...kept, deploymentName: d.name }
          : {
              deploymentId: d.id, deploymentName: d.name, index: rc.index, publicKey: rc.publicKey, address: rc.address,
              lastHeartbeatMs: null, draining: false, markedDown: false, history: EMPTY_HISTORY, lastHandshakeMs: null, reported: NOT_YET,
            };
        if (kept === undefined) added.push(fresh);
        return fresh;
      });
      const before = this.byId.get(d.id);
      byId.set(d.id, { name: d.name, replicas, next: before?.next ?? 0 });
      for (const r of replicas) byAddr.set(r.address, r);
    }
    this.byId = byId;
    this.byAddr = byAddr;
    return { added, removed: [...old.values()] };
  }

  /** Change the thresholds (reload). */
  setRules(rules: RegistryRules): void {
    this.rules = rules;
  }

  /** The replica a source address proves, if any. */
  byAddress(address: string): ReplicaState | undefined {
    return this.byAddr.get(address);
  }

  /** The replicas of a deployment, or undefined when the id is not registered. */
  deployment(id: number): readonly ReplicaState[] | undefined {
    return this.byId.get(id)?.replicas;
  }

  /** Every replica. */
  all(): ReplicaState[] {
    return [...this.byAddr.values()];
  }

  /** Is `r` healthy now? */
  health(r: ReplicaState): Health {
    const facts = { ...r, conflict: inConflict(r.history, this.now()) };
    return replicaHealth(facts, this.now(), this.rules);
  }

  /**
   * Whether `r` is gone, whatever else is true of it: its heartbeats went stale or (with managed
   * WireGuard) its handshakes stopped. Null while it is still heard from.
   */
  gone(r: ReplicaState): 'heartbeat_stale' | 'no_handshake' | null {
    if (r.lastHeartbeatMs === null) return null;
    const h = replicaHealth({ ...r, draining: false, markedDown: false, conflict: false }, this.now(), this.rules);
    return !h.healthy && (h.reason === 'heartbeat_stale' || h.reason === 'no_handshake') ? h.reason : null;
  }

  /** The next healthy replica of deployment `id` in round-robin order, skipping `exclude`; null when none. */
  pick(id: number, exclude: ReadonlySet<ReplicaState>): ReplicaState | null {
    const d = this.byId.get(id);
    if (d === undefined) return null;
    const n = d.replicas.length;
    for (let i = 0; i < n; i += 1) {
      const r = d.replicas[(d.next + i) % n];
      if (r === undefined || exclude.has(r) || !this.health(r).healthy) continue;
      d.next = (d.next + i + 1) % n;
      return r;
    }
    return null;
  }

  /** Record an accepted heartbeat (state and instance id already validated). */
  heartbeat(r: ReplicaState, draining: boolean, instance: string | null): HeartbeatEffect {
    const now = this.now();
    const wasInConflict = inConflict(r.history, now);
    const o = observeInstance(r.history, instance, now, this.rules.duplicateWindowMs);
    r.history = o.history;
    r.lastHeartbeatMs = now;
    r.draining = draining;
    r.markedDown = false;
    return { conflict: o.conflict, conflictStarted: o.conflict && !wasInConflict };
  }

  /** A connection to `r` failed: not routed to until its next heartbeat. True when it was not down already. */
  markDown(r: ReplicaState): boolean {
    const was = r.markedDown;
    r.markedDown = true;
    return !was;
  }

  /** Record handshake times read from WireGuard, by public key. */
  handshakes(times: ReadonlyMap<string, number | null>): void {
    for (const r of this.byAddr.values()) {
      const t = times.get(r.publicKey);
      if (t !== undefined) r.lastHandshakeMs = t;
    }
  }

  /** Judge every replica; return those that turned healthy or unhealthy since the last sweep. */
  sweep(): HealthChange[] {
    const changes: HealthChange[] = [];
    for (const r of this.byAddr.values()) {
      const h = this.health(r);
      const flipped = h.healthy !== r.reported.healthy;
      r.reported = h;
      if (flipped) changes.push({ replica: r, health: h });
    }
    return changes;
  }
}
