/**
 * The tunnel listener's request handler: the lifecycle of one `/proxy/<url>` request.
 *
 *   receive (413/400) → gate: normalize (400) → resolve (403) → input → evaluate (403/500)
 *   → proxy (502/504) → decision log (always, even when the caller hangs up)
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { context, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Span, Tracer } from '@opentelemetry/api';
import type { DecisionLog } from '../audit/decision-log';
import { buildRecord } from '../audit/record';
import { ErrorCode, errorBody } from '../errors';
import type { IntegrationConfig, PolicyConfig } from '../config/types';
import { judge } from '../policy/judge';
import type { GateContext, Judgement } from '../policy/judge';
import type { PolicyEvaluator, PolicyInput } from '../policy/types';
import type { CredentialInjector } from '../proxy/credentials';
import type { Forwarder, UpstreamOutcome } from '../proxy/proxy';
import { passthroughCredentials } from '../request/headers';
import { extractDestination } from '../request/normalize';
import { readBody } from '../request/receive';
import type { CompiledSurfaces } from '../request/resolve';
import * as semconv from '../telemetry/semconv';
import { startServerSpan } from '../telemetry/server-span';
import type { Metrics } from './metrics';
import { DECISION_HEADER, sendError } from './respond';

export interface BrokerHandlerOptions {
  policy: PolicyConfig;
  integrations: readonly IntegrationConfig[];
  surfaces: CompiledSurfaces;
  /** Current evaluator; a getter so a reload can swap it. */
  evaluator: () => PolicyEvaluator;
  credentials: ReadonlyMap<string, CredentialInjector>;
  forwarder: Forwarder;
  decisionLog: DecisionLog;
  metrics: Metrics;
  tracer: Tracer;
  /** Instance labels for the decision log (`id`, `version`). */
  labels: Readonly<Record<string, string>>;
}

const PROXY_PREFIX = '/proxy/';
/** The route of every request on this listener, for span names (low cardinality). */
const PROXY_ROUTE = '/proxy/{destination}';

/** Build the request handler of the tunnel listener. */
export function brokerHandler(options: BrokerHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const integrations = new Map(options.integrations.map((i) => [i.name, i]));
  return (req, res) => {
    const { span, ctx } = startServerSpan(options.tracer, req, res, PROXY_ROUTE);
    context.with(ctx, () => handle(req, res, span));
  };

  function handle(req: IncomingMessage, res: ServerResponse, serverSpan: Span): void {
    const decisionId = randomUUID();
    const startedAt = process.hrtime.bigint();
    res.setHeader(DECISION_HEADER, decisionId);
    serverSpan.setAttribute(semconv.ATTR_DECISION_ID, decisionId);
    const spanContext = serverSpan.spanContext();
    let judgement: Judgement | null = null;
    let outcome: UpstreamOutcome | null = null;
    let preReason: string | null = null;
    let preCode: ErrorCode | null = null;
    let status = 0;
    const evaluator = options.evaluator();

    res.on('close', () => {
      const record = buildRecord({
        decisionId,
        judgement,
        preCode,
        preReason,
        method: req.method ?? '',
        target: req.url ?? '',
        status: res.headersSent ? res.statusCode : status,
        outcome,
        evaluator,
        spanContext,
        startedAt,
        labels: options.labels,
        dryRun: options.policy.dryRun,
        aborted: !res.writableFinished,
      });
      options.decisionLog.write(record);
      options.metrics.observe(record);
    });

    const fail = (code: ErrorCode, reason: string, close = false): void => {
      preCode = code;
      preReason = reason;
      serverSpan.setAttributes({ [semconv.ATTR_ERROR_CODE]: code, [semconv.ATTR_DECISION_ALLOW]: false });
      status = sendError(res, code, decisionId, [reason], undefined, close);
    };

    const target = req.url ?? '';
    if (!target.startsWith(PROXY_PREFIX)) {
      fail(ErrorCode.INPUT_INVALID, 'only /proxy/<absolute URL> is served here');
      return;
    }
    const destination = extractDestination(target);
    if (!destination.ok) {
      fail(ErrorCode.INPUT_INVALID, destination.reason);
      return;
    }
    // The SERVER span stays the active context across this await (AsyncLocalStorage), so the
    // evaluate and CLIENT spans below are its children.
    readBody(req, options.policy.maxBodyBytes).then(
      (body) => {
        if (!body.ok) {
          if (body.tooLarge) fail(ErrorCode.BODY_TOO_LARGE, `body larger than ${options.policy.maxBodyBytes} bytes`, true);
          else fail(ErrorCode.INPUT_INVALID, 'the request body could not be read');
          return;
        }
        const gate: GateContext = { integrations, surfaces: options.surfaces, evaluator, dryRun: options.policy.dryRun };
        const j = judge(
          {
            decisionId,
            method: req.method ?? 'GET',
            destination: destination.value,
            headers: req.headers,
            body: body.bytes,
            sourceAddress: req.socket.remoteAddress ?? '',
          },
          gate,
          (input) => evaluateWithSpan(options.tracer, evaluator, input, decisionId),
        );
        judgement = j;
        annotate(serverSpan, j, evaluator.revision);
        if (j.code !== null) {
          status = sendError(res, j.code, decisionId, j.reasons, j.decision?.status ?? undefined);
          return;
        }
        const integration = j.integration as IntegrationConfig;
        const headers: Record<string, string | string[]> = { ...j.input!.request.headers, ...passthroughCredentials(req.headers, integration.auth) };
        options.credentials.get(integration.name)?.(headers);
        outcome = { status: null, bytes: 0, startedAt: process.hrtime.bigint(), endedAt: null, error: null };
        options.forwarder.forward(req, res, {
          url: j.url!,
          headers,
          body: body.bytes,
          outcome,
          onError: (code, message) => {
            serverSpan.setAttribute(semconv.ATTR_ERROR_CODE, code);
            status = sendError(res, code, decisionId, [`upstream: ${message.slice(0, 200)}`]);
          },
        });
      },
      (err: Error) => fail(ErrorCode.INPUT_INVALID, `the request body could not be read: ${err.message}`),
    );
  }
}

/**
 * Requests Node's HTTP parser refuses (raw control bytes, spaces or non-ASCII in the target,
 * bad headers) never reach the handler; they still get the JSON 400, a decision id and a
 * decision record.
 */
export function brokerClientErrorHandler(options: BrokerHandlerOptions): (err: NodeJS.ErrnoException, socket: Duplex) => void {
  return (err, socket) => {
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const decisionId = randomUUID();
    const reason = `malformed HTTP request (${err.code ?? 'parse error'})`;
    const payload = JSON.stringify(errorBody(ErrorCode.INPUT_INVALID, decisionId, [reason]));
    socket.end(
      `HTTP/1.1 400 Bad Request\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(payload)}\r\n` +
        `${DECISION_HEADER}: ${decisionId}\r\nconnection: close\r\n\r\n${payload}`,
    );
    const record = buildRecord({
      decisionId,
      judgement: null,
      preCode: ErrorCode.INPUT_INVALID,
      preReason: reason,
      method: '',
      target: '',
      status: 400,
      outcome: null,
      evaluator: options.evaluator(),
      spanContext: undefined,
      startedAt: process.hrtime.bigint(),
      labels: options.labels,
      dryRun: options.policy.dryRun,
      aborted: false,
    });
    options.decisionLog.write(record);
    options.metrics.observe(record);
  };
}

function annotate(span: Span | undefined, j: Judgement, revision: string): void {
  if (!span) return;
  span.setAttributes({
    [semconv.ATTR_DECISION_ALLOW]: j.code === null,
    [semconv.ATTR_POLICY_REVISION]: revision,
    ...(j.integration ? { [semconv.ATTR_INTEGRATION_NAME]: j.integration.name, [semconv.ATTR_INTEGRATION_TYPE]: j.integration.type } : {}),
    ...(j.code !== null ? { [semconv.ATTR_ERROR_CODE]: j.code } : {}),
    ...(j.dryRun ? { [semconv.ATTR_DRY_RUN]: true } : {}),
  });
}

/** Evaluate inside the `broker.policy.evaluate` span, with the contract's attributes. */
function evaluateWithSpan(tracer: Tracer, evaluator: PolicyEvaluator, input: PolicyInput, decisionId: string): ReturnType<PolicyEvaluator['evaluate']> {
  const span = tracer.startSpan(semconv.SPAN_EVALUATE, { kind: SpanKind.INTERNAL });
  const result = evaluator.evaluate(input, { decisionId });
  span.setAttributes({
    [semconv.ATTR_DECISION_ID]: decisionId,
    [semconv.ATTR_DECISION_ALLOW]: result.ok && result.decision.allow,
    [semconv.ATTR_DECISION_RULE]: result.ok ? (result.decision.rule ?? '') : '',
    [semconv.ATTR_DECISION_REASONS]: result.ok ? result.decision.reasons : [result.reason],
    [semconv.ATTR_INTEGRATION_NAME]: input.integration.name,
    [semconv.ATTR_INTEGRATION_TYPE]: input.integration.type,
    [semconv.ATTR_POLICY_REVISION]: evaluator.revision,
  });
  if (!result.ok) {
    span.setAttribute(semconv.ATTR_ERROR_CODE, ErrorCode.POLICY_EVAL_FAILED);
    span.setStatus({ code: SpanStatusCode.ERROR, message: result.reason });
  }
  span.end();
  return result;
}
