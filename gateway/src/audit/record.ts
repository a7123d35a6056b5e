/**
 * Builds one decision record from what happened to a request. Pure apart from the clock.
 * Requests rejected before the policy ran carry the gateway's own deny as `result`, and only
 * the parts of the request that cannot hold a secret (no query, no headers, no body).
 *
 * Why the body is cut and hashed: the logged input is the policy input after
 * `system/log/mask`, allowed or denied, and its body can be as large as `policy.maxBodyBytes`.
 * So after masking, a body whose JSON text is longer than `telemetry.decisionLog.maxBodyBytes`
 * is logged as the first that many bytes of that text (a string, cut on a UTF-8 boundary) with
 * `input.request.body_log_truncated: true`; and every request that had a body gets
 * `input.request.body_sha256`, the hex SHA-256 of the raw bytes received, so an auditor holding
 * the body can prove it is the one that was judged without the log keeping it.
 */
import { createHash } from 'node:crypto';
import type { SpanContext } from '@opentelemetry/api';
import { isSpanContextValid } from '@opentelemetry/api';
import type { ErrorCode } from '../errors';
import type { RequestContext } from '../pipeline/context';
import type { JsonValue, PolicyEvaluator } from '../policy/types';
import type { UpstreamOutcome } from '../proxy/proxy';
import type { DecisionRecord } from './decision-log';

export interface RecordFacts {
  decisionId: string;
  judgement: RequestContext | null;
  /** Set when the request was rejected before the gate produced a judgement. */
  preCode: ErrorCode | null;
  preReason: string | null;
  method: string;
  /** The raw request target (only its path part is logged, truncated). */
  target: string;
  status: number;
  outcome: UpstreamOutcome | null;
  evaluator: PolicyEvaluator;
  spanContext: SpanContext | undefined;
  startedAt: bigint;
  labels: Readonly<Record<string, string>>;
  dryRun: boolean;
  aborted: boolean;
  /** The request body as received, or null when there was none: only its SHA-256 is logged. */
  requestBody: Buffer | null;
  /** Most bytes of the masked body's JSON text kept (`telemetry.decisionLog.maxBodyBytes`). */
  maxBodyBytes: number;
}

export const DECISION_PATH = 'broker/decision';
const MAX_TARGET = 512;

function safeTarget(target: string): string {
  const path = target.split('?', 1)[0] ?? '';
  return path.length > MAX_TARGET ? `${path.slice(0, MAX_TARGET)}…` : path;
}

async function loggedInput(f: RecordFacts): Promise<{ input: JsonValue; erased?: string[] }> {
  const j = f.judgement;
  if (j?.input) {
    const masked = await f.evaluator.mask(j.input, j.raw ?? null, j.inputJson ?? undefined, j.maskSet);
    return masked.erased.length > 0 ? { input: masked.input, erased: masked.erased } : { input: masked.input };
  }
  if (j?.url) {
    const u = j.url;
    return { input: { decision_id: f.decisionId, request: { method: f.method.toUpperCase(), scheme: u.scheme, host: u.host, port: u.port, path: u.path } } };
  }
  return { input: { decision_id: f.decisionId, request: { method: f.method.toUpperCase(), target: safeTarget(f.target) } } };
}

type JsonObject = { [key: string]: JsonValue };

function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The first `max` bytes of `text`'s UTF-8, without splitting a character; null when it fits. */
export function utf8Prefix(text: string, max: number): string | null {
  if (Buffer.byteLength(text, 'utf8') <= max) return null;
  const bytes = Buffer.from(text, 'utf8');
  let end = max;
  // Step back over continuation bytes (10xxxxxx) to the start of the character that does not fit.
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
  return bytes.toString('utf8', 0, end);
}

/**
 * `input` with its request's body cut to `maxBodyBytes` and the raw body's hash added. Copies
 * what it changes: `input` may be the policy input itself (when the mask erased nothing).
 */
function boundBody(input: JsonValue, f: RecordFacts): JsonValue {
  if (!isObject(input) || !isObject(input.request)) return input;
  const request = input.request;
  const extra: JsonObject = {};
  const body = request.body;
  if (body !== undefined && body !== null) {
    const cut = utf8Prefix(JSON.stringify(body), Math.max(0, f.maxBodyBytes));
    if (cut !== null) {
      extra.body = cut;
      extra.body_log_truncated = true;
    }
  }
  if (f.requestBody && f.requestBody.length > 0) extra.body_sha256 = createHash('sha256').update(f.requestBody).digest('hex');
  return Object.keys(extra).length > 0 ? { ...input, request: { ...request, ...extra } } : input;
}

function result(f: RecordFacts): JsonValue {
  const j = f.judgement;
  if (j?.raw) return j.raw;
  const code = j?.code ?? f.preCode;
  const reasons = j ? j.reasons : f.preReason ? [f.preReason] : [];
  return { allow: false, code, reasons };
}

/** Assemble the decision record (the mask runs where the evaluator runs it). */
export async function buildRecord(f: RecordFacts): Promise<DecisionRecord> {
  const now = process.hrtime.bigint();
  const { input, erased } = await loggedInput(f);
  const record: DecisionRecord = {
    decision_id: f.decisionId,
    timestamp: new Date().toISOString(),
    path: DECISION_PATH,
    input: boundBody(input, f),
    result: result(f),
    bundles: { 'rego-broker': { revision: f.evaluator.revision } },
    metrics: { timer_eval_ns: f.judgement?.evalNs ?? 0, timer_total_ns: Number(now - f.startedAt) },
    labels: Object.assign({}, f.labels),
    status: f.status,
  };
  if (f.spanContext && isSpanContextValid(f.spanContext)) {
    record.trace_id = f.spanContext.traceId;
    record.span_id = f.spanContext.spanId;
  }
  if (erased) record.erased = erased;
  if (f.judgement?.dryRun) record.dry_run = true;
  if (f.outcome) {
    const end = f.outcome.endedAt ?? now;
    record.upstream = {
      status: f.outcome.status,
      bytes: f.outcome.bytes,
      duration_ms: Number(end - f.outcome.startedAt) / 1e6,
      ...(f.outcome.error ? { error: f.outcome.error } : {}),
    };
  }
  if (f.aborted) record.labels.client_aborted = 'true';
  return record;
}
