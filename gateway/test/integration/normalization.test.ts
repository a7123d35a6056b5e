/**
 * Every rejection of the URL normalization contract answers 400 INPUT_INVALID end to end, with
 * a decision id and a decision record, and never reaches the upstream. The cases are the unit
 * fixtures of the normalizer, re-pointed at the test upstream's origin.
 */
import rejected from '../fixtures/normalize/rejected.json';
import { startTestBroker, testConfig } from '../helpers/broker';
import type { TestBroker } from '../helpers/broker';
import { getHead, rawRequest } from '../helpers/raw';
import { startUpstream } from '../helpers/upstream';
import type { FakeUpstream } from '../helpers/upstream';

let upstream: FakeUpstream;
let tb: TestBroker;

beforeAll(async () => {
  upstream = await startUpstream();
  tb = await startTestBroker(testConfig(upstream.url));
});

afterAll(async () => {
  await tb.close();
  await upstream.close();
});

const cases = (rejected as unknown as { cases: [string, string][] }).cases.map(([url, why]) => [
  url.replace(/^(https?):\/\/ghe\.example\.com(?=[/?#:]|$)/, `http://127.0.0.1:${'PORT'}`),
  why,
]);

describe('normalization rejections', () => {
  it.each(cases)('%s → 400 (%s)', async (url, _why) => {
    const target = `/proxy/${url.replace('PORT', String(upstream.port))}`;
    const before = tb.log.records.length;
    const reply = await rawRequest(tb.broker.port, getHead(target));
    expect(reply.status).toBe(400);
    const body = JSON.parse(reply.body) as { error: { code: string; decision_id: string } };
    expect(body.error.code).toBe('INPUT_INVALID');
    expect(reply.headers['x-broker-decision-id']).toBe(body.error.decision_id);
    const records = await tb.log.waitFor(before + 1);
    expect(records.some((r) => r.decision_id === body.error.decision_id)).toBe(true);
    expect(upstream.received).toHaveLength(0);
  });

  it.each([
    ['no /proxy/ prefix', '/repos/acme/app'],
    ['relative destination', '/proxy/repos/acme/app'],
    ['non-http scheme', '/proxy/file:///etc/passwd'],
    ['raw space is refused by the HTTP parser', '/proxy/http://127.0.0.1/a b'],
    ['raw NUL', '/proxy/http://127.0.0.1/a\u0000b'],
  ])('%s → 400', async (_name, target) => {
    const reply = await rawRequest(tb.broker.port, getHead(target));
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.body)).toMatchObject({ error: { code: 'INPUT_INVALID' } });
    expect(upstream.received).toHaveLength(0);
  });
});
