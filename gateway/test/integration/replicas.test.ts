/**
 * A broker replica behind a hub: its records, metrics and spans say which replica of which
 * deployment it is, and a planned stop tells the hub `draining` (one heartbeat, answered) while
 * the listener still serves, before it stops accepting. The tunnel is the real one with its
 * commands faked (no interface is made); the hub is a local HTTP server.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { stopServing } from '../../src/cli/run';
import { startBroker } from '../../src/app';
import { MemoryDecisionLog } from '../../src/audit/decision-log';
import { startTelemetry } from '../../src/telemetry/setup';
import { replicaIdentity } from '../../src/config/replica';
import type { CommandRunner, PreflightProbes } from '../../../tunnel/src/index';
import { startTunnel } from '../../../tunnel/src/index';
import { memoryLogger, send, testConfig, TOKEN_ENV } from '../helpers/broker';
import { startUpstream } from '../helpers/upstream';
import type { FakeUpstream } from '../helpers/upstream';

const PRIVATE_KEY = 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=';
const HUB_KEY = 'HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=';

/** A host on which every `ip`/`wg` command succeeds and nothing is changed. */
const runner: CommandRunner = { run: () => Promise.resolve({ code: 0, stdout: '', stderr: '' }) };
const probes: PreflightProbes = {
  effectiveUid: () => 0, effectiveCapabilities: () => Promise.resolve(null), kernelWireguard: () => Promise.resolve(true),
  fileExists: () => Promise.resolve(true), toolRuns: () => Promise.resolve(true), interfaceExists: () => Promise.resolve(false),
  ipv6Addresses: () => Promise.resolve([]), resolve: () => Promise.resolve('192.0.2.10'),
};

interface Beat {
  headers: http.IncomingHttpHeaders;
  /** For a draining beat: the status a request to the broker got while the hub held its answer. */
  brokerStatus?: number;
}

let upstream: FakeUpstream;
let hub: http.Server;
let hubUrl: string;
const beats: Beat[] = [];
/** Called by the hub when a draining beat arrives, before it answers. */
let onDraining: () => Promise<number> = () => Promise.resolve(0);

beforeAll(async () => {
  upstream = await startUpstream();
  hub = http.createServer((req, res) => {
    const beat: Beat = { headers: req.headers };
    beats.push(beat);
    const state = req.headers['x-rego-broker-state'];
    void (state === 'draining' ? onDraining() : Promise.resolve(undefined)).then((status) => {
      if (status !== undefined) beat.brokerStatus = status;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ deployment: 8849, replica: 1, state }));
    });
  });
  await new Promise<void>((resolve) => hub.listen(0, '127.0.0.1', resolve));
  hubUrl = `http://127.0.0.1:${(hub.address() as AddressInfo).port}/heartbeat`;
});

afterAll(async () => {
  await upstream.close();
  await new Promise<void>((resolve) => hub.close(() => resolve()));
});

function replicaConfig() {
  return testConfig(upstream.url, {
    tunnel: {
      enabled: true, privateKeyEnv: 'WG_KEY', deploymentId: 8849, replica: 1,
      peers: [{ publicKey: HUB_KEY, endpoint: 'hub.example.com:51820', allowedIps: ['fdf0:59dc:33cf:9be9::1/128'] }],
      heartbeat: { url: hubUrl, intervalSeconds: 3600, timeoutSeconds: 5 },
    },
  });
}

const ALLOWED = '/api/v3/repos/acme/app/contents/package.json';

it('labels records, metrics and spans with the deployment and replica', async () => {
  const config = replicaConfig();
  expect(config.tunnel.localAddress).toBe('fdf0:59dc:33cf:9be8:0:2291:0:2');
  const exporter = new InMemorySpanExporter();
  const logLines: string[] = [];
  const telemetry = await startTelemetry({ config: config.telemetry, logger: memoryLogger(logLines), spanProcessors: [new SimpleSpanProcessor(exporter)], replica: replicaIdentity(config.tunnel) });
  const log = new MemoryDecisionLog();
  const broker = await startBroker({ config, env: { [TOKEN_ENV]: 't' }, logger: memoryLogger(logLines), decisionLog: log });
  try {
    const base = `http://127.0.0.1:${broker.port}`;
    expect((await send(base, `/proxy/${upstream.url}${ALLOWED}`)).status).toBe(200);
    expect((await send(base, `/proxy/${upstream.url}/api/v3/repos/acme/app/contents/main.go`)).status).toBe(403);
    expect((await log.waitFor(2)).map((r) => r.labels)).toEqual([
      expect.objectContaining({ app: 'rego-broker', deployment: '8849', replica: '1' }),
      expect.objectContaining({ app: 'rego-broker', deployment: '8849', replica: '1' }),
    ]);

    const metrics = (await send(`http://127.0.0.1:${broker.adminPort}`, '/metrics')).body.toString('utf8');
    expect(metrics).toMatch(/^rego_broker_info\{version="[^"]+",deployment="8849",replica="1"\} 1$/m);
    expect(metrics).toContain('rego_broker_decisions_total{replica="1",result="allow",code="ALLOWED"} 1');
    expect(metrics).toContain('rego_broker_decision_log_healthy{replica="1"} 1');
    const samples = metrics.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(samples.length).toBeGreaterThan(10);
    expect(samples.filter((l) => !l.includes('replica="1"'))).toEqual([]);

    const spans = exporter.getFinishedSpans();
    expect(spans.length).toBeGreaterThan(0);
    for (const span of spans) {
      expect(span.resource.attributes).toMatchObject({ 'service.instance.id': '8849-1', 'rego_broker.replica': 1, 'rego_broker.deployment': 8849 });
    }
  } finally {
    await broker.close(1000);
    await telemetry.shutdown(1000);
  }
});

it('in local mode, records and metrics carry no replica label', async () => {
  const config = testConfig(upstream.url);
  const log = new MemoryDecisionLog();
  const broker = await startBroker({ config, env: { [TOKEN_ENV]: 't' }, logger: memoryLogger([]), decisionLog: log });
  try {
    await send(`http://127.0.0.1:${broker.port}`, `/proxy/${upstream.url}${ALLOWED}`);
    expect((await log.waitFor(1))[0]?.labels).not.toHaveProperty('replica');
    const metrics = (await send(`http://127.0.0.1:${broker.adminPort}`, '/metrics')).body.toString('utf8');
    expect(metrics).toMatch(/^rego_broker_info\{version="[^"]+"\} 1$/m);
    expect(metrics).not.toContain('replica=');
  } finally {
    await broker.close(1000);
  }
});

it('a planned stop sends exactly one draining heartbeat, answered while the listener still serves, then closes it', async () => {
  beats.length = 0;
  const config = replicaConfig();
  const logLines: string[] = [];
  const logger = memoryLogger(logLines);
  const tunnel = await startTunnel(
    { ...config.tunnel, peers: config.tunnel.peers.map((p) => ({ ...p, allowedIps: [...p.allowedIps] })) },
    { privateKey: PRIVATE_KEY, logger, runner, probes },
  );
  expect(await tunnel.waitForFirstHeartbeat(5000)).toBe(true);
  // The listener binds loopback here: the tunnel's address exists only on a real interface.
  const broker = await startBroker({ config, env: { [TOKEN_ENV]: 't' }, logger, decisionLog: new MemoryDecisionLog(), listenHost: '127.0.0.1' });
  const base = `http://127.0.0.1:${broker.port}`;
  onDraining = async () => (await send(base, `/proxy/${upstream.url}${ALLOWED}`)).status;

  await stopServing({ broker, tunnel }, true);

  expect(beats.map((b) => b.headers['x-rego-broker-state'])).toEqual(['serving', 'draining']);
  expect(beats[1]?.brokerStatus).toBe(200);
  expect(beats[1]?.headers).toMatchObject({
    'x-rego-broker-deployment': '8849', 'x-rego-broker-replica': '1', 'x-rego-broker-instance': tunnel.instance,
  });
  expect(beats[0]?.headers['x-rego-broker-instance']).toBe(tunnel.instance);
  await expect(send(base, '/healthz')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  const announced = logLines.map((l) => JSON.parse(l) as { msg: string; ok?: boolean }).filter((l) => l.msg === 'announced draining to the hub');
  expect(announced).toEqual([expect.objectContaining({ ok: true, replica: 1 })]);
});

it('a stop after the tunnel failed does not announce draining', async () => {
  beats.length = 0;
  const config = replicaConfig();
  const tunnel = await startTunnel(
    { ...config.tunnel, peers: config.tunnel.peers.map((p) => ({ ...p, allowedIps: [...p.allowedIps] })) },
    { privateKey: PRIVATE_KEY, logger: memoryLogger([]), runner, probes },
  );
  await tunnel.waitForFirstHeartbeat(5000);
  const broker = await startBroker({ config, env: { [TOKEN_ENV]: 't' }, logger: memoryLogger([]), decisionLog: new MemoryDecisionLog(), listenHost: '127.0.0.1' });
  await stopServing({ broker, tunnel }, false);
  expect(beats.map((b) => b.headers['x-rego-broker-state'])).toEqual(['serving']);
});
