/**
 * The relay queue in-process: bounded (503 RELAY_QUEUE_FULL when full, nothing dropped
 * silently), delivered in order once the SaaS is back, kept across a broker restart, and
 * dead-lettered after `relay.delivery.maxAttempts`, with metrics and delivery records.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { send, startTestBroker } from '../helpers/broker';
import type { TestBroker } from '../helpers/broker';
import { githubHeaders, githubPush, RELAY_ENV, Receiver, relayConfig } from './relay-fixture';

const opened: TestBroker[] = [];
const receivers: Receiver[] = [];

afterEach(async () => {
  for (const b of opened.splice(0)) await b.close();
  for (const r of receivers.splice(0)) await r.stop();
});

async function receiverOn(port = 0): Promise<Receiver> {
  const r = new Receiver();
  await r.start(port);
  receivers.push(r);
  return r;
}

async function broker(receiver: Receiver, options: Parameters<typeof relayConfig>[1]): Promise<TestBroker> {
  const b = await startTestBroker(relayConfig(receiver, options), { env: RELAY_ENV });
  opened.push(b);
  return b;
}

async function push(b: TestBroker, n: number): Promise<{ status: number; id: string; code?: string }> {
  const body = githubPush(['package.json'], n);
  const r = await send(`http://127.0.0.1:${b.broker.relayPort}`, '/relay/github', { method: 'POST', headers: githubHeaders(body), body });
  const json = r.json() as { error?: { code: string } };
  return { status: r.status, id: String(r.headers['x-broker-decision-id']), ...(json.error ? { code: json.error.code } : {}) };
}

function commitIds(r: Receiver): string[] {
  return r.received.map((d) => (JSON.parse(d.body.toString('utf8')) as { commits: Array<{ id: string }> }).commits[0]?.id ?? '');
}

async function metrics(b: TestBroker): Promise<string> {
  return (await send(`http://127.0.0.1:${b.broker.adminPort}`, '/metrics')).body.toString('utf8');
}

test('a full queue answers 503 RELAY_QUEUE_FULL; the queued webhooks are delivered in order when the SaaS is back', async () => {
  const receiver = await receiverOn();
  const port = receiver.port;
  await receiver.stop();
  const b = await broker(receiver, { queue: { maxCount: 2 }, delivery: { maxAttempts: 1000, initialBackoffMs: 10, maxBackoffMs: 50 } });
  expect((await push(b, 1)).status).toBe(202);
  expect((await push(b, 2)).status).toBe(202);
  const full = await push(b, 3);
  expect(full).toMatchObject({ status: 503, code: 'RELAY_QUEUE_FULL' });
  const record = await b.log.waitForDecision(full.id);
  expect(record).toMatchObject({ status: 503, relay: { outcome: 'queue_full' } });
  const text = await metrics(b);
  expect(text).toContain('rego_broker_relay_queue_depth{relay="github"} 2');
  expect(text).toContain('rego_broker_relay_webhooks_total{relay="github",outcome="queue_full"} 1');
  const back = await receiverOn(port);
  await back.waitFor(2);
  expect(commitIds(back)).toEqual(['c1', 'c2']);
  expect(await metrics(b)).toMatch(/rego_broker_relay_delivery_retries_total\{relay="github"\} [1-9]/);
});

test('the queue is bounded in bytes too', async () => {
  const receiver = await receiverOn();
  receiver.status = 503;
  const b = await broker(receiver, { queue: { maxBytes: 600 }, delivery: { maxAttempts: 1000 } });
  expect((await push(b, 1)).status).toBe(202);
  expect(await push(b, 2)).toMatchObject({ status: 503, code: 'RELAY_QUEUE_FULL' });
});

test('webhooks accepted while the SaaS is down survive a broker restart and are delivered once, in order', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rego-broker-relay-restart-'));
  const receiver = await receiverOn();
  const port = receiver.port;
  await receiver.stop();
  const first = await broker(receiver, { queueDir: dir, delivery: { maxAttempts: 1000, initialBackoffMs: 10, maxBackoffMs: 50 } });
  const ids: string[] = [];
  for (const n of [1, 2, 3]) {
    const r = await push(first, n);
    expect(r.status).toBe(202);
    ids.push(r.id);
  }
  await first.close();
  opened.splice(opened.indexOf(first), 1);
  expect(readdirSync(join(dir, 'github', 'pending'))).toHaveLength(3);
  const back = await receiverOn(port);
  const second = await broker(back, { queueDir: dir, delivery: { maxAttempts: 1000, initialBackoffMs: 10, maxBackoffMs: 50 } });
  expect(second.broker.relayPort).not.toBeNull();
  await back.waitFor(3);
  expect(commitIds(back)).toEqual(['c1', 'c2', 'c3']);
  expect(back.received.map((d) => d.headers['x-rego-broker-delivery'])).toEqual(ids);
  for (;;) {
    if (readdirSync(join(dir, 'github', 'pending')).length === 0) break;
    await second.log.waitFor(second.log.records.length + 1);
  }
});

test('after maxAttempts a webhook moves to the dead-letter directory, with a delivery record; the next one goes on', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rego-broker-relay-dead-'));
  const receiver = await receiverOn();
  receiver.status = 500;
  const b = await broker(receiver, { queueDir: dir, delivery: { maxAttempts: 3, initialBackoffMs: 5, maxBackoffMs: 10 } });
  const r = await push(b, 1);
  expect(r.status).toBe(202);
  let dead: { delivery: { outcome: string; attempts: number; last_error: string; dead_letter: string } } | undefined;
  while (dead === undefined) {
    dead = b.log.records.find((x) => x.decision_id === r.id && 'delivery' in x) as typeof dead;
    if (dead === undefined) await b.log.waitFor(b.log.records.length + 1);
  }
  expect(dead.delivery).toMatchObject({ outcome: 'dead_lettered', attempts: 3, last_error: 'the destination answered 500' });
  const files = readdirSync(join(dir, 'github', 'dead'));
  expect(files).toHaveLength(1);
  const letter = JSON.parse(readFileSync(join(dir, 'github', 'dead', files[0] as string), 'utf8')) as { id: string; attempts: number };
  expect(letter).toMatchObject({ id: r.id, attempts: 3 });
  expect(readdirSync(join(dir, 'github', 'pending'))).toHaveLength(0);
  expect(await metrics(b)).toContain('rego_broker_relay_dead_letters_total{relay="github"} 1');
  receiver.status = 200;
  expect((await push(b, 2)).status).toBe(202);
  await receiver.waitFor(1);
  expect(commitIds(receiver)).toEqual(['c2']);
});
