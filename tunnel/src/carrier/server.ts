/**
 * The hub's end of the TLS carrier: a WebSocket server over HTTPS that forwards each binary
 * message, as one datagram, to the hub's WireGuard UDP port, and each datagram WireGuard
 * sends back as one binary message. Every WebSocket connection gets its own UDP socket, so
 * WireGuard sees each broker connection as its own endpoint and roams to it as it would for
 * a broker whose address changed. It forwards to one fixed UDP target only, and WireGuard
 * authenticates every packet, so the carrier itself holds no keys and trusts nothing it
 * carries.
 */
import dgram from 'node:dgram';
import https from 'node:https';
import { isIP } from 'node:net';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { TunnelLogger } from '../logger';
import { NOOP_TUNNEL_LOGGER } from '../logger';

/** Largest datagram carried (a WireGuard packet is at most the MTU plus 32 bytes). */
export const MAX_DATAGRAM_BYTES = 65_535;
/** Past this many bytes queued on a WebSocket, datagrams are dropped like a full UDP queue would. */
export const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** What `startCarrierServer` needs. */
export interface CarrierServerOptions {
  /** Address and port to listen on (0 = any free port). */
  host: string;
  port: number;
  /** PEM private key and certificate chain of the hub. */
  key: string;
  cert: string;
  /** URL path of the carrier (default `/wireguard`). */
  path?: string;
  /** The WireGuard UDP port the datagrams go to. */
  target: { host: string; port: number };
  /** Most simultaneous carrier connections (default 1024). */
  maxConnections?: number;
  logger?: TunnelLogger;
}

/** A running carrier server. */
export interface CarrierServer {
  /** The port it listens on. */
  readonly port: number;
  /** Open carrier connections. */
  connections(): number;
  /** Close every connection and stop listening. Idempotent. */
  close(): Promise<void>;
}

/** Start the hub's carrier endpoint. */
export async function startCarrierServer(o: CarrierServerOptions): Promise<CarrierServer> {
  const logger = o.logger ?? NOOP_TUNNEL_LOGGER;
  const max = o.maxConnections ?? 1024;
  const server = https.createServer({ key: o.key, cert: o.cert });
  const wss = new WebSocketServer({ server, path: o.path ?? '/wireguard', perMessageDeflate: false, maxPayload: MAX_DATAGRAM_BYTES, clientTracking: true });
  const family = isIP(o.target.host) === 6 ? 'udp6' : 'udp4';

  wss.on('connection', (ws, req) => {
    if (wss.clients.size > max) {
      ws.close(1013, 'too many carrier connections');
      return;
    }
    const udp = dgram.createSocket(family);
    const peer = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? 0}`;
    udp.on('message', (msg) => {
      if (ws.readyState === ws.OPEN && ws.bufferedAmount < MAX_BUFFERED_BYTES) ws.send(msg, { binary: true });
    });
    udp.on('error', () => ws.terminate());
    udp.connect(o.target.port, o.target.host);
    ws.on('message', (data, isBinary) => {
      if (!isBinary) {
        ws.close(1003, 'binary messages only');
        return;
      }
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
      try {
        udp.send(buf);
      } catch {
        // not connected yet: the datagram is lost, as on a congested link; WireGuard retries
      }
    });
    ws.on('close', () => udp.close());
    ws.on('error', () => ws.terminate());
    logger.info({ peer }, 'tunnel carrier connection opened');
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | null = null;
  return {
    port,
    connections: () => wss.clients.size,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
