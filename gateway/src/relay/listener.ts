/**
 * The relay listener's request handler: one webhook on `POST /relay/<name>`.
 *
 *   arrival (404 unknown relay) → receive (413) → verify the SCM's signature (401, before
 *   anything is parsed) → judge with broker/outbound (400/500; a deny is answered 200 with
 *   `relayed: false`, since the SCM did nothing wrong) → minimize → queue durably (503 when
 *   full) → 202 → decision record (always)
 *
 * Delivery happens later, from the queue (delivery.ts).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Context, Span, Tracer } from '@opentelemetry/api';
import type { DecisionRecord } from '../audit/decision-log';
import type { IntegrationConfig, PolicyConfig, RelayConfig } from '../config/types';
import { ErrorCode } from '../errors';
import type { EvaluationResult, PolicyEvaluator } from '../policy/types';
import { readBody } from '../request/receive';
import { DECISION_HEADER, sendError } from '../server/respond';
import type { Logger } from '../telemetry/logger';
import * as semconv from '../telemetry/semconv';
import { startServerSpan } from '../telemetry/server-span';
import type { OutboundInput } from './input';
import { judgeWebhook, OUTBOUND_ENTRYPOINT } from './judge';
import type { WebhookJudgement } from './judge';
import type { RelayMetrics, WebhookOutcome } from './metrics';
import { minimize, removedFields } from './minimize';
import type { RelayQueue } from './queue';
import { buildOutboundRecord } from './record';
import type { RelayOutcome } from './record';
import { verifyWebhook } from './verify';

export interface RelayHandlerOptions {
  relays: ReadonlyMap<string, RelayConfig>;
  integrations: ReadonlyMap<string, IntegrationConfig>;
  /** Each relay's webhook secret, read once at start. */
  secrets: ReadonlyMap<string, string>;
  policy: Pick<PolicyConfig, 'dryRun' | 'limits'>;
  maxBodyBytes: number;
  /** The evaluator in service, held from arrival until the webhook's record is built (a reload waits). */
  lease(): { evaluator: PolicyEvaluator; release(): void };
  queue: RelayQueue;
  /** A webhook was queued for this relay. */
  queued(relay: string): void;
  metrics: RelayMetrics;
  tracer: Tracer;
  logger: Logger;
  labels: Readonly<Record<string, string>>;
  decisionLogMaxBodyBytes: number;
  /** Writes a decision record (built off the event loop; shutdown waits for it). */
  record(building: Promise<DecisionRecord>): void;
}

const PREFIX = '/relay/';
const ROUTE = '/relay/{name}';

/** What happened, filled in as the webhook goes. */
interface Handling {
  decisionId: string;
  relayName: string;
  startedAt: bigint;
  judgement: WebhookJudgement | null;
  code: ErrorCode | null;
  reasons: string[];
  outcome: WebhookOutcome;
  removed: string[];
  body: Buffer | null;
}

export function relayHandler(options: RelayHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const { span, ctx } = startServerSpan(options.tracer, req, res, ROUTE);
    void handle(req, res, span, ctx);
  };

  async function handle(req: IncomingMessage, res: ServerResponse, span: Span, traceContext: Context): Promise<void> {
    const target = (req.url ?? '').split('?', 1)[0] ?? '';
    const name = target.startsWith(PREFIX) ? target.slice(PREFIX.length) : '';
    const relay = req.method === 'POST' ? options.relays.get(name) : undefined;
    const lease = options.lease();
    const evaluator = lease.evaluator;
    const h: Handling = {
      decisionId: randomUUID(),
      relayName: relay?.name ?? '',
      startedAt: process.hrtime.bigint(),
      judgement: null,
      code: null,
      reasons: [],
      outcome: 'rejected',
      removed: [],
      body: null,
    };
    res.setHeader(DECISION_HEADER, h.decisionId);
    span.setAttribute(semconv.ATTR_DECISION_ID, h.decisionId);
    const spanContext = span.spanContext();
    let status = 0;
    // The record is written once the webhook's fate is known, also when the SCM hung up.
    const written = (): void => {
      if (relay !== undefined) options.metrics.webhook(relay.name, h.outcome);
      const building = buildOutboundRecord({
          decisionId: h.decisionId,
          input: h.judgement?.input ?? null,
          evaluation: h.judgement?.evaluation ?? null,
          code: h.code,
          reasons: h.reasons,
          relay: { name: h.relayName, outcome: h.outcome, ...(h.removed.length > 0 ? { removed: h.removed } : {}) } satisfies RelayOutcome,
          status: res.headersSent ? res.statusCode : status,
          rawBody: h.body,
          evaluator,
          spanContext,
          startedAt: h.startedAt,
          labels: options.labels,
          maxBodyBytes: options.decisionLogMaxBodyBytes,
          dryRun: h.judgement?.dryRun ?? false,
        });
      void building.finally(() => lease.release()).catch(() => undefined);
      options.record(building);
    };
    const refuse = (code: ErrorCode, reasons: string[], outcome: WebhookOutcome, close = false): void => {
      h.code = code;
      h.reasons = reasons;
      h.outcome = outcome;
      span.setAttributes({ [semconv.ATTR_ERROR_CODE]: code, [semconv.ATTR_DECISION_ALLOW]: false });
      status = sendError(res, code, h.decisionId, reasons, undefined, close);
    };

    try {
      await steps();
    } finally {
      written();
    }

      async function steps(): Promise<void> {
      if (relay === undefined) {
        const why = req.method !== 'POST' ? `webhooks are POSTed; ${String(req.method).slice(0, 16)} is not accepted` : 'no relay is configured under this name';
        return refuse(ErrorCode.RELAY_NOT_FOUND, [why], 'rejected', true);
      }
      const integration = options.integrations.get(relay.integration) as IntegrationConfig;
      span.setAttributes({ 'broker.relay.name': relay.name, [semconv.ATTR_INTEGRATION_NAME]: integration.name, [semconv.ATTR_INTEGRATION_TYPE]: integration.type });

      const body = await readBody(req, options.maxBodyBytes).catch(() => ({ ok: false as const, tooLarge: false as const, reason: 'read failed' }));
      if (!body.ok) {
        if (body.tooLarge) return refuse(ErrorCode.BODY_TOO_LARGE, [`webhook body larger than ${options.maxBodyBytes} bytes (relay.maxBodyBytes)`], 'rejected', true);
        return refuse(ErrorCode.INPUT_INVALID, ['the webhook body could not be read'], 'rejected', true);
      }
      h.body = body.bytes;

      // Authenticity before anything is parsed or judged.
      const verified = verifyWebhook(relay.auth, req.headers, body.bytes, options.secrets.get(relay.name) as string);
      if (!verified.ok) return refuse(ErrorCode.RELAY_SIGNATURE_INVALID, [verified.reason], 'signature_invalid');

      const judgement = await judgeWebhook(
        {
          decisionId: h.decisionId,
          relay,
          integration,
          headers: req.headers,
          rawHeaderCount: req.rawHeaders.length / 2,
          body: body.bytes,
          listener: { host: req.socket.localAddress ?? '', port: req.socket.localPort ?? 0 },
          sourceAddress: req.socket.remoteAddress ?? '',
        },
        { policy: options.policy, evaluate: (input, id) => evaluateWithSpan(options.tracer, traceContext, evaluator, input, id) },
      );
      h.judgement = judgement;
      span.setAttributes({ [semconv.ATTR_POLICY_REVISION]: evaluator.revision, [semconv.ATTR_DECISION_ALLOW]: judgement.allow });
      if (judgement.dryRun) span.setAttribute(semconv.ATTR_DRY_RUN, true);
      if (!judgement.allow) {
        const code = judgement.code as ErrorCode;
        if (code !== ErrorCode.POLICY_DENIED) return refuse(code, judgement.reasons, code === ErrorCode.INPUT_INVALID || code === ErrorCode.INPUT_TOO_COMPLEX ? 'rejected' : 'failed');
        // Dropped by the policy: the SCM did nothing wrong and must not retry.
        h.code = code;
        h.reasons = judgement.reasons;
        h.outcome = 'dropped';
        span.setAttribute(semconv.ATTR_ERROR_CODE, code);
        return answer(res, 200, { decision_id: h.decisionId, relayed: false, rule: judgement.rule, reasons: judgement.reasons });
      }

      const input = judgement.input as OutboundInput;
      const { body: minimized, removed } = minimize(input.request.body, removedFields(relay.type, relay.minimize, relay.removeFields, judgement.remove));
      h.removed = removed;
      const queued = await options.queue.enqueue(relay.name, {
        id: h.decisionId,
        receivedAt: new Date().toISOString(),
        event: input.event.type,
        scmDelivery: input.event.delivery_id,
        trace: { traceId: spanContext.traceId, spanId: spanContext.spanId },
        body: Buffer.from(JSON.stringify(minimized), 'utf8').toString('base64'),
      });
      if (!queued.ok) {
        if (queued.full) return refuse(ErrorCode.RELAY_QUEUE_FULL, [queued.reason], 'queue_full');
        options.logger.error({ relay: relay.name, decision_id: h.decisionId, err: queued.reason }, 'relay queue write failed');
        return refuse(ErrorCode.RELAY_QUEUE_UNAVAILABLE, [queued.reason], 'failed');
      }
      h.outcome = 'queued';
      options.queued(relay.name);
      answer(res, 202, { decision_id: h.decisionId, relayed: true, ...(removed.length > 0 ? { removed } : {}) });
    }
  }
}

function answer(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  if (res.headersSent || res.destroyed) return;
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

/** Evaluate broker/outbound inside the `broker.policy.evaluate` span, with the contract's attributes. */
async function evaluateWithSpan(tracer: Tracer, parent: Context, evaluator: PolicyEvaluator, input: OutboundInput, decisionId: string): Promise<EvaluationResult> {
  const span = tracer.startSpan(semconv.SPAN_EVALUATE, { kind: SpanKind.INTERNAL }, parent);
  const result = await evaluator.evaluate(input, { decisionId, entrypoint: OUTBOUND_ENTRYPOINT });
  span.setAttributes({
    [semconv.ATTR_DECISION_ID]: decisionId,
    [semconv.ATTR_DECISION_ALLOW]: result.ok && result.decision.allow,
    [semconv.ATTR_DECISION_RULE]: result.ok ? (result.decision.rule ?? '') : '',
    [semconv.ATTR_DECISION_REASONS]: result.ok ? result.decision.reasons : [result.reason],
    [semconv.ATTR_INTEGRATION_NAME]: input.integration.name,
    [semconv.ATTR_INTEGRATION_TYPE]: input.integration.type,
    [semconv.ATTR_POLICY_REVISION]: evaluator.revision,
    'broker.relay.name': input.relay.name,
  });
  if (!result.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: result.reason });
  span.end();
  return result;
}
