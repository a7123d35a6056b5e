/**
 * The broker's address inside the tunnel. Each deployment gets its own address in the
 * `fdf0:59dc:33cf:9be8::/64` prefix, so the SaaS side can tell deployments apart by source.
 */
import { isIPv6 } from 'node:net';
import { TunnelErrorCode, TunnelSetupError } from './errors';

/** The IPv6 prefix every broker address lives in. */
export const BROKER_PREFIX = 'fdf0:59dc:33cf:9be8::/64';

/**
 * The local address for a deployment id: `fdf0:59dc:33cf:9be8:0:<id in hex>:0:1`.
 * Throws `TunnelSetupError` (`TUNNEL_CONFIG_INVALID`) unless the id is an integer in 1..65535.
 */
export function addressFromDeploymentId(deploymentId: number): string {
  if (!Number.isInteger(deploymentId) || deploymentId < 1 || deploymentId > 0xffff) {
    throw new TunnelSetupError(
      TunnelErrorCode.CONFIG_INVALID,
      `tunnel.deploymentId must be an integer from 1 to 65535, got ${String(deploymentId)}`,
    );
  }
  return `fdf0:59dc:33cf:9be8:0:${deploymentId.toString(16)}:0:1`;
}

/**
 * The address the broker uses: `localAddress` when set, else derived from `deploymentId`.
 * Throws `TunnelSetupError` when neither gives a valid IPv6 address.
 */
export function resolveLocalAddress(cfg: { localAddress: string; deploymentId: number | null }): string {
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
  return addressFromDeploymentId(cfg.deploymentId);
}

/** The RFC 5952 text form of an IPv6 address, so two spellings compare equal. */
export function canonicalIPv6(address: string): string {
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}
