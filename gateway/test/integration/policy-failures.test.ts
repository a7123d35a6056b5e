/**
 * Evaluation mechanics with tiny inline policies: every way a policy can fail to give one
 * well-formed decision denies with POLICY_EVAL_FAILED, and the upstream is never reached.
 */
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { loadEvaluator } from '../../src/app';
import { createLogger } from '../../src/telemetry/logger';
import { send, startTestBroker, testConfig } from '../helpers/broker';
import type { TestBroker } from '../helpers/broker';
import { buildBundle } from '../helpers/rego';
import { startUpstream } from '../helpers/upstream';
import type { FakeUpstream } from '../helpers/upstream';

let upstream: FakeUpstream;

beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(() => upstream.close());

const policy = (body: string): Record<string, string> => ({ 'policy.rego': `package broker\n\n${body}\n` });

/** Run `fn` against a broker with these `policy` settings (its bundle loaded for real), then stop it. */
async function withBroker(settings: Record<string, unknown>, fn: (tb: TestBroker) => Promise<void>): Promise<void> {
  const config = testConfig(upstream.url, { policy: settings });
  const tb = await startTestBroker(config, { evaluator: await loadEvaluator(config, createLogger('silent')) });
  try {
    await fn(tb);
  } finally {
    await tb.close();
  }
}

const CASES: Array<[string, string | null, string]> = [
  ['traps (conflicting values)', buildBundle(policy('decision := {"allow": true}\ndecision := {"allow": false} if input.request.method == "GET"')), 'policy evaluation failed'],
  ['returns nothing (undefined)', buildBundle(policy('decision := {"allow": true} if input.request.method == "NEVER"')), 'no result'],
  ['returns a non-boolean allow', buildBundle(policy('decision := {"allow": "yes"}')), 'not a boolean'],
  ['returns a status with an allow', buildBundle(policy('decision := {"allow": true, "status": 418}')), 'only for denies'],
  ['returns a 5xx status', buildBundle(policy('decision := {"allow": false, "status": 503}')), '400 to 499'],
  ['returns unknown fields', buildBundle(policy('decision := {"allow": true, "headers": {"x": "y"}}')), 'unknown field'],
  ['lacks the decision entrypoint', buildBundle({ 'p.rego': 'package other\n\nx := 1\n' }, ['other/x']), 'not valid'],
  ['is missing', join(tmpdir(), 'no-such-bundle.tar.gz'), 'no policy loaded'],
];

describe('policy failures fail closed', () => {
  it.each(CASES)('a policy that %s → 500 POLICY_EVAL_FAILED', async (_name, bundle, reason) => {
    await withBroker({ bundle }, async (tb) => {
      const reply = await send(tb.base, `/proxy/${upstream.url}/api/v3/repos/acme/app/contents/package.json`);
      expect(reply.status).toBe(500);
      const body = reply.json() as { error: { code: string; reasons: string[]; decision_id: string } };
      expect(body.error.code).toBe('POLICY_EVAL_FAILED');
      expect(body.error.reasons.join(' ')).toContain(reason);
      expect(upstream.received).toHaveLength(0);
      const [record] = await tb.log.waitFor(1);
      expect(record!.result).toMatchObject({ allow: false, code: 'POLICY_EVAL_FAILED' });
      expect(record!.decision_id).toBe(body.error.decision_id);
    });
  });

  it('keeps answering after a trap (the instance is renewed)', async () => {
    const bundle = buildBundle(policy('decision := {"allow": true} if input.request.method == "GET"\ndecision := {"allow": false} if input.request.method == "PUT"\ndecision := {"allow": true} if input.request.method == "PUT"'));
    await withBroker({ bundle }, async (tb) => {
      const path = `/proxy/${upstream.url}/api/v3/repos/acme/app`;
      expect((await send(tb.base, path, { method: 'PUT' })).status).toBe(500);
      expect((await send(tb.base, path)).status).toBe(200);
    });
  });

  it('honours a policy deny status in the 4xx range', async () => {
    const bundle = buildBundle(policy('decision := {"allow": false, "status": 429, "reasons": ["slow down"]}'));
    await withBroker({ bundle }, async (tb) => {
      const reply = await send(tb.base, `/proxy/${upstream.url}/api/v3/repos/acme/app`);
      expect(reply.status).toBe(429);
      expect(reply.json()).toMatchObject({ error: { code: 'POLICY_DENIED', reasons: ['slow down'] } });
    });
  });
});

describe('dry run', () => {
  it('lets a denied request through but records what the policy said', async () => {
    const bundle = buildBundle(policy('decision := {"allow": false, "rule": "deny.all", "reasons": ["no"]}'));
    await withBroker({ bundle, dryRun: true }, async (tb) => {
      upstream.received.length = 0;
      const reply = await send(tb.base, `/proxy/${upstream.url}/api/v3/repos/acme/app`);
      expect(reply.status).toBe(200);
      expect(upstream.received).toHaveLength(1);
      const [record] = await tb.log.waitFor(1);
      expect(record!.result).toMatchObject({ allow: false, rule: 'deny.all' });
      expect(record!.dry_run).toBe(true);
    });
  });

  it('still denies when evaluation fails', async () => {
    await withBroker({ bundle: join(tmpdir(), 'no-such-bundle.tar.gz'), dryRun: true }, async (tb) => {
      expect((await send(tb.base, `/proxy/${upstream.url}/api/v3/repos/acme/app`)).status).toBe(500);
    });
  });
});
