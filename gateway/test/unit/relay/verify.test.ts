/** Each SCM's webhook proof, table-driven: accepted with the right secret, refused otherwise. */
import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { RelayAuth } from '../../../src/config/types';
import { sameSecret, verifyWebhook } from '../../../src/relay/verify';

const SECRET = 's3cret';
const BODY = Buffer.from('{"ref":"refs/heads/main"}');
const sig = (secret: string, body = BODY): string => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

const github: RelayAuth = { kind: 'hmac-sha256', header: 'x-hub-signature-256' };
const gitlab: RelayAuth = { kind: 'token', header: 'x-gitlab-token' };
const azure: RelayAuth = { kind: 'basic', username: 'hooks' };

const cases: Array<[string, RelayAuth, IncomingHttpHeaders, boolean]> = [
  ['github: right HMAC', github, { 'x-hub-signature-256': sig(SECRET) }, true],
  ['github: upper-case hex', github, { 'x-hub-signature-256': sig(SECRET).toUpperCase().replace('SHA256', 'sha256') }, true],
  ['github: wrong secret', github, { 'x-hub-signature-256': sig('other') }, false],
  ['github: HMAC of another body', github, { 'x-hub-signature-256': sig(SECRET, Buffer.from('{}')) }, false],
  ['github: sha1 form', github, { 'x-hub-signature-256': 'sha1=0123456789abcdef0123456789abcdef01234567' }, false],
  ['github: truncated', github, { 'x-hub-signature-256': sig(SECRET).slice(0, 40) }, false],
  ['github: missing', github, {}, false],
  ['github: given twice', github, { 'x-hub-signature-256': [sig(SECRET), sig(SECRET)] }, false],
  ['gitlab: right token', gitlab, { 'x-gitlab-token': SECRET }, true],
  ['gitlab: prefix of the token', gitlab, { 'x-gitlab-token': SECRET.slice(0, 3) }, false],
  ['gitlab: longer token', gitlab, { 'x-gitlab-token': `${SECRET}x` }, false],
  ['gitlab: empty', gitlab, { 'x-gitlab-token': '' }, false],
  ['azure: right user and password', azure, { authorization: basic('hooks', SECRET) }, true],
  ['azure: wrong user', azure, { authorization: basic('admin', SECRET) }, false],
  ['azure: wrong password', azure, { authorization: basic('hooks', 'x') }, false],
  ['azure: no colon', azure, { authorization: `Basic ${Buffer.from('hooks').toString('base64')}` }, false],
  ['azure: bearer', azure, { authorization: `Bearer ${SECRET}` }, false],
];

test.each(cases)('%s', (_name, auth, headers, ok) => {
  const got = verifyWebhook(auth, headers, BODY, SECRET);
  expect(got.ok).toBe(ok);
  if (!got.ok) expect(got.reason).not.toContain(SECRET);
});

test('sameSecret compares whole values', () => {
  expect(sameSecret('abc', 'abc')).toBe(true);
  expect(sameSecret('abc', 'abcd')).toBe(false);
  expect(sameSecret('', 'a')).toBe(false);
});
