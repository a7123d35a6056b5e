/**
 * TLS to the upstream is always verified: a self-signed upstream is 502 until its certificate
 * is trusted through `proxy.caFile`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { send, startTestBroker, testConfig } from '../helpers/broker';

const dir = mkdtempSync(join(tmpdir(), 'rego-broker-tls-'));
const key = join(dir, 'key.pem');
const cert = join(dir, 'cert.pem');
let server: https.Server;
let origin: string;

beforeAll(async () => {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  server = https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"tls":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const path = (): string => `/proxy/${origin}/api/v3/repos/acme/app`;

it('refuses an upstream whose certificate is not trusted', async () => {
  const tb = await startTestBroker(testConfig(origin));
  try {
    const reply = await send(tb.base, path());
    expect(reply.status).toBe(502);
    expect(reply.json()).toMatchObject({ error: { code: 'UPSTREAM_UNREACHABLE' } });
  } finally {
    await tb.close();
  }
});

it('trusts it through proxy.caFile', async () => {
  const tb = await startTestBroker(testConfig(origin, { proxy: { caFile: cert } }));
  try {
    const reply = await send(tb.base, path());
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({ tls: true });
  } finally {
    await tb.close();
  }
});
