/**
 * The hub's WireGuard interface, built with the tunnel package's own wrapper: one interface,
 * every registered replica a peer whose allowed IP is its own /128 (so a source address proves
 * the key), the hub's address on it and a route for the broker prefix. A reload changes peers
 * one by one with `wg set`, never with a new `setconf`, so the other tunnels keep their
 * sessions.
 */
import { isIPv6 } from 'node:net';
import type { CommandRunner } from '../../tunnel/src/index';
import { BROKER_PREFIX, buildSetconf, bringUp, isValidKey, runChecked, wgRemovePeer, wgSetPeer, wgShowDump } from '../../tunnel/src/index';
import { HubConfigError } from './errors';
import type { HubLogger } from './logger';
import type { WireguardSettings } from './types';

/** A replica as a WireGuard peer. */
export interface HubPeer {
  readonly publicKey: string;
  readonly address: string;
}

/** Peers to add, remove and re-address. */
export interface PeerDiff {
  add: HubPeer[];
  remove: HubPeer[];
  update: HubPeer[];
}

/** A peer's allowed IP: exactly its address. */
export function allowedIp(address: string): string {
  return isIPv6(address) ? `${address}/128` : `${address}/32`;
}

const PREFIX_START = `${BROKER_PREFIX.split('::')[0] ?? ''}:`;

/** Routes into the interface: the broker prefix, and each replica address configured outside it. */
export function peerRoutes(peers: readonly HubPeer[]): string[] {
  const outside = peers.filter((p) => !p.address.startsWith(PREFIX_START)).map((p) => allowedIp(p.address));
  return [BROKER_PREFIX, ...new Set(outside)];
}

/** What changes between two peer lists, by public key. */
export function diffPeers(current: readonly HubPeer[], next: readonly HubPeer[]): PeerDiff {
  const now = new Map(current.map((p) => [p.publicKey, p]));
  const then = new Map(next.map((p) => [p.publicKey, p]));
  return {
    remove: current.filter((p) => !then.has(p.publicKey)),
    update: next.filter((p) => now.has(p.publicKey) && now.get(p.publicKey)?.address !== p.address),
    add: next.filter((p) => !now.has(p.publicKey)),
  };
}

/** What `startHubWireguard` needs. */
export interface HubWireguardOptions {
  settings: WireguardSettings;
  /** The hub's private key (read from its reference by the caller). */
  privateKey: string;
  peers: readonly HubPeer[];
  runner: CommandRunner;
  logger: HubLogger;
  /** Called once if `wireguard-go` exits while the interface is meant to be up. */
  onExit: (err: Error) => void;
}

/** The hub's interface, up. */
export interface HubWireguard {
  /** Kernel module or `wireguard-go`. */
  readonly mode: 'kernel' | 'userspace';
  /** Change the peers to `next` by difference; returns what changed. */
  applyPeers(next: readonly HubPeer[]): Promise<PeerDiff>;
  /** Latest handshake per public key (ms since the epoch, null when none yet). */
  handshakes(): Promise<Map<string, number | null>>;
  /** Remove the interface. Idempotent. */
  down(): Promise<void>;
}

const asSetPeer = (p: HubPeer): { publicKey: string; endpoint: string; allowedIps: string[]; persistentKeepalive: number } => ({
  publicKey: p.publicKey, endpoint: '', allowedIps: [allowedIp(p.address)], persistentKeepalive: 0,
});

/** Bring the interface up with every peer. */
export async function startHubWireguard(o: HubWireguardOptions): Promise<HubWireguard> {
  if (!isValidKey(o.privateKey)) throw new HubConfigError('wireguard.privateKey: not a WireGuard private key (base64 of 32 bytes)');
  const s = o.settings;
  const peerConfigs = o.peers.map(asSetPeer);
  const iface = await bringUp({
    name: s.interface, wg: s.wg, wireguardGo: s.wireguardGo, mtu: s.mtu, localAddress: s.address,
    routes: peerRoutes(o.peers),
    setconf: buildSetconf({ peers: peerConfigs, listenPort: s.listenPort }, o.privateKey),
    privateKey: o.privateKey, runner: o.runner, onExit: o.onExit,
  });
  let current: HubPeer[] = [...o.peers];
  const ip = (args: string[]): Promise<string> => runChecked(o.runner, 'ip', args);
  const family = (cidr: string): string => (cidr.includes(':') ? '-6' : '-4');

  return {
    mode: iface.mode,
    async applyPeers(next) {
      const diff = diffPeers(current, next);
      const before = new Set(peerRoutes(current));
      // `current` follows each step, so a failure part-way leaves it true to the interface.
      for (const p of diff.remove) {
        await wgRemovePeer(o.runner, s.wg, s.interface, p.publicKey);
        current = current.filter((c) => c.publicKey !== p.publicKey);
      }
      for (const p of [...diff.update, ...diff.add]) {
        await wgSetPeer(o.runner, s.wg, s.interface, asSetPeer(p));
        current = [...current.filter((c) => c.publicKey !== p.publicKey), p];
      }
      const after = new Set(peerRoutes(current));
      for (const cidr of after) if (!before.has(cidr)) await ip([family(cidr), 'route', 'replace', cidr, 'dev', s.interface]);
      for (const cidr of before) if (!after.has(cidr)) await o.runner.run('ip', [family(cidr), 'route', 'del', cidr, 'dev', s.interface]);
      return diff;
    },
    async handshakes() {
      const dump = await wgShowDump(o.runner, s.wg, s.interface);
      return new Map(dump.peers.map((p) => [p.publicKey, p.latestHandshake?.getTime() ?? null]));
    },
    down: () => iface.down(),
  };
}
