/**
 * Policy evaluation alone, through the broker's own code: the configuration loader, the gate
 * (normalize, resolve, bound, buildInput, evaluate on the worker with its deadline), the WASM
 * evaluation in this thread without the worker round trip, and the decision log's mask
 * evaluation. Bounded by a count and a time per case.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEvaluator } from '../gateway/src/app';
import { loadFromFiles } from '../gateway/src/cli/args';
import { gateOptions, judgeRequest } from '../gateway/src/pipeline/gate';
import type { RequestData } from '../gateway/src/pipeline/gate';
import { WasmEvaluator } from '../gateway/src/policy/evaluate';
import { compileSurfaces } from '../gateway/src/request/resolve';
import { createLogger } from '../gateway/src/telemetry/logger';
import { percentile } from './measure';

export interface Timing {
  n: number;
  /** Microseconds. */
  p50: number;
  p99: number;
  mean: number;
}

export interface EvalCase {
  name: string;
  inputBytes: number;
  allow: boolean;
  rule: string | null;
  /** The WASM evaluation in this thread, on the input's JSON text (no worker round trip). */
  evaluate: Timing;
  /** `evaluator.evaluate` as the broker calls it: serialization and the worker round trip. */
  worker: Timing;
  /** The gate: normalize, resolve, bound, build the input, evaluate on the worker. */
  judge: Timing;
  /** `evaluator.mask`: the decision log's masking of the same input. */
  mask: Timing;
}

export interface EvalResults {
  revision: string;
  cases: EvalCase[];
}

async function time(fn: () => unknown, maxN: number, maxMs: number): Promise<Timing> {
  for (let i = 0; i < Math.min(500, maxN); i += 1) await fn();
  const samples = new Float64Array(maxN);
  const deadline = process.hrtime.bigint() + BigInt(maxMs) * 1_000_000n;
  let n = 0;
  let total = 0;
  while (n < maxN) {
    const t0 = process.hrtime.bigint();
    await fn();
    const dt = Number(process.hrtime.bigint() - t0) / 1000;
    samples[n++] = dt;
    total += dt;
    if ((n & 63) === 0 && process.hrtime.bigint() > deadline) break;
  }
  const sorted = samples.subarray(0, n).sort();
  return { n, p50: percentile(sorted, 50), p99: percentile(sorted, 99), mean: total / n };
}

/** Run the evaluation cases against the broker configuration in `configFile`. */
export async function evaluationBench(configFile: string, upstreamBase: string, env: NodeJS.ProcessEnv): Promise<EvalResults> {
  const { config } = loadFromFiles([configFile], env);
  const evaluator = await loadEvaluator(config, createLogger('error'));
  if (!evaluator.ready) throw new Error(`policy bundle ${config.policy.bundle} could not be loaded`);
  const local = await WasmEvaluator.load(config.policy.bundle, { maxMemoryPages: config.policy.maxMemoryPages });
  const options = gateOptions(config.policy, config.integrations, compileSurfaces(config.integrations), () => evaluator);
  const headers: IncomingHttpHeaders = { host: '127.0.0.1', accept: 'application/json', 'user-agent': 'rego-broker-bench', connection: 'keep-alive' };
  const comment = JSON.stringify({ body: 'x'.repeat(64 * 1024 - 12) });
  const requests: Array<{ name: string; req: RequestData }> = [
    {
      name: 'GET manifest, no body',
      req: { method: 'GET', url: `${upstreamBase}/api/v3/repos/acme/app/contents/package.json?ref=main`, headers, body: Buffer.alloc(0), sourceAddress: '127.0.0.1' },
    },
    {
      name: 'POST comment, 64 KB JSON body',
      req: {
        method: 'POST',
        url: `${upstreamBase}/api/v3/repos/acme/app/issues/7/comments`,
        headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(comment)) },
        body: Buffer.from(comment),
        sourceAddress: '127.0.0.1',
      },
    },
    {
      name: 'DELETE repository (denied), no body',
      req: { method: 'DELETE', url: `${upstreamBase}/api/v3/repos/acme/app`, headers, body: Buffer.alloc(0), sourceAddress: '127.0.0.1' },
    },
  ];
  const cases: EvalCase[] = [];
  for (const { name, req } of requests) {
    const decisionId = randomUUID();
    const first = await judgeRequest(req, options);
    const built = first.input;
    if (built === null || first.code === 'POLICY_EVAL_FAILED') throw new Error(`${name}: ${first.reasons.join('; ')}`);
    const text = JSON.stringify(built);
    const big = req.body.length > 0;
    const maxN = big ? 2000 : 20_000;
    const maxMs = big ? 6000 : 5000;
    cases.push({
      name,
      inputBytes: Buffer.byteLength(text),
      allow: first.code === null,
      rule: first.decision?.rule ?? null,
      evaluate: await time(() => local.evaluateText(text), maxN, maxMs),
      worker: await time(() => evaluator.evaluate(built, { decisionId }), maxN, maxMs),
      judge: await time(() => judgeRequest(req, options), maxN, maxMs),
      mask: await time(() => evaluator.mask(built, first.raw), maxN, maxMs),
    });
  }
  await evaluator.close();
  return { revision: evaluator.revision, cases };
}

/**
 * `node dist/bench/evaluation.js`: this section alone, against a throwaway configuration with
 * one github integration (the upstream is never contacted) and policies/build/bundle.tar.gz.
 */
if (require.main === module) {
  const dir = mkdtempSync(join(tmpdir(), 'rego-broker-eval-'));
  const configFile = join(dir, 'broker.yaml');
  const bundle = join(__dirname, '..', '..', 'policies', 'build', 'bundle.tar.gz');
  const upstream = 'http://127.0.0.1:9';
  writeFileSync(
    configFile,
    [
      'listen: {host: 127.0.0.1, port: 0}',
      'admin: {host: 127.0.0.1, port: 0}',
      `policy: {bundle: "${bundle}"}`,
      'integrations:',
      `  - {name: ghe, type: github, baseUrl: "${upstream}/api/v3", auth: {scheme: bearer, tokenEnv: BENCH_GHE_TOKEN}}`,
      '',
    ].join('\n'),
  );
  evaluationBench(configFile, upstream, { ...process.env, BENCH_GHE_TOKEN: 'bench-token' }).then(
    (r) => {
      process.stdout.write(`bundle ${r.revision}\n`);
      for (const c of r.cases) {
        const t = (x: Timing): string => `p50 ${x.p50.toFixed(1)} p99 ${x.p99.toFixed(1)}`;
        process.stdout.write(`${c.name} (${c.inputBytes} B, ${c.rule ?? '-'}): evaluate ${t(c.evaluate)}; worker ${t(c.worker)}; gate ${t(c.judge)}; mask ${t(c.mask)} µs\n`);
      }
    },
    (err: unknown) => {
      process.stderr.write(`${(err as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
