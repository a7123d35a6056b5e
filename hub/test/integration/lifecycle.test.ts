/**
 * The hub's life: the admin endpoints, the TLS carrier forwarding datagrams to the WireGuard
 * port, and shutdown letting requests in flight finish within front.drainTimeoutMs.
 */
import dgram from 'node:dgram';
import { execFileSync } from 'node:child_process';
import WebSocket from 'ws';
import { publicKeys } from '../helpers/keys';
import { admin, beat, front } from '../helpers/client';
import { startReplicas } from '../helpers/replicas';
import type { FakeReplica } from '../helpers/replicas';
import { tempDir } from '../helpers/files';
import { startTestHub, testSettings } from '../helpers/hub';
import type { TestHub } from '../helpers/hub';

const [K0] = publicKeys(1) as [string];
const R0 = '127.0.0.2';
const PATH = '/d/3/proxy/https://nexus.example.com/service/rest/v1/components';

describe('hub lifecycle', () => {
  let replicas: FakeReplica[];
  let t: TestHub;

  const start = async (front: Record<string, unknown> = {}): Promise<void> => {
    const started = await startReplicas([R0]);
    replicas = started.replicas;
    t = await startTestHub({ ...testSettings(started.port, { front }), deployments: [{ id: 3, replicas: [{ index: 0, publicKey: K0, address: R0 }] }] });
    await beat(t.hub.addresses.heartbeat, R0);
  };

  afterEach(async () => {
    await t.stop();
    await Promise.all(replicas.map((r) => r.close()));
  });

  it('serves /healthz, /readyz and /metrics on the admin listener', async () => {
    await start();
    expect((await admin(t.hub.addresses.admin, '/healthz')).status).toBe(200);
    expect(JSON.parse((await admin(t.hub.addresses.admin, '/readyz')).body)).toEqual({ status: 'ready' });
    await front(t.hub.addresses.front, PATH);
    const m = await admin(t.hub.addresses.admin, '/metrics');
    expect(m.headers['content-type']).toMatch(/^text\/plain/);
    expect(m.body).toContain('rego_broker_hub_replica_healthy{deployment="3",replica="0"} 1');
    expect(m.body).toContain('rego_broker_hub_requests_total{deployment="3",replica="0",code="200"} 1');
    expect(m.body).toMatch(/rego_broker_hub_replica_heartbeat_age_seconds\{deployment="3",replica="0"\} \d/);
    expect((await admin(t.hub.addresses.admin, '/other')).status).toBe(404);
  });

  it('lets a request in flight finish when it closes, and refuses new connections', async () => {
    await start();
    const pending = front(t.hub.addresses.front, PATH, { headers: { 'x-test-hold': '1' } });
    await replicas[0]?.held();
    let closed = false;
    const closing = t.hub.close().then(() => (closed = true));
    await t.logs.waitFor((l) => l.msg === 'waiting for front requests in flight');
    expect(closed).toBe(false);
    await expect(front(t.hub.addresses.front, PATH)).rejects.toThrow(/ECONNREFUSED/);
    replicas[0]?.release();
    expect((await pending).status).toBe(200);
    await closing;
  });

  it('cuts off what is still in flight after front.drainTimeoutMs', async () => {
    await start({ drainTimeoutMs: 50 });
    const pending = front(t.hub.addresses.front, PATH, { headers: { 'x-test-hold': '1' } });
    await replicas[0]?.held();
    await t.hub.close();
    await expect(pending).rejects.toThrow();
    expect(t.logs.lines.some((l) => /still in flight after front.drainTimeoutMs/.test(String(l.msg)))).toBe(true);
    replicas[0]?.release();
  });
});

describe('hub carrier', () => {
  it('forwards each WebSocket message as one datagram to the WireGuard port and back', async () => {
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    const { port } = udp.address();
    const certs = tempDir();
    const key = certs.write('carrier.key', '');
    const cert = certs.write('carrier.crt', '');
    let c: TestHub | null = null;
    let ws: WebSocket | null = null;
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
      c = await startTestHub({ ...testSettings(1), wireguard: { enabled: false, listenPort: port }, carrier: { enabled: true, host: '127.0.0.1', port: 0, certFile: cert, keyFile: key }, deployments: [] });
      const socket = new WebSocket(`wss://127.0.0.1:${c.hub.addresses.carrier?.port ?? 0}/wireguard`, { rejectUnauthorized: false });
      ws = socket;
      await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
      const got = new Promise<{ msg: Buffer; rinfo: dgram.RemoteInfo }>((resolve) => udp.once('message', (msg, rinfo) => resolve({ msg, rinfo })));
      socket.send(Buffer.from('handshake-initiation'), { binary: true });
      const { msg, rinfo } = await got;
      expect(msg.toString()).toBe('handshake-initiation');
      const back = new Promise<Buffer>((resolve) => socket.once('message', (d: Buffer) => resolve(d)));
      udp.send(Buffer.from('handshake-response'), rinfo.port, rinfo.address);
      expect((await back).toString()).toBe('handshake-response');
    } finally {
      ws?.terminate();
      await c?.stop();
      udp.close();
      certs.cleanup();
    }
  });
});
