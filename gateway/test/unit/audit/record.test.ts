/** Decision records: the logged body is cut to maxBodyBytes after masking, and hashed. */
import { createHash } from 'node:crypto';
import { buildRecord, utf8Prefix } from '../../../src/audit/record';
import { ErrorCode } from '../../../src/errors';
import type { JsonValue } from '../../../src/policy/types';
import { facts, judgement, policyInput, unmaskedEvaluator } from './facts';

type Obj = { [key: string]: JsonValue };
const request = (input: JsonValue): Obj => (input as Obj).request as Obj;
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('utf8Prefix', () => {
  it.each<[string, string, number, string | null]>([
    ['fits exactly', 'abcd', 4, null],
    ['fits', 'ab', 4, null],
    ['cuts ASCII', 'abcdef', 4, 'abcd'],
    ['cuts before a 2-byte character it would split', 'abcé', 4, 'abc'],
    ['keeps a 2-byte character that fits', 'abéc', 4, 'abé'],
    ['cuts before a 3-byte character', 'a€b', 3, 'a'],
    ['cuts before a 4-byte character (surrogate pair)', 'a😀', 4, 'a'],
    ['keeps a 4-byte character that fits', '😀b', 4, '😀'],
    ['cuts to nothing', 'é', 1, ''],
    ['zero bytes', 'a', 0, ''],
  ])('%s', (_name, text, max, expected) => {
    const got = utf8Prefix(text, max);
    expect(got).toBe(expected);
    if (got !== null) {
      expect(Buffer.byteLength(got)).toBeLessThanOrEqual(max);
      expect(text.startsWith(got)).toBe(true);
    }
  });
});

describe('buildRecord body bounds', () => {
  const body = { name: 'web', config: { url: 'https://ci.example.com/hook', note: 'é'.repeat(40) } };
  const raw = Buffer.from(JSON.stringify(body));
  const text = JSON.stringify(body);

  it('logs a body within maxBodyBytes whole, with the raw body hash', async () => {
    const input = policyInput({ method: 'POST', body });
    const rec = await buildRecord(facts(unmaskedEvaluator(), { judgement: judgement(input, null, { allow: true }), requestBody: raw, maxBodyBytes: Buffer.byteLength(text) }));
    const r = request(rec.input);
    expect(r.body).toEqual(body);
    expect(r.body_log_truncated).toBeUndefined();
    expect(r.body_sha256).toBe(sha256(raw));
  });

  it.each([10, 50, 63, 64, 65, 100])('cuts a longer body to %i bytes of its JSON text', async (max) => {
    const input = policyInput({ method: 'POST', body });
    const before = JSON.stringify(input);
    const rec = await buildRecord(facts(unmaskedEvaluator(), { judgement: judgement(input, null, { allow: true }), requestBody: raw, maxBodyBytes: max }));
    const r = request(rec.input);
    expect(r.body_log_truncated).toBe(true);
    expect(typeof r.body).toBe('string');
    const logged = r.body as string;
    expect(Buffer.byteLength(logged)).toBeLessThanOrEqual(max);
    expect(Buffer.byteLength(logged)).toBeGreaterThan(max - 2);
    expect(text.startsWith(logged)).toBe(true);
    expect(r.body_sha256).toBe(sha256(raw));
    // The policy input itself is not changed (it is what the mask returns when it erases nothing).
    expect(JSON.stringify(input)).toBe(before);
  });

  it.each<[string, Buffer | null, boolean]>([
    ['no body', null, false],
    ['an empty body', Buffer.alloc(0), false],
    ['a body the policy saw as null (not JSON)', Buffer.from('plain text'), true],
  ])('with %s', async (_name, requestBody, hashed) => {
    const input = policyInput({ method: 'POST' });
    const rec = await buildRecord(facts(unmaskedEvaluator(), { judgement: judgement(input, null, { allow: true }), requestBody, maxBodyBytes: 0 }));
    const r = request(rec.input);
    expect(r.body).toBeNull();
    expect(r.body_log_truncated).toBeUndefined();
    expect(r.body_sha256).toBe(hashed && requestBody ? sha256(requestBody) : undefined);
  });

  it('hashes the body of a request rejected before the policy ran, and logs no query', async () => {
    const requestBody = Buffer.from('{"secret":"s"}');
    const rec = await buildRecord(
      facts(unmaskedEvaluator(), {
        preCode: ErrorCode.DESTINATION_NOT_ALLOWED,
        preReason: 'no integration',
        target: '/proxy/https://elsewhere.example.com/x?private_token=t',
        status: 403,
        requestBody,
      }),
    );
    expect(rec.input).toEqual({ decision_id: rec.decision_id, request: { method: 'GET', target: '/proxy/https://elsewhere.example.com/x', body_sha256: sha256(requestBody) } });
  });
});
