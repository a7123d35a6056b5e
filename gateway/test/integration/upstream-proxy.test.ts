/**
 * Upstream requests through `proxy.upstreamProxy`: an HTTP CONNECT proxy with Basic
 * authentication in front of a TLS upstream trusted through `proxy.caFile` (the private CA
 * applies inside the tunnel too), `noProxy` honoured, and the proxy password never in a log
 * line or decision record.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { send, startTestBroker, testConfig } from '../helpers/broker';

const CANARY = 'canary-upstream-proxy-3b7d';
const dir = mkdtempSync(join(tmpdir(), 'rego-broker-upproxy-'));
const key = join(dir, 'key.pem');
const cert = join(dir, 'cert.pem');
let upstream: https.Server;
let origin: string;
const proxy = { port: 0, connects: [] as string[], refused: 0, server: null as http.Server | null, sockets: new Set<net.Socket>() };

beforeAll(async () => {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  upstream = https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"via":"upstream"}');
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  origin = `https://127.0.0.1:${(upstream.address() as AddressInfo).port}`;

  const expected = `Basic ${Buffer.from(`svc:${CANARY}`).toString('base64')}`;
  const server = http.createServer((_q, res) => res.writeHead(405).end());
  server.on('connect', (req: http.IncomingMessage, client: net.Socket) => {
    proxy.sockets.add(client);
    client.on('error', () => undefined);
    if (req.headers['proxy-authorization'] !== expected) {
      proxy.refused += 1;
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\n\r\n');
      return;
    }
    proxy.connects.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const up = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      up.pipe(client).pipe(up);
    });
    proxy.sockets.add(up);
    up.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.server = server;
  proxy.port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  for (const s of proxy.sockets) s.destroy();
  await new Promise<void>((resolve) => proxy.server?.close(() => resolve()));
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
});

const path = (): string => `/proxy/${origin}/api/v3/repos/acme/app`;
const config = (upstreamProxy: Record<string, unknown>) =>
  testConfig(origin, { proxy: { timeoutMs: 5000, caFile: cert, upstreamProxy: { url: `http://127.0.0.1:${proxy.port}`, username: 'svc', passwordEnv: 'UP_PW', ...upstreamProxy } } });

it('goes through the proxy with its credentials, and trusts the upstream through the private CA', async () => {
  const before = proxy.connects.length;
  const tb = await startTestBroker(config({}), { env: { UP_PW: CANARY } });
  try {
    const reply = await send(tb.base, path());
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({ via: 'upstream' });
    expect(proxy.connects.slice(before)).toEqual([`127.0.0.1:${(upstream.address() as AddressInfo).port}`]);
    expect(tb.logLines.join('\n')).not.toContain(CANARY);
    expect(JSON.stringify(tb.log)).not.toContain(CANARY);
  } finally {
    await tb.close();
  }
});

it('goes direct to hosts named in noProxy', async () => {
  const before = proxy.connects.length;
  const tb = await startTestBroker(config({ noProxy: '127.0.0.1' }), { env: { UP_PW: CANARY } });
  try {
    expect((await send(tb.base, path())).status).toBe(200);
    expect(proxy.connects.length).toBe(before);
  } finally {
    await tb.close();
  }
});

it('answers 502 when the proxy refuses the credentials, without showing them', async () => {
  const refused = proxy.refused;
  const tb = await startTestBroker(config({}), { env: { UP_PW: `${CANARY}-wrong` } });
  try {
    const reply = await send(tb.base, path());
    expect(reply.status).toBe(502);
    expect(proxy.refused).toBeGreaterThan(refused);
    expect(reply.body.toString()).not.toContain(CANARY);
    expect(tb.logLines.join('\n')).not.toContain(CANARY);
  } finally {
    await tb.close();
  }
});
