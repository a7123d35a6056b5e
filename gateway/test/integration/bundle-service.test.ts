/**
 * The policy bundle from an OPA bundle service: conditional GETs with If-None-Match and the
 * token by reference (never logged), a new bundle put in service on the next poll, a refused
 * bundle or an unreachable service leaving the old revision in service, and a service that
 * cannot give a bundle at start being fatal.
 */
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startBroker } from '../../src/app';
import type { RunningBroker } from '../../src/app';
import { MemoryDecisionLog } from '../../src/audit/decision-log';
import { DECISION_HEADER } from '../../src/server/respond';
import { createLogger } from '../../src/telemetry/logger';
import { send, testConfig, TOKEN_ENV } from '../helpers/broker';
import { buildBundle } from '../helpers/rego';
import { startUpstream } from '../helpers/upstream';
import type { FakeUpstream } from '../helpers/upstream';

const tagged = (tag: string): Buffer =>
  readFileSync(
    buildBundle({
      'decision.rego': `package broker\n\ndecision := {"allow": true, "reasons": ["bundle ${tag}"]}\n`,
      'github.rego': 'package integrations.github\n\nallowed_by := {"github.any"}\n',
    }),
  );

const TOKEN = 'bundle-service-canary-91d3';

interface Service {
  url: string;
  /** What the service serves now; null answers 503. */
  bundle: { bytes: Buffer; etag: string } | null;
  requests: Array<{ ifNoneMatch: string | undefined; authorization: string | undefined }>;
  close(): Promise<void>;
}

async function startService(): Promise<Service> {
  const service: Service = { url: '', bundle: null, requests: [], close: () => Promise.resolve() };
  const server = http.createServer((req, res) => {
    service.requests.push({ ifNoneMatch: req.headers['if-none-match'], authorization: req.headers.authorization });
    const b = service.bundle;
    if (b === null) return void res.writeHead(503).end();
    if (req.headers['if-none-match'] === b.etag) return void res.writeHead(304).end();
    res.writeHead(200, { 'content-type': 'application/gzip', etag: b.etag });
    res.end(b.bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  service.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/bundles/broker.tar.gz`;
  service.close = () => new Promise((resolve) => server.close(() => resolve()));
  return service;
}

let upstream: FakeUpstream;
let service: Service;
beforeAll(async () => {
  upstream = await startUpstream();
  service = await startService();
});
afterAll(async () => {
  await upstream.close();
  await service.close();
});

async function start(pollSeconds: number): Promise<{ broker: RunningBroker; lines: string[]; events: EventEmitter; log: MemoryDecisionLog }> {
  const lines: string[] = [];
  const events = new EventEmitter();
  const logger = createLogger('debug', {
    write: (s: string) => {
      lines.push(s);
      events.emit('line', JSON.parse(s) as Record<string, unknown>);
    },
  });
  const config = testConfig(upstream.url, { policy: { service: { url: service.url, pollSeconds, tokenEnv: 'BUNDLE_TOKEN' } } });
  const log = new MemoryDecisionLog();
  const broker = await startBroker({ config, env: { [TOKEN_ENV]: 't', BUNDLE_TOKEN: TOKEN }, logger, decisionLog: log });
  return { broker, lines, events, log };
}

/** The reasons of the decision on one request: which bundle judged it. */
async function reasonsOf(broker: RunningBroker, log: MemoryDecisionLog): Promise<string[]> {
  const reply = await send(`http://127.0.0.1:${broker.port}`, `/proxy/${upstream.url}/api/v3/repos/acme/app`);
  const record = await log.waitForDecision(String(reply.headers[DECISION_HEADER]));
  return (record.result as { reasons: string[] }).reasons;
}

it('polls with If-None-Match and the token; a new bundle goes in service, a bad one and an outage do not', async () => {
  service.bundle = { bytes: tagged('A'), etag: '"a"' };
  service.requests = [];
  const { broker, lines, log } = await start(3600);
  try {
    const revisionA = broker.evaluator.revision;
    expect(service.requests[0]).toEqual({ ifNoneMatch: undefined, authorization: `Bearer ${TOKEN}` });

    expect(await broker.reload('SIGHUP')).toEqual({ ok: true, revision: revisionA });
    expect(service.requests[1]).toEqual({ ifNoneMatch: '"a"', authorization: `Bearer ${TOKEN}` });

    service.bundle = { bytes: tagged('B'), etag: '"b"' };
    const b = await broker.reload('SIGHUP');
    expect(b.ok).toBe(true);
    expect(broker.evaluator.revision).not.toBe(revisionA);
    const revisionB = broker.evaluator.revision;

    service.bundle = { bytes: Buffer.from('corrupt'), etag: '"c"' };
    expect((await broker.reload('SIGHUP')).ok).toBe(false);
    expect(broker.evaluator.revision).toBe(revisionB);
    // A refused bundle is not named in If-None-Match: it is fetched (and refused) again.
    expect((await broker.reload('SIGHUP')).ok).toBe(false);
    expect(service.requests[service.requests.length - 1]!.ifNoneMatch).toBe('"b"');

    service.bundle = null;
    const outage = await broker.reload('SIGHUP');
    expect(outage).toEqual({ ok: false, reason: 'bundle service answered HTTP 503' });
    expect(broker.evaluator.revision).toBe(revisionB);
    expect(await reasonsOf(broker, log)).toEqual(['bundle B']);
    expect(lines.join('\n')).not.toContain(TOKEN);
  } finally {
    await broker.close(1000);
  }
});

it('polls on its interval', async () => {
  service.bundle = { bytes: tagged('A'), etag: '"a2"' };
  const { broker, events, log } = await start(1);
  try {
    const loaded = new Promise<Record<string, unknown>>((resolve) => {
      events.on('line', (l: Record<string, unknown>) => {
        if (l.msg === 'policy bundle loaded' && l.trigger === 'bundle service') resolve(l);
      });
    });
    service.bundle = { bytes: tagged('C'), etag: '"c2"' };
    await loaded;
    expect(await reasonsOf(broker, log)).toEqual(['bundle C']);
  } finally {
    await broker.close(1000);
  }
});

it('a service without a bundle at start is fatal (exit code 2)', async () => {
  service.bundle = null;
  await expect(start(3600)).rejects.toMatchObject({ exitCode: 2, message: 'policy bundle not loaded: bundle service answered HTTP 503' });
});
