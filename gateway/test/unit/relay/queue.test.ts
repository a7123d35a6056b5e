/** The durable queue on its own: order, bounds, recovery of what a run left, dead letters. */
import { mkdtempSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RelayQueue } from '../../../src/relay/queue';

const fields = (id: string): { id: string; receivedAt: string; event: string; scmDelivery: null; trace: null; body: string } => ({
  id,
  receivedAt: '2026-01-01T00:00:00.000Z',
  event: 'push',
  scmDelivery: null,
  trace: null,
  body: Buffer.from('{}').toString('base64'),
});

function dir(): string {
  return mkdtempSync(join(tmpdir(), 'rego-broker-queue-'));
}

test('entries come out in the order they went in, per relay', async () => {
  const q = new RelayQueue(dir(), ['a', 'b'], { maxBytes: 1e6, maxCount: 10 });
  await Promise.all([q.enqueue('a', fields('a1')), q.enqueue('b', fields('b1')), q.enqueue('a', fields('a2'))]);
  const a1 = await q.head('a');
  expect(a1?.id).toBe('a1');
  await q.remove(a1!);
  expect((await q.head('a'))?.id).toBe('a2');
  expect((await q.head('b'))?.id).toBe('b1');
  expect(q.depth()).toMatchObject({ count: 2 });
});

test('bounded by count: concurrent enqueues cannot overrun it', async () => {
  const q = new RelayQueue(dir(), ['a'], { maxBytes: 1e6, maxCount: 3 });
  const results = await Promise.all(['1', '2', '3', '4', '5'].map((n) => q.enqueue('a', fields(n))));
  expect(results.filter((r) => r.ok)).toHaveLength(3);
  expect(results.filter((r) => !r.ok && r.full)).toHaveLength(2);
});

test('a new queue over the same directory recovers the entries, attempts and order, and drops unfinished writes', async () => {
  const d = dir();
  const q = new RelayQueue(d, ['a'], { maxBytes: 1e6, maxCount: 10 });
  await q.enqueue('a', fields('x'));
  await q.enqueue('a', fields('y'));
  const x = (await q.head('a'))!;
  x.attempts = 2;
  x.lastError = 'the destination answered 502';
  await q.update(x);
  writeFileSync(join(d, 'a', 'pending', '.half.tmp'), '{"id":');
  const again = new RelayQueue(d, ['a'], { maxBytes: 1e6, maxCount: 10 });
  expect(again.depth().count).toBe(2);
  expect(await again.head('a')).toMatchObject({ id: 'x', attempts: 2, lastError: 'the destination answered 502' });
  expect(readdirSync(join(d, 'a', 'pending')).some((f) => f.endsWith('.tmp'))).toBe(false);
  const z = await again.enqueue('a', fields('z'));
  expect(z.ok && z.entry.seq).toBe(3);
});

test('a dead letter leaves the queue for the dead-letter directory', async () => {
  const d = dir();
  const q = new RelayQueue(d, ['a'], { maxBytes: 1e6, maxCount: 10 });
  await q.enqueue('a', fields('x'));
  const target = await q.deadLetter((await q.head('a'))!);
  expect(target).toBe(join(d, 'a', 'dead', '0000000000000001.json'));
  expect(q.depth().count).toBe(0);
  expect(await q.head('a')).toBeNull();
});

test('an unwritable directory refuses the webhook without counting it', async () => {
  const q = new RelayQueue(dir(), ['a'], { maxBytes: 1e6, maxCount: 10 });
  const r = await q.enqueue('missing', fields('x'));
  expect(r.ok).toBe(false);
  expect(q.depth().count).toBe(0);
});

test('a dead letter moved back under a new sequence number is read as that entry', async () => {
  const d = dir();
  const q = new RelayQueue(d, ['a'], { maxBytes: 1e6, maxCount: 10 });
  await q.enqueue('a', fields('x'));
  const target = await q.deadLetter((await q.head('a'))!);
  renameSync(target, join(d, 'a', 'pending', '0000000000000007.json'));
  const again = new RelayQueue(d, ['a'], { maxBytes: 1e6, maxCount: 10 });
  const head = await again.head('a');
  expect(head).toMatchObject({ id: 'x', seq: 7 });
  await again.remove(head!);
  expect(again.depth().count).toBe(0);
});
