/**
 * The relay end to end in-process: each SCM's signature scheme, what is relayed and what is
 * dropped, the minimized and re-signed body the SaaS receives, decision records and spans, and
 * that no secret (webhook secrets, the relay signing key) reaches a log, span or error body.
 */
import { createHmac } from 'node:crypto';
import type { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import type { DecisionRecord } from '../../src/audit/decision-log';
import { dumpConfig } from '../../src/config/dump';
import type { Telemetry } from '../../src/telemetry/setup';
import { send, startTestBroker } from '../helpers/broker';
import type { TestBroker } from '../helpers/broker';
import { startTestTelemetry } from '../helpers/telemetry';
import {
  AZURE_HEADER_SECRET, AZURE_SECRET, BITBUCKET_SECRET, GITLAB_SECRET, RELAY_ENV, SIGNING_KEY,
  githubHeaders, githubPush, hmac, Receiver, relayConfig,
} from './relay-fixture';

let exporter: InMemorySpanExporter;
let telemetry: Telemetry;
let receiver: Receiver;
let tb: TestBroker;
let relayBase = '';

beforeAll(async () => {
  ({ exporter, telemetry } = await startTestTelemetry());
  receiver = new Receiver();
  await receiver.start();
  tb = await startTestBroker(relayConfig(receiver), { env: RELAY_ENV });
  relayBase = `http://127.0.0.1:${tb.broker.relayPort}`;
});

afterAll(async () => {
  await tb.close();
  await receiver.stop();
  await telemetry.shutdown();
});

async function webhook(relay: string, body: string, headers: Record<string, string>): Promise<{ status: number; json: Record<string, unknown>; id: string }> {
  const r = await send(relayBase, `/relay/${relay}`, { method: 'POST', headers, body });
  return { status: r.status, json: r.json() as Record<string, unknown>, id: String(r.headers['x-broker-decision-id']) };
}

/** The delivery record of `id`, once written. */
async function deliveryOf(id: string): Promise<{ delivery: { outcome: string; attempts: number } }> {
  for (;;) {
    const found = tb.log.records.find((x) => x.decision_id === id && 'delivery' in x);
    if (found !== undefined) return found as unknown as { delivery: { outcome: string; attempts: number } };
    await tb.log.waitFor(tb.log.records.length + 1);
  }
}

function recordOf(id: string): Promise<DecisionRecord & { relay?: { outcome: string; removed?: string[] } }> {
  return tb.log.waitForDecision(id);
}

test('a signed GitHub push touching package.json is relayed minimized and signed by the broker', async () => {
  const before = receiver.received.length;
  const body = githubPush(['package.json', 'src/index.js']);
  const r = await webhook('github', body, githubHeaders(body));
  expect(r.status).toBe(202);
  expect(r.json).toMatchObject({ decision_id: r.id, relayed: true });
  await receiver.waitFor(before + 1);
  const got = receiver.received[before];
  expect(got?.url).toBe('/webhooks/github?tenant=t1');
  const sent = got?.body.toString('utf8') ?? '';
  const expected = `sha256=${createHmac('sha256', SIGNING_KEY).update(got?.body ?? Buffer.alloc(0)).digest('hex')}`;
  expect(got?.headers['x-rego-broker-signature']).toBe(expected);
  expect(got?.headers['x-rego-broker-delivery']).toBe(r.id);
  expect(got?.headers['x-rego-broker-event']).toBe('push');
  expect(got?.headers['x-hub-signature-256']).toBeUndefined();
  const relayed = JSON.parse(sent) as Record<string, unknown>;
  expect(relayed.commits).toEqual([{ id: 'c1', added: [], modified: ['package.json', 'src/index.js'], removed: [] }]);
  expect(relayed).not.toHaveProperty('pusher');
  expect(relayed).not.toHaveProperty('compare');
  expect(sent).not.toContain('jane@example.com');
  expect(sent).not.toContain('staging password');
  const record = await recordOf(r.id);
  expect(record).toMatchObject({ path: 'broker/outbound', status: 202, result: { allow: true, rule: 'outbound.github.push.manifest' } });
  expect(record.relay?.outcome).toBe('queued');
  expect(record.relay?.removed).toEqual(expect.arrayContaining(['commits.0.message', 'pusher', 'compare']));
  expect((record.input as { event: { changed_files: string[] } }).event.changed_files).toEqual(['package.json', 'src/index.js']);
  expect((await deliveryOf(r.id)).delivery).toMatchObject({ outcome: 'delivered', attempts: 1 });
});

test('a push touching only src/ is dropped with a decision record and never relayed', async () => {
  const before = receiver.received.length;
  const body = githubPush(['src/index.js']);
  const r = await webhook('github', body, githubHeaders(body));
  expect(r.status).toBe(200);
  expect(r.json).toMatchObject({ relayed: false, rule: 'broker.outbound.deny.no_matching_rule' });
  const record = await recordOf(r.id);
  expect(record.result).toMatchObject({ allow: false, rule: 'broker.outbound.deny.no_matching_rule' });
  expect(record.relay?.outcome).toBe('dropped');
  // A later relayed webhook proves nothing was queued before it.
  const ping = '{"zen":"Keep it logically awesome."}';
  const p = await webhook('github', ping, githubHeaders(ping, 'ping'));
  expect(p.status).toBe(202);
  await receiver.waitFor(before + 1);
  expect(receiver.received.slice(before).map((d) => d.headers['x-rego-broker-event'])).toEqual(['ping']);
});

test.each([
  ['no signature', (_b: string) => ({ 'content-type': 'application/json', 'x-github-event': 'push' }), 'the x-hub-signature-256 header is missing or given twice'],
  ['a wrong secret', (b: string) => githubHeaders(b, 'push', 'not-the-secret'), 'the x-hub-signature-256 signature does not match the body'],
  ['a malformed signature', (b: string) => ({ ...githubHeaders(b), 'x-hub-signature-256': 'sha1=abc' }), 'the x-hub-signature-256 header is not sha256=<64 hex digits>'],
])('GitHub: %s is 401 RELAY_SIGNATURE_INVALID with a record, never relayed', async (_name, headers, reason) => {
  const before = receiver.received.length;
  const body = githubPush(['package.json']);
  const r = await webhook('github', body, headers(body));
  expect(r.status).toBe(401);
  expect(r.json).toEqual({ error: { code: 'RELAY_SIGNATURE_INVALID', message: expect.any(String) as string, decision_id: r.id, reasons: [reason] } });
  const record = await recordOf(r.id);
  expect(record).toMatchObject({ path: 'broker/outbound', status: 401, result: { allow: false, code: 'RELAY_SIGNATURE_INVALID' } });
  expect(JSON.stringify(record)).not.toContain('package.json');
  expect(receiver.received.length).toBe(before);
});

test('a body changed after signing is 401', async () => {
  const body = githubPush(['package.json']);
  const r = await webhook('github', body.replace('main', 'evil'), githubHeaders(body));
  expect(r.status).toBe(401);
});

const gitlabPush = JSON.stringify({ object_kind: 'push', user_email: 'jane@example.com', commits: [{ id: 'g1', message: 'bump', added: ['go.mod'], modified: [], removed: [] }] });
const bitbucketPush = JSON.stringify({ eventKey: 'repo:refs_changed', actor: { name: 'jane', emailAddress: 'jane@example.com' }, changes: [{ refId: 'refs/heads/main' }] });
const azurePr = JSON.stringify({ id: 'az-1', eventType: 'git.pullrequest.created', message: { text: 'Jane created PR 7' }, resource: { pullRequestId: 7, createdBy: { displayName: 'Jane', uniqueName: 'jane@example.com' } } });
const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

test.each([
  ['gitlab', gitlabPush, { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': GITLAB_SECRET }, { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'wrong' }],
  ['bitbucket', bitbucketPush, { 'x-event-key': 'repo:refs_changed', 'x-hub-signature': hmac(BITBUCKET_SECRET, bitbucketPush) }, { 'x-event-key': 'repo:refs_changed', 'x-hub-signature': hmac('wrong', bitbucketPush) }],
  ['azure', azurePr, { authorization: basic('hooks', AZURE_SECRET) }, { authorization: basic('hooks', 'wrong') }],
  ['azure', azurePr, { authorization: basic('hooks', AZURE_SECRET) }, { authorization: basic('someone', AZURE_SECRET) }],
  ['azure-header', azurePr, { 'x-hook-secret': AZURE_HEADER_SECRET }, { 'x-hook-secret': AZURE_SECRET }],
])('%s: the right proof is relayed (202), a wrong one is 401', async (relay, body, good, bad) => {
  const before = receiver.received.length;
  const ok = await webhook(relay, body, { 'content-type': 'application/json', ...good });
  expect(ok.status).toBe(202);
  const refused = await webhook(relay, body, { 'content-type': 'application/json', ...bad });
  expect(refused.status).toBe(401);
  expect((refused.json as { error: { code: string } }).error.code).toBe('RELAY_SIGNATURE_INVALID');
  await receiver.waitFor(before + 1);
  const sent = receiver.received[before]?.body.toString('utf8') ?? '';
  expect(sent).not.toContain('jane@example.com');
  expect(receiver.received.length).toBe(before + 1);
});

test('unknown relays are 404 and other methods are refused', async () => {
  expect((await webhook('nope', '{}', { 'content-type': 'application/json' })).status).toBe(404);
  const get = await send(relayBase, '/relay/github');
  expect(get.status).toBe(404);
  expect((get.json() as { error: { code: string } }).error.code).toBe('RELAY_NOT_FOUND');
});

test('a non-JSON webhook is 400 after its signature was checked', async () => {
  const body = 'payload=%7B%7D';
  const r = await webhook('github', body, { ...githubHeaders(body), 'content-type': 'application/x-www-form-urlencoded' });
  expect(r.status).toBe(400);
  expect((r.json as { error: { code: string } }).error.code).toBe('INPUT_INVALID');
});

test('judge and delivery spans: evaluate under the SERVER span, each delivery attempt linked to it', async () => {
  const before = receiver.received.length;
  const body = githubPush(['yarn.lock'], 9);
  const r = await webhook('github', body, githubHeaders(body));
  await receiver.waitFor(before + 1);
  await deliveryOf(r.id);
  const spans = exporter.getFinishedSpans();
  const server = spans.find((s) => s.attributes['broker.decision.id'] === r.id && s.name === 'POST /relay/{name}');
  const evaluate = spans.find((s) => s.name === 'broker.policy.evaluate' && s.attributes['broker.decision.id'] === r.id);
  const deliver = spans.find((s) => s.name === 'broker.relay.deliver' && s.attributes['broker.decision.id'] === r.id);
  expect(evaluate?.parentSpanContext?.spanId).toBe(server?.spanContext().spanId);
  expect(evaluate?.attributes['broker.decision.rule']).toBe('outbound.github.push.manifest');
  expect(deliver?.links[0]?.context.spanId).toBe(server?.spanContext().spanId);
  expect(deliver?.attributes['http.response.status_code']).toBe(200);
});

test('no webhook secret and no signing key in a log line, span, record or error body', async () => {
  const all = [
    ...tb.logLines,
    ...tb.log.records.map((r) => JSON.stringify(r)),
    ...exporter.getFinishedSpans().map((s) => JSON.stringify({ name: s.name, attributes: s.attributes, events: s.events, status: s.status })),
  ].join('\n');
  expect(tb.logLines.length).toBeGreaterThan(0);
  for (const secret of Object.values(RELAY_ENV)) expect(all).not.toContain(secret);
  // Error bodies: answers to wrong proofs never echo a secret.
  const wrong = await webhook('gitlab', gitlabPush, { 'content-type': 'application/json', 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': `${GITLAB_SECRET}x` });
  expect(JSON.stringify(wrong.json)).not.toContain(GITLAB_SECRET);
  // dump shows references only.
  const dumped = JSON.stringify(dumpConfig(relayConfig(receiver)));
  expect(dumped).toContain('GH_HOOK_SECRET');
  for (const secret of Object.values(RELAY_ENV)) expect(dumped).not.toContain(secret);
});
