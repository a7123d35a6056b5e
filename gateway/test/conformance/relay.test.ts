/**
 * Relay conformance: Snyk's webhook-body cases (fixtures-relay.json, the GitHub push bodies of
 * its unit tests) and probes (the GitHub webhook rule of defaultFilters-github.json) judged by
 * the shipped outbound policy as the relay judges a GitHub webhook. Snyk reads only the body;
 * GitHub names the event in X-GitHub-Event, so each case is sent as the event its body is
 * (`commits` → push, otherwise pull_request). Each case agrees with Snyk's engine or is listed
 * in relay-differences.json with a section of docs/importers.md explaining why.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IntegrationConfig, RelayConfig } from '../../src/config/types';
import type { WasmEvaluator } from '../../src/policy/evaluate';
import { judgeWebhook, OUTBOUND_ENTRYPOINT } from '../../src/relay/judge';
import { defaultPolicyConfig, REPO_ROOT, SHIPPED_BUNDLE } from '../helpers/rego';
import { headingSlugs, loadBundle } from './harness';

const CORPUS = join(REPO_ROOT, '..', 'shared', 'conformance', 'snyk');
const DIFFERENCES = JSON.parse(readFileSync(join(__dirname, 'relay-differences.json'), 'utf8')) as Record<string, { section: string; reason: string }>;
const DOC_SLUGS = headingSlugs(readFileSync(join(REPO_ROOT, 'docs', 'importers.md'), 'utf8'));

interface SnykCase {
  id: string;
  rules: string;
  request: { method: string; url: string; body: unknown };
  oracle: { allow: boolean };
}

const integration: IntegrationConfig = {
  name: 'ghe',
  type: 'github',
  baseUrl: 'https://ghe.example.com/api/v3',
  auth: { scheme: 'bearer', token: { env: null, file: null, literal: null }, username: null, header: null },
  surfaces: {},
  flags: {},
  forwardHeaders: [],
};
const relay: RelayConfig = {
  name: 'snyk',
  integration: 'ghe',
  type: 'github',
  destination: 'https://saas.example.com/webhook/github',
  secret: { env: 'UNUSED', file: null, literal: null },
  auth: { kind: 'hmac-sha256', header: 'x-hub-signature-256' },
  minimize: true,
  removeFields: [],
  flags: {},
};

/** The webhook cases: bodies POSTed to a relay or webhook route. */
function relayCases(): SnykCase[] {
  return ['cases.jsonl', 'probes.jsonl']
    .flatMap((f) => readFileSync(join(CORPUS, f), 'utf8').split('\n').filter((l) => l.trim() !== ''))
    .map((l) => JSON.parse(l) as SnykCase)
    .filter((c) => c.request.method === 'POST' && ((c.rules === 'fixtures-relay.json' && c.request.url === '/') || c.request.url.startsWith('/webhook/')));
}

async function relays(evaluator: WasmEvaluator, c: SnykCase): Promise<boolean> {
  const body = c.request.body as Record<string, unknown>;
  const event = 'commits' in body ? 'push' : 'pull_request';
  const j = await judgeWebhook(
    {
      decisionId: c.id,
      relay,
      integration,
      headers: { 'content-type': 'application/json', 'x-github-event': event },
      rawHeaderCount: 2,
      body: Buffer.from(JSON.stringify(body)),
      listener: { host: '127.0.0.1', port: 8081 },
      sourceAddress: 'conformance',
    },
    { policy: defaultPolicyConfig(), evaluate: (input, id) => evaluator.evaluate(input, { decisionId: id, entrypoint: OUTBOUND_ENTRYPOINT }) },
  );
  return j.allow;
}

const available = existsSync(CORPUS);
const maybe = available ? describe : describe.skip;

maybe('relay conformance', () => {
  test('snyk webhook bodies', async () => {
    const cases = relayCases();
    expect(cases.length).toBeGreaterThanOrEqual(8);
    const evaluator = await loadBundle(SHIPPED_BUNDLE);
    const problems: string[] = [];
    let agree = 0;
    for (const c of cases) {
      const ours = await relays(evaluator, c);
      const listed = DIFFERENCES[c.id];
      if (ours === c.oracle.allow) {
        agree++;
        if (listed !== undefined) problems.push(`${c.id}: listed as a difference but agrees (allow=${ours}); remove it`);
      } else if (listed === undefined) {
        problems.push(`${c.id}: ours allow=${ours}, snyk allow=${c.oracle.allow}, and not in relay-differences.json`);
      } else if (!DOC_SLUGS.has(listed.section)) {
        problems.push(`${c.id}: section #${listed.section} is not in docs/importers.md`);
      }
    }
    for (const id of Object.keys(DIFFERENCES)) if (!cases.some((c) => c.id === id)) problems.push(`${id}: listed but not a relay case`);
    if (problems.length > 0) throw new Error(`relay conformance:\n  ${problems.join('\n  ')}`);
    process.stdout.write(`snyk relay: ${agree}/${cases.length} agree, ${cases.length - agree} documented differences\n`);
  });
});
