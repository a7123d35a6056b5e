/**
 * The per-request context: one object that every stage of the pipeline reads and fills in, from
 * the request's arrival to its decision record. A deny is represented once, here (`code`).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import type { IntegrationConfig } from '../config/types';
import type { ErrorCode } from '../errors';
import type { Decision, JsonValue, PolicyInput } from '../policy/types';
import type { UpstreamOutcome } from '../proxy/proxy';
import type { NormalizedUrl } from '../request/normalize';
import type { Resolved } from '../request/resolve';

export interface RequestContext {
  /** Assigned on arrival; in the response header, the spans and the decision record. */
  readonly decisionId: string;
  readonly startedAt: bigint;
  /** Upper-case method as received. */
  readonly method: string;
  /** The raw request target (`/proxy/<url>`), logged only as a truncated path. */
  readonly target: string;
  readonly headers: IncomingHttpHeaders;
  /** Number of header lines as received (repeated headers counted each time). */
  readonly rawHeaderCount: number;
  readonly sourceAddress: string;
  /**
   * The request's trace context (its SERVER span), passed explicitly to the spans it parents:
   * no context manager follows it across awaits (AsyncLocalStorage costs an async hook on every
   * promise).
   */
  trace: Context;
  /** The absolute destination URL taken from the target, once extracted. */
  destination: string | null;
  /** The body as received; exactly these bytes go upstream. */
  body: Buffer;
  /** receive/normalize: the one parse of the destination. */
  url: NormalizedUrl | null;
  /** resolve: the integration and surface. */
  resolved: Resolved | null;
  integration: IntegrationConfig | null;
  /** input: the document the policy judged, and its JSON text as evaluated. */
  input: PolicyInput | null;
  inputJson: string | null;
  /** evaluate: the validated decision and the document as the policy returned it. */
  decision: Decision | null;
  raw: JsonValue | null;
  /** The decision log mask's result set, when the evaluation computed it with the decision. */
  maskSet: unknown;
  evalNs: number;
  /** The deny, once, or null while the request may go on. */
  code: ErrorCode | null;
  /** Why it was denied (the policy's reasons, or the gateway's own). */
  reasons: string[];
  /** The status a deny answers with when it is not the catalogue's (a policy's 4xx). */
  status: number | null;
  /** The policy denied but dry-run let the request through. */
  dryRun: boolean;
  /** proxy: what happened upstream. */
  outcome: UpstreamOutcome | null;
}

/** What a request is when it arrives. */
export interface Arrival {
  decisionId: string;
  method: string;
  target: string;
  headers: IncomingHttpHeaders;
  rawHeaderCount: number;
  sourceAddress: string;
}

/** The body of a request that has none (never written to: a body is replaced, not filled). */
const NO_BODY = Buffer.alloc(0);

/**
 * Written out property by property: a spread followed by new keys takes V8's slow path (a new
 * hidden class per call), which measured at tens of microseconds per request.
 */
export function newContext(arrival: Arrival): RequestContext {
  return {
    decisionId: arrival.decisionId,
    method: arrival.method.toUpperCase(),
    target: arrival.target,
    headers: arrival.headers,
    rawHeaderCount: arrival.rawHeaderCount,
    sourceAddress: arrival.sourceAddress,
    startedAt: process.hrtime.bigint(),
    trace: ROOT_CONTEXT,
    destination: null,
    body: NO_BODY,
    url: null,
    resolved: null,
    integration: null,
    input: null,
    inputJson: null,
    decision: null,
    raw: null,
    maskSet: undefined,
    evalNs: 0,
    code: null,
    reasons: [],
    status: null,
    dryRun: false,
    outcome: null,
  };
}

/** Record the deny; the first one stands. */
export function deny(ctx: RequestContext, code: ErrorCode, reasons: readonly string[], status: number | null = null): void {
  if (ctx.code !== null) return;
  ctx.code = code;
  ctx.reasons = [...reasons];
  ctx.status = status;
}
