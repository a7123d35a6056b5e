/** The tunnel's state as `wg show <iface> dump` reports it, typed. */
import type { CommandRunner } from './exec';
import type { PeerDump } from './wg';
import { wgShowDump } from './wg';

/** One peer's state. */
export type PeerStatus = PeerDump;

/** The tunnel's state. */
export interface TunnelStatus {
  /** The WireGuard interface name. */
  interfaceName: string;
  /** The broker's public key (what the SaaS side configures as its peer). */
  publicKey: string | null;
  /** The UDP port the broker's side uses. */
  listenPort: number;
  /** One entry per configured peer. */
  peers: PeerStatus[];
}

/** Read the status of interface `iface` with `wg show <iface> dump`. */
export async function readStatus(runner: CommandRunner, wg: string, iface: string): Promise<TunnelStatus> {
  const dump = await wgShowDump(runner, wg, iface);
  return { interfaceName: iface, publicKey: dump.interface.publicKey, listenPort: dump.interface.listenPort, peers: dump.peers };
}

/** WireGuard drops a session this long after its handshake (REJECT_AFTER_TIME, whitepaper §6.1). */
export const SESSION_LIFETIME_MS = 180_000;

/** True when some peer completed a handshake within the session lifetime plus `graceMs`. */
export function hasFreshHandshake(status: TunnelStatus, now: Date, graceMs = 0): boolean {
  return status.peers.some(
    (p) => p.latestHandshake !== null && now.getTime() - p.latestHandshake.getTime() <= SESSION_LIFETIME_MS + graceMs,
  );
}
