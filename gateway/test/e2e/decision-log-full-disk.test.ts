/**
 * A real full disk: the decision log on a 256 KiB tmpfs that the test fills. The broker fails
 * closed (DECISION_LOG_UNAVAILABLE, `/readyz` 503), keeps the records it had admitted, and once
 * space is freed writes them and serves again by itself; no answered request is left without
 * its record. Runs only as root (it mounts the tmpfs, and unmounts it also on failure);
 * otherwise the suite is skipped with its reason.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../../src/app';
import type { RunningBroker } from '../../src/app';
import type { DecisionRecord } from '../../src/audit/decision-log';
import { memoryLogger, send, testConfig, TOKEN_ENV } from '../helpers/broker';
import { startUpstream } from '../helpers/upstream';
import type { FakeUpstream } from '../helpers/upstream';

const ALLOWED = '/api/v3/repos/acme/app/contents/package.json';

function mountTmpfs(): string | null {
  if (process.getuid?.() !== 0) return null;
  const dir = mkdtempSync(join(tmpdir(), 'full-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
}

// Decided before the suite is defined, so a skip is visible with its reason.
const mount = mountTmpfs();
const describeRoot = mount !== null ? describe : describe.skip;
if (mount === null) console.warn('full-disk e2e skipped: needs root and a tmpfs mount');

describeRoot('the decision log on a disk that fills up and frees', () => {
  const dir = mount ?? '';
  const path = join(dir, 'decisions.jsonl');
  const filler = join(dir, 'filler');
  let upstream: FakeUpstream;
  let broker: RunningBroker;
  let base = '';
  let admin = '';

  beforeAll(async () => {
    upstream = await startUpstream();
    const config = testConfig(upstream.url, { telemetry: { decisionLog: { path }, traces: { exporter: 'none' } }, shutdown: { graceSeconds: 1, flushSeconds: 2 } });
    broker = await startBroker({ config, env: { [TOKEN_ENV]: 'token' }, logger: memoryLogger([]) });
    base = `http://127.0.0.1:${broker.port}`;
    admin = `http://127.0.0.1:${broker.adminPort}`;
  });

  afterAll(async () => {
    await broker?.close();
    await upstream?.close();
    execFileSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses while full, recovers by itself when space returns, and loses nothing answered', async () => {
    const answered: string[] = [];
    const ask = async (): Promise<number> => {
      const reply = await send(base, `/proxy/${upstream.url}${ALLOWED}`);
      if (reply.status === 200) answered.push(String(reply.headers['x-broker-decision-id']));
      return reply.status;
    };
    expect(await ask()).toBe(200);
    // Fill what is left of the disk; writing stops at ENOSPC.
    try {
      writeFileSync(filler, Buffer.alloc(512 * 1024));
    } catch {
      // The disk is full now.
    }
    let status = 200;
    for (let i = 0; i < 500 && status === 200; i++) status = await ask();
    expect(status).toBe(503);
    const ready = await send(admin, '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.json()).toMatchObject({ reason: 'decision log sink failing (ENOSPC)' });

    rmSync(filler);
    // The writer retries every 250 ms; wait for it through /readyz (bounded in count).
    let readyStatus = 503;
    for (let i = 0; i < 5000 && readyStatus !== 200; i++) readyStatus = (await send(admin, '/readyz')).status;
    expect(readyStatus).toBe(200);
    expect(await ask()).toBe(200);
    expect(broker.decisionLog.stats()).toMatchObject({ healthy: true, lost: 0, recoveries: 1 });
    await broker.decisionLog.flush();
    const ids = readFileSync(path, 'utf8').split('\n').filter((l) => l.startsWith('{') && l.endsWith('}')).map((l) => (JSON.parse(l) as DecisionRecord).decision_id);
    for (const id of answered) expect(ids).toContain(id);
  });
});
