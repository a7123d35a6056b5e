/**
 * `npm run bench`: rego-broker against the upstream served directly, a bare http-proxy-3
 * forwarder and Snyk Broker, all on 127.0.0.1, in one run. Prints a table and writes every
 * figure to bench/results/latest.json. Bounded: each load run lasts BENCH_SECONDS (default 5),
 * each download loop a fixed count with a timeout; the whole run takes about 2–3 minutes.
 *
 * Environment:
 *   BENCH_SECONDS=5              duration of each load run
 *   BENCH_SNYK=0                 skip Snyk Broker (its rows then say why)
 *   BENCH_BROKER_NODE_ARGS=...   extra Node flags for the broker child, e.g.
 *                                "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile it under load
 *   BENCH_ONLY=rego-broker,...   measure only these targets (direct, bare-proxy, rego-broker, snyk-broker)
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { EvalResults } from './evaluation';
import { evaluationBench } from './evaluation';
import type { LargeResult, LoadResult } from './measure';
import { large, load, probe } from './measure';
import { memory, sampleRss } from './proc';
import { LARGE_BYTES } from './servers';
import type { Running } from './targets';
import { ensureSnyk, LARGE_ROUTE, ROOT, SMALL_ROUTE, startRegoBroker, startServer, startSnykBroker, startTunnelVariant, stopAll } from './targets';

const SECONDS = Math.min(30, Math.max(1, Number(process.env.BENCH_SECONDS ?? 5)));
const WARMUP_SECONDS = 2;
const CONNECTIONS = [1, 10, 50] as const;
const LARGE_ITERATIONS = 5;
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',')) : null;

interface TargetResult {
  name: string;
  available: boolean;
  reason?: string;
  load: LoadResult[];
  large: LargeResult | null;
  /** RSS in MiB of the measured process: after start (idle) and the highest seen under load. */
  rssIdleMb: number | null;
  rssLoadMb: number | null;
  notes: Record<string, unknown>;
}

function unavailable(name: string, reason: string): TargetResult {
  return { name, available: false, reason, load: [], large: null, rssIdleMb: null, rssLoadMb: null, notes: {} };
}

async function measure(t: Running, log: (s: string) => void): Promise<TargetResult> {
  const first = await probe(t.smallUrl);
  if (first.status !== 200 || first.body.length < 2000) throw new Error(`${t.name}: probe answered ${first.status} with ${first.body.length} bytes`);
  await new Promise((r) => setTimeout(r, 1000));
  const idle = t.pid ? memory(t.pid) : null;
  log(`${t.name}: warm-up ${WARMUP_SECONDS}s`);
  await load(t.smallUrl, 10, WARMUP_SECONDS);
  const runs: LoadResult[] = [];
  let rssLoad = 0;
  for (const c of CONNECTIONS) {
    log(`${t.name}: ${c} connection(s), ${SECONDS}s`);
    const sampler = t.pid ? sampleRss(t.pid, 50) : null;
    const r = await load(t.smallUrl, c, SECONDS);
    rssLoad = Math.max(rssLoad, sampler?.stop() ?? 0);
    if (r.non2xx > 0 || r.errors > 0) log(`${t.name}: ${r.non2xx} non-2xx answers and ${r.errors} errors at ${c} connection(s)`);
    runs.push(r);
  }
  log(`${t.name}: 10 MiB response x${LARGE_ITERATIONS}`);
  const big = await large(t.largeUrl, LARGE_ITERATIONS, LARGE_BYTES, t.pid);
  return { name: t.name, available: true, load: runs, large: big, rssIdleMb: idle?.rss ?? null, rssLoadMb: t.pid ? rssLoad : null, notes: t.notes };
}

const ratio = (a: number | null | undefined, b: number | null | undefined): number | null =>
  a === null || a === undefined || b === null || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0 ? null : a / b;

function ratios(a: TargetResult, b: TargetResult | undefined): Record<string, number | null> | { unavailable: string } {
  if (!b || !b.available) return { unavailable: b?.reason ?? 'not measured' };
  const out: Record<string, number | null> = {};
  for (const c of CONNECTIONS) {
    const x = a.load.find((r) => r.connections === c);
    const y = b.load.find((r) => r.connections === c);
    out[`rps_${c}`] = ratio(x?.rps, y?.rps);
    out[`p50_${c}`] = ratio(x?.p50, y?.p50);
    out[`p99_${c}`] = ratio(x?.p99, y?.p99);
  }
  out.large_ms = ratio(a.large?.medianMs, b.large?.medianMs);
  return out;
}

const f = (v: number | null | undefined, digits = 2): string => (v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits));

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')).join('\n');
}

function render(targets: TargetResult[], evaluation: EvalResults | { error: string }, summary: Record<string, unknown>): string {
  const head = ['target', ...CONNECTIONS.flatMap((c) => [`req/s@${c}`, `p50@${c}`, `p99@${c}`]), '10MiB ms', 'RSS idle', 'RSS load', 'RSS 10MiB'];
  const rows = [head];
  const missing: string[] = [];
  for (const t of targets) {
    if (!t.available) {
      missing.push(`${t.name}: unavailable (${t.reason ?? ''})`);
      continue;
    }
    rows.push([
      t.name,
      ...CONNECTIONS.flatMap((c) => {
        const r = t.load.find((x) => x.connections === c);
        return [f(r?.rps, 0), f(r?.p50, 3), f(r?.p99, 3)];
      }),
      f(t.large?.medianMs, 1),
      f(t.rssIdleMb, 1),
      f(t.rssLoadMb, 1),
      t.large?.rssPeakMb !== null && t.large?.rssPeakMb !== undefined ? `${f(t.large.rssBeforeMb, 1)}->${f(t.large.rssPeakMb, 1)}` : '-',
    ]);
  }
  const lines = [
    'latency in ms (per response, sub-millisecond), RSS in MiB',
    table(rows),
    ...missing,
    '',
  ];
  if ('error' in evaluation) lines.push(`policy evaluation: failed (${evaluation.error})`);
  else {
    lines.push(`policy evaluation, in-process, µs (bundle ${evaluation.revision})`);
    lines.push(
      table([
        ['case', 'input B', 'decision', 'evaluate p50', 'p99', 'judge p50', 'p99', 'mask p50', 'p99'],
        ...evaluation.cases.map((c) => [
          c.name,
          String(c.inputBytes),
          c.allow ? `allow ${c.rule ?? ''}` : `deny ${c.rule ?? ''}`,
          f(c.evaluate.p50, 1),
          f(c.evaluate.p99, 1),
          f(c.judge.p50, 1),
          f(c.judge.p99, 1),
          f(c.mask.p50, 1),
          f(c.mask.p99, 1),
        ]),
      ]),
    );
  }
  lines.push('', 'targets:');
  for (const [k, v] of Object.entries(summary)) lines.push(`  ${k}: ${JSON.stringify(v)}`);
  return lines.join('\n');
}

function checks(targets: TargetResult[], evaluation: EvalResults | { error: string }): Record<string, unknown> {
  const by = (n: string): TargetResult | undefined => targets.find((t) => t.name === n && t.available);
  const broker = by('rego-broker');
  const bare = by('bare-proxy');
  const direct = by('direct');
  const snyk = by('snyk-broker');
  const at = (t: TargetResult | undefined, c: number): LoadResult | undefined => t?.load.find((r) => r.connections === c);
  const get = 'error' in evaluation ? undefined : evaluation.cases[0];
  const verdict = (ok: boolean | null, value: unknown): { ok: boolean | null; value: unknown } => ({ ok, value });
  const r50bare = ratio(at(broker, 50)?.rps, at(bare, 50)?.rps);
  const r50snyk = ratio(at(broker, 50)?.rps, at(snyk, 50)?.rps);
  const p50diff = broker && bare ? (at(broker, 1)?.p50 ?? NaN) - (at(bare, 1)?.p50 ?? NaN) : null;
  const largeRatio = ratio(broker?.large?.medianMs, direct?.large?.medianMs);
  const growth = broker?.large && broker.large.rssPeakMb !== null && broker.large.rssBeforeMb !== null ? broker.large.rssPeakMb - broker.large.rssBeforeMb : null;
  return {
    'throughput@50 >= 0.9 x bare proxy': verdict(r50bare === null ? null : r50bare >= 0.9, r50bare),
    'throughput@50 >= 5 x snyk-broker': verdict(r50snyk === null ? null : r50snyk >= 5, r50snyk),
    'p50@1 within 0.1 ms of bare proxy': verdict(p50diff === null ? null : p50diff <= 0.1, p50diff),
    'evaluation p99 (no body) <= 25 us': verdict(get ? get.evaluate.p99 <= 25 : null, get?.evaluate.p99 ?? null),
    '10 MiB <= 1.5 x direct': verdict(largeRatio === null ? null : largeRatio <= 1.5, largeRatio),
    '10 MiB RSS growth < 10 MiB': verdict(growth === null ? null : growth < 10, growth),
    'idle RSS <= 60 MB': verdict(broker?.rssIdleMb == null ? null : (broker.rssIdleMb * 1048576) / 1e6 <= 60, broker?.rssIdleMb ?? null),
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  const dir = mkdtempSync(join(os.tmpdir(), 'rego-broker-bench-'));
  const log = (s: string): void => {
    process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(3)}s] ${s}\n`);
  };
  const want = (name: string): boolean => ONLY === null || ONLY.has(name);
  log(`logs and configuration in ${dir}`);
  const children = [];
  const results: TargetResult[] = [];
  let evaluation: EvalResults | { error: string } = { error: 'not run' };
  try {
    const upstream = await startServer('upstream', dir);
    const sink = await startServer('sink', dir);
    const bare = await startServer('bare-proxy', dir);
    children.push(upstream.child, sink.child, bare.child);
    const api = `http://127.0.0.1:${upstream.port}/api/v3`;

    if (want('direct')) {
      results.push(await measure({ name: 'direct', pid: upstream.child.pid, smallUrl: `${api}${SMALL_ROUTE}`, largeUrl: `${api}${LARGE_ROUTE}`, children: [], notes: {} }, log));
    }
    if (want('bare-proxy')) {
      const base = `http://127.0.0.1:${bare.port}/proxy/${api}`;
      results.push(await measure({ name: 'bare-proxy', pid: bare.child.pid, smallUrl: `${base}${SMALL_ROUTE}`, largeUrl: `${base}${LARGE_ROUTE}`, children: [], notes: {} }, log));
    }

    const nodeArgs = (process.env.BENCH_BROKER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
    const broker = await startRegoBroker({ upstreamPort: upstream.port, sinkPort: sink.port, dir, nodeArgs });
    if (want('rego-broker')) {
      try {
        const r = await measure(broker.running, log);
        const stats = await probe(`http://127.0.0.1:${sink.port}/stats`);
        r.notes = { ...r.notes, otlpSink: JSON.parse(stats.body) as unknown };
        results.push(r);
      } finally {
        await stopAll(broker.running.children);
      }
    } else await stopAll(broker.running.children);

    if (want('snyk-broker')) {
      if (process.env.BENCH_SNYK === '0') results.push(unavailable('snyk-broker', 'skipped, BENCH_SNYK=0'));
      else {
        const why = await ensureSnyk(dir);
        if (why) results.push(unavailable('snyk-broker', why));
        else {
          let snyk: Running | null = null;
          try {
            log('snyk-broker: starting server and client');
            snyk = await startSnykBroker({ upstreamPort: upstream.port, dir });
            results.push(await measure(snyk, log));
          } catch (err) {
            results.push(unavailable('snyk-broker', (err as Error).message.slice(0, 300)));
          } finally {
            if (snyk) await stopAll(snyk.children);
          }
        }
      }
    }

    const tunnel = await startTunnelVariant();
    if (tunnel === null) results.push(unavailable('rego-broker-tunnel', 'not measured: the tunnel variant is not implemented in the bench yet'));

    log('policy evaluation, in-process');
    try {
      evaluation = await evaluationBench(broker.configFile, `http://127.0.0.1:${upstream.port}`, broker.env);
    } catch (err) {
      evaluation = { error: (err as Error).message };
    }
  } finally {
    await stopAll(children);
  }

  const brokerResult = results.find((t) => t.name === 'rego-broker');
  const summary = checks(results, evaluation);
  const report = {
    generatedAt: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? '', node: process.version, platform: `${os.platform()} ${os.release()}` },
    settings: { secondsPerRun: SECONDS, warmupSeconds: WARMUP_SECONDS, connections: CONNECTIONS, largeBytes: LARGE_BYTES, largeIterations: LARGE_ITERATIONS },
    targets: results,
    evaluation,
    ratios: brokerResult
      ? {
          'rego-broker/direct': ratios(brokerResult, results.find((t) => t.name === 'direct')),
          'rego-broker/bare-proxy': ratios(brokerResult, results.find((t) => t.name === 'bare-proxy')),
          'rego-broker/snyk-broker': ratios(brokerResult, results.find((t) => t.name === 'snyk-broker')),
        }
      : {},
    checks: summary,
    durationSeconds: (Date.now() - started) / 1000,
    logs: dir,
  };
  const outDir = join(ROOT, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, 'latest.json');
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`\n${render(results, evaluation, summary)}\n\nratios (rego-broker / other; req/s above 1 is better, latency below 1):\n`);
  for (const [k, v] of Object.entries(report.ratios)) process.stdout.write(`  ${k}: ${JSON.stringify(v, (_key, x: unknown) => (typeof x === 'number' ? Number(x.toFixed(3)) : x))}\n`);
  process.stdout.write(`\nresults: ${out} (${report.durationSeconds.toFixed(0)} s)\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
