/**
 * Builds one decision record from what happened to a request. Pure apart from the clock.
 * Requests rejected before the policy ran carry the gateway's own deny as `result`, and only
 * the parts of the request that cannot hold a secret (no query, no headers, no body).
 */
import type { SpanContext } from '@opentelemetry/api';
import { isSpanContextValid } from '@opentelemetry/api';
import type { ErrorCode } from '../errors';
import type { Judgement } from '../policy/judge';
import type { JsonValue, PolicyEvaluator } from '../policy/types';
import type { UpstreamOutcome } from '../proxy/proxy';
import type { DecisionRecord } from './decision-log';

export interface RecordFacts {
  decisionId: string;
  judgement: Judgement | null;
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
}

export const DECISION_PATH = 'broker/decision';
const MAX_TARGET = 512;

function safeTarget(target: string): string {
  const path = target.split('?', 1)[0] ?? '';
  return path.length > MAX_TARGET ? `${path.slice(0, MAX_TARGET)}…` : path;
}

function loggedInput(f: RecordFacts): { input: JsonValue; erased?: string[] } {
  const j = f.judgement;
  if (j?.input) {
    const masked = f.evaluator.mask(j.input, j.raw ?? null, j.inputJson ?? undefined);
    return masked.erased.length > 0 ? { input: masked.input, erased: masked.erased } : { input: masked.input };
  }
  if (j?.url) {
    const u = j.url;
    return { input: { decision_id: f.decisionId, request: { method: f.method.toUpperCase(), scheme: u.scheme, host: u.host, port: u.port, path: u.path } } };
  }
  return { input: { decision_id: f.decisionId, request: { method: f.method.toUpperCase(), target: safeTarget(f.target) } } };
}

function result(f: RecordFacts): JsonValue {
  const j = f.judgement;
  if (j?.raw) return j.raw;
  const code = j?.code ?? f.preCode;
  const reasons = j ? j.reasons : f.preReason ? [f.preReason] : [];
  return { allow: false, code, reasons };
}

/** Assemble the decision record. */
export function buildRecord(f: RecordFacts): DecisionRecord {
  const now = process.hrtime.bigint();
  const { input, erased } = loggedInput(f);
  const record: DecisionRecord = {
    decision_id: f.decisionId,
    timestamp: new Date().toISOString(),
    path: DECISION_PATH,
    input,
    result: result(f),
    bundles: { 'rego-broker': { revision: f.evaluator.revision } },
    metrics: { timer_eval_ns: f.judgement?.evalNs ?? 0, timer_total_ns: Number(now - f.startedAt) },
    labels: { ...f.labels },
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
