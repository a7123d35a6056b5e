/** Backoff between attempts and what a destination looks like in logs. */
import { backoffMs, safeDestination } from '../../../src/relay/delivery';
import { signBody } from '../../../src/relay/sign';

test.each([
  [1, 1000], [2, 2000], [3, 4000], [9, 256000], [10, 300000], [1000, 300000],
])('after %i failed attempts wait %i ms', (attempts, ms) => {
  expect(backoffMs(attempts, 1000, 300000)).toBe(ms);
});

test('a destination is logged without its query', () => {
  expect(safeDestination('https://saas.example.com/hooks/t1?token=abc')).toBe('https://saas.example.com/hooks/t1');
});

test('the relay signature is HMAC-SHA256 of the exact bytes (RFC 4231 test case 2)', () => {
  expect(signBody(Buffer.from('what do ya want for nothing?'), 'Jefe')).toBe('sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
});
