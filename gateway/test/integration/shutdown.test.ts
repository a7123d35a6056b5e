/**
 * Shutdown: close stops accepting, lets the in-flight request finish and writes its decision
 * record; a request still running after the grace period is cut, and still logged.
 */
import http from 'node:http';
import { send, startTestBroker, testConfig } from '../helpers/broker';
import { startUpstream } from '../helpers/upstream';
import type { FakeUpstream } from '../helpers/upstream';

let upstream: FakeUpstream;
let release: (() => void) | null = null;
let arrived: () => void = () => undefined;

beforeAll(async () => {
  upstream = await startUpstream((_req, res) => {
    release = () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"late":true}');
    };
    arrived();
  });
});
afterAll(() => upstream.close());

const path = (): string => `/proxy/${upstream.url}/api/v3/repos/acme/app/contents/package.json`;

it('drains an in-flight request before closing, and refuses new ones', async () => {
  const tb = await startTestBroker(testConfig(upstream.url));
  const reached = new Promise<void>((resolve) => {
    arrived = resolve;
  });
  const inflight = send(tb.base, path());
  await reached;
  const closed = tb.broker.close(5000);
  await expect(send(tb.base, path())).rejects.toThrow();
  release?.();
  const reply = await inflight;
  expect(reply.status).toBe(200);
  expect(reply.json()).toEqual({ late: true });
  await closed;
  const [record] = await tb.log.waitFor(1);
  expect(record!.upstream).toMatchObject({ status: 200 });
});

it('cuts a request that outlives the grace period and still logs it', async () => {
  const tb = await startTestBroker(testConfig(upstream.url));
  const reached = new Promise<void>((resolve) => {
    arrived = resolve;
  });
  const inflight = new Promise<string>((resolve) => {
    http.get(`${tb.base}${path()}`, (res) => res.resume()).on('error', (err) => resolve(err.message));
  });
  await reached;
  await tb.broker.close(50);
  expect(await inflight).toMatch(/socket hang up|ECONNRESET/);
  const [record] = await tb.log.waitFor(1);
  expect(record!.labels.client_aborted).toBe('true');
  release?.();
});
