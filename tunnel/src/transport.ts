/**
 * Which way WireGuard's datagrams go: straight over UDP, or through the TLS carrier (a local
 * relay per peer). `udp` and `tcp` are fixed; `auto` starts on UDP, moves to the carrier when
 * no handshake (or heartbeat) succeeds within `switchAfterSeconds`, probes UDP every
 * `probeIntervalSeconds` while on the carrier (each datagram is then sent both ways) and moves
 * back when the hub answers over UDP. Moving only changes the peer's endpoint (`wg set … endpoint`):
 * the WireGuard session survives, and the relay keeps delivering for a while after a move, so
 * packets in flight are not lost. Each move is logged once and counted.
 */
import type { CarrierConfig, PeerConfig, ProxySettings, Transport } from './config';
import type { HubIdentity, ProxyRoute } from './carrier/connect';
import { bypassesProxy } from './carrier/no-proxy';
import { CarrierRelay, parseCarrierUrl } from './carrier/relay';
import type { RelayStats } from './carrier/relay';
import { parseEndpoint } from './endpoint';
import type { CommandRunner } from './exec';
import { runChecked } from './exec';
import type { HeartbeatState } from './heartbeat';
import type { TunnelLogger } from './logger';
import type { TunnelStatus } from './status';
import { SESSION_LIFETIME_MS } from './status';

/** The transport in use. */
export type ActiveTransport = 'udp' | 'tcp';

/** The default carrier URL of a peer: `wss://<endpoint host>:443/wireguard`. */
export function carrierUrlFor(peer: PeerConfig): string {
  if (peer.carrierUrl !== undefined && peer.carrierUrl !== '') return peer.carrierUrl;
  const host = parseEndpoint(peer.endpoint)?.host ?? '';
  return `wss://${host.includes(':') ? `[${host}]` : host}:443/wireguard`;
}

/** The proxy route to `url`, or null when there is no proxy or NO_PROXY exempts the host. */
export function proxyRouteFor(url: string, proxy: ProxySettings | null | undefined, password: string | null): ProxyRoute | null {
  if (proxy === null || proxy === undefined || proxy.url === '') return null;
  const { host, port } = parseCarrierUrl(url);
  if (bypassesProxy(host, port, proxy.noProxy)) return null;
  const p = new URL(proxy.url);
  return { host: p.hostname.replace(/^\[|\]$/g, ''), port: p.port === '' ? 80 : Number(p.port), username: proxy.username, password };
}

/** What the controller needs. */
export interface TransportOptions {
  mode: Transport;
  interfaceName: string;
  wg: string;
  peers: readonly PeerConfig[];
  carrier: CarrierConfig;
  identity: HubIdentity;
  proxy: ProxySettings | null;
  proxyPassword: string | null;
  runner: CommandRunner;
  logger: TunnelLogger;
  /** Latest status and heartbeat state (null when the heartbeat checks handshakes only). */
  status: () => Promise<TunnelStatus>;
  heartbeat: () => HeartbeatState | null;
  /** The heartbeat's interval, ms. */
  heartbeatIntervalMs: number;
  /** Peer public key → resolved UDP endpoint (`ip:port`), kept current by re-resolution. */
  udpEndpoints: ReadonlyMap<string, string>;
}

function hostPort(endpoint: string | undefined): { host: string; port: number } | null {
  const p = endpoint === undefined ? null : parseEndpoint(endpoint);
  return p === null ? null : { host: p.host, port: p.port };
}

/** Holds the relays and decides, in `auto`, when to move. */
export class TransportController {
  private readonly o: TransportOptions;
  private readonly relays = new Map<string, { relay: CarrierRelay; endpoint: string }>();
  private active: ActiveTransport;
  private enteredAt = Date.now();
  private changes = 0;
  private timer: NodeJS.Timeout | null = null;
  private lingerTimer: NodeJS.Timeout | null = null;
  private nextProbeAt = 0;
  private probeEndsAt = 0;
  private moving = false;
  private stopped = false;

  constructor(options: TransportOptions) {
    this.o = options;
    this.active = options.mode === 'tcp' ? 'tcp' : 'udp';
  }

  /** The transport in use now. */
  current(): ActiveTransport {
    return this.active;
  }

  /** Moves since start. */
  changesTotal(): number {
    return this.changes;
  }

  /** Relay counters per peer (empty on UDP once the relays are closed). */
  relayStats(): Map<string, RelayStats> {
    return new Map([...this.relays].map(([k, v]) => [k, v.relay.stats()]));
  }

  /** The endpoint WireGuard should use for `peer` now. */
  endpointFor(publicKey: string): string {
    if (this.active === 'tcp') {
      const r = this.relays.get(publicKey);
      if (r !== undefined) return r.endpoint;
    }
    return this.o.udpEndpoints.get(publicKey) ?? '';
  }

  /** A peer's UDP endpoint was resolved again. */
  udpEndpointChanged(publicKey: string): void {
    this.relays.get(publicKey)?.relay.setUdpEndpoint(hostPort(this.o.udpEndpoints.get(publicKey)));
  }

  private async openRelays(): Promise<void> {
    for (const peer of this.o.peers) {
      if (this.relays.has(peer.publicKey)) continue;
      const url = carrierUrlFor(peer);
      const relay = new CarrierRelay({
        url,
        target: { identity: this.o.identity, proxy: proxyRouteFor(url, this.o.proxy, this.o.proxyPassword), timeoutMs: this.o.carrier.connectTimeoutSeconds * 1000 },
        udpEndpoint: hostPort(this.o.udpEndpoints.get(peer.publicKey)),
        logger: this.o.logger,
      });
      const port = await relay.start();
      this.relays.set(peer.publicKey, { relay, endpoint: `127.0.0.1:${port}` });
    }
  }

  private closeRelays(): void {
    for (const { relay } of this.relays.values()) relay.close();
    this.relays.clear();
  }

  /** Before the interface is configured: open the relays when starting on the carrier. */
  async prepare(): Promise<void> {
    if (this.active === 'tcp') await this.openRelays();
  }

  /** After the interface is up: tell the relays WireGuard's port, and start deciding in `auto`. */
  start(wgListenPort: number): void {
    this.wgPort = wgListenPort;
    for (const { relay } of this.relays.values()) relay.setWireguardPort(wgListenPort);
    this.enteredAt = Date.now();
    if (this.o.mode !== 'auto') return;
    const tickMs = Math.max(100, Math.min(1000, (Math.min(this.o.carrier.switchAfterSeconds, this.o.carrier.probeIntervalSeconds) * 1000) / 4));
    this.timer = setInterval(() => void this.tick(), tickMs);
    this.timer.unref();
  }

  private wgPort = 0;

  /**
   * Point every peer at the current transport. Turning the keepalive off and on again makes
   * WireGuard send one keepalive at once (it does when the keepalive goes from 0 to non-zero),
   * so the hub sees the new path and roams to it now rather than at the next packet.
   */
  private async setEndpoints(): Promise<void> {
    const wg = (args: string[]): Promise<string> => runChecked(this.o.runner, this.o.wg, ['set', this.o.interfaceName, ...args]);
    for (const peer of this.o.peers) {
      const endpoint = this.endpointFor(peer.publicKey);
      if (endpoint === '') continue;
      await wg(['peer', peer.publicKey, 'endpoint', endpoint, 'persistent-keepalive', '0']);
      await wg(['peer', peer.publicKey, 'persistent-keepalive', String(peer.persistentKeepalive > 0 ? peer.persistentKeepalive : 25)]);
      if (peer.persistentKeepalive === 0) await wg(['peer', peer.publicKey, 'persistent-keepalive', '0']);
    }
  }

  private async move(to: ActiveTransport, reason: string): Promise<void> {
    const from = this.active;
    if (to === 'tcp') {
      if (this.lingerTimer !== null) clearTimeout(this.lingerTimer);
      this.lingerTimer = null;
      await this.openRelays();
      for (const { relay } of this.relays.values()) {
        relay.setWireguardPort(this.wgPort);
        relay.setDelivering(true);
      }
    } else {
      // Nothing from the relay reaches WireGuard any more (it would roam back onto it), while
      // each datagram still goes out over UDP too until the endpoint is switched: a datagram
      // that reached the hub over the carrier only would move the hub back onto the carrier.
      for (const { relay } of this.relays.values()) relay.setDelivering(false);
    }
    this.active = to;
    this.enteredAt = Date.now();
    await this.setEndpoints();
    if (to === 'udp') {
      for (const { relay } of this.relays.values()) relay.stopProbe();
      await this.keepOffRelays();
    }
    this.changes += 1;
    this.nextProbeAt = Date.now() + this.o.carrier.probeIntervalSeconds * 1000;
    this.o.logger.warn({ interface: this.o.interfaceName, from, to, reason }, 'tunnel transport changed');
    if (to === 'udp') {
      // The relays stay open a while (not delivering), so a quick move back finds them connected.
      this.lingerTimer = setTimeout(() => {
        this.lingerTimer = null;
        if (this.active === 'udp') this.closeRelays();
      }, Math.max(2000, this.o.carrier.switchAfterSeconds * 1000));
      this.lingerTimer.unref();
    }
  }

  /** One decision in `auto`. */
  private async tick(): Promise<void> {
    if (this.moving || this.stopped) return;
    this.moving = true;
    try {
      const now = Date.now();
      if (this.active === 'udp') {
        await this.keepOffRelays();
        const why = await this.udpFailing(now);
        if (why !== null) await this.move('tcp', why);
        return;
      }
      if (this.probeEndsAt !== 0 && now > this.probeEndsAt) {
        for (const { relay } of this.relays.values()) relay.stopProbe();
        this.probeEndsAt = 0;
      }
      if (now >= this.nextProbeAt && this.probeEndsAt === 0) {
        this.nextProbeAt = now + this.o.carrier.probeIntervalSeconds * 1000;
        // Short: if UDP works only towards the hub, the hub answers over UDP into the void
        // while a probe lasts.
        this.probeEndsAt = now + Math.max(1000, Math.min(this.o.carrier.probeIntervalSeconds * 500, 3000));
        for (const { relay } of this.relays.values()) {
          relay.startProbe(() => {
            if (this.active === 'tcp' && !this.stopped) {
              this.probeEndsAt = 0;
              void this.serial(() => this.move('udp', 'the hub answered over UDP'));
            }
          });
        }
      }
    } catch (err) {
      this.o.logger.warn({ error: err instanceof Error ? err.message : String(err) }, 'tunnel transport decision failed');
    } finally {
      this.moving = false;
    }
  }

  private async serial(f: () => Promise<void>): Promise<void> {
    while (this.moving) await new Promise((r) => setTimeout(r, 10));
    this.moving = true;
    try {
      if (!this.stopped) await f();
    } catch (err) {
      this.o.logger.warn({ error: err instanceof Error ? err.message : String(err) }, 'tunnel transport decision failed');
    } finally {
      this.moving = false;
    }
  }

  /**
   * WireGuard roams to the source of every authenticated packet: one the relay handed over just
   * before a move to UDP can still put the peer back on the relay. While relays linger, check
   * and set the UDP endpoint again.
   */
  private async keepOffRelays(): Promise<void> {
    if (this.relays.size === 0) return;
    const status = await this.o.status();
    const relayed = new Set([...this.relays.values()].map((r) => r.endpoint));
    if (status.peers.some((p) => p.endpoint !== null && relayed.has(p.endpoint))) await this.setEndpoints();
  }

  /** Why UDP counts as failing now, or null when it works (or has not had its chance yet). */
  private async udpFailing(now: number): Promise<string | null> {
    const limit = this.o.carrier.switchAfterSeconds * 1000;
    const hb = this.o.heartbeat();
    if (hb !== null) {
      // A beat is only attempted once per interval: give UDP that long on top.
      const hbLimit = limit + this.o.heartbeatIntervalMs;
      const last = Math.max(this.enteredAt, hb.lastSuccess?.getTime() ?? 0);
      const succeededHere = (hb.lastSuccess?.getTime() ?? 0) >= this.enteredAt;
      if ((succeededHere && hb.ok !== false) || now - last <= hbLimit) return null;
      return `no heartbeat over UDP for ${Math.round((now - last) / 1000)} s`;
    }
    const status = await this.o.status();
    const hs = Math.max(0, ...status.peers.map((p) => p.latestHandshake?.getTime() ?? 0));
    if (hs >= this.enteredAt && now - hs <= SESSION_LIFETIME_MS + limit) return null;
    if (now - this.enteredAt <= limit) return null;
    return hs >= this.enteredAt ? 'the UDP session expired' : `no handshake over UDP within ${limit / 1000} s`;
  }

  /** Stop deciding and close the relays. Idempotent. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    if (this.lingerTimer !== null) clearTimeout(this.lingerTimer);
    this.timer = null;
    this.lingerTimer = null;
    this.closeRelays();
  }
}
