/**
 * The tunnel's configuration types. The tunnel package owns them; the broker maps its own
 * (validated, frozen) configuration onto them. Secrets are never part of these types: the
 * private key and a proxy password come through `TunnelDeps`.
 */

/** One WireGuard peer (the hub). */
export interface PeerConfig {
  /** The peer's base64 public key. */
  publicKey: string;
  /** host:port of the peer's UDP endpoint; the host may be a DNS name, re-resolved by the heartbeat. */
  endpoint: string;
  /** CIDRs routed to this peer. */
  allowedIps: string[];
  /** Keepalive interval in seconds, 0 when off. */
  persistentKeepalive: number;
  /**
   * `wss://host[:port]/path` of the peer's TLS carrier; empty means
   * `wss://<endpoint host>:443/wireguard`.
   */
  carrierUrl?: string;
}

/** The heartbeat through the tunnel. */
export interface HeartbeatConfig {
  /** URL fetched through the tunnel; empty disables the heartbeat (a handshake check runs instead). */
  url: string;
  /** Seconds between heartbeats. */
  intervalSeconds: number;
  /** Seconds one heartbeat may take. */
  timeoutSeconds: number;
  /** Extra time after an interval before readiness is lost. */
  graceSeconds: number;
  /** Consecutive failures before the peer endpoints are re-resolved and re-applied. */
  failuresBeforeReresolve: number;
}

/** How WireGuard's datagrams travel: UDP, the TLS carrier, or UDP first with the carrier as fallback. */
export type Transport = 'auto' | 'udp' | 'tcp';

/** The TLS carrier: how the hub is recognised and when `auto` switches. */
export interface CarrierConfig {
  /**
   * SHA-256 fingerprints of certificates the hub may present (hex, colons optional). The
   * leaf certificate must match one. Either pins or `caFile` (or both) must be set.
   */
  pinSha256: string[];
  /** PEM file of a private CA that issued the hub's certificate (the host name is checked too), or empty. */
  caFile: string;
  /** `auto`: seconds on UDP without a handshake (or heartbeat) before switching to the carrier. */
  switchAfterSeconds: number;
  /** `auto`: seconds between UDP probes while on the carrier. */
  probeIntervalSeconds: number;
  /** Seconds to open the carrier connection (proxy, TLS and WebSocket upgrade together). */
  connectTimeoutSeconds: number;
}

/** An HTTP CONNECT proxy on the way to the hub. The password, if any, comes through `TunnelDeps`. */
export interface ProxySettings {
  /** `http://host:port` of the proxy, without credentials. */
  url: string;
  /** User name for Basic proxy authentication, or null. */
  username: string | null;
  /** Hosts reached without the proxy (`NO_PROXY` syntax: names, `.suffix`, `*`, IPs, `:port`). */
  noProxy: string[];
}

/** What `startTunnel` needs to know. */
export interface TunnelOptions {
  /** WireGuard interface name (at most 15 characters). */
  interface: string;
  /** The broker's tunnel address; derived from `deploymentId` when empty. */
  localAddress: string;
  /** Deployment id the address is derived from, or null. */
  deploymentId: number | null;
  /**
   * This replica's index (0..65534, default 0): picks its address when derived from
   * `deploymentId`, and is sent to the hub with every heartbeat.
   */
  replica?: number;
  /** Link MTU, 0 for the default. */
  mtu: number;
  /** The hub(s). */
  peers: PeerConfig[];
  /** The heartbeat. */
  heartbeat: HeartbeatConfig;
  /** Path or name of the userspace implementation. */
  wireguardGo: string;
  /** Path or name of the `wg` tool. */
  wg: string;
  /** `udp` (default when absent), `tcp` or `auto`. */
  transport?: Transport;
  /** The TLS carrier (needed for `tcp` and `auto`). */
  carrier?: CarrierConfig;
  /** A CONNECT proxy for the carrier, or null. */
  proxy?: ProxySettings | null;
}
