/**
 * Why this exists: the heartbeat is how the hub learns which replicas may take traffic, so it
 * must not be spoofable. A replica is identified by the source address of the connection,
 * which WireGuard's allowed IPs make proof of its key; the headers a broker sends are only
 * claims, checked against that proof. Draining is recorded before the answer is sent, so a
 * broker that has its 200 knows no new request will come; and the answer waits (briefly) until
 * the requests already sent to it have been answered, because a broker closes its listener on
 * that 200 and a request it has not read by then would be cut off.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIPv6 } from 'node:net';
import { MAX_REPLICA, canonicalIPv6 } from '../../tunnel/src/index';
import { sendError, sendJson, sourceAddress } from './answer';
import { HubErrorCode } from './errors';
import type { HubLogger } from './logger';
import type { HubMetrics } from './metrics';
import type { Registry, ReplicaState } from './registry';

/** The protocol's request headers. */
export const HEARTBEAT_HEADERS = Object.freeze({
  deployment: 'x-rego-broker-deployment',
  replica: 'x-rego-broker-replica',
  instance: 'x-rego-broker-instance',
  state: 'x-rego-broker-state',
});

/** What the headers of one heartbeat claim (each null when absent). */
export interface HeartbeatClaims {
  deployment: number | null;
  replica: number | null;
  instance: string | null;
  draining: boolean;
}

const DECIMAL = /^(0|[1-9][0-9]{0,4})$/;
const INSTANCE = /^[0-9a-f]{16,64}$/;

/** Parse the heartbeat headers; a string naming the bad header when one is malformed. */
export function parseClaims(headers: IncomingMessage['headers']): HeartbeatClaims | string {
  const one = (name: string): string | null | undefined => {
    const v = headers[name];
    if (v === undefined) return null;
    return typeof v === 'string' ? v.trim() : undefined;
  };
  const num = (name: string, min: number, max: number): number | null | string => {
    const v = one(name);
    if (v === null) return null;
    if (v === undefined || !DECIMAL.test(v) || Number(v) < min || Number(v) > max) return `${name} must be a decimal from ${min} to ${max}`;
    return Number(v);
  };
  const deployment = num(HEARTBEAT_HEADERS.deployment, 1, 0xffff);
  if (typeof deployment === 'string') return deployment;
  const replica = num(HEARTBEAT_HEADERS.replica, 0, MAX_REPLICA);
  if (typeof replica === 'string') return replica;
  const instance = one(HEARTBEAT_HEADERS.instance);
  if (instance === undefined || (instance !== null && !INSTANCE.test(instance.toLowerCase()))) {
    return `${HEARTBEAT_HEADERS.instance} must be 16 to 64 hex digits`;
  }
  const state = one(HEARTBEAT_HEADERS.state);
  if (state === undefined || (state !== null && state !== 'serving' && state !== 'draining')) {
    return `${HEARTBEAT_HEADERS.state} must be serving or draining`;
  }
  return { deployment, replica, instance: instance?.toLowerCase() ?? null, draining: state === 'draining' };
}

/** What the heartbeat handler needs. */
export interface HeartbeatDeps {
  registry: Registry;
  metrics: HubMetrics;
  logger: HubLogger;
  /** Called after every accepted heartbeat (health may have changed). */
  changed: () => void;
  /** Resolves when no request sent to `r` is waiting for its answer. */
  idle: (r: ReplicaState) => Promise<void>;
  /** Read WireGuard's handshakes now (a replica heard from before the hub has read its handshake). */
  refreshHandshakes?: () => Promise<void>;
}

/** Longest a draining heartbeat's answer waits for the requests sent to the replica (well under a broker's heartbeat timeout). */
export const DRAINING_HOLD_MS = 500;

/** Log at most one line per source address per minute for refused heartbeats (a misconfigured broker retries every interval). */
class Quieter {
  private readonly last = new Map<string, number>();
  allow(key: string, now: number): boolean {
    const t = this.last.get(key);
    if (t !== undefined && now - t < 60_000) return false;
    if (this.last.size >= 1000) this.last.clear();
    this.last.set(key, now);
    return true;
  }
}

/** The heartbeat listener's request handler (any method, any path). */
export function heartbeatHandler(deps: HeartbeatDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const quiet = new Quieter();
  return (req, res) => {
    req.resume();
    const raw = sourceAddress(req.socket.remoteAddress);
    const source = isIPv6(raw) ? canonicalIPv6(raw) : raw;
    const r = deps.registry.byAddress(source);
    if (r === undefined) {
      deps.metrics.heartbeat(null, 'unknown_peer');
      if (quiet.allow(`peer|${source}`, Date.now())) deps.logger.warn({ source }, 'heartbeat from an address that is no registered replica');
      return sendError(res, HubErrorCode.UNKNOWN_PEER);
    }
    const claims = parseClaims(req.headers);
    if (typeof claims === 'string') {
      deps.metrics.heartbeat(r, 'bad_request');
      if (quiet.allow(`bad|${source}`, Date.now())) deps.logger.warn({ ...who(r), problem: claims }, 'malformed heartbeat');
      return sendError(res, HubErrorCode.BAD_HEARTBEAT, claims);
    }
    if ((claims.deployment !== null && claims.deployment !== r.deploymentId) || (claims.replica !== null && claims.replica !== r.index)) {
      deps.metrics.heartbeat(r, 'mismatch');
      const claimed = { claimedDeployment: claims.deployment, claimedReplica: claims.replica };
      if (quiet.allow(`mismatch|${source}`, Date.now())) deps.logger.warn({ ...who(r), ...claimed }, 'heartbeat headers contradict the source address');
      return sendError(res, HubErrorCode.REPLICA_MISMATCH, `the source address is deployment ${r.deploymentId} replica ${r.index}; the headers claim another`);
    }
    const effect = deps.registry.heartbeat(r, claims.draining, claims.instance);
    deps.changed();
    if (effect.conflict) {
      deps.metrics.heartbeat(r, 'duplicate');
      if (effect.conflictStarted) {
        deps.logger.error({ ...who(r), instances: [...r.history.seen.keys()] }, 'two broker processes are heartbeating as one replica (same key or address configured twice); not routing to it');
      }
      return sendError(res, HubErrorCode.DUPLICATE_REPLICA);
    }
    deps.metrics.heartbeat(r, claims.draining ? 'draining' : 'serving');
    const answer = (): void => sendJson(res, 200, { deployment: r.deploymentId, replica: r.index, state: claims.draining ? 'draining' : 'serving' });
    const health = deps.registry.health(r);
    if (!claims.draining && !health.healthy && health.reason === 'no_handshake' && deps.refreshHandshakes !== undefined) {
      // A heartbeat came through the tunnel, so a handshake happened that the hub has not read yet:
      // read it before answering, so a broker that sees its first heartbeat answered is routed to.
      void deps.refreshHandshakes().finally(() => {
        deps.changed();
        answer();
      });
      return;
    }
    if (!claims.draining) return answer();
    // No new request goes to it from here on; let those it was sent reach it before it stops accepting.
    let timer: NodeJS.Timeout | undefined;
    const held = new Promise<void>((resolve) => (timer = setTimeout(resolve, DRAINING_HOLD_MS)));
    void Promise.race([deps.idle(r), held]).then(() => {
      clearTimeout(timer);
      answer();
    });
  };
}

/** The fields that name a replica in a log line. */
export function who(r: ReplicaState): Record<string, string | number> {
  return { deployment: r.deploymentId, ...(r.deploymentName !== null ? { deploymentName: r.deploymentName } : {}), replica: r.index, address: r.address };
}
