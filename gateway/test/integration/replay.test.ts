/**
 * `decide --replay`: decision-log records judged again by a candidate bundle. Changes are
 * reported per record, records whose logged input is not what was judged are marked inexact,
 * records of requests refused before the policy are skipped, a record's `expect` is checked,
 * and the exit code follows --fail-on-change and bad lines.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runCli } from '../helpers/cli';
import { buildBundle } from '../helpers/rego';

const dir = mkdtempSync(join(tmpdir(), 'rego-broker-replay-'));
const config = join(dir, 'broker.yaml');
writeFileSync(config, stringify({ integrations: [{ name: 'ghe', type: 'github', baseUrl: 'https://ghe.example.com/api/v3', auth: { scheme: 'bearer', tokenEnv: 'T' } }] }));

// The candidate allows GETs only.
const candidate = buildBundle({
  'decision.rego': 'package broker\n\ndecision := {"allow": true, "rule": "t.get", "reasons": []} if input.request.method == "GET"\n\nelse := {"allow": false, "rule": "t.deny", "reasons": ["no"], "status": 403}\n',
});

const input = (method: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  version: 'rego-broker/v1',
  direction: 'inbound',
  integration: { name: 'ghe', type: 'github', surface: 'api', flags: {} },
  request: { method, path: '/api/v3/x', route: '/x', segments: ['x'], query: {}, headers: {}, body: null, body_truncated: false, ...extra },
});
const record = (id: string, method: string, allow: boolean, rule: string, more: Record<string, unknown> = {}): string =>
  JSON.stringify({ decision_id: id, input: input(method), result: { allow, rule, reasons: [] }, bundles: { 'rego-broker': { revision: 'old' } }, ...more });

const LOG = [
  record('same', 'GET', true, 't.get'),
  record('changed', 'POST', true, 'old.write'),
  record('masked', 'GET', true, 't.get', { erased: ['/input/request/headers/x-api-key'] }),
  JSON.stringify({ decision_id: 'cut', input: input('GET', { body: '{"a":', body_log_truncated: true }), result: { allow: true, rule: 't.get' } }),
  JSON.stringify({ decision_id: 'early', input: { request: { method: 'GET' } }, result: { allow: false, code: 'INPUT_INVALID', reasons: ['bad'] } }),
  record('expected', 'DELETE', false, 'old.deny', { expect: 'allow' }),
].join('\n');

async function replay(extra: string[], text = LOG): Promise<{ code: number; lines: Array<Record<string, unknown>>; err: string }> {
  const file = join(dir, `log-${Math.random().toString(36).slice(2)}.jsonl`);
  writeFileSync(file, `${text}\n`);
  const { code, out, err } = await runCli(['decide', '-c', config, '--bundle', candidate, '--replay', file, ...extra], { env: { T: 't' } });
  const lines = out.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code, lines, err };
}

it('reports each record: unchanged, changed, inexact, skipped, expect not met', async () => {
  const { code, lines, err } = await replay([]);
  const byId = new Map(lines.map((l) => [l.decision_id, l]));
  expect(byId.get('same')).toMatchObject({ changed: false, before: { allow: true, rule: 't.get' }, after: { allow: true, rule: 't.get' }, revision_before: 'old' });
  expect(byId.get('changed')).toMatchObject({ changed: true, before: { allow: true }, after: { allow: false, rule: 't.deny' } });
  expect(byId.get('masked')).toMatchObject({ changed: false, inexact: ['masked: "/input/request/headers/x-api-key"'] });
  expect(byId.get('cut')).toMatchObject({ inexact: ['the body was cut for the decision log'] });
  expect(byId.get('early')).toMatchObject({ skipped: 'not judged by the policy (INPUT_INVALID)' });
  expect(byId.get('expected')).toMatchObject({ expect_unmet: 'expected allow, got deny (t.deny)' });
  expect(err).toContain('replayed 6 record(s): 2 changed, 2 inexact (masked or truncated input), 1 not judged by the policy, 1 expect not met, 0 bad line(s)');
  expect(code).toBe(1);
});

it('exits 0 on changes alone, 1 with --fail-on-change, 1 on a line that is no record', async () => {
  const plain = [record('a', 'GET', true, 't.get'), record('b', 'POST', true, 'x')].join('\n');
  expect((await replay([], plain)).code).toBe(0);
  expect((await replay(['--fail-on-change'], plain)).code).toBe(1);
  const bad = await replay([], `${plain}\nnot json`);
  expect(bad.code).toBe(1);
  expect(bad.lines[2]).toEqual({ line: 3, error: 'not a decision record (a JSON object with decision_id)' });
});
