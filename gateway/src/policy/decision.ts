/**
 * Why this exists: the policy's answer is the only thing that can let a request through, so it
 * is checked strictly. Anything but exactly one result holding an object with a boolean `allow`
 * (and well-typed `rule`, `reasons`, `status`) is a failure, and a failure denies.
 */
import type { Decision, JsonValue } from './types';

export type DecisionCheck = { ok: true; decision: Decision; raw: JsonValue } | { ok: false; reason: string };

const DECISION_KEYS = new Set(['allow', 'rule', 'reasons', 'status']);

/** The outbound entrypoint's allows may also name body fields to remove before relaying. */
const OUTBOUND_KEYS = new Set([...DECISION_KEYS, 'remove']);

/** What a decision may hold: `remove` only where it has a meaning (relayed webhooks). */
export interface DecisionShape {
  /** Accept `remove` (a list of dot paths) on allows. */
  remove: boolean;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validate an OPA-WASM result set (`[{result: …}]`) for the decision entrypoint. */
export function checkDecision(resultSet: unknown, shape: DecisionShape = { remove: false }): DecisionCheck {
  if (!Array.isArray(resultSet)) return { ok: false, reason: 'policy returned no result set' };
  if (resultSet.length === 0) return { ok: false, reason: 'policy returned no result (undefined decision)' };
  if (resultSet.length > 1) return { ok: false, reason: 'policy returned more than one result' };
  const first: unknown = resultSet[0];
  if (!isObject(first) || !('result' in first)) return { ok: false, reason: 'policy returned no result (undefined decision)' };
  const raw = first.result;
  if (!isObject(raw)) return { ok: false, reason: 'decision is not an object' };
  const keys = shape.remove ? OUTBOUND_KEYS : DECISION_KEYS;
  for (const key of Object.keys(raw)) {
    if (!keys.has(key)) return { ok: false, reason: `decision has an unknown field "${key.slice(0, 40)}"` };
  }
  if (typeof raw.allow !== 'boolean') return { ok: false, reason: 'decision.allow is missing or not a boolean' };
  const rule = raw.rule;
  if (rule !== undefined && rule !== null && typeof rule !== 'string') return { ok: false, reason: 'decision.rule is not a string' };
  const reasons = raw.reasons ?? [];
  if (!Array.isArray(reasons) || !reasons.every((r) => typeof r === 'string')) {
    return { ok: false, reason: 'decision.reasons is not a list of strings' };
  }
  const status = raw.status;
  if (status !== undefined && status !== null) {
    if (raw.allow) return { ok: false, reason: 'decision.status is only for denies' };
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 499) {
      return { ok: false, reason: 'decision.status must be an integer from 400 to 499' };
    }
  }
  const remove: unknown = raw.remove ?? [];
  if (!Array.isArray(remove) || !remove.every((r): r is string => typeof r === 'string' && r !== '')) {
    return { ok: false, reason: 'decision.remove is not a list of field paths' };
  }
  if (remove.length > 0 && !raw.allow) return { ok: false, reason: 'decision.remove is only for allows' };
  return {
    ok: true,
    decision: {
      allow: raw.allow,
      rule: typeof rule === 'string' ? rule : null,
      reasons: reasons,
      status: typeof status === 'number' ? status : null,
      remove,
    },
    raw: raw as JsonValue,
  };
}
