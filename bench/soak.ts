/**
 * The soak: rego-broker as deployed (its own process, the shipped bundle, spans to an OTLP sink,
 * the decision log to a file) under a closed loop of `SOAK_CONNECTIONS` keep-alive connections,
 * 70% allowed and 30% denied requests, for `SOAK_SECONDS`. On demand only, never in CI:
 *
 *   npm run build && SOAK_SECONDS=600 npm run soak        # the full ten minutes
 *   npm run soak                                          # a 60 s try
 *
 * It reports the rate, errors, refusals (DECISION_LOG_UNAVAILABLE), the broker's RSS growth
 * after warm-up, its event-loop delay, the client-side and server-side p99 (the server side
 * from each record's `timer_total_ns`), and checks that every answered request has exactly one
 * decision record. Then it measures the decision-log writer alone on the records the soak
 * produced (records/s, bounded to `SOAK_WRITER_RECORDS`), to compare with the broker's rate.
 * Exit 0 when the checks hold (RSS growth < 10%, no errors, no answered request without its
 * record), 1 otherwise. Other settings: SOAK_DIR (work directory, default a new temporary one),
 * SOAK_NODE_ARGS (options for the broker's Node, e.g. `--cpu-prof --cpu-prof-dir=DIR`), and
 * SOAK_SIGKILL=1: end with SIGKILL under full load instead of SIGTERM, to measure the crash loss
 * (answered requests whose record was not yet handed to the kernel); errors are then expected.
 */
import { createReadStream, mkdtempSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { StreamDecisionLog } from '../gateway/src/audit/decision-log';
import type { DecisionRecord } from '../gateway/src/audit/decision-log';
import { percentile } from './measure';
import { memory, startChild, stop } from './proc';
import { startServer } from './targets';
import { NODE_FLAGS } from '../gateway/src/cli/node-flags';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'gateway', 'src', 'cli', 'main.js');
const ALLOWED = '/repos/acme/app/contents/package.json';
const DENIED = '/repos/acme/app/contents/main.go';

function setting(name: string, fallback: number): number {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`);
  return v;
}

interface ClientStats {
  sent: number;
  byStatus: Map<number, number>;
  errors: number;
  latenciesMs: number[];
  /** Decision ids of requests answered by the broker itself or the upstream (not refused). */
  answered: string[];
  refused: number;
}

/** One keep-alive connection sending requests back to back until `until`. */
async function connection(agent: http.Agent, base: string, upstream: string, until: number, stats: ClientStats, seq: { n: number }): Promise<void> {
  while (Date.now() < until) {
    const i = seq.n++;
    const path = `/proxy/${upstream}/api/v3${i % 10 < 7 ? ALLOWED : DENIED}`;
    const started = process.hrtime.bigint();
    await new Promise<void>((resolve) => {
      const req = http.get(`${base}${path}`, { agent }, (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          stats.latenciesMs.push(Number(process.hrtime.bigint() - started) / 1e6);
          stats.byStatus.set(status, (stats.byStatus.get(status) ?? 0) + 1);
          const id = res.headers['x-broker-decision-id'];
          if (status === 503) stats.refused += 1;
          else if (typeof id === 'string') stats.answered.push(id);
          resolve();
        });
        res.on('error', () => {
          stats.errors += 1;
          resolve();
        });
      });
      req.on('error', () => {
        stats.errors += 1;
        resolve();
      });
    });
    stats.sent += 1;
  }
}

/** The broker's own numbers from /metrics: event-loop delay and decision-log counters. */
async function scrape(admin: string): Promise<Record<string, number>> {
  const text = await new Promise<string>((resolve, reject) => {
    http.get(`${admin}/metrics`, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(rego_broker_(?:event_loop_delay_seconds\{quantile="[^"]+"\}|decision_log_\w+|spans_dropped_total))\s+(\S+)$/.exec(line);
    if (m) out[m[1] as string] = Number(m[2]);
  }
  return out;
}

/** The writer alone: how many of these records per second it puts in a file. */
async function writerThroughput(records: DecisionRecord[], dir: string, total: number): Promise<{ records: number; seconds: number; perSecond: number }> {
  const log = new StreamDecisionLog({ path: join(dir, 'writer-bench.jsonl'), maxFileBytes: 0, bufferBytes: 64 * 1024 * 1024 }, pino({ level: 'silent' }));
  const started = process.hrtime.bigint();
  // In slices, as the broker hands them over: the writer batches whatever piled up meanwhile.
  for (let written = 0; written < total; ) {
    for (let k = 0; k < 500 && written < total; k++, written++) log.write(records[written % records.length] as DecisionRecord);
    await new Promise((resolve) => setImmediate(resolve));
  }
  await log.flush();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await log.close(1000);
  return { records: total, seconds, perSecond: total / seconds };
}

async function main(): Promise<number> {
  const seconds = setting('SOAK_SECONDS', 60);
  const connections = setting('SOAK_CONNECTIONS', 50);
  const writerRecords = setting('SOAK_WRITER_RECORDS', 200_000);
  const dir = process.env.SOAK_DIR ?? mkdtempSync(join(tmpdir(), 'rego-broker-soak-'));
  const say = (s: string): void => void process.stdout.write(`${s}\n`);

  const up = await startServer('upstream', dir);
  const sink = await startServer('sink', dir);
  const decisionLog = join(dir, 'decisions.jsonl');
  const upstream = `http://127.0.0.1:${up.port}`;
  const configFile = join(dir, 'broker.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      listen: { host: '127.0.0.1', port: 0 },
      admin: { host: '127.0.0.1', port: 0 },
      policy: { bundle: join(ROOT, 'policies', 'build', 'bundle.tar.gz') },
      telemetry: { traces: { exporter: 'otlp', endpoint: `http://127.0.0.1:${sink.port}/v1/traces` }, decisionLog: { path: decisionLog, maxFileBytes: 0 } },
      integrations: [{ name: 'ghe', type: 'github', baseUrl: `${upstream}/api/v3`, auth: { scheme: 'bearer', tokenEnv: 'SOAK_GHE_TOKEN' } }],
    }),
  );
  // As deployed (gateway/src/cli/node-flags.ts), plus any given.
  const nodeArgs = [...NODE_FLAGS, ...(process.env.SOAK_NODE_ARGS ?? '').split(' ').filter((a) => a !== '')];
  const { child: broker, value: ports } = await startChild('rego-broker', [process.execPath, ...nodeArgs, CLI, 'run', '-c', configFile], {
    env: { PATH: process.env.PATH, SOAK_GHE_TOKEN: 'soak-token' },
    cwd: ROOT,
    logFile: join(dir, 'rego-broker.stdout.log'),
    stream: 'stderr',
    timeoutMs: 20_000,
    ready: (line) => {
      const rec = JSON.parse(line) as { msg?: string; port?: number; adminPort?: number };
      return rec.msg === 'broker listening' ? { port: rec.port as number, admin: rec.adminPort as number } : undefined;
    },
  });
  const base = `http://127.0.0.1:${ports.port}`;
  const admin = `http://127.0.0.1:${ports.admin}`;
  say(`soak: ${seconds} s, ${connections} connections, 70/30 allowed/denied; work directory ${dir}`);

  const stats: ClientStats = { sent: 0, byStatus: new Map(), errors: 0, latenciesMs: [], answered: [], refused: 0 };
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const started = Date.now();
  const until = started + seconds * 1000;
  // RSS once a second; the baseline is taken after a warm-up of a tenth of the run (at least 5 s).
  const warmup = Math.max(5000, Math.min(seconds * 1000 * 0.1, 30_000));
  const rss: Array<{ t: number; mib: number }> = [];
  const sampler = setInterval(() => {
    const m = memory(broker.pid);
    if (m && Number.isFinite(m.rss)) rss.push({ t: Date.now() - started, mib: m.rss });
  }, 1000);
  const seq = { n: 0 };
  const crash = process.env.SOAK_SIGKILL === '1';
  const killer = crash ? setTimeout(() => broker.proc.kill('SIGKILL'), seconds * 1000) : null;
  await Promise.all(Array.from({ length: connections }, () => connection(agent, base, upstream, until, stats, seq)));
  const elapsed = (Date.now() - started) / 1000;
  clearInterval(sampler);
  agent.destroy();
  if (killer) clearTimeout(killer);
  const brokerMetrics = crash ? {} : await scrape(admin);
  await stop(broker, 30_000);
  const exitCode = broker.proc.exitCode;
  await stop(up.child);
  await stop(sink.child);

  // Records: exactly one per answered request.
  // Streamed: ten minutes of records are larger than one string may be.
  const count = new Map<string, number>();
  const serverList: number[] = [];
  /** A sample of the records for the writer's own measurement below. */
  const sample: DecisionRecord[] = [];
  let total = 0;
  for await (const l of createInterface({ input: createReadStream(decisionLog, 'utf8'), crlfDelay: Infinity })) {
    if (l === '') continue;
    const r = JSON.parse(l) as DecisionRecord;
    count.set(r.decision_id, (count.get(r.decision_id) ?? 0) + 1);
    serverList.push((r.metrics.timer_total_ns ?? 0) / 1e6);
    total += 1;
    if (sample.length < 10_000) sample.push(r);
  }
  const missing = stats.answered.filter((id) => (count.get(id) ?? 0) === 0).length;
  const duplicated = [...count.values()].filter((n) => n > 1).length;
  const serverMs = serverList.sort((a, b) => a - b);
  const clientMs = stats.latenciesMs.sort((a, b) => a - b);

  const base0 = rss.find((s) => s.t >= warmup) ?? rss[0];
  const last = rss.at(-1);
  const growth = base0 && last ? (last.mib - base0.mib) / base0.mib : NaN;
  const statuses = Object.fromEntries([...stats.byStatus].sort((a, b) => a[0] - b[0]));
  const unexpected = [...stats.byStatus].filter(([s]) => s !== 200 && s !== 403 && s !== 503).reduce((n, [, k]) => n + k, 0);
  const errors = stats.errors + unexpected;

  say(`requests: ${stats.sent} in ${elapsed.toFixed(1)} s = ${(stats.sent / elapsed).toFixed(0)} req/s; statuses ${JSON.stringify(statuses)}`);
  say(`errors: ${errors} (client ${stats.errors}, unexpected statuses ${unexpected}); refused (DECISION_LOG_UNAVAILABLE): ${stats.refused}`);
  say(`records: ${total}; answered without a record: ${missing}; decision ids with more than one record: ${duplicated}`);
  say(`latency p50/p99/max: client ${percentile(clientMs, 50).toFixed(1)}/${percentile(clientMs, 99).toFixed(1)}/${(clientMs.at(-1) ?? 0).toFixed(1)} ms; server ${percentile(serverMs, 50).toFixed(1)}/${percentile(serverMs, 99).toFixed(1)}/${(serverMs.at(-1) ?? 0).toFixed(1)} ms`);
  say(`broker RSS: ${base0?.mib.toFixed(1)} MiB after warm-up (${(warmup / 1000).toFixed(0)} s) -> ${last?.mib.toFixed(1)} MiB at the end (${(growth * 100).toFixed(1)}%), peak ${Math.max(...rss.map((s) => s.mib)).toFixed(1)} MiB`);
  // The shape of the curve tells warm-up (flattens) from a leak (keeps climbing).
  const tenths = Array.from({ length: 10 }, (_, k) => rss.find((r) => r.t >= ((k + 1) * seconds * 1000) / 10) ?? last);
  say(`broker RSS by tenth of the run (MiB): ${tenths.map((r) => r?.mib.toFixed(0) ?? '-').join(' ')}`);
  writeFileSync(join(dir, 'rss.json'), JSON.stringify(rss));
  const loop = (q: string): string => ((brokerMetrics[`rego_broker_event_loop_delay_seconds{quantile="${q}"}`] ?? NaN) * 1000).toFixed(1);
  say(`broker event-loop delay p50/p99/max: ${loop('0.5')}/${loop('0.99')}/${loop('1')} ms; spans dropped ${brokerMetrics.rego_broker_spans_dropped_total ?? 0}; records lost ${brokerMetrics.rego_broker_decision_log_lost_total ?? 0}; broker exit code ${exitCode}`);

  const writer = await writerThroughput(sample, dir, sample.length > 0 ? writerRecords : 0);
  say(`decision-log writer alone: ${writer.records} records in ${writer.seconds.toFixed(2)} s = ${writer.perSecond.toFixed(0)} records/s (broker: ${(stats.sent / elapsed).toFixed(0)} req/s)`);

  if (crash) {
    say(`crash (SIGKILL under load): ${missing} of ${stats.answered.length} answered requests had no record (${((missing / Math.max(1, stats.answered.length)) * 100).toFixed(3)}%)`);
    return 0;
  }
  const ok = growth < 0.1 && errors === 0 && missing === 0 && duplicated === 0 && exitCode === 0;
  say(`checks: RSS growth < 10% ${growth < 0.1 ? 'ok' : 'FAILED'}; 0 errors ${errors === 0 ? 'ok' : 'FAILED'}; every answered request has exactly one record ${missing === 0 && duplicated === 0 ? 'ok' : 'FAILED'}; clean exit ${exitCode === 0 ? 'ok' : 'FAILED'}`);
  return ok ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`soak: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
