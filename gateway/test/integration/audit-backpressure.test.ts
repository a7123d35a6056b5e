/**
 * The decision log under load and faults, through the real broker and real files: at
 * saturation every answered request has exactly one record; with a failing sink (`/dev/full`,
 * a disk that is always full) the default refuses new requests with DECISION_LOG_UNAVAILABLE
 * (503, not judged, not recorded) and `/readyz` says why, while `onFailure: serve` serves and
 * counts every record lost.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../../src/app';
import type { RunningBroker } from '../../src/app';
import type { DecisionRecord } from '../../src/audit/decision-log';
import { memoryLogger, send, testConfig, TOKEN_ENV } from '../helpers/broker';
import type { Reply } from '../helpers/broker';
import { startUpstream } from '../helpers/upstream';
import type { FakeUpstream } from '../helpers/upstream';

const ALLOWED = '/api/v3/repos/acme/app/contents/package.json';
const DENIED = '/api/v3/repos/acme/app/contents/main.go';
let upstream: FakeUpstream;

beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(() => upstream.close());

async function broker(decisionLog: Record<string, unknown>): Promise<{ broker: RunningBroker; base: string; admin: string; lines: string[] }> {
  const lines: string[] = [];
  const config = testConfig(upstream.url, { telemetry: { decisionLog, traces: { exporter: 'none' } }, shutdown: { graceSeconds: 1, flushSeconds: 1 } });
  const b = await startBroker({ config, env: { [TOKEN_ENV]: 'token' }, logger: memoryLogger(lines) });
  return { broker: b, base: `http://127.0.0.1:${b.port}`, admin: `http://127.0.0.1:${b.adminPort}`, lines };
}

/** `total` requests, `concurrency` at a time, 70% allowed and 30% denied. */
async function load(base: string, total: number, concurrency: number): Promise<Reply[]> {
  const replies: Reply[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      const i = next++;
      replies.push(await send(base, `/proxy/${upstream.url}${i % 10 < 7 ? ALLOWED : DENIED}`));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return replies;
}

function code(reply: Reply): string | undefined {
  return reply.status >= 400 ? (reply.json() as { error: { code: string } }).error.code : undefined;
}

it('at saturation, every answered request has exactly one record and refused ones none', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'audit-load-')), 'decisions.jsonl');
  const b = await broker({ path, bufferBytes: 64 * 1024 });
  const replies = await load(b.base, 600, 60);
  await b.broker.close();
  const ids = readFileSync(path, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as DecisionRecord).decision_id);
  const answered = replies.filter((r) => code(r) !== 'DECISION_LOG_UNAVAILABLE').map((r) => String(r.headers['x-broker-decision-id']));
  const refused = replies.filter((r) => code(r) === 'DECISION_LOG_UNAVAILABLE').map((r) => String(r.headers['x-broker-decision-id']));
  expect(new Set(ids).size).toBe(ids.length);
  expect([...ids].sort()).toEqual([...answered].sort());
  expect(refused.filter((id) => ids.includes(id))).toEqual([]);
  expect(b.broker.unrecorded()).toEqual({ recordsUnwritten: 0, recordsLost: 0 });
  expect(replies.map((r) => r.status).filter((s) => s !== 200 && s !== 403 && s !== 503)).toEqual([]);
});

const fullDisk = existsSync('/dev/full');

(fullDisk ? it : it.skip)('a failing sink: new requests are refused with DECISION_LOG_UNAVAILABLE and /readyz is not ready', async () => {
  const b = await broker({ path: '/dev/full' });
  try {
    // The first record meets the full disk; until then nothing is known to be wrong.
    await send(b.base, `/proxy/${upstream.url}${ALLOWED}`);
    let ready = await send(b.admin, '/readyz');
    for (let i = 0; i < 200 && ready.status === 200; i++) ready = await send(b.admin, '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.json()).toMatchObject({ reason: 'decision log sink failing (ENOSPC)' });
    const before = upstream.received.length;
    const reply = await send(b.base, `/proxy/${upstream.url}${ALLOWED}`);
    expect(reply.status).toBe(503);
    expect(reply.headers['retry-after']).toBe('1');
    expect(reply.json()).toMatchObject({ error: { code: 'DECISION_LOG_UNAVAILABLE', reasons: ['decision log sink failing (ENOSPC)'] } });
    expect(upstream.received.length).toBe(before);
    const metrics = (await send(b.admin, '/metrics')).body.toString('utf8');
    expect(metrics).toContain('rego_broker_decision_log_healthy 0');
    expect(metrics).toContain('rego_broker_decision_log_refused_total 1');
    expect(metrics).toMatch(/rego_broker_decision_log_write_failures_total [1-9]/);
    expect(b.lines.filter((l) => l.includes('"decision log sink failing"'))).toHaveLength(1);
  } finally {
    await b.broker.close();
  }
  expect(b.broker.unrecorded()).toEqual({ recordsUnwritten: 1, recordsLost: 0 });
});

(fullDisk ? it : it.skip)('with onFailure serve: requests are served and every record lost is counted', async () => {
  const b = await broker({ path: '/dev/full', onFailure: 'serve', bufferBytes: 1 });
  try {
    const replies = await load(b.base, 20, 4);
    expect(replies.filter((r) => r.status === 503)).toEqual([]);
    expect((await send(b.admin, '/readyz')).status).toBe(200);
    let metrics = '';
    for (let i = 0; i < 200 && !metrics.includes('rego_broker_decision_log_lost_total 20'); i++) metrics = (await send(b.admin, '/metrics')).body.toString('utf8');
    expect(metrics).toContain('rego_broker_decision_log_lost_total 20');
  } finally {
    await b.broker.close();
  }
  expect(b.broker.unrecorded()).toEqual({ recordsUnwritten: 0, recordsLost: 20 });
});

it.each([['bufferBytes'], ['maxPendingRecords']])('a zero telemetry.decisionLog.%s is refused at start, naming the key', (key) => {
  expect(() => testConfig(upstream.url, { telemetry: { decisionLog: { [key]: 0 } } })).toThrow(`telemetry.decisionLog.${key}: must be at least 1`);
});
