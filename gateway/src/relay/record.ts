/**
 * Outbound decision records, in the same OPA decision-log shape as the inbound ones
 * (audit/record.ts) with `path: "broker/outbound"`: one for every webhook received on /relay
 * (rejected signatures included), and one delivery record when a queued webhook is finally
 * delivered or dead-lettered (same `decision_id`, with `delivery`). The logged input is masked
 * by `system/log/mask`; the body is cut to `maxBodyBytes` and carries the raw body's SHA-256.
 */
import { createHash } from 'node:crypto';
import type { SpanContext } from '@opentelemetry/api';
import { isSpanContextValid } from '@opentelemetry/api';
import type { DecisionRecord } from '../audit/decision-log';
import { utf8Prefix } from '../audit/record';
import type { ErrorCode } from '../errors';
import type { EvaluationResult, JsonValue, PolicyEvaluator } from '../policy/types';
import type { OutboundInput } from './input';
import type { QueueEntry } from './queue';

export const OUTBOUND_PATH = 'broker/outbound';

/** What the relay did with the webhook, added to the record as `relay`. */
export interface RelayOutcome {
  name: string;
  outcome: 'queued' | 'dropped' | 'signature_invalid' | 'queue_full' | 'rejected' | 'failed';
  /** Fields removed from the relayed body (concrete paths). */
  removed?: string[];
}

export interface OutboundRecordFacts {
  decisionId: string;
  input: OutboundInput | null;
  evaluation: EvaluationResult | null;
  /** The gateway's own deny, when the webhook was refused before or without the policy. */
  code: ErrorCode | null;
  reasons: readonly string[];
  relay: RelayOutcome;
  status: number;
  rawBody: Buffer | null;
  evaluator: PolicyEvaluator;
  spanContext: SpanContext | undefined;
  startedAt: bigint;
  labels: Readonly<Record<string, string>>;
  maxBodyBytes: number;
  dryRun: boolean;
}

type JsonObject = { [key: string]: JsonValue };

function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function bounded(input: JsonValue, rawBody: Buffer | null, max: number): JsonValue {
  if (!isObject(input) || !isObject(input.request)) return input;
  const request: JsonObject = { ...input.request };
  const body = request.body;
  if (body !== undefined && body !== null) {
    const cut = utf8Prefix(JSON.stringify(body), Math.max(0, max));
    if (cut !== null) {
      request.body = cut;
      request.body_log_truncated = true;
    }
  }
  if (rawBody && rawBody.length > 0) request.body_sha256 = createHash('sha256').update(rawBody).digest('hex');
  return { ...input, request };
}

/** Build the outbound decision record (the mask runs where the evaluator runs it). */
export async function buildOutboundRecord(f: OutboundRecordFacts): Promise<DecisionRecord> {
  const now = process.hrtime.bigint();
  let input: JsonValue;
  let erased: string[] = [];
  let result: JsonValue;
  if (f.input !== null && f.evaluation !== null && f.evaluation.ok) {
    const masked = await f.evaluator.mask(f.input, f.evaluation.raw, f.evaluation.inputJson);
    input = masked.input;
    erased = masked.erased;
    result = f.evaluation.raw;
  } else {
    // Refused before the policy judged it (or the policy failed): nothing that can hold a secret.
    input = { decision_id: f.decisionId, relay: { name: f.relay.name }, request: { method: 'POST', path: `/relay/${f.relay.name}` } };
    result = { allow: false, code: f.code, reasons: [...f.reasons] };
  }
  const record: DecisionRecord & { relay: RelayOutcome } = {
    decision_id: f.decisionId,
    timestamp: new Date().toISOString(),
    path: OUTBOUND_PATH,
    input: bounded(input, f.rawBody, f.maxBodyBytes),
    result,
    bundles: { 'rego-broker': { revision: f.evaluator.revision } },
    metrics: { timer_eval_ns: f.evaluation?.evalNs ?? 0, timer_total_ns: Number(now - f.startedAt) },
    labels: { ...f.labels },
    status: f.status,
    relay: f.relay,
  };
  if (f.spanContext && isSpanContextValid(f.spanContext)) {
    record.trace_id = f.spanContext.traceId;
    record.span_id = f.spanContext.spanId;
  }
  if (erased.length > 0) record.erased = erased;
  if (f.dryRun) record.dry_run = true;
  return record;
}

/** What became of a queued webhook. */
export interface DeliveryFacts {
  entry: QueueEntry;
  outcome: 'delivered' | 'dead_lettered';
  /** The SaaS's last HTTP status, or null when it was not reached. */
  httpStatus: number | null;
  destination: string;
  revision: string;
  labels: Readonly<Record<string, string>>;
  spanContext: SpanContext | undefined;
  /** Where the dead letter was written. */
  deadLetter?: string;
}

/** The delivery record: same decision id as the webhook's decision record. */
export function buildDeliveryRecord(f: DeliveryFacts): DecisionRecord {
  const { entry } = f;
  const record: DecisionRecord & { delivery: JsonObject } = {
    decision_id: entry.id,
    timestamp: new Date().toISOString(),
    path: OUTBOUND_PATH,
    input: { decision_id: entry.id, relay: { name: entry.relay }, event: { type: entry.event, delivery_id: entry.scmDelivery } },
    result: { delivered: f.outcome === 'delivered' },
    bundles: { 'rego-broker': { revision: f.revision } },
    metrics: { timer_total_ns: Math.max(0, Date.now() - Date.parse(entry.receivedAt)) * 1e6 },
    labels: { ...f.labels },
    status: f.httpStatus ?? 0,
    delivery: {
      outcome: f.outcome,
      attempts: entry.attempts,
      destination: f.destination,
      received_at: entry.receivedAt,
      ...(entry.lastError !== null ? { last_error: entry.lastError } : {}),
      ...(f.deadLetter !== undefined ? { dead_letter: f.deadLetter } : {}),
    },
  };
  if (f.spanContext && isSpanContextValid(f.spanContext)) {
    record.trace_id = f.spanContext.traceId;
    record.span_id = f.spanContext.spanId;
  }
  return record;
}
