/**
 * The evaluation deadline: a policy that runs long on some input is stopped after
 * `policy.evalTimeoutMs`, the request is denied with POLICY_TIMEOUT, the event loop stays free
 * meanwhile (the admin listener answers), and the next request is judged by a fresh worker.
 */
import { loadEvaluator } from '../../src/app';
import { createLogger } from '../../src/telemetry/logger';
import { send, startTestBroker, testConfig } from '../helpers/broker';
import type { TestBroker } from '../helpers/broker';
import { buildBundle } from '../helpers/rego';
import { startUpstream } from '../helpers/upstream';
import type { FakeUpstream } from '../helpers/upstream';

// Cubic in the number of keys of the body and without allocation: 900 keys are 729 million
// steps, far past the deadline here.
const SLOW = `package broker

default decision := {"allow": false, "reasons": ["slow"]}

decision := {"allow": true} if {
	input.request.method == "GET"
}

decision := {"allow": false, "reasons": ["compared"]} if {
	input.request.method == "POST"
	every a, _ in input.request.body {
		every b, _ in input.request.body {
			every c, _ in input.request.body {
				a != "never"
				b != "never"
				c != "never"
			}
		}
	}
}
`;

let upstream: FakeUpstream;
let tb: TestBroker;

beforeAll(async () => {
  upstream = await startUpstream();
  const config = testConfig(upstream.url, { policy: { bundle: buildBundle({ 'policy.rego': SLOW }), evalTimeoutMs: 200 } });
  tb = await startTestBroker(config, { evaluator: await loadEvaluator(config, createLogger('silent')) });
});

afterAll(async () => {
  await tb.close();
  await upstream.close();
});

const target = (): string => `/proxy/${upstream.url}/api/v3/repos/acme/app/issues/3/comments`;

it('denies with POLICY_TIMEOUT, keeps the loop free and recovers', async () => {
  const body = JSON.stringify(Object.fromEntries(Array.from({ length: 900 }, (_, i) => [`k${i}`, 1])));
  const slow = send(tb.base, target(), { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  // While the worker is busy, this process still answers (the admin listener shares its loop).
  const health = await send(`http://127.0.0.1:${tb.broker.adminPort}`, '/healthz');
  expect(health.status).toBe(200);
  const reply = await slow;
  expect(reply.status).toBe(500);
  const error = (reply.json() as { error: { code: string; reasons: string[] } }).error;
  expect(error.code).toBe('POLICY_TIMEOUT');
  expect(error.reasons.join(' ')).toContain('200 ms');
  expect(upstream.received).toHaveLength(0);
  const record = await tb.log.waitForDecision(reply.headers['x-broker-decision-id'] as string);
  expect(record.result).toMatchObject({ allow: false, code: 'POLICY_TIMEOUT' });
  // A fresh worker judges the next request.
  const next = await send(tb.base, `/proxy/${upstream.url}/api/v3/repos/acme/app`);
  expect(next.status).toBe(200);
});
