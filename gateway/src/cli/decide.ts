/**
 * `rego-broker decide -c FILE… [--input FILE|-] [--bundle FILE]`: judge request lines (JSONL)
 * exactly as the running broker would, without network and without a decision log. For policy
 * authors and CI: a line's `expect` that is not met makes the exit code 1. With `--replay
 * FILE` it judges past decision records again instead (replay.ts).
 */
import { createReadStream } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { createInterface } from 'node:readline';
import { ERRORS } from '../errors';
import { loadEvaluator } from '../app';
import type { RequestContext } from '../pipeline/context';
import { gateOptions, judgeRequest } from '../pipeline/gate';
import { decideOutbound, outboundLine } from '../relay/decide';
import { compileSurfaces } from '../request/resolve';
import { WasmEvaluator } from '../policy/evaluate';
import { createLogger } from '../telemetry/logger';
import type { CommandIo } from './args';
import { loadFromFiles, parseCommand } from './args';
import { parseExpect, unmet } from './expect';
import type { Expectation } from './expect';
import { replayLines } from './replay';

/** One request line. */
interface RequestLine {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  expect?: Expectation;
}

function parseLine(text: string): RequestLine | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return 'not valid JSON';
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'a request line must be an object';
  const o = v as Record<string, unknown>;
  if (typeof o.url !== 'string') return '"url" (the absolute destination) is required';
  const method = o.method === undefined ? 'GET' : o.method;
  if (typeof method !== 'string' || !/^[A-Za-z]+$/.test(method)) return '"method" must be an HTTP method';
  const headers: IncomingHttpHeaders = {};
  if (o.headers !== undefined) {
    if (typeof o.headers !== 'object' || o.headers === null || Array.isArray(o.headers)) return '"headers" must be an object';
    for (const [k, val] of Object.entries(o.headers)) {
      if (typeof val !== 'string') return `header ${k} must be a string`;
      headers[k.toLowerCase()] = val;
    }
  }
  let body = Buffer.alloc(0);
  if (typeof o.body === 'string') body = Buffer.from(o.body, 'utf8');
  else if (o.body !== undefined && o.body !== null) {
    body = Buffer.from(JSON.stringify(o.body), 'utf8');
    headers['content-type'] ??= 'application/json';
  }
  const expect = parseExpect(o.expect);
  if (typeof expect === 'string') return expect;
  return { method: method.toUpperCase(), url: o.url, headers, body, ...(expect ? { expect } : {}) };
}

/** The output line for one judgement. */
export function decisionLine(ctx: RequestContext): Record<string, unknown> {
  return {
    decision_id: ctx.decisionId,
    allow: ctx.code === null,
    rule: ctx.decision?.rule ?? null,
    reasons: ctx.code === null && ctx.decision !== null ? ctx.decision.reasons : ctx.reasons,
    status: ctx.code === null ? null : (ctx.status ?? ERRORS[ctx.code].status),
    code: ctx.code,
    ...(ctx.dryRun ? { dry_run: true } : {}),
    input: ctx.input,
  };
}

export async function decide(io: CommandIo): Promise<number> {
  const { files, values } = parseCommand(io.argv, {
    input: { type: 'string', short: 'i' },
    bundle: { type: 'string', short: 'b' },
    replay: { type: 'string' },
    'fail-on-change': { type: 'boolean' },
  });
  const loaded = loadFromFiles(files, io.env).config;
  const config = typeof values.bundle === 'string' ? { ...loaded, policy: { ...loaded.policy, bundle: values.bundle } } : loaded;
  if (typeof values.replay === 'string') return replay(io, config.policy, values.replay, values['fail-on-change'] === true);
  const logger = createLogger('error');
  const evaluator = await loadEvaluator(config, logger);
  if (!evaluator.ready) {
    io.stderr.write(`error: policy bundle ${config.policy.bundle} could not be loaded (run npm run build)\n`);
    return 1;
  }
  let unmetCount = 0;
  const options = gateOptions(config.policy, config.integrations, compileSurfaces(config.integrations), () => evaluator);
  const source = values.input === undefined || values.input === '-' ? io.stdin : createReadStream(String(values.input));
  const lines = createInterface({ input: source, crlfDelay: Infinity });
  let bad = 0;
  let n = 0;
  for await (const text of lines) {
    n += 1;
    if (text.trim() === '') continue;
    const outbound = outboundLine(text);
    if (outbound !== null) {
      const out = await decideOutbound(outbound, config, evaluator);
      if (typeof out === 'string') bad += 1;
      io.stdout.write(`${JSON.stringify(typeof out === 'string' ? { line: n, error: out } : { ...out, revision: evaluator.revision })}\n`);
      continue;
    }
    const line = parseLine(text);
    if (typeof line === 'string') {
      bad += 1;
      io.stdout.write(`${JSON.stringify({ line: n, error: line })}\n`);
      continue;
    }
    const ctx = await judgeRequest({ ...line, sourceAddress: 'decide' }, options);
    const out = decisionLine(ctx);
    const why = line.expect ? unmet(line.expect, out.allow === true, ctx.decision?.rule ?? null, out.reasons as string[]) : null;
    if (why !== null) unmetCount += 1;
    io.stdout.write(`${JSON.stringify({ ...out, revision: evaluator.revision, ...(why !== null ? { expect_unmet: why } : {}) })}\n`);
  }
  await evaluator.close();
  if (unmetCount > 0) io.stderr.write(`${unmetCount} decision(s) did not meet their expect\n`);
  return bad > 0 || unmetCount > 0 ? 1 : 0;
}

/** `--replay FILE`: past decision records judged again by the (candidate) bundle. */
async function replay(io: CommandIo, policy: { bundle: string; maxMemoryPages: number }, file: string, failOnChange: boolean): Promise<number> {
  let evaluator: WasmEvaluator;
  try {
    evaluator = await WasmEvaluator.load(policy.bundle, { maxMemoryPages: policy.maxMemoryPages });
  } catch (err) {
    io.stderr.write(`error: policy bundle ${policy.bundle} could not be loaded: ${(err as Error).message}\n`);
    return 1;
  }
  io.stderr.write(`policy bundle ${policy.bundle} revision ${evaluator.revision || 'none'}\n`);
  const source = file === '-' ? io.stdin : createReadStream(file);
  const lines = createInterface({ input: source, crlfDelay: Infinity });
  const s = await replayLines(evaluator, lines, (out) => io.stdout.write(`${JSON.stringify(out)}\n`));
  io.stderr.write(`replayed ${s.records} record(s): ${s.changed} changed, ${s.inexact} inexact (masked or truncated input), ${s.skipped} not judged by the policy, ${s.unmet} expect not met, ${s.bad} bad line(s)\n`);
  return s.bad > 0 || s.unmet > 0 || (failOnChange && s.changed > 0) ? 1 : 0;
}
