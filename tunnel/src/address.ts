/**
 * The broker's address inside the tunnel. Each replica of each deployment gets its own
 * address in the `fdf0:59dc:33cf:9be8::/64` prefix, so the SaaS side can tell deployments and
 * replicas apart by source (WireGuard's allowed IPs make the source address proof of the peer).
 */
import { isIPv6 } from 'node:net';
import { TunnelErrorCode, TunnelSetupError } from './errors';

/** The IPv6 prefix every broker address lives in. */
export const BROKER_PREFIX = 'fdf0:59dc:33cf:9be8::/64';

/** The highest replica index: the last group of the address is the index plus one. */
export const MAX_REPLICA = 0xfffe;

/**
 * The local address of replica `replica` of a deployment:
 * `fdf0:59dc:33cf:9be8:0:<id in hex>:0:<replica + 1 in hex>`. Replica 0 keeps the address a
 * single broker always had. Throws `TunnelSetupError` (`TUNNEL_CONFIG_INVALID`) unless the id is
 * an integer in 1..65535 and the replica an integer in 0..65534.
 */
export function addressFromDeploymentId(deploymentId: number, replica = 0): string {
  if (!Number.isInteger(deploymentId) || deploymentId < 1 || deploymentId > 0xffff) {
    throw new TunnelSetupError(
      TunnelErrorCode.CONFIG_INVALID,
      `tunnel.deploymentId must be an integer from 1 to 65535, got ${String(deploymentId)}`,
    );
  }
  if (!Number.isInteger(replica) || replica < 0 || replica > MAX_REPLICA) {
    throw new TunnelSetupError(
      TunnelErrorCode.CONFIG_INVALID,
      `tunnel.replica must be an integer from 0 to ${MAX_REPLICA}, got ${String(replica)}`,
    );
  }
  return `fdf0:59dc:33cf:9be8:0:${deploymentId.toString(16)}:0:${(replica + 1).toString(16)}`;
}

/**
 * The address the broker uses: `localAddress` when set, else derived from `deploymentId`.
 * Throws `TunnelSetupError` when neither gives a valid IPv6 address.
 */
export function resolveLocalAddress(cfg: { localAddress: string; deploymentId: number | null; replica?: number }): string {
  if (cfg.localAddress !== '') {
    if (!isIPv6(cfg.localAddress)) {
      throw new TunnelSetupError(
        TunnelErrorCode.CONFIG_INVALID,
        `tunnel.localAddress must be an IPv6 address without prefix length, got "${cfg.localAddress}"`,
      );
    }
    return canonicalIPv6(cfg.localAddress);
  }
  if (cfg.deploymentId === null) {
    throw new TunnelSetupError(TunnelErrorCode.CONFIG_INVALID, 'tunnel.deploymentId or tunnel.localAddress must be set');
  }
  return addressFromDeploymentId(cfg.deploymentId, cfg.replica ?? 0);
}

/** The RFC 5952 text form of an IPv6 address, so two spellings compare equal. */
export function canonicalIPv6(address: string): string {
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}
