/**
 * `npm run bench`: rego-broker against the upstream served directly, a bare http-proxy-3
 * forwarder and Snyk Broker, all on 127.0.0.1, in one run. Prints a table and writes every
 * figure to bench/results/latest.json. Bounded: each load run lasts BENCH_SECONDS (default 5),
 * each download loop a fixed count with a timeout; the whole run takes about 2–3 minutes.
 *
 * When the WireGuard lab can run (root, ip, wg, wireguard-go, /dev/net/tun; see
 * tunnel/src/lab/hub.ts) more rows are measured from the hub namespace through the tunnel:
 * `tunnel-direct` (the sample upstream on the broker's tunnel address, no broker),
 * `tunnel-direct-carrier` (the same over the TLS carrier instead of UDP; bench/carrier.ts),
 * `rego-broker-tunnel` (the real CLI with the tunnel enabled, the upstream on 127.0.0.1 in its
 * namespace) and `rego-broker-hub-2` (two replicas of one deployment, through the hub's front).
 * The load runs in the hub namespace (load-runner.ts). Otherwise their rows say why.
 *
 * Environment:
 *   BENCH_SECONDS=5              duration of each load run
 *   BENCH_SNYK=0                 skip Snyk Broker (its rows then say why)
 *   BENCH_BROKER_NODE_ARGS=...   extra Node flags for the broker child, e.g.
 *                                "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile it under load
 *   BENCH_ONLY=rego-broker,...   measure only these targets (direct, bare-proxy, rego-broker, snyk-broker,
 *                                tunnel-direct, tunnel-direct-carrier, rego-broker-tunnel, rego-broker-hub-2,
 *                                semgrep-nb-tunnel) and sections
 *                                (adversarial)
 *   BENCH_SEMGREP_SRC=DIR        a checkout of the Semgrep Network Broker's repository, built into
 *                                bench/.semgrep/ when `semgrep-network-broker` is not on PATH
 *   BENCH_LOAD=autocannon        use autocannon even when wrk is on PATH
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { hubPrerequisites } from '../tunnel/src/lab/hub';
import { startCarrierDirect } from './carrier';
import type { AdversarialCase } from './adversarial';
import { adversarialBench, renderAdversarial, STALL_TARGET_MS } from './adversarial';
import type { EvalResults } from './evaluation';
import { evaluationBench } from './evaluation';
import { ensureSemgrep, startSemgrep } from './semgrep';
import type { LargeResult, LoadResult } from './measure';
import { LOAD_GENERATOR, LOCAL_CLIENT, probe } from './measure';
import type { Child } from './proc';
import { memory, sampleRss } from './proc';
import { LARGE_BYTES } from './servers';
import type { Running, TunnelLab } from './targets';
import { ensureSnyk, LARGE_ROUTE, ROOT, SMALL_ROUTE, startRegoBroker, startServer, startSnykBroker, startTunnelLab, stopAll } from './targets';
import { NODE_FLAGS } from '../gateway/src/cli/node-flags';

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
  const { probe, load, large } = t.client ?? LOCAL_CLIENT;
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

function ratios(targets: TargetResult[], first: string, second: string): Record<string, number | null> | { unavailable: string } {
  const [a, b] = [first, second].map((n) => targets.find((t) => t.name === n));
  if (!a?.available) return { unavailable: `${first}: ${a?.reason ?? 'not measured'}` };
  if (!b?.available) return { unavailable: `${second}: ${b?.reason ?? 'not measured'}` };
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
  const tunnel = by('rego-broker-tunnel');
  const semgrep = by('semgrep-nb-tunnel');
  const at = (t: TargetResult | undefined, c: number): LoadResult | undefined => t?.load.find((r) => r.connections === c);
  const get = 'error' in evaluation ? undefined : evaluation.cases[0];
  const verdict = (ok: boolean | null, value: unknown): { ok: boolean | null; value: unknown } => ({ ok, value });
  const atLeast = (value: number | null, min: number): { ok: boolean | null; value: unknown } => verdict(value === null ? null : value >= min, value);
  const atMost = (value: number | null | undefined, max: number): { ok: boolean | null; value: unknown } =>
    verdict(value === null || value === undefined || !Number.isFinite(value) ? null : value <= max, value ?? null);
  const p50diff = broker && bare ? (at(broker, 1)?.p50 ?? NaN) - (at(bare, 1)?.p50 ?? NaN) : null;
  const growth = broker?.large && broker.large.rssPeakMb !== null && broker.large.rssBeforeMb !== null ? broker.large.rssPeakMb - broker.large.rssBeforeMb : null;
  return {
    'req/s@50 through the tunnel >= 1.2 x Semgrep NB': atLeast(ratio(at(tunnel, 50)?.rps, at(semgrep, 50)?.rps), 1.2),
    'req/s@50 >= 0.6 x bare proxy': atLeast(ratio(at(broker, 50)?.rps, at(bare, 50)?.rps), 0.6),
    'req/s@50 >= 4 x Snyk Broker': atLeast(ratio(at(broker, 50)?.rps, at(snyk, 50)?.rps), 4),
    'p50@1 within +0.10 ms of bare proxy': atMost(p50diff, 0.1),
    'evaluation p99 (no body) <= 25 us': atMost(get?.evaluate.p99, 25),
    'RSS idle <= 60 MiB': atMost(broker?.rssIdleMb, 60),
    'RSS under load @50 <= 120 MiB': atMost(broker?.rssLoadMb, 120),
    '10 MiB time <= 1.2 x direct': atMost(ratio(broker?.large?.medianMs, direct?.large?.medianMs), 1.2),
    '10 MiB RSS growth <= 4 MiB': atMost(growth, 4),
  };
}

/** Pairs reported as ratios (first / second). */
const RATIOS: ReadonlyArray<readonly [string, string]> = [
  ['rego-broker', 'direct'],
  ['rego-broker', 'bare-proxy'],
  ['rego-broker', 'snyk-broker'],
  ['tunnel-direct', 'direct'],
  ['tunnel-direct-carrier', 'tunnel-direct'],
  ['rego-broker-tunnel', 'tunnel-direct'],
  ['rego-broker-tunnel', 'rego-broker'],
  ['rego-broker-tunnel', 'semgrep-nb-tunnel'],
  ['rego-broker-hub-2', 'rego-broker-tunnel'],
];

/**
 * The two tunnel rows, measured from the hub namespace; when the lab cannot run here, or fails
 * to start, the rows say why. The namespaces are removed before this returns (and by
 * `setCleanup`'s function on a signal).
 */
async function measureTunnel(
  dir: string,
  nodeArgs: string[],
  want: (name: string) => boolean,
  log: (s: string) => void,
  setCleanup: (c: (() => Promise<void>) | null) => void,
): Promise<TargetResult[]> {
  const names = ['tunnel-direct', 'tunnel-direct-carrier', 'rego-broker-tunnel', 'rego-broker-hub-2', 'semgrep-nb-tunnel'].filter(want);
  const missing = hubPrerequisites();
  if (missing !== null) return names.map((n) => unavailable(n, `the WireGuard lab cannot run here: ${missing}`));
  log('tunnel: creating the lab (namespaces, veth, wireguard-go hub)');
  let lab: TunnelLab;
  try {
    lab = await startTunnelLab(dir);
  } catch (err) {
    return names.map((n) => unavailable(n, `the WireGuard lab did not start: ${(err as Error).message.slice(0, 300)}`));
  }
  setCleanup(lab.teardown);
  const out: TargetResult[] = [];
  const one = async (name: string, start: () => Promise<Running>, after?: (r: TargetResult) => Promise<void>): Promise<void> => {
    if (!want(name)) return;
    let t: Running | null = null;
    try {
      t = await start();
      const r = await measure(t, log);
      await after?.(r);
      out.push(r);
    } catch (err) {
      out.push(unavailable(name, (err as Error).message.slice(0, 300)));
    } finally {
      if (t) await stopAll(t.children);
    }
  };
  try {
    await one('tunnel-direct', () => lab.startDirect());
    await one('tunnel-direct-carrier', () => startCarrierDirect(lab, dir));
    await one(
      'rego-broker-tunnel',
      () => lab.startBroker(nodeArgs),
      async (r) => {
        const stats = await lab.brokerSide.probe(`http://127.0.0.1:${lab.sinkPort}/stats`);
        r.notes = { ...r.notes, otlpSink: JSON.parse(stats.body) as unknown };
      },
    );
    await one('rego-broker-hub-2', () => lab.startReplicas(nodeArgs));
    if (want('semgrep-nb-tunnel')) {
      const semgrep = ensureSemgrep(process.env, log);
      if ('reason' in semgrep) out.push(unavailable('semgrep-nb-tunnel', semgrep.reason));
      else await one('semgrep-nb-tunnel', () => startSemgrep(lab, semgrep.binary, dir, lab.client));
    }
  } finally {
    log('tunnel: removing the lab');
    await lab.teardown();
    setCleanup(null);
  }
  return out;
}

async function main(): Promise<void> {
  const started = Date.now();
  const dir = mkdtempSync(join(os.tmpdir(), 'rego-broker-bench-'));
  const log = (s: string): void => {
    process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(3)}s] ${s}\n`);
  };
  const want = (name: string): boolean => ONLY === null || ONLY.has(name);
  log(`logs and configuration in ${dir}`);
  const children: Child[] = [];
  // Ctrl-C or SIGTERM: stop the children and remove the tunnel lab's namespaces before leaving.
  let cleanup: (() => Promise<void>) | null = null;
  const onSignal = (signal: NodeJS.Signals): void => {
    log(`${signal}: stopping`);
    void Promise.allSettled([stopAll(children), cleanup?.()]).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const results: TargetResult[] = [];
  let evaluation: EvalResults | { error: string } = { error: 'not run' };
  let adversarial: AdversarialCase[] | { error: string } = { error: 'not run' };
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

    // As deployed (gateway/src/cli/node-flags.ts), plus any given.
    const nodeArgs = [...NODE_FLAGS, ...(process.env.BENCH_BROKER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean)];
    const broker = await startRegoBroker({ upstreamPort: upstream.port, sinkPort: sink.port, dir, nodeArgs });
    children.push(...broker.running.children);
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
            children.push(...snyk.children);
            results.push(await measure(snyk, log));
          } catch (err) {
            results.push(unavailable('snyk-broker', (err as Error).message.slice(0, 300)));
          } finally {
            if (snyk) await stopAll(snyk.children);
          }
        }
      }
    }

    if (['tunnel-direct', 'tunnel-direct-carrier', 'rego-broker-tunnel', 'rego-broker-hub-2', 'semgrep-nb-tunnel'].some(want)) results.push(...(await measureTunnel(dir, nodeArgs, want, log, (c) => (cleanup = c))));

    log('policy evaluation, in-process');
    try {
      evaluation = await evaluationBench(broker.configFile, `http://127.0.0.1:${upstream.port}`, broker.env);
    } catch (err) {
      evaluation = { error: (err as Error).message };
    }

    if (want('adversarial')) {
      log('adversarial inputs, broker in-process');
      try {
        adversarial = await adversarialBench();
      } catch (err) {
        adversarial = { error: (err as Error).message };
      }
    }
  } finally {
    await stopAll(children);
  }

  const summary = checks(results, evaluation);
  const worstStall = Array.isArray(adversarial) ? Math.max(...adversarial.map((c) => c.maxLoopDelayMs)) : null;
  summary[`adversarial: no event-loop stall over ${STALL_TARGET_MS} ms`] = { ok: worstStall === null ? null : worstStall <= STALL_TARGET_MS, value: worstStall };
  const report = {
    generatedAt: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? '', node: process.version, platform: `${os.platform()} ${os.release()}` },
    settings: { loadGenerator: LOAD_GENERATOR, secondsPerRun: SECONDS, warmupSeconds: WARMUP_SECONDS, connections: CONNECTIONS, largeBytes: LARGE_BYTES, largeIterations: LARGE_ITERATIONS },
    targets: results,
    evaluation,
    adversarial,
    ratios: Object.fromEntries(
      RATIOS.filter(([a]) => results.some((t) => t.name === a)).map(([a, b]) => [`${a}/${b}`, ratios(results, a, b)]),
    ),
    checks: summary,
    durationSeconds: (Date.now() - started) / 1000,
    logs: dir,
  };
  const outDir = join(ROOT, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, 'latest.json');
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  const adversarialText = Array.isArray(adversarial) ? renderAdversarial(adversarial).join('\n') : `adversarial inputs: ${adversarial.error}`;
  process.stdout.write(`\n${render(results, evaluation, summary)}\n\n${adversarialText}\n\nratios (first / second; req/s above 1 is better, latency below 1):\n`);
  for (const [k, v] of Object.entries(report.ratios)) process.stdout.write(`  ${k}: ${JSON.stringify(v, (_key, x: unknown) => (typeof x === 'number' ? Number(x.toFixed(3)) : x))}\n`);
  process.stdout.write(`\nresults: ${out} (${report.durationSeconds.toFixed(0)} s)\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
