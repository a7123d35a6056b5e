/**
 * The broker's end of the TLS carrier: a UDP socket on 127.0.0.1 that WireGuard uses as the
 * hub's endpoint. Datagrams WireGuard sends to it travel as WebSocket binary messages (one
 * message per datagram) over a pinned TLS connection to the hub's carrier, and the hub's
 * answers come back to WireGuard's port. WireGuard keeps doing all the cryptography; the relay
 * only moves sealed packets. While probing, each datagram is also sent over UDP straight to the
 * hub: WireGuard's replay window drops the second copy, and a datagram coming back over UDP
 * proves UDP works in both directions again.
 */
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import WebSocket from 'ws';
import type { TunnelLogger } from '../logger';
import type { CarrierTarget } from './connect';
import { openCarrierSocket } from './connect';
import { MAX_BUFFERED_BYTES, MAX_DATAGRAM_BYTES } from './server';

/** While probing, how much later than the UDP copy a datagram's carrier copy is sent. */
export const PROBE_CARRIER_DELAY_MS = 30;

/** What a relay needs. */
export interface RelayOptions {
  /** `wss://host:port/path` of the hub's carrier. */
  url: string;
  /** How to reach and recognise the hub (host and port are taken from `url`). */
  target: Omit<CarrierTarget, 'host' | 'port'>;
  /** The hub's resolved UDP endpoint, for probes. */
  udpEndpoint: { host: string; port: number } | null;
  logger: TunnelLogger;
  /** Reconnect delays: first and largest, ms (default 200 and 2000). */
  backoffMs?: { first: number; max: number };
}

/** Counters for metrics. */
export interface RelayStats {
  connected: boolean;
  connectsTotal: number;
  connectFailuresTotal: number;
  lastError: string | null;
  txDatagrams: number;
  rxDatagrams: number;
  droppedDatagrams: number;
}

/** Split `wss://host:port/path` into its parts; throws naming the problem. */
export function parseCarrierUrl(url: string): { host: string; port: number; path: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`"${url}" is not a URL`);
  }
  if (u.protocol !== 'wss:') throw new Error(`"${url}" must be a wss:// URL (the carrier always runs TLS)`);
  if (u.username !== '' || u.password !== '') throw new Error('the carrier URL must not hold credentials');
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port === '' ? 443 : Number(u.port), path: `${u.pathname}${u.search}` };
}

/** The broker-side relay. */
export class CarrierRelay {
  private readonly o: RelayOptions;
  private readonly local = dgram.createSocket('udp4');
  private udpOut: dgram.Socket | null = null;
  private ws: WebSocket | null = null;
  private wgPort: number | null = null;
  private running = false;
  private backoff: number;
  private retryTimer: NodeJS.Timeout | null = null;
  /** While true, every datagram also goes over UDP. */
  private probing = false;
  /** Called once, at the first datagram back over UDP. */
  private onUdp: (() => void) | null = null;
  private delivering = true;
  private readonly s: RelayStats = {
    connected: false, connectsTotal: 0, connectFailuresTotal: 0, lastError: null, txDatagrams: 0, rxDatagrams: 0, droppedDatagrams: 0,
  };
  private readonly hub: { host: string; port: number; path: string };

  constructor(options: RelayOptions) {
    this.o = { ...options }; // a copy: udpEndpoint changes when the hub is re-resolved
    this.hub = parseCarrierUrl(options.url);
    this.backoff = options.backoffMs?.first ?? 200;
    this.local.on('message', (msg, from) => this.fromWireguard(msg, from));
    this.local.on('error', () => undefined);
  }

  /** Bind the local socket and start connecting; resolves with the local port. */
  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.local.bind(0, '127.0.0.1', resolve));
    this.running = true;
    this.connect();
    return (this.local.address()).port;
  }

  /** The port WireGuard sends from: only its datagrams are relayed. */
  setWireguardPort(port: number): void {
    this.wgPort = port;
  }

  /** A copy of the counters. */
  stats(): RelayStats {
    return { ...this.s };
  }

  /** Resolves when the carrier is connected, or false after `ms`. */
  async waitConnected(ms: number): Promise<boolean> {
    const end = Date.now() + ms;
    while (!this.s.connected && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    return this.s.connected;
  }

  /** Also send every datagram over UDP to the hub; `onUdp` is called once when one comes back over UDP. */
  startProbe(onUdp: () => void): void {
    const ep = this.o.udpEndpoint;
    if (ep === null || this.probing) return;
    this.probing = true;
    this.onUdp = onUdp;
    if (this.udpOut !== null) return;
    const sock = dgram.createSocket(isIP(ep.host) === 6 ? 'udp6' : 'udp4');
    sock.on('error', () => undefined);
    sock.on('message', (msg, from) => {
      const now = this.o.udpEndpoint;
      if (now === null || from.address !== now.host || from.port !== now.port) return;
      this.toWireguard(msg);
      const cb = this.onUdp;
      this.onUdp = null;
      cb?.();
    });
    this.udpOut = sock;
  }

  /** The hub's UDP endpoint changed (re-resolved). */
  setUdpEndpoint(ep: { host: string; port: number } | null): void {
    this.o.udpEndpoint = ep;
  }

  /** Stop duplicating datagrams over UDP (replies still in flight are delivered until `close`). */
  stopProbe(): void {
    this.probing = false;
    this.onUdp = null;
  }

  private fromWireguard(msg: Buffer, from: dgram.RemoteInfo): void {
    if (from.address !== '127.0.0.1') return;
    if (this.wgPort === null) this.wgPort = from.port;
    if (from.port !== this.wgPort) return;
    if (this.probing && this.udpOut !== null && this.o.udpEndpoint !== null) {
      this.udpOut.send(msg, this.o.udpEndpoint.port, this.o.udpEndpoint.host);
      // The carrier's copy goes a little later, so that where UDP works its copy arrives first
      // and the hub answers over UDP (WireGuard's replay window drops the later copy).
      setTimeout(() => this.toCarrier(msg), PROBE_CARRIER_DELAY_MS).unref();
      return;
    }
    this.toCarrier(msg);
  }

  private toCarrier(msg: Buffer): void {
    const ws = this.ws;
    if (ws !== null && ws.readyState === WebSocket.OPEN && ws.bufferedAmount < MAX_BUFFERED_BYTES) {
      ws.send(msg, { binary: true });
      this.s.txDatagrams += 1;
    } else {
      this.s.droppedDatagrams += 1;
    }
  }

  /**
   * Stop (or resume) handing datagrams to WireGuard. After a move to UDP nothing may reach
   * WireGuard from the relay's address any more: WireGuard roams to the source of every
   * authenticated packet and would move the peer back onto the relay.
   */
  setDelivering(on: boolean): void {
    this.delivering = on;
  }

  private toWireguard(msg: Buffer): void {
    if (this.wgPort === null || !this.running) return;
    if (!this.delivering) {
      this.s.droppedDatagrams += 1;
      return;
    }
    this.s.rxDatagrams += 1;
    this.local.send(msg, this.wgPort, '127.0.0.1');
  }

  private connect(): void {
    if (!this.running) return;
    const { host, port, path } = this.hub;
    openCarrierSocket({ ...this.o.target, host, port }).then(
      (socket) => {
        if (!this.running) {
          socket.destroy();
          return;
        }
        const authority = isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
        const ws = new WebSocket(`wss://${authority}${path}`, {
          createConnection: () => socket,
          perMessageDeflate: false,
          maxPayload: MAX_DATAGRAM_BYTES,
          handshakeTimeout: this.o.target.timeoutMs,
          followRedirects: false,
        });
        this.ws = ws;
        ws.on('open', () => {
          this.s.connected = true;
          this.s.connectsTotal += 1;
          this.s.lastError = null;
          this.backoff = this.o.backoffMs?.first ?? 200;
          this.o.logger.info({ url: this.o.url }, 'tunnel carrier connected');
        });
        ws.on('message', (data, isBinary) => {
          if (isBinary) this.toWireguard(Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer));
        });
        ws.on('error', (e) => this.failed(e.message));
        ws.on('close', () => {
          if (this.ws === ws) this.ws = null;
          if (this.s.connected) this.o.logger.warn({ url: this.o.url }, 'tunnel carrier disconnected');
          this.s.connected = false;
          this.retry();
        });
      },
      (err: unknown) => {
        this.failed(err instanceof Error ? err.message : String(err));
        this.retry();
      },
    );
  }

  private failed(message: string): void {
    this.s.connectFailuresTotal += this.s.connected ? 0 : 1;
    if (this.s.lastError !== message) this.o.logger.warn({ url: this.o.url, error: message }, 'tunnel carrier connection failed');
    this.s.lastError = message;
  }

  private retry(): void {
    if (!this.running || this.retryTimer !== null) return;
    const delay = this.backoff;
    this.backoff = Math.min(this.backoff * 2, this.o.backoffMs?.max ?? 2000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
    this.retryTimer.unref();
  }

  /** Close the carrier and the sockets. Idempotent. */
  close(): void {
    if (!this.running && this.ws === null) return;
    this.running = false;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.ws?.terminate();
    this.ws = null;
    this.s.connected = false;
    this.udpOut?.close();
    this.udpOut = null;
    try {
      this.local.close();
    } catch {
      // already closed
    }
  }
}
