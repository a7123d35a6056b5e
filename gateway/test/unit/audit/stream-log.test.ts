/**
 * The decision-log writer under faults: a failing sink is refused (or counted as loss), logged
 * once when it fails and once when it recovers; a renamed file is reopened without losing a
 * record; close is bounded whatever the sink does. `/dev/full` stands in for a full disk.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { DecisionRecord } from '../../../src/audit/decision-log';
import { StreamDecisionLog } from '../../../src/audit/decision-log';
import { FdSink } from '../../../src/audit/sink';

function record(i: number): DecisionRecord {
  return {
    decision_id: `id-${i}`,
    timestamp: '2026-01-01T00:00:00.000Z',
    path: 'broker/decision',
    input: { request: { method: 'GET', path: `/r/${i}` } },
    result: { allow: true },
    bundles: { 'rego-broker': { revision: 'test' } },
    metrics: {},
    labels: {},
    status: 200,
  };
}

function capture(): { logger: pino.Logger; lines: Array<{ msg: string; [k: string]: unknown }> } {
  const lines: Array<{ msg: string }> = [];
  return { lines, logger: pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as { msg: string }) }) };
}

/** Resolves once `cond` holds (checked on each turn of the event loop), or fails after `ms`. */
async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function ids(path: string): string[] {
  return readFileSync(path, 'utf8').trim().split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as DecisionRecord).decision_id);
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stream-log-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const fullDisk = existsSync('/dev/full');

describe('a full disk', () => {
  (fullDisk ? it : it.skip)('fails closed: refuses, reports once, keeps the records, and close gives up in time', async () => {
    const { logger, lines } = capture();
    const log = new StreamDecisionLog({ path: '/dev/full' }, logger);
    expect(log.refusal()).toBeNull();
    log.write(record(1));
    log.write(record(2));
    await until(() => !log.stats().healthy);
    expect(log.refusal()).toBe('decision log sink failing (ENOSPC)');
    expect(log.problem()).toContain('ENOSPC');
    expect(log.stats()).toMatchObject({ written: 0, lost: 0, bufferedRecords: 2, healthy: false });
    await until(() => log.stats().failures >= 2);
    expect(lines.filter((l) => l.msg === 'decision log sink failing')).toHaveLength(1);
    const started = Date.now();
    expect(await log.close(200)).toBe(2);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  (fullDisk ? it : it.skip)('with onFailure serve: keeps serving and counts every record that does not fit', async () => {
    const { logger, lines } = capture();
    const one = Buffer.byteLength(`${JSON.stringify(record(1))}\n`);
    const log = new StreamDecisionLog({ path: '/dev/full', onFailure: 'serve', bufferBytes: one * 3 }, logger);
    for (let i = 0; i < 10; i++) log.write(record(i));
    await until(() => !log.stats().healthy);
    expect(log.refusal()).toBeNull();
    expect(log.stats()).toMatchObject({ lost: 7, bufferedRecords: 3 });
    expect(lines.filter((l) => l.msg === 'decision record lost')).toHaveLength(1);
    expect(await log.close(50)).toBe(3);
  });
});

describe('the buffer bound', () => {
  it('refuses while more than bufferBytes wait, and never drops in refuse mode', async () => {
    const path = join(dir, 'd.log');
    const log = new StreamDecisionLog({ path, bufferBytes: 1 }, pino({ level: 'silent' }));
    log.write(record(1));
    log.write(record(2));
    expect(log.refusal()).toBe('decision log buffer full');
    await log.flush();
    expect(log.refusal()).toBeNull();
    expect(ids(path)).toEqual(['id-1', 'id-2']);
    expect(log.stats()).toMatchObject({ written: 2, lost: 0, bufferedRecords: 0 });
  });

  it('writes a burst in few writes (group commit), in order', async () => {
    const path = join(dir, 'd.log');
    const log = new StreamDecisionLog({ path }, pino({ level: 'silent' }));
    for (let i = 0; i < 5000; i++) log.write(record(i));
    await log.flush();
    expect(ids(path)).toEqual(Array.from({ length: 5000 }, (_, i) => `id-${i}`));
  });
});

describe('external rotation and recovery', () => {
  it('a renamed file (logrotate create) is detected and reopened; no record is lost', async () => {
    const path = join(dir, 'd.log');
    const log = new StreamDecisionLog({ path }, pino({ level: 'silent' }));
    log.write(record(1));
    await log.flush();
    renameSync(path, `${path}.1`);
    log.write(record(2));
    await log.flush();
    await until(() => log.stats().reopened >= 1);
    log.write(record(3));
    await log.flush();
    expect([...ids(`${path}.1`), ...ids(path)]).toEqual(['id-1', 'id-2', 'id-3']);
    expect(ids(path)).toContain('id-3');
    await log.close(100);
  });

  it('reopen() (SIGUSR1) moves to the new file at once', async () => {
    const path = join(dir, 'd.log');
    const log = new StreamDecisionLog({ path }, pino({ level: 'silent' }));
    log.write(record(1));
    await log.flush();
    renameSync(path, `${path}.1`);
    log.reopen();
    log.write(record(2));
    await log.flush();
    expect(ids(`${path}.1`)).toEqual(['id-1']);
    expect(ids(path)).toEqual(['id-2']);
    await log.close(100);
  });

  it('a path that cannot be reopened fails the sink; writing resumes by itself once it can', async () => {
    const { logger, lines } = capture();
    const sub = join(dir, 'sub');
    const path = join(sub, 'd.log');
    const log = new StreamDecisionLog({ path }, logger);
    log.write(record(1));
    await log.flush();
    rmSync(sub, { recursive: true });
    writeFileSync(sub, 'not a directory');
    log.reopen();
    log.write(record(2));
    await until(() => !log.stats().healthy);
    expect(log.refusal()).toMatch(/^decision log sink failing \((EEXIST|ENOTDIR)\)/);
    rmSync(sub);
    mkdirSync(sub);
    await until(() => log.stats().healthy && log.stats().bufferedRecords === 0);
    expect(ids(path)).toEqual(['id-2']);
    expect(lines.map((l) => l.msg).filter((m) => m.startsWith('decision log sink'))).toEqual(['decision log sink failing', 'decision log sink recovered']);
    expect(log.stats()).toMatchObject({ recoveries: 1, lost: 0 });
    await log.close(100);
  });
});

describe('FdSink.replaced', () => {
  it.each([
    ['renamed', (p: string) => renameSync(p, `${p}.old`), true],
    ['deleted', (p: string) => rmSync(p), true],
    ['untouched', () => undefined, false],
  ])('%s', (_name, change, expected) => {
    const path = join(dir, 'f.log');
    const sink = FdSink.open(path);
    change(path);
    expect(sink.replaced()).toBe(expected);
    sink.close();
  });

  it('is never true for stdout', () => {
    expect(FdSink.open('-').replaced()).toBe(false);
  });
});
