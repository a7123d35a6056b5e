/**
 * The gate, shared by the running broker and `rego-broker decide`: normalize the destination,
 * resolve it to an integration surface, bound and parse what the request holds, build the
 * input and evaluate it. Each stage reads and fills the one per-request context; the first deny
 * stops the pipeline. No I/O besides the evaluation, so both commands answer the same.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { IntegrationConfig, PolicyConfig } from '../config/types';
import { ErrorCode } from '../errors';
import { buildInput } from '../policy/input';
import type { EvaluationResult, PolicyEvaluator, PolicyInput } from '../policy/types';
import { checkHeaders, checkJsonText, checkQuery } from '../request/bounds';
import { readGraphql } from '../request/graphql';
import type { GraphqlInput } from '../request/graphql';
import { forwardedHeaders } from '../request/headers';
import { normalizeUrl } from '../request/normalize';
import { checkBodyUse, isJsonType, mediaType, parseBody } from '../request/receive';
import { resolveDestination } from '../request/resolve';
import type { CompiledSurfaces } from '../request/resolve';
import { deny, newContext } from './context';
import type { RequestContext } from './context';

/** Configuration the gate works with, prepared once. */
export interface GateOptions {
  integrations: ReadonlyMap<string, IntegrationConfig>;
  surfaces: CompiledSurfaces;
  policy: Pick<PolicyConfig, 'dryRun' | 'limits' | 'graphql'>;
  /** Evaluates the input (the broker wraps it in the evaluate span). */
  evaluate(input: PolicyInput, ctx: RequestContext): Promise<EvaluationResult>;
}

/** Build the gate's options from configuration and an evaluator. */
export function gateOptions(policy: GateOptions['policy'], integrations: readonly IntegrationConfig[], surfaces: CompiledSurfaces, evaluator: () => PolicyEvaluator): GateOptions {
  return {
    integrations: new Map(integrations.map((i) => [i.name, i])),
    surfaces,
    policy,
    evaluate: (input, ctx) => evaluator().evaluate(input, { decisionId: ctx.decisionId }),
  };
}

/** Everything up to the input document; null when the request was denied on the way. */
function prepare(ctx: RequestContext, options: GateOptions): PolicyInput | null {
  const { limits } = options.policy;
  const headerBounds = checkHeaders(ctx.headers, ctx.rawHeaderCount, limits);
  if (headerBounds !== null) return fail(ctx, ErrorCode.INPUT_TOO_COMPLEX, headerBounds);
  const normalized = normalizeUrl(ctx.destination ?? '');
  if (!normalized.ok) return fail(ctx, ErrorCode.INPUT_INVALID, normalized.reason);
  const url = normalized.value;
  ctx.url = url;
  const queryBounds = checkQuery(url.query, limits);
  if (queryBounds !== null) return fail(ctx, ErrorCode.INPUT_TOO_COMPLEX, queryBounds);
  const resolved = resolveDestination(url, options.surfaces);
  const integration = resolved === null ? undefined : options.integrations.get(resolved.integrationName);
  if (resolved === null || integration === undefined) {
    return fail(ctx, ErrorCode.DESTINATION_NOT_ALLOWED, `${url.scheme}://${url.hostHeader}${url.path} is not under any configured integration`);
  }
  ctx.resolved = resolved;
  ctx.integration = integration;
  const contentType = mediaType(headerValue(ctx.headers['content-type']));
  const use = checkBodyUse(ctx.method, contentType, ctx.body.length);
  if (use !== null) return fail(ctx, ErrorCode.INPUT_INVALID, use);
  // Bounded before it is parsed: what the policy would be given, counted on the bytes.
  if (ctx.body.length > 0 && (contentType === null || isJsonType(contentType))) {
    const problem = checkJsonText(ctx.body, limits);
    if (problem !== null) return fail(ctx, problem.ambiguous ? ErrorCode.INPUT_INVALID : ErrorCode.INPUT_TOO_COMPLEX, problem.reason);
  }
  const body = parseBody(ctx.body, contentType);
  if (!body.ok) return fail(ctx, ErrorCode.INPUT_INVALID, body.reason);
  let graphql: GraphqlInput | null = null;
  if (resolved.surface === 'graphql') {
    const read = readGraphql({ method: ctx.method, query: url.query, contentType, body: ctx.body, json: body.json }, options.policy.graphql);
    if (!read.ok) return fail(ctx, read.code, read.reason);
    graphql = read.graphql;
  }
  return buildInput({
    decisionId: ctx.decisionId,
    direction: 'inbound',
    integration: { name: integration.name, type: integration.type, surface: resolved.surface, baseUrl: resolved.baseUrl, flags: integration.flags },
    url,
    route: resolved.route,
    routeSegments: resolved.routeSegments,
    method: ctx.method,
    headers: forwardedHeaders(ctx.headers, integration),
    body: { size: ctx.body.length, truncated: false, json: body.json, contentType },
    graphql,
    sourceAddress: ctx.sourceAddress,
  });
}

function fail(ctx: RequestContext, code: ErrorCode, reason: string): null {
  deny(ctx, code, [reason]);
  return null;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Run the request through the gate; on return `ctx.code` is null when it may go upstream. */
export async function gate(ctx: RequestContext, options: GateOptions): Promise<void> {
  if (ctx.code !== null) return;
  const input = prepare(ctx, options);
  if (input === null) return;
  ctx.input = input;
  const result = await options.evaluate(input, ctx);
  ctx.evalNs = result.evalNs;
  ctx.inputJson = result.inputJson ?? null;
  if (!result.ok) {
    deny(ctx, result.timedOut === true ? ErrorCode.POLICY_TIMEOUT : ErrorCode.POLICY_EVAL_FAILED, [result.reason]);
    return;
  }
  ctx.decision = result.decision;
  ctx.raw = result.raw;
  ctx.maskSet = result.maskSet;
  if (result.decision.allow) return;
  if (options.policy.dryRun) ctx.dryRun = true;
  else deny(ctx, ErrorCode.POLICY_DENIED, result.decision.reasons, result.decision.status);
}

/** A request given as data (decide's request lines, conformance cases, benchmarks). */
export interface RequestData {
  method: string;
  /** The absolute destination URL. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  sourceAddress: string;
}

/** Judge a request given as data, exactly as the broker judges one that arrives. */
export async function judgeRequest(request: RequestData, options: GateOptions): Promise<RequestContext> {
  const ctx = newContext({
    decisionId: randomUUID(),
    method: request.method,
    target: '',
    headers: request.headers,
    rawHeaderCount: Object.keys(request.headers).length,
    sourceAddress: request.sourceAddress,
  });
  ctx.destination = request.url;
  ctx.body = request.body;
  await gate(ctx, options);
  return ctx;
}
