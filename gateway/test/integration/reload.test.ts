/**
 * Live reload of the policy bundle on a real broker: reloads under bounded load fail no request
 * and every decision record names the revision that judged it; a bad bundle (corrupt, without
 * the decision entrypoint, without the configured type's package) is refused, logged and
 * counted while the old revision stays in service; a file change reloads; a bundle that cannot
 * be loaded at start is fatal unless `policy.onLoadFailure` is `deny`.
 */
import { EventEmitter } from 'node:events';
import { copyFileSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../../src/app';
import type { RunningBroker } from '../../src/app';
import { MemoryDecisionLog } from '../../src/audit/decision-log';
import { createLogger } from '../../src/telemetry/logger';
import { send, testConfig, TOKEN_ENV } from '../helpers/broker';
import { buildBundle } from '../helpers/rego';
import { startUpstream } from '../helpers/upstream';
import type { FakeUpstream } from '../helpers/upstream';

/** A bundle that allows everything and says which bundle it is in its reasons, with a mask. */
function tagged(tag: string, extra: Record<string, string> = {}): string {
  return buildBundle(
    {
      'decision.rego': `package broker\n\ndecision := {"allow": true, "reasons": ["bundle ${tag}"]}\n`,
      'github.rego': 'package integrations.github\n\nallowed_by := {"github.any"}\n',
      'mask.rego': 'package system.log\n\nmask contains "/input/request/headers"\n',
      ...extra,
    },
    ['broker/decision', 'system/log/mask'],
  );
}

const A = tagged('A');
const B = tagged('B');
const NO_ENTRYPOINT = buildBundle({ 'p.rego': 'package other\n\nx := 1\n' }, ['other/x']);
const NO_GITHUB = buildBundle({ 'decision.rego': 'package broker\n\ndecision := {"allow": false, "rule": "broker.deny.unknown_integration_type"}\n' });

let upstream: FakeUpstream;
beforeAll(async () => {
  // A little upstream latency keeps requests in flight across the swaps.
  upstream = await startUpstream((_req, res) => {
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    }, 5);
  });
});
afterAll(() => upstream.close());

/** A logger whose records are kept and announced. */
function eventLogger(): { logger: ReturnType<typeof createLogger>; lines: Array<Record<string, unknown>>; events: EventEmitter } {
  const lines: Array<Record<string, unknown>> = [];
  const events = new EventEmitter();
  const logger = createLogger('debug', {
    write: (s: string) => {
      const rec = JSON.parse(s) as Record<string, unknown>;
      lines.push(rec);
      events.emit('line', rec);
    },
  });
  return { logger, lines, events };
}

function nextLine(events: EventEmitter, match: (rec: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const on = (rec: Record<string, unknown>): void => {
      if (!match(rec)) return;
      events.off('line', on);
      resolve(rec);
    };
    events.on('line', on);
  });
}

interface Started {
  broker: RunningBroker;
  log: MemoryDecisionLog;
  lines: Array<Record<string, unknown>>;
  events: EventEmitter;
  file: string;
  base: string;
}

async function start(initial: string, policy: Record<string, unknown> = {}): Promise<Started> {
  const dir = mkdtempSync(join(tmpdir(), 'rego-broker-reload-'));
  const file = join(dir, 'bundle.tar.gz');
  copyFileSync(initial, file);
  const { logger, lines, events } = eventLogger();
  const log = new MemoryDecisionLog();
  const config = testConfig(upstream.url, { policy: { bundle: file, ...policy } });
  const broker = await startBroker({ config, env: { [TOKEN_ENV]: 't' }, logger, decisionLog: log });
  return { broker, log, lines, events, file, base: `http://127.0.0.1:${broker.port}` };
}

/** Replace the bundle file the way deployments do: write aside, rename over. */
function replace(file: string, from: string): void {
  copyFileSync(from, `${file}.new`);
  renameSync(`${file}.new`, file);
}

function admin(broker: RunningBroker, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(`http://127.0.0.1:${broker.adminPort}${path}`, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

const PATH = (): string => `/proxy/${upstream.url}/api/v3/repos/acme/app/contents/package.json`;
const revisionOf = (bundle: string): string => `test-${bundle.split('rego-broker-test-')[1]!.split('/')[0]}`;

describe('reload under load', () => {
  it('swaps bundles while requests run: no request fails, each record names the bundle that judged it', async () => {
    const s = await start(A, { watch: false });
    try {
      const statuses: number[] = [];
      const total = 240;
      // Each swap runs while a batch of requests is in flight, and the next batch starts only
      // once the swap is done: requests cross every reload, and both bundles judge some.
      const batch = async (n: number): Promise<void> => {
        const one = async (): Promise<void> => {
          for (let k = 0; k < n / 8; k += 1) statuses.push((await send(s.base, PATH())).status);
        };
        await Promise.all(Array.from({ length: 8 }, one));
      };
      const outcomes = [];
      for (let i = 0; i < 6; i += 1) {
        replace(s.file, i % 2 === 0 ? B : A);
        const inFlight = batch(total / 6);
        outcomes.push(await s.broker.reload('test'));
        await inFlight;
      }
      expect(outcomes.every((o) => o.ok)).toBe(true);
      expect(statuses).toHaveLength(total);
      expect(statuses.filter((st) => st !== 200)).toEqual([]);
      const records = await s.log.waitFor(total);
      const seen = new Set<string>();
      for (const r of records) {
        const revision = r.bundles['rego-broker'].revision;
        seen.add(revision);
        const tag = (r.result as { reasons: string[] }).reasons[0];
        expect(revision).toBe(revisionOf(tag === 'bundle A' ? A : B));
        // Masked by the bundle that judged it: a closed evaluator would have logged the
        // minimal record (every request part erased) instead.
        expect(r.erased).toEqual(['/input/request/headers']);
      }
      expect(seen).toEqual(new Set([revisionOf(A), revisionOf(B)]));
    } finally {
      await s.broker.close(1000);
    }
  });
});

describe('a bad bundle is kept out', () => {
  it.each([
    ['corrupt', (file: string) => writeFileSync(file, Buffer.from('not a tarball at all')), 'not a readable'],
    ['missing the decision entrypoint', (file: string) => replace(file, NO_ENTRYPOINT), 'no broker/decision entrypoint'],
    ['without the configured type', (file: string) => replace(file, NO_GITHUB), 'no policy package for type github'],
    ['missing', (file: string) => renameSync(file, `${file}.gone`), 'cannot read'],
  ])('%s: refused, logged, counted; the old revision stays in service', async (_name, spoil, reason) => {
    const s = await start(A, { watch: false });
    try {
      spoil(s.file);
      const outcome = await s.broker.reload('test');
      expect(outcome).toMatchObject({ ok: false });
      expect(outcome.ok ? '' : outcome.reason).toContain(reason);
      expect(s.broker.evaluator.revision).toBe(revisionOf(A));
      const refused = s.lines.find((l) => l.msg === 'policy bundle refused; the policy in service stays');
      expect(refused).toMatchObject({ trigger: 'test', revision: revisionOf(A) });
      expect(String(refused!.err)).toContain(reason);
      const metrics = (await admin(s.broker, '/metrics')).body;
      expect(metrics).toContain('rego_broker_policy_loads_total{result="failed"} 1');
      expect(metrics).toContain(`rego_broker_policy_bundle_info{revision="${revisionOf(A)}"} 1`);
      const ready = await admin(s.broker, '/readyz');
      expect(JSON.parse(ready.body)).toEqual({ status: 'ready', details: { revision: revisionOf(A) } });
      const reply = await send(s.base, PATH());
      expect(reply.status).toBe(200);
      const [record] = await s.log.waitFor(1);
      expect(record!.bundles['rego-broker'].revision).toBe(revisionOf(A));
    } finally {
      await s.broker.close(1000);
    }
  });
});

describe('reload triggers', () => {
  it('a new file renamed over the bundle is loaded without a signal', async () => {
    const s = await start(A);
    try {
      const loaded = nextLine(s.events, (l) => l.msg === 'policy bundle loaded' && l.trigger === 'file change');
      replace(s.file, B);
      expect(await loaded).toMatchObject({ revision: revisionOf(B), previous: revisionOf(A) });
      expect(s.broker.evaluator.revision).toBe(revisionOf(B));
      expect(JSON.parse((await admin(s.broker, '/readyz')).body)).toEqual({ status: 'ready', details: { revision: revisionOf(B) } });
      expect((await admin(s.broker, '/metrics')).body).toContain('rego_broker_policy_loads_total{result="ok"} 2');
    } finally {
      await s.broker.close(1000);
    }
  });
});

describe('start-up stance', () => {
  it('a bundle that cannot be loaded at start is fatal (exit code 2) with the reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rego-broker-reload-'));
    const file = join(dir, 'bundle.tar.gz');
    writeFileSync(file, 'garbage');
    const config = testConfig(upstream.url, { policy: { bundle: file } });
    await expect(startBroker({ config, env: { [TOKEN_ENV]: 't' }, logger: createLogger('silent'), decisionLog: new MemoryDecisionLog() })).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining('policy bundle not loaded: bundle') as unknown,
    });
  });

  it('with onLoadFailure deny: every request is denied until a reload brings a good bundle', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rego-broker-reload-'));
    const good = join(dir, 'good.tar.gz');
    copyFileSync(A, good);
    const s = await start(NO_ENTRYPOINT, { onLoadFailure: 'deny', watch: false });
    try {
      expect((await send(s.base, PATH())).status).toBe(500);
      expect((await admin(s.broker, '/readyz')).status).toBe(503);
      replace(s.file, good);
      expect(await s.broker.reload('test')).toEqual({ ok: true, revision: revisionOf(A) });
      expect((await send(s.base, PATH())).status).toBe(200);
      expect((await admin(s.broker, '/readyz')).status).toBe(200);
    } finally {
      await s.broker.close(1000);
    }
  });
});
