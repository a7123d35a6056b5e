/** Builders for decision-record tests: a policy input, a judgement and the facts around them. */
import type { RecordFacts } from '../../../src/audit/record';
import type { ErrorCode } from '../../../src/errors';
import type { RequestContext } from '../../../src/pipeline/context';
import type { JsonValue, PolicyEvaluator, PolicyInput } from '../../../src/policy/types';

export interface RequestParts {
  method?: string;
  segments?: string[];
  query?: Record<string, string[]>;
  headers?: Record<string, string>;
  body?: JsonValue;
}

/** A v1 input for a GitHub API request, as the gateway would build it. */
export function policyInput(p: RequestParts): PolicyInput {
  const segments = p.segments ?? ['repos', 'acme', 'app'];
  const route = `/${segments.join('/')}`;
  const input = {
    version: 'rego-broker/v1',
    direction: 'inbound',
    decision_id: '00000000-0000-4000-8000-000000000000',
    integration: { name: 'ghe', type: 'github', surface: 'api', base_url: 'https://ghe.example.com/api/v3', flags: {} },
    request: {
      method: p.method ?? 'GET',
      scheme: 'https',
      host: 'ghe.example.com',
      port: 443,
      path: `/api/v3${route}`,
      route,
      segments,
      segments_folded: segments.map((s) => s.toLowerCase()),
      query: p.query ?? {},
      headers: p.headers ?? { accept: 'application/vnd.github+json' },
      body: p.body ?? null,
      body_size: 0,
      body_truncated: false,
      content_type: p.body === undefined ? null : 'application/json',
      graphql: null,
    },
    source: { address: 'fdf0:59dc:33cf:9be9::1' },
  };
  return input as unknown as PolicyInput;
}

/** A judgement the policy reached on `input`: allowed when `code` is null. */
export function judgement(input: PolicyInput | null, code: ErrorCode | null, raw: JsonValue | null): RequestContext {
  const j = {
    decisionId: input?.decision_id ?? 'd',
    code,
    decision: null,
    raw,
    reasons: code === null ? [] : ['denied'],
    input,
    url: null,
    resolved: null,
    integration: null,
    dryRun: false,
    evalNs: 1,
    inputJson: input === null ? null : JSON.stringify(input),
  };
  return j as unknown as RequestContext;
}

/** Facts for `buildRecord`; `over` replaces any of them. */
export function facts(evaluator: PolicyEvaluator, over: Partial<RecordFacts>): RecordFacts {
  return {
    decisionId: '00000000-0000-4000-8000-000000000000',
    judgement: null,
    preCode: null,
    preReason: null,
    method: 'GET',
    target: '/proxy/https://ghe.example.com/api/v3/repos/acme/app',
    status: 200,
    outcome: null,
    evaluator,
    spanContext: undefined,
    startedAt: process.hrtime.bigint(),
    labels: {},
    dryRun: false,
    aborted: false,
    requestBody: null,
    maxBodyBytes: 4096,
    ...over,
  };
}

/** An evaluator whose mask erases nothing (the record's own bounds are under test). */
export function unmaskedEvaluator(): PolicyEvaluator {
  const evaluator = {
    revision: 'test',
    ready: true,
    evaluate: () => ({ ok: false, reason: 'not used', evalNs: 0 }),
    mask: (input: PolicyInput) => Promise.resolve({ input: input as unknown as JsonValue, erased: [] }),
    close: () => Promise.resolve(),
  };
  return evaluator as unknown as PolicyEvaluator;
}
