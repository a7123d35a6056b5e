/**
 * `expect` on a `decide` line: what the author says the decision must be, so CI fails when a
 * policy change alters it. `"allow"`, `"deny"`, or `{"allow": bool, "rule": "<id>", "reason": "<text>"}`
 * (the shape of the checked-in decide fixtures).
 */

export interface Expectation {
  allow: boolean;
  /** When set, the decision's rule id must equal it. */
  rule?: string;
  /** When set, one of the decision's reasons must contain it. */
  reason?: string;
}

/** Read a line's `expect`; undefined when absent, a string when malformed. */
export function parseExpect(v: unknown): Expectation | undefined | string {
  if (v === undefined) return undefined;
  if (v === 'allow' || v === 'deny') return { allow: v === 'allow' };
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    const extra = Object.keys(o).filter((k) => k !== 'allow' && k !== 'rule' && k !== 'reason');
    if (extra.length > 0) return `"expect" has unknown key ${extra[0]}`;
    if (typeof o.allow !== 'boolean') return '"expect.allow" must be true or false';
    if (o.rule !== undefined && typeof o.rule !== 'string') return '"expect.rule" must be a rule id';
    if (o.reason !== undefined && typeof o.reason !== 'string') return '"expect.reason" must be a text';
    return { allow: o.allow, ...(typeof o.rule === 'string' ? { rule: o.rule } : {}), ...(typeof o.reason === 'string' ? { reason: o.reason } : {}) };
  }
  return '"expect" must be "allow", "deny" or {"allow": true|false, "rule": "<id>", "reason": "<text>"}';
}

/** Why the decision does not meet the expectation, or null when it does. */
export function unmet(expectation: Expectation, allow: boolean, rule: string | null, reasons: readonly string[] = []): string | null {
  if (expectation.allow !== allow) return `expected ${expectation.allow ? 'allow' : 'deny'}, got ${allow ? 'allow' : 'deny'}${rule ? ` (${rule})` : ''}`;
  if (expectation.rule !== undefined && expectation.rule !== rule) return `expected rule ${expectation.rule}, got ${rule ?? 'none'}`;
  const { reason } = expectation;
  if (reason !== undefined && !reasons.some((r) => r.includes(reason))) return `expected a reason containing ${JSON.stringify(reason)}`;
  return null;
}
