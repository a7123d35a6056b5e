/**
 * `rego-broker decide --replay decisions.jsonl [--bundle CANDIDATE]`: judge the inputs of past
 * decision records again with a bundle and report each decision it would change. A record
 * whose logged input is not the input that was judged (the mask erased parts, the body was cut
 * for the log, the policy saw a truncated body) replays inexactly, and says so; records of
 * requests refused before the policy ran (malformed, unknown destination, too large) have no
 * input to replay and are counted as skipped.
 */
import type { Interface } from 'node:readline';
import { DECISION_ENTRYPOINT } from '../policy/evaluate';
import type { WasmEvaluator } from '../policy/evaluate';
import type { JsonValue } from '../policy/types';
import { parseExpect, unmet } from './expect';

export interface ReplaySummary {
  records: number;
  changed: number;
  inexact: number;
  skipped: number;
  /** Lines that were not decision records. */
  bad: number;
  /** Records whose `expect` the new decision does not meet. */
  unmet: number;
}

type Obj = { [key: string]: JsonValue };

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Why replaying this record's input may not reproduce what was judged. */
export function inexactness(record: Obj): string[] {
  const why: string[] = [];
  if (Array.isArray(record.erased) && record.erased.length > 0) why.push(`masked: ${record.erased.map((p) => JSON.stringify(p)).join(', ')}`);
  const request = isObj(record.input) && isObj(record.input.request) ? record.input.request : null;
  if (request?.body_log_truncated === true) why.push('the body was cut for the decision log');
  if (request?.body_truncated === true) why.push('the policy saw a truncated body');
  return why;
}

/** The before/after of one record, or why it cannot be replayed. */
export function replayRecord(evaluator: WasmEvaluator, record: Obj): Record<string, unknown> {
  const before = isObj(record.result) ? record.result : {};
  const revision = isObj(record.bundles) && isObj(record.bundles['rego-broker']) ? record.bundles['rego-broker'].revision : null;
  const base = { decision_id: record.decision_id ?? null, revision_before: revision ?? null, revision_after: evaluator.revision };
  if (!isObj(record.input) || !isObj(record.input.request) || typeof before.rule !== 'string') {
    return { ...base, skipped: `not judged by the policy (${typeof before.code === 'string' ? before.code : 'no input'})` };
  }
  const result = evaluator.evaluateText(JSON.stringify(record.input), DECISION_ENTRYPOINT);
  const after = result.ok
    ? { allow: result.decision.allow, rule: result.decision.rule, reasons: result.decision.reasons }
    : { allow: false, rule: null, error: result.reason };
  const changed = (before.allow === true) !== after.allow || (before.rule ?? null) !== after.rule;
  const inexact = inexactness(record);
  return {
    ...base,
    before: { allow: before.allow === true, rule: before.rule },
    after,
    changed,
    ...(inexact.length > 0 ? { inexact } : {}),
  };
}

/** Replay every record line; one output line per record, a summary at the end. */
export async function replayLines(evaluator: WasmEvaluator, lines: Interface, write: (line: Record<string, unknown>) => void): Promise<ReplaySummary> {
  const summary: ReplaySummary = { records: 0, changed: 0, inexact: 0, skipped: 0, bad: 0, unmet: 0 };
  let n = 0;
  for await (const text of lines) {
    n += 1;
    if (text.trim() === '') continue;
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch {
      record = null;
    }
    if (!isObj(record) || typeof record.decision_id !== 'string') {
      summary.bad += 1;
      write({ line: n, error: 'not a decision record (a JSON object with decision_id)' });
      continue;
    }
    summary.records += 1;
    const out: Record<string, unknown> = { line: n, ...replayRecord(evaluator, record) };
    if (out.skipped !== undefined) summary.skipped += 1;
    if (out.changed === true) summary.changed += 1;
    if (out.inexact !== undefined) summary.inexact += 1;
    const expectation = parseExpect(record.expect);
    if (typeof expectation === 'string') {
      summary.bad += 1;
      write({ ...out, error: expectation });
      continue;
    }
    if (expectation !== undefined) {
      const after = out.after as { allow: boolean; rule: string | null; reasons: string[] } | undefined;
      const why = after ? unmet(expectation, after.allow, after.rule, after.reasons) : 'not judged by the policy';
      if (why !== null) {
        summary.unmet += 1;
        write({ ...out, expect_unmet: why });
        continue;
      }
    }
    write(out);
  }
  return summary;
}
