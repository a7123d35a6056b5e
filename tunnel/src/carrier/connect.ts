/**
 * Why this exists: the carrier crosses networks we do not control (a corporate proxy, TLS
 * inspection boxes), so the hub must be recognised by what we were told to expect, never by
 * what the network shows us first. This module opens the TCP connection (directly or through
 * an HTTP CONNECT proxy), runs TLS, and hands back the socket only once the hub's certificate
 * matched a configured SHA-256 pin and/or chained to the configured private CA. Nothing is
 * written on the connection before that check.
 */
import http from 'node:http';
import { isIP } from 'node:net';
import net from 'node:net';
import tls from 'node:tls';

/** The proxy to go through, with its password already read from its secret reference. */
export interface ProxyRoute {
  /** Proxy host (no brackets) and port. */
  host: string;
  port: number;
  /** Basic authentication, or null. */
  username: string | null;
  password: string | null;
}

/** How to recognise the hub. */
export interface HubIdentity {
  /** Normalised pins: upper-case hex, no colons. */
  pins: readonly string[];
  /** PEM of the private CA, or null. */
  ca: string | null;
}

/** What `openCarrierSocket` needs. */
export interface CarrierTarget {
  /** Hub host (DNS name or IP, no brackets) and port. */
  host: string;
  port: number;
  identity: HubIdentity;
  /** The proxy, or null for a direct connection. */
  proxy: ProxyRoute | null;
  /** Deadline for TCP, CONNECT and TLS together. */
  timeoutMs: number;
}

/** A carrier connection could not be opened; `reason` says which step, without secrets. */
export class CarrierConnectError extends Error {
  override readonly name = 'CarrierConnectError';
  constructor(
    readonly reason: 'proxy' | 'connect' | 'tls' | 'pin' | 'timeout',
    message: string,
  ) {
    super(message);
  }
}

/** `AB:cd:…` or `abcd…` → `ABCD…`; returns null when it is not 64 hex digits. */
export function normalisePin(pin: string): string | null {
  const hex = pin.replace(/:/g, '').trim().toUpperCase();
  return /^[0-9A-F]{64}$/.test(hex) ? hex : null;
}

function connectThroughProxy(t: CarrierTarget, proxy: ProxyRoute, signal: AbortSignal): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const authority = isIP(t.host) === 6 ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`;
    const headers: Record<string, string> = { host: authority };
    if (proxy.username !== null) {
      const token = Buffer.from(`${proxy.username}:${proxy.password ?? ''}`).toString('base64');
      headers['proxy-authorization'] = `Basic ${token}`;
    }
    const req = http.request({ host: proxy.host, port: proxy.port, method: 'CONNECT', path: authority, headers, agent: false, signal });
    req.once('connect', (res, socket, head) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        reject(new CarrierConnectError('proxy', `proxy ${proxy.host}:${proxy.port} refused CONNECT ${authority}: HTTP ${res.statusCode ?? 0}`));
        return;
      }
      if (head.length > 0) socket.unshift(head);
      resolve(socket);
    });
    req.once('response', (res) => {
      res.resume();
      reject(new CarrierConnectError('proxy', `proxy ${proxy.host}:${proxy.port} answered CONNECT ${authority} with HTTP ${res.statusCode ?? 0}`));
    });
    req.once('error', (e: NodeJS.ErrnoException) => {
      reject(new CarrierConnectError('proxy', `proxy ${proxy.host}:${proxy.port}: ${e.code ?? e.message}`));
    });
    req.end();
  });
}

function connectDirect(t: CarrierTarget, signal: AbortSignal): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: t.host, port: t.port, signal });
    socket.once('connect', () => resolve(socket));
    socket.once('error', (e: NodeJS.ErrnoException) => reject(new CarrierConnectError('connect', `${t.host}:${t.port}: ${e.code ?? e.message}`)));
  });
}

function startTls(t: CarrierTarget, socket: net.Socket): Promise<tls.TLSSocket> {
  const { pins, ca } = t.identity;
  return new Promise((resolve, reject) => {
    const s = tls.connect({
      socket,
      // `host` is what the certificate's names are checked against (an IP literal too).
      host: t.host,
      servername: isIP(t.host) === 0 ? t.host : undefined,
      // With a CA, the chain and host name are checked by Node; with pins only, the chain is
      // checked below against the pins instead (a self-signed hub certificate is the norm).
      ...(ca !== null ? { ca, rejectUnauthorized: true } : { rejectUnauthorized: false }),
      ALPNProtocols: ['http/1.1'],
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      s.destroy();
      reject(new CarrierConnectError('tls', `TLS with ${t.host}:${t.port}: ${e.code ?? e.message}`));
    });
    s.once('secureConnect', () => {
      if (pins.length > 0) {
        const fp = s.getPeerCertificate().fingerprint256?.replace(/:/g, '').toUpperCase() ?? '';
        if (!pins.includes(fp)) {
          s.destroy();
          reject(new CarrierConnectError('pin', `the hub at ${t.host}:${t.port} presented a certificate (sha256 ${fp}) that matches no tunnel.carrier.pinSha256`));
          return;
        }
      }
      resolve(s);
    });
  });
}

/** Open TCP (through the proxy when given), then TLS; resolves only with a verified hub. */
export async function openCarrierSocket(t: CarrierTarget): Promise<tls.TLSSocket> {
  if (t.identity.pins.length === 0 && t.identity.ca === null) {
    throw new CarrierConnectError('pin', 'the carrier needs tunnel.carrier.pinSha256 or tunnel.carrier.caFile: the hub is never trusted on first use');
  }
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let late = false;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      late = true;
      ac.abort();
      reject(new CarrierConnectError('timeout', `carrier connection to ${t.host}:${t.port} not open within ${t.timeoutMs} ms`));
    }, t.timeoutMs);
  });
  let raw: net.Socket | null = null;
  try {
    const work = (async () => {
      raw = t.proxy === null ? await connectDirect(t, ac.signal) : await connectThroughProxy(t, t.proxy, ac.signal);
      return startTls(t, raw);
    })();
    // A connection that completes after the deadline is closed, not leaked.
    work.then((s) => late && s.destroy(), () => undefined);
    return await Promise.race([work, deadline]);
  } catch (err) {
    (raw as net.Socket | null)?.destroy();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
