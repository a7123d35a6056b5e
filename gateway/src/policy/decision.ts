/**
 * Why this exists: the policy's answer is the only thing that can let a request through, so it
 * is checked strictly. Anything but exactly one result holding an object with a boolean `allow`
 * (and well-typed `rule`, `reasons`, `status`) is a failure, and a failure denies.
 */
import type { Decision, JsonValue } from './types';

export type DecisionCheck = { ok: true; decision: Decision; raw: JsonValue } | { ok: false; reason: string };

const DECISION_KEYS = new Set(['allow', 'rule', 'reasons', 'status']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validate an OPA-WASM result set (`[{result: …}]`) for the decision entrypoint. */
export function checkDecision(resultSet: unknown): DecisionCheck {
  if (!Array.isArray(resultSet)) return { ok: false, reason: 'policy returned no result set' };
  if (resultSet.length === 0) return { ok: false, reason: 'policy returned no result (undefined decision)' };
  if (resultSet.length > 1) return { ok: false, reason: 'policy returned more than one result' };
  const first: unknown = resultSet[0];
  if (!isObject(first) || !('result' in first)) return { ok: false, reason: 'policy returned no result (undefined decision)' };
  const raw = first.result;
  if (!isObject(raw)) return { ok: false, reason: 'decision is not an object' };
  for (const key of Object.keys(raw)) {
    if (!DECISION_KEYS.has(key)) return { ok: false, reason: `decision has an unknown field "${key.slice(0, 40)}"` };
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
  return {
    ok: true,
    decision: {
      allow: raw.allow,
      rule: typeof rule === 'string' ? rule : null,
      reasons: reasons,
      status: typeof status === 'number' ? status : null,
    },
    raw: raw as JsonValue,
  };
}
