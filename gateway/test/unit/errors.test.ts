/** Every error code is documented in docs/errors.md with its status, and nothing stale is. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERRORS, ErrorCode, errorBody, upstreamErrorCode } from '../../src/errors';

// The broker's codes; the hub's own section (## Hub) is checked by hub/test/unit/errors.test.ts.
const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'errors.md'), 'utf8').split(/^## Hub$/m)[0] ?? '';
const documented = [...doc.matchAll(/^\| `([A-Z_]+)` \| (\d{3})/gm)].map((m) => [m[1], Number(m[2])]);

describe('error catalogue', () => {
  it.each(Object.entries(ERRORS))('%s is documented with status %#', (code, entry) => {
    expect(documented).toContainEqual([code, entry.status]);
  });

  it('documents no code that does not exist', () => {
    expect(documented.map(([c]) => c).sort()).toEqual(Object.keys(ERRORS).sort());
  });

  it('builds the contract error body', () => {
    expect(errorBody(ErrorCode.POLICY_DENIED, 'id-1', ['r'])).toEqual({
      error: { code: 'POLICY_DENIED', message: ERRORS.POLICY_DENIED.message, decision_id: 'id-1', reasons: ['r'] },
    });
    expect(errorBody(ErrorCode.INPUT_INVALID, 'id-2').error.reasons).toBeUndefined();
  });

  it.each([
    ['ECONNREFUSED', 'UPSTREAM_UNREACHABLE'],
    ['ECONNRESET', 'UPSTREAM_UNREACHABLE'],
    ['ENOTFOUND', 'UPSTREAM_UNREACHABLE'],
    ['ETIMEDOUT', 'UPSTREAM_TIMEOUT'],
    ['UPSTREAM_TIMEOUT', 'UPSTREAM_TIMEOUT'],
  ])('maps %s to %s', (errno, code) => {
    expect(upstreamErrorCode(Object.assign(new Error('x'), { code: errno }))).toBe(code);
  });
});
