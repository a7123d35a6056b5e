/**
 * The tunnel listener's request handler: the lifecycle of one `/proxy/<url>` request, as one
 * pipeline over one per-request context (pipeline/context.ts).
 *
 *   arrival → receive (413/400) → gate: normalize (400) → resolve (403) → bound and parse
 *   (400) → input → evaluate (403/500) → proxy (502/504) → decision record (always, even when
 *   the caller hangs up)
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Context, Span, Tracer } from '@opentelemetry/api';
import type { DecisionLog } from '../audit/decision-log';
import { buildRecord } from '../audit/record';
import type { RecordFacts } from '../audit/record';
import { ErrorCode, errorBody } from '../errors';
import type { IntegrationConfig, PolicyConfig } from '../config/types';
import { deny, newContext } from '../pipeline/context';
import type { RequestContext } from '../pipeline/context';
import { gate } from '../pipeline/gate';
import type { GateOptions } from '../pipeline/gate';
import type { EvaluationResult, PolicyEvaluator, PolicyInput } from '../policy/types';
import type { CredentialInjector } from '../proxy/credentials';
import type { Forwarder } from '../proxy/proxy';
import { passthroughCredentials } from '../request/headers';
import { extractDestination } from '../request/normalize';
import { readBody } from '../request/receive';
import type { CompiledSurfaces } from '../request/resolve';
import * as semconv from '../telemetry/semconv';
import { startServerSpan } from '../telemetry/server-span';
import type { Metrics } from './metrics';
import { DECISION_HEADER, sendError } from './respond';

/**
 * The evaluator a request holds from its arrival until its decision record is written: a
 * reload never changes the policy that judges, masks and records one request.
 */
export interface EvaluatorLease {
  readonly evaluator: PolicyEvaluator;
  release(): void;
}

export interface BrokerHandlerOptions {
  policy: PolicyConfig;
  integrations: readonly IntegrationConfig[];
  surfaces: CompiledSurfaces;
  credentials: ReadonlyMap<string, CredentialInjector>;
  forwarder: Forwarder;
  decisionLog: DecisionLog;
  metrics: Metrics;
  tracer: Tracer;
  /** Instance labels for the decision log (`id`, `version`). */
  labels: Readonly<Record<string, string>>;
  /** Most bytes of a masked request body kept in a decision record. */
  decisionLogMaxBodyBytes: number;
  /** Records are masked off the event loop; shutdown waits for the ones still on their way. */
  track(writing: Promise<void>): void;
  /**
   * Why a new request cannot be recorded now (decision log full or failing, failing closed),
   * or null. Asked on arrival: a request refused here is neither judged nor proxied nor recorded.
   */
  admission(): string | null;
}

/**
 * Build, mask and write one decision record, then release the evaluator lease; a failure here
 * never reaches the caller.
 */
function writeRecord(options: BrokerHandlerOptions, facts: RecordFacts, lease: EvaluatorLease): void {
  options.track(
    buildRecord(facts)
      .then(
        (record) => {
          options.decisionLog.write(record);
          options.metrics.observe(record);
        },
        () => undefined,
      )
      .finally(() => lease.release()),
  );
}

const PROXY_PREFIX = '/proxy/';
/** The route of every request on this listener, for span names (low cardinality). */
const PROXY_ROUTE = '/proxy/{destination}';

/** Build the request handler of the tunnel listener. */
export function brokerHandler(options: BrokerHandlerOptions): (req: IncomingMessage, res: ServerResponse, lease: EvaluatorLease) => void {
  const integrations = new Map(options.integrations.map((i) => [i.name, i]));
  return (req, res, lease) => {
    const { span, ctx } = startServerSpan(options.tracer, req, res, PROXY_ROUTE);
    void handle(req, res, span, ctx, lease);
  };

  async function handle(req: IncomingMessage, res: ServerResponse, serverSpan: Span, traceContext: Context, lease: EvaluatorLease): Promise<void> {
    const ctx = newContext({
      decisionId: randomUUID(),
      method: req.method ?? 'GET',
      target: req.url ?? '',
      headers: req.headers,
      rawHeaderCount: req.rawHeaders.length / 2,
      sourceAddress: req.socket.remoteAddress ?? '',
    });
    ctx.trace = traceContext;
    const evaluator = lease.evaluator;
    res.setHeader(DECISION_HEADER, ctx.decisionId);
    serverSpan.setAttribute(semconv.ATTR_DECISION_ID, ctx.decisionId);
    const spanContext = serverSpan.spanContext();
    let status = 0;
    // Refused before anything else: the broker serves nothing it could not account for.
    const refused = options.admission();
    if (refused !== null) {
      deny(ctx, ErrorCode.DECISION_LOG_UNAVAILABLE, [refused]);
      options.metrics.refused();
      serverSpan.setAttributes({ [semconv.ATTR_ERROR_CODE]: ErrorCode.DECISION_LOG_UNAVAILABLE, [semconv.ATTR_DECISION_ALLOW]: false });
      res.setHeader('retry-after', '1');
      sendError(res, ErrorCode.DECISION_LOG_UNAVAILABLE, ctx.decisionId, ctx.reasons, undefined, true);
      lease.release();
      return;
    }
    res.on('close', () => {
      writeRecord(options, {
        decisionId: ctx.decisionId,
        judgement: ctx,
        preCode: ctx.input === null ? ctx.code : null,
        preReason: ctx.input === null ? (ctx.reasons[0] ?? null) : null,
        method: ctx.method,
        target: ctx.target,
        status: res.headersSent ? res.statusCode : status,
        outcome: ctx.outcome,
        evaluator,
        spanContext,
        startedAt: ctx.startedAt,
        labels: options.labels,
        dryRun: options.policy.dryRun,
        // An upstream that failed mid-response is its fault, not the caller's (outcome.error says which).
        aborted: !res.writableFinished && !ctx.outcome?.error,
        requestBody: ctx.body.length > 0 ? ctx.body : null,
        maxBodyBytes: options.decisionLogMaxBodyBytes,
      }, lease);
    });

    const answer = (close = false): void => {
      const code = ctx.code as ErrorCode;
      serverSpan.setAttributes({ [semconv.ATTR_ERROR_CODE]: code, [semconv.ATTR_DECISION_ALLOW]: false });
      status = sendError(res, code, ctx.decisionId, ctx.reasons, ctx.status ?? undefined, close);
    };

    // Arrival: the target, before any body is read.
    const destination = ctx.target.startsWith(PROXY_PREFIX) ? extractDestination(ctx.target) : null;
    if (destination === null) deny(ctx, ErrorCode.INPUT_INVALID, ['only /proxy/<absolute URL> is served here']);
    else if (!destination.ok) deny(ctx, ErrorCode.INPUT_INVALID, [destination.reason]);
    else ctx.destination = destination.value;
    if (ctx.code !== null) return answer(true);

    // Receive. The evaluate and CLIENT spans below are children of the SERVER span through
    // ctx.trace, passed explicitly.
    let body;
    try {
      body = await readBody(req, options.policy.maxBodyBytes);
    } catch (err) {
      body = { ok: false as const, tooLarge: false as const, reason: (err as Error).message };
    }
    if (!body.ok) {
      if (body.tooLarge) deny(ctx, ErrorCode.BODY_TOO_LARGE, [`body larger than ${options.policy.maxBodyBytes} bytes`]);
      else deny(ctx, ErrorCode.INPUT_INVALID, ['the request body could not be read']);
      return answer(true);
    }
    ctx.body = body.bytes;

    // A literal, not a spread plus a key: that is V8's slow path (see newContext).
    const gateOptions: GateOptions = {
      integrations,
      surfaces: options.surfaces,
      policy: options.policy,
      evaluate: (input, c) => evaluateWithSpan(options.tracer, evaluator, input, c),
    };
    await gate(ctx, gateOptions);
    annotate(serverSpan, ctx, evaluator.revision);
    if (ctx.code !== null) return answer();
    if (res.destroyed) return;

    // Proxy: exactly the headers the policy saw, then the credential from configuration.
    const integration = ctx.integration as IntegrationConfig;
    // Null prototype, as the input's headers: any name the policy saw is an ordinary key here too.
    const headers = Object.assign(Object.create(null) as Record<string, string>, (ctx.input as PolicyInput).request.headers, passthroughCredentials(req.headers, integration.auth));
    options.credentials.get(integration.name)?.(headers);
    ctx.outcome = { status: null, bytes: 0, startedAt: process.hrtime.bigint(), endedAt: null, error: null };
    options.forwarder.forward(req, res, {
      url: ctx.url!,
      headers,
      body: ctx.body,
      outcome: ctx.outcome,
      traceContext: ctx.trace,
      onError: (code, message) => {
        serverSpan.setAttribute(semconv.ATTR_ERROR_CODE, code);
        status = sendError(res, code, ctx.decisionId, [`upstream: ${message.slice(0, 200)}`]);
      },
    });
  }
}

/**
 * Requests Node's HTTP parser refuses (raw control bytes, spaces or non-ASCII in the target,
 * bad headers) never reach the handler; they still get the JSON 400, a decision id and a
 * decision record.
 */
export function brokerClientErrorHandler(options: BrokerHandlerOptions): (err: NodeJS.ErrnoException, socket: Duplex, lease: EvaluatorLease) => void {
  return (err, socket, lease) => {
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      lease.release();
      return;
    }
    const ctx: RequestContext = newContext({ decisionId: randomUUID(), method: '', target: '', headers: {}, rawHeaderCount: 0, sourceAddress: '' });
    deny(ctx, ErrorCode.INPUT_INVALID, [`malformed HTTP request (${err.code ?? 'parse error'})`]);
    const payload = JSON.stringify(errorBody(ErrorCode.INPUT_INVALID, ctx.decisionId, ctx.reasons));
    socket.end(
      `HTTP/1.1 400 Bad Request\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(payload)}\r\n` +
        `${DECISION_HEADER}: ${ctx.decisionId}\r\nconnection: close\r\n\r\n${payload}`,
    );
    writeRecord(options, {
      decisionId: ctx.decisionId,
      judgement: ctx,
      preCode: ctx.code,
      preReason: ctx.reasons[0] ?? null,
      method: '',
      target: '',
      status: 400,
      outcome: null,
      evaluator: lease.evaluator,
      spanContext: undefined,
      startedAt: ctx.startedAt,
      labels: options.labels,
      dryRun: options.policy.dryRun,
      aborted: false,
      requestBody: null,
      maxBodyBytes: options.decisionLogMaxBodyBytes,
    }, lease);
  };
}

function annotate(span: Span, ctx: RequestContext, revision: string): void {
  span.setAttributes({
    [semconv.ATTR_DECISION_ALLOW]: ctx.code === null,
    [semconv.ATTR_POLICY_REVISION]: revision,
    ...(ctx.integration ? { [semconv.ATTR_INTEGRATION_NAME]: ctx.integration.name, [semconv.ATTR_INTEGRATION_TYPE]: ctx.integration.type } : {}),
    ...(ctx.code !== null ? { [semconv.ATTR_ERROR_CODE]: ctx.code } : {}),
    ...(ctx.dryRun ? { [semconv.ATTR_DRY_RUN]: true } : {}),
  });
}

/** Evaluate inside the `broker.policy.evaluate` span, with the contract's attributes. */
async function evaluateWithSpan(tracer: Tracer, evaluator: PolicyEvaluator, input: PolicyInput, ctx: RequestContext): Promise<EvaluationResult> {
  const span = tracer.startSpan(semconv.SPAN_EVALUATE, { kind: SpanKind.INTERNAL }, ctx.trace);
  const result = await evaluator.evaluate(input, { decisionId: ctx.decisionId });
  span.setAttributes({
    [semconv.ATTR_DECISION_ID]: ctx.decisionId,
    [semconv.ATTR_DECISION_ALLOW]: result.ok && result.decision.allow,
    [semconv.ATTR_DECISION_RULE]: result.ok ? (result.decision.rule ?? '') : '',
    [semconv.ATTR_DECISION_REASONS]: result.ok ? result.decision.reasons : [result.reason],
    [semconv.ATTR_INTEGRATION_NAME]: input.integration.name,
    [semconv.ATTR_INTEGRATION_TYPE]: input.integration.type,
    [semconv.ATTR_POLICY_REVISION]: evaluator.revision,
  });
  if (!result.ok) {
    span.setAttribute(semconv.ATTR_ERROR_CODE, result.timedOut === true ? ErrorCode.POLICY_TIMEOUT : ErrorCode.POLICY_EVAL_FAILED);
    span.setStatus({ code: SpanStatusCode.ERROR, message: result.reason });
  }
  span.end();
  return result;
}
