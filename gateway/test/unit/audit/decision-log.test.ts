/** The file decision log: size-based rotation that never splits or loses a record. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { DecisionRecord } from '../../../src/audit/decision-log';
import { StreamDecisionLog } from '../../../src/audit/decision-log';
import { rotateFiles } from '../../../src/audit/rotate';
import { ConfigError } from '../../../src/errors';

const silent = pino({ level: 'silent' });

function record(i: number, pad = 0): DecisionRecord {
  return {
    decision_id: `id-${i}`,
    timestamp: '2026-01-01T00:00:00.000Z',
    path: 'broker/decision',
    input: { request: { method: 'GET', path: `/r/${i}`, note: 'é'.repeat(pad) } },
    result: { allow: true },
    bundles: { 'rego-broker': { revision: 'test' } },
    metrics: {},
    labels: {},
    status: 200,
  };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'decision-log-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The log files in `dir`: name → lines. */
function files(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const name of readdirSync(dir).sort()) {
    const text = readFileSync(join(dir, name), 'utf8');
    expect(text === '' || text.endsWith('\n')).toBe(true);
    out.set(name, text === '' ? [] : text.slice(0, -1).split('\n'));
  }
  return out;
}

describe('StreamDecisionLog rotation', () => {
  it('rotates by size without splitting, losing or repeating a record', async () => {
    const path = join(dir, 'decisions.jsonl');
    const maxFileBytes = 1000;
    const log = new StreamDecisionLog({ path, maxBodyBytes: 4096, maxFileBytes, maxFiles: 50 }, silent);
    const n = 120;
    // Records of varied sizes (multi-byte characters included), about 190 to 330 bytes each,
    // written in bursts so rotation happens while earlier writes are still in flight.
    for (let i = 0; i < n; i++) {
      log.write(record(i, (i * 7) % 70));
      if (i % 10 === 9) await new Promise((r) => setImmediate(r));
    }
    await log.flush();

    const got = files();
    const names = [...got.keys()];
    expect(names.length).toBeGreaterThan(10);
    expect(names.length).toBeLessThanOrEqual(51);
    expect(names).toContain('decisions.jsonl');
    const ids: string[] = [];
    // Oldest first: path.N … path.1, then path.
    const ordered = names.filter((x) => x !== 'decisions.jsonl').sort((a, b) => Number(b.split('.').pop()) - Number(a.split('.').pop()));
    for (const name of [...ordered, 'decisions.jsonl']) {
      const lines = got.get(name) ?? [];
      for (const line of lines) ids.push((JSON.parse(line) as DecisionRecord).decision_id);
      const size = statSync(join(dir, name)).size;
      // Only a file holding a single record may exceed the limit.
      if (lines.length > 1) expect(size).toBeLessThanOrEqual(maxFileBytes);
    }
    expect(ids).toEqual(Array.from({ length: n }, (_, i) => `id-${i}`));
  });

  it('keeps at most maxFiles rotated files, dropping the oldest', async () => {
    const path = join(dir, 'd.log');
    const log = new StreamDecisionLog({ path, maxBodyBytes: 4096, maxFileBytes: 1, maxFiles: 3 }, silent);
    for (let i = 0; i < 10; i++) {
      log.write(record(i));
      await log.flush();
    }
    const got = files();
    expect([...got.keys()]).toEqual(['d.log', 'd.log.1', 'd.log.2', 'd.log.3']);
    // With a 1-byte limit every record has a file of its own: the newest four are kept.
    const id = (name: string): string => (JSON.parse((got.get(name) ?? [])[0] ?? '{}') as DecisionRecord).decision_id;
    expect(['d.log.3', 'd.log.2', 'd.log.1', 'd.log'].map(id)).toEqual(['id-6', 'id-7', 'id-8', 'id-9']);
  });

  it('counts the size the file already had when opened', async () => {
    const path = join(dir, 'd.log');
    writeFileSync(path, `${'x'.repeat(90)}\n`);
    const log = new StreamDecisionLog({ path, maxBodyBytes: 4096, maxFileBytes: 100, maxFiles: 2 }, silent);
    log.write(record(1));
    await log.flush();
    expect(readFileSync(`${path}.1`, 'utf8')).toBe(`${'x'.repeat(90)}\n`);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ decision_id: 'id-1' });
  });

  it('never rotates with maxFileBytes 0', async () => {
    const path = join(dir, 'd.log');
    const log = new StreamDecisionLog({ path, maxBodyBytes: 4096, maxFileBytes: 0, maxFiles: 2 }, silent);
    for (let i = 0; i < 20; i++) log.write(record(i));
    await log.flush();
    expect(readdirSync(dir)).toEqual(['d.log']);
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(20);
  });

  it('still takes a bare path (the configuration defaults: no rotation below 100 MiB)', async () => {
    const path = join(dir, 'sub', 'd.log');
    const log = new StreamDecisionLog(path, silent);
    log.write(record(1));
    log.write(record(2));
    await log.flush();
    expect(readFileSync(path, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as DecisionRecord).decision_id)).toEqual(['id-1', 'id-2']);
  });

  it('refuses an unwritable path at once, naming the key (exit 2)', () => {
    const blocker = join(dir, 'file');
    writeFileSync(blocker, '');
    let thrown: unknown = null;
    try {
      new StreamDecisionLog({ path: join(blocker, 'd.log'), maxBodyBytes: 4096, maxFileBytes: 10, maxFiles: 2 }, silent);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).message).toContain('telemetry.decisionLog.path');
  });
});

describe('rotateFiles', () => {
  it.each([
    ['shifts each file up and drops the oldest', 3, ['p', 'p.1', 'p.2', 'p.3'], { 'p.1': 'p', 'p.2': 'p.1', 'p.3': 'p.2' }],
    ['fills gaps without dropping', 3, ['p', 'p.2'], { 'p.1': 'p', 'p.3': 'p.2' }],
    ['with maxFiles 1 keeps only the last file', 1, ['p', 'p.1'], { 'p.1': 'p' }],
    ['with maxFiles 0 deletes the file', 0, ['p'], {}],
    ['does nothing without a file', 2, [], {}],
  ])('%s', (_name, maxFiles, present, expected) => {
    for (const name of present) writeFileSync(join(dir, name), name);
    rotateFiles(join(dir, 'p'), maxFiles);
    const after = Object.fromEntries(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name), 'utf8')]));
    expect(after).toEqual(expected);
    expect(existsSync(join(dir, 'p'))).toBe(false);
  });
});
