/**
 * The TLS carrier on loopback, no root: a carrier server forwarding to a UDP echo (standing in
 * for the hub's WireGuard port), the broker-side relay with a UDP socket standing in for the
 * broker's WireGuard, pins and a private CA, and an HTTP CONNECT proxy with authentication.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CarrierConnectError, openCarrierSocket } from '../../src/carrier/connect';
import type { HubIdentity, ProxyRoute } from '../../src/carrier/connect';
import { CarrierRelay } from '../../src/carrier/relay';
import type { CarrierServer } from '../../src/carrier/server';
import { startCarrierServer } from '../../src/carrier/server';
import { recordingLogger } from '../helpers/fakes';

const dir = mkdtempSync(path.join(tmpdir(), 'rb-carrier-'));
const file = (n: string): string => path.join(dir, n);
const PROXY_PASSWORD = 'canary-proxy-password-7c1e';

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: 'ignore' });
}

/** A self-signed certificate for 127.0.0.1, and a CA with a leaf it signed. */
function makeCerts(): void {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', file('self.key'), '-out', file('self.crt'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
  openssl(['req', '-x509', ...ec, '-keyout', file('other.key'), '-out', file('other.crt'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
  for (const ca of ['ca', 'ca2']) {
    openssl(['req', '-x509', ...ec, '-keyout', file(`${ca}.key`), '-out', file(`${ca}.crt`), '-days', '1', '-subj', `/CN=${ca}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
  }
  openssl(['req', '-new', ...ec, '-keyout', file('leaf.key'), '-out', file('leaf.csr'), '-subj', '/CN=127.0.0.1']);
  writeFileSync(file('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl(['x509', '-req', '-in', file('leaf.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial', '-out', file('leaf.crt'), '-days', '1', '-extfile', file('san.ext')]);
}

const fingerprint = (pem: string): string => new X509Certificate(pem).fingerprint256;

/** A UDP echo: answers each datagram with "echo:" + the datagram. */
async function udpEcho(): Promise<{ port: number; close: () => void }> {
  const s = dgram.createSocket('udp4');
  s.on('message', (m, from) => s.send(Buffer.concat([Buffer.from('echo:'), m]), from.port, from.address));
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  return { port: (s.address()).port, close: () => s.close() };
}

/** A CONNECT proxy that wants Basic user:PROXY_PASSWORD and counts tunnels. */
async function connectProxy(): Promise<{ port: number; tunnels: number; refused: number; close: () => Promise<void> }> {
  const state = { port: 0, tunnels: 0, refused: 0, close: (): Promise<void> => Promise.resolve() };
  const expected = `Basic ${Buffer.from(`user:${PROXY_PASSWORD}`).toString('base64')}`;
  const sockets = new Set<net.Socket>();
  const server = http.createServer((_q, res) => res.writeHead(405).end());
  server.on('connect', (req: http.IncomingMessage, client: net.Socket) => {
    sockets.add(client);
    if (req.headers['proxy-authorization'] !== expected) {
      state.refused += 1;
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="x"\r\n\r\n');
      return;
    }
    const [host, port] = (req.url ?? '').split(':');
    const up = net.connect(Number(port), host, () => {
      state.tunnels += 1;
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      up.pipe(client).pipe(up);
    });
    sockets.add(up);
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.port = (server.address() as AddressInfo).port;
  state.close = () => new Promise<void>((r) => {
    for (const s of sockets) s.destroy();
    server.close(() => r());
  });
  return state;
}

/** A UDP socket standing in for the broker's WireGuard. */
async function fakeWireguard(): Promise<{ socket: dgram.Socket; port: number; next: () => Promise<Buffer> }> {
  const socket = dgram.createSocket('udp4');
  const queue: Buffer[] = [];
  const waiters: Array<(b: Buffer) => void> = [];
  socket.on('message', (m) => {
    const w = waiters.shift();
    if (w) w(m);
    else queue.push(m);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  const next = (): Promise<Buffer> => {
    const q = queue.shift();
    if (q) return Promise.resolve(q);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no datagram within 3 s')), 3000);
      waiters.push((b) => {
        clearTimeout(t);
        resolve(b);
      });
    });
  };
  return { socket, port: (socket.address()).port, next };
}

let echo: { port: number; close: () => void };
let selfServer: CarrierServer;
let caServer: CarrierServer;
const selfPin = (): string => fingerprint(readFileSync(file('self.crt'), 'utf8')).replace(/:/g, '');

beforeAll(async () => {
  makeCerts();
  echo = await udpEcho();
  const target = { host: '127.0.0.1', port: echo.port };
  selfServer = await startCarrierServer({ host: '127.0.0.1', port: 0, key: readFileSync(file('self.key'), 'utf8'), cert: readFileSync(file('self.crt'), 'utf8'), target });
  caServer = await startCarrierServer({ host: '127.0.0.1', port: 0, key: readFileSync(file('leaf.key'), 'utf8'), cert: readFileSync(file('leaf.crt'), 'utf8'), target });
});

afterAll(async () => {
  await selfServer.close();
  await caServer.close();
  echo.close();
  rmSync(dir, { recursive: true, force: true });
});

const open = (port: number, identity: HubIdentity, proxy: ProxyRoute | null = null): ReturnType<typeof openCarrierSocket> =>
  openCarrierSocket({ host: '127.0.0.1', port, identity, proxy, timeoutMs: 3000 });

async function refusal(p: Promise<unknown>): Promise<CarrierConnectError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof CarrierConnectError) return err;
    throw err;
  }
  throw new Error('expected the carrier to be refused');
}

describe('hub identity', () => {
  test('a certificate matching the pin is accepted', async () => {
    const s = await open(selfServer.port, { pins: [selfPin()], ca: null });
    expect(s.authorized || s.getPeerCertificate().fingerprint256.replace(/:/g, '')).toBe(selfPin());
    s.destroy();
  });

  test('a hub whose certificate does not match the pin is refused, before any request is sent', async () => {
    const wrong = fingerprint(readFileSync(file('other.crt'), 'utf8')).replace(/:/g, '');
    const err = await refusal(open(selfServer.port, { pins: [wrong], ca: null }));
    expect(err.reason).toBe('pin');
    expect(err.message).toContain(selfPin());
    expect(selfServer.connections()).toBe(0);
  });

  test('without pins or a CA nothing is trusted (no trust on first use)', async () => {
    const err = await refusal(open(selfServer.port, { pins: [], ca: null }));
    expect(err.reason).toBe('pin');
  });

  test('a private CA: its leaf is accepted, a self-signed or other-CA certificate is refused', async () => {
    const ca = readFileSync(file('ca.crt'), 'utf8');
    const s = await open(caServer.port, { pins: [], ca });
    expect(s.authorized).toBe(true);
    s.destroy();
    expect((await refusal(open(selfServer.port, { pins: [], ca }))).reason).toBe('tls');
    expect((await refusal(open(caServer.port, { pins: [], ca: readFileSync(file('ca2.crt'), 'utf8') }))).reason).toBe('tls');
  });

  test('pins and CA together: both must hold', async () => {
    const ca = readFileSync(file('ca.crt'), 'utf8');
    expect((await refusal(open(caServer.port, { pins: [selfPin()], ca }))).reason).toBe('pin');
  });
});

describe('relay', () => {
  /** A relay to the pinned test server (through `proxy`, if any), connected, with a fake WireGuard behind it. */
  const withConnectedRelay = async (
    proxy: ProxyRoute | null,
    logger: ReturnType<typeof recordingLogger>,
    use: (r: { relay: CarrierRelay; wg: Awaited<ReturnType<typeof fakeWireguard>>; port: number }) => Promise<void>,
  ): Promise<void> => {
    const relay = new CarrierRelay({
      url: `wss://127.0.0.1:${selfServer.port}/wireguard`,
      target: { identity: { pins: [selfPin()], ca: null }, proxy, timeoutMs: 3000 },
      udpEndpoint: null,
      logger,
    });
    const wg = await fakeWireguard();
    try {
      const port = await relay.start();
      relay.setWireguardPort(wg.port);
      expect(await relay.waitConnected(3000)).toBe(true);
      await use({ relay, wg, port });
    } finally {
      relay.close();
      wg.socket.close();
    }
  };

  test('datagrams cross the carrier one message each, both ways, sizes kept', async () => {
    await withConnectedRelay(null, recordingLogger(), async ({ relay, wg, port }) => {
      const sizes = [1, 148, 1320 + 32];
      for (const n of sizes) wg.socket.send(Buffer.alloc(n, 7), port, '127.0.0.1');
      const got = await Promise.all(sizes.map(() => wg.next()));
      expect(got.map((b) => b.length).sort((a, b) => a - b)).toEqual(sizes.map((n) => n + 5));
      expect(relay.stats()).toMatchObject({ connected: true, txDatagrams: 3, rxDatagrams: 3 });
      // A datagram from another local port is not relayed.
      const stranger = dgram.createSocket('udp4');
      stranger.send(Buffer.from('x'), port, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 100));
      stranger.close();
      expect(relay.stats().txDatagrams).toBe(3);
    });
  });

  test('a relay with a wrong pin never connects and says why, once', async () => {
    const logger = recordingLogger();
    const wrong = fingerprint(readFileSync(file('other.crt'), 'utf8'));
    const relay = new CarrierRelay({
      url: `wss://127.0.0.1:${selfServer.port}/wireguard`,
      target: { identity: { pins: [wrong.replace(/:/g, '')], ca: null }, proxy: null, timeoutMs: 3000 },
      udpEndpoint: null,
      logger,
      backoffMs: { first: 20, max: 40 },
    });
    try {
      await relay.start();
      expect(await relay.waitConnected(400)).toBe(false);
      expect(relay.stats().connectFailuresTotal).toBeGreaterThan(1);
      expect(relay.stats().lastError).toMatch(/matches no tunnel\.carrier\.pinSha256/);
      expect(logger.messages().filter((m) => m === 'tunnel carrier connection failed')).toHaveLength(1);
      expect(selfServer.connections()).toBe(0);
    } finally {
      relay.close();
    }
  });

  test('through an authenticating CONNECT proxy; a wrong password is refused and never shown', async () => {
    const proxy = await connectProxy();
    const logger = recordingLogger();
    const route = (password: string): ProxyRoute => ({ host: '127.0.0.1', port: proxy.port, username: 'user', password });
    try {
      const bad = await refusal(open(selfServer.port, { pins: [selfPin()], ca: null }, route(`${PROXY_PASSWORD}-wrong`)));
      expect(bad.reason).toBe('proxy');
      expect(bad.message).toMatch(/407/);
      expect(bad.message).not.toContain(PROXY_PASSWORD);
      await withConnectedRelay(route(PROXY_PASSWORD), logger, async ({ wg, port }) => {
        wg.socket.send(Buffer.from('hello'), port, '127.0.0.1');
        expect((await wg.next()).toString()).toBe('echo:hello');
        expect(proxy.tunnels).toBe(1);
      });
      expect(JSON.stringify(logger.records)).not.toContain(PROXY_PASSWORD);
    } finally {
      await proxy.close();
    }
  });
});
