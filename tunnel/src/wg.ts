/**
 * Why this exists: `wg` is the only interface to a WireGuard device, and its input and output
 * carry the private key. This module builds `wg setconf` input (handed over in a private file,
 * never on argv) and parses `wg show <iface> dump`, dropping the private and preshared keys as it reads.
 */
import type { PeerConfig } from './config';
import type { CommandRunner } from './exec';
import { runChecked } from './exec';
import { withSecretFile } from './secret-file';

/** The interface line of `wg show <iface> dump`, without its private key. */
export interface InterfaceDump {
  /** Base64 public key, or null when no private key is set. */
  publicKey: string | null;
  /** UDP port the device listens on (0 when not listening). */
  listenPort: number;
  /** Firewall mark, or null when off. */
  fwmark: number | null;
}

/** One peer line of `wg show <iface> dump`. */
export interface PeerDump {
  /** The peer's base64 public key. */
  publicKey: string;
  /** Never read: preshared keys are secrets and are dropped while parsing. */
  presharedKey?: never;
  /** `ip:port` the peer was last seen at, or null. */
  endpoint: string | null;
  /** CIDRs routed to this peer. */
  allowedIps: string[];
  /** Time of the latest completed handshake, or null when none happened yet. */
  latestHandshake: Date | null;
  /** Bytes received from the peer. */
  rxBytes: number;
  /** Bytes sent to the peer. */
  txBytes: number;
  /** Keepalive interval in seconds, 0 when off. */
  persistentKeepalive: number;
}

/** The parsed output of `wg show <iface> dump`. */
export interface WgDump {
  /** The device itself. */
  interface: InterfaceDump;
  /** Its peers, in `wg` order. */
  peers: PeerDump[];
}

/** Peer settings for `wg setconf`; `endpoint` is already resolved (`ip:port`). */
export type SetconfPeer = Pick<PeerConfig, 'publicKey' | 'allowedIps' | 'persistentKeepalive'> & { endpoint: string };

/**
 * The text of a `wg setconf` file (wg(8) CONFIGURATION FILE FORMAT): the private key, the
 * listen port when given (a hub listens on a fixed port; a broker on any), and one `[Peer]`
 * section per peer. `endpoints` maps a peer's public key to its resolved `ip:port`, overriding
 * `peer.endpoint`. The result contains the private key: pass it on stdin only.
 */
export function buildSetconf(
  cfg: { peers: readonly PeerConfig[]; listenPort?: number },
  privateKey: string,
  endpoints: ReadonlyMap<string, string> = new Map(),
): string {
  const lines = ['[Interface]', `PrivateKey = ${privateKey}`];
  if (cfg.listenPort !== undefined && cfg.listenPort > 0) lines.push(`ListenPort = ${cfg.listenPort}`);
  for (const p of cfg.peers) {
    const peer: SetconfPeer = { ...p, endpoint: endpoints.get(p.publicKey) ?? p.endpoint };
    lines.push('', '[Peer]', `PublicKey = ${peer.publicKey}`);
    if (peer.endpoint !== '') lines.push(`Endpoint = ${peer.endpoint}`);
    if (peer.allowedIps.length > 0) lines.push(`AllowedIPs = ${peer.allowedIps.join(', ')}`);
    if (peer.persistentKeepalive > 0) lines.push(`PersistentKeepalive = ${peer.persistentKeepalive}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The arguments of `wg set <iface> peer …` that (re-)create one peer. They hold only public
 * values, so they may go on argv.
 */
export function buildSetPeerArgs(iface: string, peer: SetconfPeer): string[] {
  const args = ['set', iface, 'peer', peer.publicKey];
  if (peer.endpoint !== '') args.push('endpoint', peer.endpoint);
  if (peer.allowedIps.length > 0) args.push('allowed-ips', peer.allowedIps.join(','));
  if (peer.persistentKeepalive > 0) args.push('persistent-keepalive', String(peer.persistentKeepalive));
  return args;
}

const NONE = '(none)';

function parseCount(field: string | undefined, what: string): number {
  const n = Number(field);
  if (field === undefined || field === '' || !Number.isSafeInteger(n) || n < 0) {
    throw new Error(`wg dump: ${what} is not a number`);
  }
  return n;
}

function parseOptional(field: string | undefined): string | null {
  return field === undefined || field === NONE || field === '' ? null : field;
}

/**
 * Parse `wg show <iface> dump`. The first line is the interface (its first field, the private
 * key, is skipped without being kept); every other line is a peer. Throws on malformed input
 * with a message that quotes no field.
 */
export function parseDump(text: string): WgDump {
  const lines = text.split('\n').filter((l) => l !== '');
  const first = lines.shift();
  if (first === undefined) throw new Error('wg dump: empty output');
  const f = first.split('\t');
  if (f.length !== 4) throw new Error(`wg dump: interface line has ${f.length} fields, expected 4`);
  const iface: InterfaceDump = {
    publicKey: parseOptional(f[1]),
    listenPort: parseCount(f[2], 'listen port'),
    fwmark: f[3] === 'off' ? null : parseCount(f[3], 'fwmark'),
  };
  const peers = lines.map((line, i): PeerDump => {
    const p = line.split('\t');
    if (p.length !== 8) throw new Error(`wg dump: peer line ${i + 1} has ${p.length} fields, expected 8`);
    const handshake = parseCount(p[4], 'latest handshake');
    const allowed = parseOptional(p[3]);
    return {
      publicKey: p[0] ?? '',
      endpoint: parseOptional(p[2]),
      allowedIps: allowed === null ? [] : allowed.split(','),
      latestHandshake: handshake === 0 ? null : new Date(handshake * 1000),
      rxBytes: parseCount(p[5], 'rx bytes'),
      txBytes: parseCount(p[6], 'tx bytes'),
      persistentKeepalive: p[7] === 'off' ? 0 : parseCount(p[7], 'persistent keepalive'),
    };
  });
  return { interface: iface, peers };
}

/** Apply a full configuration with `wg setconf <iface> <file>`, the file private and short-lived. */
export async function wgSetconf(runner: CommandRunner, wg: string, iface: string, conf: string, privateKey: string): Promise<void> {
  await withSecretFile(conf, (file) => runChecked(runner, wg, ['setconf', iface, file], { redact: [privateKey] }));
}

/** Read and parse `wg show <iface> dump`. */
export async function wgShowDump(runner: CommandRunner, wg: string, iface: string): Promise<WgDump> {
  return parseDump(await runChecked(runner, wg, ['show', iface, 'dump']));
}

/** Add or update one peer with `wg set` (its session, if any, is kept). */
export async function wgSetPeer(runner: CommandRunner, wg: string, iface: string, peer: SetconfPeer): Promise<void> {
  await runChecked(runner, wg, buildSetPeerArgs(iface, peer));
}

/** Remove one peer with `wg set <iface> peer <key> remove`. */
export async function wgRemovePeer(runner: CommandRunner, wg: string, iface: string, publicKey: string): Promise<void> {
  await runChecked(runner, wg, ['set', iface, 'peer', publicKey, 'remove']);
}

/**
 * Replace one peer: remove it, then add it again with `peer`'s settings. Removing drops the
 * peer's session, so the next packet starts a fresh handshake; that is what recovers a tunnel
 * whose far side restarted and lost its session keys (WireGuard alone waits out its timers).
 */
export async function wgReplacePeer(runner: CommandRunner, wg: string, iface: string, peer: SetconfPeer): Promise<void> {
  await runChecked(runner, wg, ['set', iface, 'peer', peer.publicKey, 'remove']);
  await runChecked(runner, wg, buildSetPeerArgs(iface, peer));
}
