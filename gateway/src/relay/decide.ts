/**
 * Outbound lines of `rego-broker decide`: `{"relay": "<name>", "headers": {…}, "body": …}`
 * judged by broker/outbound exactly as the relay listener judges a webhook, after its
 * signature (which decide does not check: it holds no secret and sends nothing). The output
 * line has the inbound shape plus `removed`, the fields that would be taken out of the relayed
 * body. A dropped webhook has `status` 200 and `code` POLICY_DENIED, as the listener answers.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { BrokerConfig } from '../config/types';
import { ERRORS } from '../errors';
import type { PolicyEvaluator } from '../policy/types';
import { judgeWebhook, OUTBOUND_ENTRYPOINT } from './judge';
import { minimize, removedFields } from './minimize';

/** The line as an object when it is an outbound one (it names a `relay`), else null. */
export function outboundLine(text: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) && 'relay' in v ? (v) : null;
  } catch {
    return null;
  }
}

/** Judge one outbound line; a string is a usage error for that line. */
export async function decideOutbound(line: Record<string, unknown>, config: BrokerConfig, evaluator: PolicyEvaluator): Promise<Record<string, unknown> | string> {
  const relay = config.relays.find((r) => r.name === line.relay);
  if (relay === undefined) return `"relay" must name a configured relay (${config.relays.map((r) => r.name).join(', ') || 'none configured'})`;
  const integration = config.integrations.find((i) => i.name === relay.integration);
  if (integration === undefined) return `relay ${relay.name} names no integration`;
  const headers: IncomingHttpHeaders = {};
  if (line.headers !== undefined) {
    if (typeof line.headers !== 'object' || line.headers === null || Array.isArray(line.headers)) return '"headers" must be an object';
    for (const [k, v] of Object.entries(line.headers)) {
      if (typeof v !== 'string') return `header ${k} must be a string`;
      headers[k.toLowerCase()] = v;
    }
  }
  headers['content-type'] ??= 'application/json';
  const body = Buffer.from(typeof line.body === 'string' ? line.body : JSON.stringify(line.body ?? null), 'utf8');
  const decisionId = randomUUID();
  const j = await judgeWebhook(
    { decisionId, relay, integration, headers, rawHeaderCount: Object.keys(headers).length, body, listener: { host: config.relay.host, port: config.relay.port }, sourceAddress: 'decide' },
    { policy: config.policy, evaluate: (input, id) => evaluator.evaluate(input, { decisionId: id, entrypoint: OUTBOUND_ENTRYPOINT }) },
  );
  const removed = j.allow && j.input !== null ? minimize(j.input.request.body, removedFields(relay.type, relay.minimize, relay.removeFields, j.remove)).removed : [];
  const dropped = j.code === 'POLICY_DENIED';
  return {
    decision_id: decisionId,
    allow: j.allow,
    rule: j.rule,
    reasons: j.reasons,
    status: j.allow ? null : dropped ? 200 : ERRORS[j.code ?? 'POLICY_EVAL_FAILED'].status,
    code: j.allow ? null : j.code,
    ...(j.dryRun ? { dry_run: true } : {}),
    removed,
    input: j.input,
  };
}
