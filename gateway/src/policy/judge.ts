/**
 * The gate, shared by the running broker and `rego-broker decide`: normalize the destination,
 * resolve it to an integration surface, build the input and evaluate it. No I/O besides the
 * (synchronous, in-process) evaluation, so both answer the same on the same request.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { IntegrationConfig } from '../config/types';
import { ErrorCode } from '../errors';
import { forwardedHeaders } from '../request/headers';
import type { NormalizedUrl } from '../request/normalize';
import { normalizeUrl } from '../request/normalize';
import { mediaType, parseBody } from '../request/receive';
import type { Resolved } from '../request/resolve';
import { resolveDestination } from '../request/resolve';
import type { CompiledSurfaces } from '../request/resolve';
import { buildInput } from './input';
import type { Decision, JsonValue, PolicyEvaluator, PolicyInput } from './types';

/** What the gate needs to know about one request. */
export interface GateRequest {
  decisionId: string;
  method: string;
  /** Absolute destination URL, as received. */
  destination: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  sourceAddress: string;
}

/** Configuration the gate works with, prepared once. */
export interface GateContext {
  integrations: ReadonlyMap<string, IntegrationConfig>;
  surfaces: CompiledSurfaces;
  evaluator: PolicyEvaluator;
  dryRun: boolean;
}

/** The gate's answer. `forward` is set when the request may go upstream. */
export interface Judgement {
  decisionId: string;
  /** Error code of a deny, or null when allowed. */
  code: ErrorCode | null;
  /** The policy's decision, when it produced one. */
  decision: Decision | null;
  /** The decision document as the policy returned it, for the log. */
  raw: JsonValue | null;
  /** Why the gateway itself denied, or why evaluation failed. */
  reasons: string[];
  input: PolicyInput | null;
  url: NormalizedUrl | null;
  resolved: Resolved | null;
  integration: IntegrationConfig | null;
  /** True when the policy denied but dry-run let the request through. */
  dryRun: boolean;
  evalNs: number;
  /** The input's JSON text as evaluated, handed to the mask so it is not serialized again. */
  inputJson: string | null;
}

function rejected(req: GateRequest, code: ErrorCode, reason: string, extra: Partial<Judgement> = {}): Judgement {
  return {
    decisionId: req.decisionId,
    code,
    decision: null,
    raw: null,
    reasons: [reason],
    input: null,
    url: null,
    resolved: null,
    integration: null,
    dryRun: false,
    evalNs: 0,
    inputJson: null,
    ...extra,
  };
}

/** Run one request through normalization, resolution, input building and evaluation. */
export function judge(req: GateRequest, ctx: GateContext, evaluate: (input: PolicyInput) => ReturnType<PolicyEvaluator['evaluate']>): Judgement {
  const normalized = normalizeUrl(req.destination);
  if (!normalized.ok) return rejected(req, ErrorCode.INPUT_INVALID, normalized.reason);
  const url = normalized.value;
  const resolved = resolveDestination(url, ctx.surfaces);
  if (resolved === null) {
    return rejected(req, ErrorCode.DESTINATION_NOT_ALLOWED, `${url.scheme}://${url.hostHeader}${url.path} is not under any configured integration`, { url });
  }
  const integration = ctx.integrations.get(resolved.integrationName);
  if (integration === undefined) return rejected(req, ErrorCode.DESTINATION_NOT_ALLOWED, 'integration not found', { url });
  const contentType = mediaType(req.headers['content-type']);
  const body = parseBody(req.body, contentType);
  if (!body.ok) return rejected(req, ErrorCode.INPUT_INVALID, body.reason, { url, resolved, integration });
  const input = buildInput({
    decisionId: req.decisionId,
    direction: 'inbound',
    integration: { name: integration.name, type: integration.type, surface: resolved.surface, baseUrl: resolved.baseUrl, flags: integration.flags },
    url,
    route: resolved.route,
    routeSegments: resolved.routeSegments,
    method: req.method,
    headers: forwardedHeaders(req.headers, integration),
    body: { size: req.body.length, truncated: false, json: body.json, contentType },
    sourceAddress: req.sourceAddress,
  });
  const result = evaluate(input);
  const base = { url, resolved, integration, input, evalNs: result.evalNs, inputJson: result.inputJson ?? null };
  if (!result.ok) return rejected(req, ErrorCode.POLICY_EVAL_FAILED, result.reason, base);
  const { decision } = result;
  const denied = !decision.allow;
  return {
    ...base,
    decisionId: req.decisionId,
    code: denied && !ctx.dryRun ? ErrorCode.POLICY_DENIED : null,
    decision,
    raw: result.raw,
    reasons: decision.reasons,
    dryRun: denied && ctx.dryRun,
  };
}
