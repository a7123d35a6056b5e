/**
 * The decision and the decision log's mask evaluated on one parse of the input
 * (`runWithMask`): the same result sets as evaluating the mask on its own
 * `{"input": …, "result": …}` text, on the shipped bundle, for inputs the mask erases from and
 * inputs it leaves alone; the module's heap is reset after each pair.
 */
import { TextDecoder, TextEncoder } from 'node:util';
import { loadPolicySync } from '@open-policy-agent/opa-wasm';
import type { LoadedPolicy } from '@open-policy-agent/opa-wasm';
import { readBundle } from '../../src/policy/bundle';
import { DECISION_ENTRYPOINT, MASK_ENTRYPOINT, maskDocument, run, runWithMask } from '../../src/policy/evaluate';
import { SHIPPED_BUNDLE } from '../helpers/rego';

const codec = { encoder: new TextEncoder(), decoder: new TextDecoder() };
let policy: LoadedPolicy;

beforeAll(() => {
  const bundle = readBundle(SHIPPED_BUNDLE);
  policy = loadPolicySync(bundle.wasm, { initial: 5, maximum: 2048 });
  policy.setData(bundle.data as object);
});

function input(request: Record<string, unknown>): string {
  return JSON.stringify({
    version: 'rego-broker/v1',
    direction: 'inbound',
    decision_id: 'd-1',
    integration: { name: 'ghe', type: 'github', surface: 'api', base_url: 'https://ghe.example/api/v3', flags: { allow_code_access: false, allow_writes: false } },
    request: {
      method: 'GET',
      scheme: 'https',
      host: 'ghe.example',
      port: 443,
      path: '/api/v3/repos/acme/app/contents/package.json',
      route: '/repos/acme/app/contents/package.json',
      segments: ['repos', 'acme', 'app', 'contents', 'package.json'],
      segments_folded: ['repos', 'acme', 'app', 'contents', 'package.json'],
      query: {},
      headers: {},
      body: null,
      body_size: 0,
      body_truncated: false,
      content_type: null,
      graphql: null,
      ...request,
    },
    source: { address: '127.0.0.1' },
  });
}

/** The two evaluations as separate parses: what runWithMask must agree with. */
function separately(text: string): { resultSet: unknown; maskSet: unknown } {
  const resultSet = run(policy, text, DECISION_ENTRYPOINT, codec);
  const result = (resultSet as Array<{ result: unknown }>)[0]!.result as Parameters<typeof maskDocument>[1];
  return { resultSet, maskSet: run(policy, maskDocument(text, result), MASK_ENTRYPOINT, codec) };
}

const cases: Array<[string, string]> = [
  ['an allowed read, nothing to erase', input({})],
  ['a secret query parameter and headers', input({ query: { private_token: ['t0ken'], ref: ['main'] }, headers: { 'x-api-key': 'k', accept: 'application/json' } })],
  ['a denied write with secrets deep in the body', input({ method: 'POST', body: { note: 'n', auth: { password: 'p', nested: [{ token: 't' }] } }, body_size: 80, content_type: 'application/json' })],
  ['non-ASCII text', input({ body: { title: 'Grüße, 世界 🎉' }, method: 'POST', body_size: 40, content_type: 'application/json' })],
  // Larger than the module's initial memory: the module grows while the input is placed.
  ['a body of 1 MiB', input({ method: 'POST', body: { text: 'x'.repeat(1 << 20), secret: 's' }, body_size: (1 << 20) + 30, content_type: 'application/json' })],
];

it.each(cases)('%s: the same decision and mask as two separate parses', (_name, text) => {
  const pair = runWithMask(policy, text, DECISION_ENTRYPOINT, MASK_ENTRYPOINT, codec, run);
  expect(pair.maskFailed).toBeUndefined();
  expect(pair.decisionNs).toBeGreaterThan(0);
  expect({ resultSet: pair.resultSet, maskSet: pair.maskSet }).toEqual(separately(text));
});

it('erases what the mask names (the comparison above is not between two empty answers)', () => {
  const pair = runWithMask(policy, cases[2]![1], DECISION_ENTRYPOINT, MASK_ENTRYPOINT, codec, run);
  const ops = JSON.stringify(pair.maskSet);
  expect(ops).toContain('password');
  expect(ops).toContain('token');
});

it('resets the heap after each pair: memory stays as it was over many evaluations', () => {
  const text = cases[1]![1];
  runWithMask(policy, text, DECISION_ENTRYPOINT, MASK_ENTRYPOINT, codec, run);
  const before = policy.mem.buffer.byteLength;
  for (let i = 0; i < 2000; i++) runWithMask(policy, text, DECISION_ENTRYPOINT, MASK_ENTRYPOINT, codec, run);
  expect(policy.mem.buffer.byteLength).toBe(before);
});

it('a mask that cannot be evaluated is reported, with the decision intact', () => {
  const text = cases[0]![1];
  const pair = runWithMask(policy, text, DECISION_ENTRYPOINT, 'system/log/no_such_mask', codec, run);
  expect(pair.maskFailed).toBe(true);
  expect(pair.resultSet).toEqual(separately(text).resultSet);
});

it('a decision that cannot be evaluated throws (the worker denies and starts afresh)', () => {
  expect(() => runWithMask(policy, '{"version": ', DECISION_ENTRYPOINT, MASK_ENTRYPOINT, codec, run)).toThrow();
});
