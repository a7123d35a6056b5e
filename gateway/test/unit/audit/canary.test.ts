/**
 * Canaries: secrets a client sends, in a body (at any depth), a vendor key header or the query,
 * never reach a serialized decision record, allowed or denied. The records go through the
 * shipped mask (policies/system/log: mask.rego and its data), compiled to WASM as the bundle
 * build does and evaluated by the real evaluator.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRecord } from '../../../src/audit/record';
import { ErrorCode } from '../../../src/errors';
import { UnloadedEvaluator, WasmEvaluator } from '../../../src/policy/evaluate';
import { REDACTED } from '../../../src/policy/mask';
import type { JsonValue, PolicyEvaluator } from '../../../src/policy/types';
import { OPA, REPO_ROOT } from '../../helpers/rego';
import type { RequestParts } from './facts';
import { facts, judgement, policyInput, unmaskedEvaluator } from './facts';

let dir: string;
let evaluator: WasmEvaluator;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mask-bundle-'));
  // Same package paths as in policies/, so the data is data.system.log.secrets.
  cpSync(join(REPO_ROOT, 'policies', 'system', 'log'), join(dir, 'src', 'system', 'log'), { recursive: true });
  const bundle = join(dir, 'bundle.tar.gz');
  const capabilities = join(REPO_ROOT, 'policies', 'capabilities.json');
  execFileSync(OPA, ['build', '-t', 'wasm', '-e', 'system/log/mask', '--capabilities', capabilities, '--revision', 'canary', '-o', bundle, join(dir, 'src')], { stdio: 'pipe' });
  evaluator = await WasmEvaluator.load(bundle, { maxMemoryPages: 1024 });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ALLOWED = { allow: true, rule: 'github.repo.hooks.create', reasons: [] };
const DENIED = { allow: false, rule: null, reasons: ['no rule allows this request'] };

interface Case {
  name: string;
  parts: RequestParts;
  allowed: boolean;
  /** Where the canary was: it must now hold "[REDACTED]" (or be gone, for the query). */
  redacted: Array<Array<string | number>>;
}

const cases: Case[] = [
  {
    name: 'an allowed GitHub webhook create with config.secret',
    parts: {
      method: 'POST',
      segments: ['repos', 'acme', 'app', 'hooks'],
      body: { name: 'web', active: true, events: ['push'], config: { url: 'https://ci.example.com/hook', content_type: 'json', secret: 'CANARY-webhook-7f3a' } },
    },
    allowed: true,
    redacted: [['body', 'config', 'secret']],
  },
  {
    name: 'a denied request with a secret in a nested body array',
    parts: {
      method: 'PATCH',
      body: { items: [{ name: 'one' }, { name: 'two', settings: [{ api_key: 'CANARY-array-91c2' }] }] },
    },
    allowed: false,
    redacted: [['body', 'items', 1, 'settings', 0, 'api_key']],
  },
  {
    name: 'an x-jfrog-art-api header',
    parts: { headers: { accept: 'application/json', 'x-jfrog-art-api': 'CANARY-jfrog-44d0' } },
    allowed: true,
    redacted: [['headers', 'x-jfrog-art-api']],
  },
  {
    name: 'a denied x-github-otp and private-token header',
    parts: { headers: { 'x-github-otp': 'CANARY-otp-1234', 'private-token': 'CANARY-gitlab-5678' } },
    allowed: false,
    redacted: [
      ['headers', 'x-github-otp'],
      ['headers', 'private-token'],
    ],
  },
  {
    name: 'a ?private_token= query parameter',
    parts: { query: { ref: ['main'], private_token: ['CANARY-query-a1b2'] } },
    allowed: true,
    redacted: [],
  },
];

function at(doc: JsonValue, path: Array<string | number>): JsonValue | undefined {
  let node: JsonValue | undefined = doc;
  for (const p of path) node = (node as Record<string, JsonValue>)[p];
  return node;
}

describe.each([4096, 24])('with maxBodyBytes %i', (maxBodyBytes) => {
  it.each(cases)('$name: no canary in the record', async ({ parts, allowed, redacted }) => {
    const input = policyInput(parts);
    const requestBody = parts.body === undefined ? null : Buffer.from(JSON.stringify(parts.body));
    const j = allowed ? judgement(input, null, ALLOWED) : judgement(input, ErrorCode.POLICY_DENIED, DENIED);
    const record = await buildRecord(facts(evaluator, { judgement: j, status: allowed ? 200 : 403, requestBody, maxBodyBytes }));
    const text = JSON.stringify(record);

    expect(text).not.toContain('CANARY');
    expect(record.erased?.length).toBeGreaterThan(0);
    const request = at(record.input, ['request']) as JsonValue;
    for (const path of redacted) if (path[0] !== 'body' || maxBodyBytes > 1000) expect(at(request, path)).toBe(REDACTED);
    // What is not secret stays: the route, the allowlisted accept header, the ref parameter.
    expect(at(request, ['route'])).toBe(input.request.route);
    if (parts.headers?.accept) expect(at(request, ['headers', 'accept'])).toBe(parts.headers.accept);
    if (parts.query) expect(at(request, ['query', 'ref'])).toEqual(['main']);
    if (requestBody) expect(at(request, ['body_sha256'])).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('beyond the policy decision', () => {
  const secretInput = () => policyInput({ method: 'POST', body: { hooks: [{ config: { secret: 'CANARY-other-0000' } }] }, headers: { 'x-api-key': 'CANARY-other-1111' } });

  it('without the mask the canaries would be there (the cases above are meaningful)', async () => {
    const record = await buildRecord(facts(unmaskedEvaluator(), { judgement: judgement(secretInput(), null, ALLOWED) }));
    expect(JSON.stringify(record)).toContain('CANARY-other-0000');
    expect(JSON.stringify(record)).toContain('CANARY-other-1111');
  });

  it('masks the input when evaluation failed (a deny with no decision document)', async () => {
    const record = await buildRecord(facts(evaluator, { judgement: judgement(secretInput(), ErrorCode.POLICY_EVAL_FAILED, null), status: 500 }));
    expect(JSON.stringify(record)).not.toContain('CANARY');
    expect(record.erased).toEqual(expect.arrayContaining(['/input/request/headers/x-api-key', '/input/request/body/hooks/0/config/secret']));
  });

  // The mask's work grows linearly with the body; a walk over every node needed more than the
  // default 64 MiB of policy memory here, and the record then fell back to no body at all.
  it('masks a 1 MiB body within the default policy memory', async () => {
    const items = Array.from({ length: 22000 }, (_, i) => ({ name: `n${i}`, nested: { a: [1, 2, { b: 'x' }] } }));
    const input = policyInput({ method: 'POST', body: { items: [...items, { token: 'CANARY-large-2222' }] } });
    expect(JSON.stringify(input).length).toBeGreaterThan(1_000_000);
    const masked = await evaluator.mask(input, ALLOWED);
    expect(masked.erased).toEqual(['/input/request/body/items/22000/token']);
    expect(JSON.stringify(masked.input)).not.toContain('CANARY');
  });

  it('logs only the secret-free parts when no policy is loaded', async () => {
    const unloaded = new UnloadedEvaluator('test') as unknown as PolicyEvaluator;
    const record = await buildRecord(facts(unloaded, { judgement: judgement(secretInput(), ErrorCode.POLICY_EVAL_FAILED, null), status: 500 }));
    expect(JSON.stringify(record)).not.toContain('CANARY');
  });
});
