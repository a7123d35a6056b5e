/**
 * Judges one webhook whose authenticity is already established: JSON only, bounded before it
 * is parsed (`policy.limits`, as on the inbound side), turned into the outbound input and
 * evaluated by `broker/outbound`. Shared by the relay listener and `rego-broker decide`, so both
 * answer the same. Anything that goes wrong denies.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { IntegrationConfig, PolicyConfig, RelayConfig } from '../config/types';
import { ErrorCode } from '../errors';
import type { EvaluationResult, JsonValue } from '../policy/types';
import { checkHeaders, checkJsonText } from '../request/bounds';
import { isJsonType, mediaType } from '../request/receive';
import { buildOutboundInput } from './input';
import type { OutboundInput } from './input';

export { OUTBOUND_ENTRYPOINT } from '../policy/evaluate';

/** A webhook as data. */
export interface WebhookData {
  decisionId: string;
  relay: RelayConfig;
  integration: IntegrationConfig;
  headers: IncomingHttpHeaders;
  rawHeaderCount: number;
  body: Buffer;
  listener: { host: string; port: number };
  sourceAddress: string;
}

/** The outcome: relay it (`allow`, possibly by dry run) or not, and why. */
export interface WebhookJudgement {
  input: OutboundInput | null;
  evaluation: EvaluationResult | null;
  allow: boolean;
  /** The deny's code: POLICY_DENIED, or the gateway's own when the policy did not decide. */
  code: ErrorCode | null;
  reasons: string[];
  rule: string | null;
  /** The policy denied and dry-run let it through. */
  dryRun: boolean;
  /** Body fields the policy names for removal (its allow's `remove`), besides the relay's own. */
  remove: string[];
}

export interface JudgeOptions {
  policy: Pick<PolicyConfig, 'dryRun' | 'limits'>;
  evaluate(input: OutboundInput, decisionId: string): Promise<EvaluationResult>;
}

function refused(code: ErrorCode, reason: string): WebhookJudgement {
  return { input: null, evaluation: null, allow: false, code, reasons: [reason], rule: null, dryRun: false, remove: [] };
}

export async function judgeWebhook(w: WebhookData, options: JudgeOptions): Promise<WebhookJudgement> {
  const headerBounds = checkHeaders(w.headers, w.rawHeaderCount, options.policy.limits);
  if (headerBounds !== null) return refused(ErrorCode.INPUT_TOO_COMPLEX, headerBounds);
  const ct = w.headers['content-type'];
  const contentType = mediaType(Array.isArray(ct) ? undefined : ct);
  if (!isJsonType(contentType)) return refused(ErrorCode.INPUT_INVALID, 'webhooks are relayed as JSON only: configure the webhook with content type application/json');
  const problem = checkJsonText(w.body, options.policy.limits);
  if (problem !== null) return refused(problem.ambiguous ? ErrorCode.INPUT_INVALID : ErrorCode.INPUT_TOO_COMPLEX, problem.reason);
  let body: JsonValue;
  try {
    body = JSON.parse(w.body.toString('utf8')) as JsonValue;
  } catch {
    return refused(ErrorCode.INPUT_INVALID, 'the webhook body is not valid JSON');
  }
  const input = buildOutboundInput({
    decisionId: w.decisionId,
    relay: w.relay,
    integration: w.integration,
    headers: w.headers,
    body,
    bodySize: w.body.length,
    contentType,
    listener: w.listener,
    sourceAddress: w.sourceAddress,
  });
  const evaluation = await options.evaluate(input, w.decisionId);
  if (!evaluation.ok) {
    const code = evaluation.timedOut === true ? ErrorCode.POLICY_TIMEOUT : ErrorCode.POLICY_EVAL_FAILED;
    return { input, evaluation, allow: false, code, reasons: [evaluation.reason], rule: null, dryRun: false, remove: [] };
  }
  const { decision } = evaluation;
  if (decision.allow) return { input, evaluation, allow: true, code: null, reasons: decision.reasons, rule: decision.rule, dryRun: false, remove: decision.remove };
  const dryRun = options.policy.dryRun;
  return { input, evaluation, allow: dryRun, code: ErrorCode.POLICY_DENIED, reasons: decision.reasons, rule: decision.rule, dryRun, remove: [] };
}
