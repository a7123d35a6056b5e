/**
 * Which replica of which deployment this broker is, when it runs a tunnel: the label on its
 * decision records, metrics and spans, so the records of several active replicas can be told
 * apart (docs/replicas.md).
 */
import type { TunnelConfig } from './types';

/** A broker replica's identity. */
export interface ReplicaIdentity {
  /** `tunnel.deploymentId`, or null when only an explicit address is configured. */
  deployment: number | null;
  /** `tunnel.replica`. */
  replica: number;
}

/** The identity when a tunnel is configured; null in local mode (no replicas to tell apart). */
export function replicaIdentity(tunnel: Pick<TunnelConfig, 'enabled' | 'deploymentId' | 'replica'>): ReplicaIdentity | null {
  return tunnel.enabled ? { deployment: tunnel.deploymentId, replica: tunnel.replica } : null;
}

/** `{deployment, replica}` as decimal strings (deployment only when known); empty without identity. */
export function replicaLabels(identity: ReplicaIdentity | null): Record<string, string> {
  if (identity === null) return {};
  return identity.deployment === null ? { replica: String(identity.replica) } : { deployment: String(identity.deployment), replica: String(identity.replica) };
}
