/** The decision validator: exactly one result holding a well-typed decision, else a failure. */
import { checkDecision } from '../../../src/policy/decision';

describe('checkDecision', () => {
  it.each([
    ['allow', [{ result: { allow: true, rule: 'r' } }], { allow: true, rule: 'r', reasons: [], status: null, remove: [] }],
    ['deny with reasons and status', [{ result: { allow: false, rule: 'd', reasons: ['a'], status: 404 } }], { allow: false, rule: 'd', reasons: ['a'], status: 404, remove: [] }],
    ['null rule', [{ result: { allow: false, rule: null } }], { allow: false, rule: null, reasons: [], status: null, remove: [] }],
  ])('accepts %s', (_name, rs, decision) => {
    const checked = checkDecision(rs);
    expect(checked.ok && checked.decision).toEqual(decision);
  });

  it.each([
    ['not a result set', { allow: true }, 'no result set'],
    ['an empty result set', [], 'no result'],
    ['two results', [{ result: { allow: true } }, { result: { allow: true } }], 'more than one'],
    ['a result without a value', [{}], 'no result'],
    ['a non-object decision', [{ result: true }], 'not an object'],
    ['allow missing', [{ result: { rule: 'x' } }], 'not a boolean'],
    ['allow a string', [{ result: { allow: 'true' } }], 'not a boolean'],
    ['allow a number', [{ result: { allow: 1 } }], 'not a boolean'],
    ['rule a number', [{ result: { allow: false, rule: 3 } }], 'rule is not a string'],
    ['reasons a string', [{ result: { allow: false, reasons: 'no' } }], 'reasons'],
    ['reasons with a number', [{ result: { allow: false, reasons: ['a', 1] } }], 'reasons'],
    ['status on an allow', [{ result: { allow: true, status: 403 } }], 'only for denies'],
    ['status 500', [{ result: { allow: false, status: 500 } }], '400 to 499'],
    ['status 302', [{ result: { allow: false, status: 302 } }], '400 to 499'],
    ['status 403.5', [{ result: { allow: false, status: 403.5 } }], '400 to 499'],
    ['an unknown field', [{ result: { allow: true, inject: {} } }], 'unknown field'],
  ])('fails on %s', (_name, rs, reason) => {
    const checked = checkDecision(rs);
    expect(checked.ok).toBe(false);
    expect(!checked.ok && checked.reason).toContain(reason);
  });

  describe('remove (relayed webhooks only)', () => {
    const outbound = { remove: true };
    it('is accepted on an outbound allow', () => {
      const checked = checkDecision([{ result: { allow: true, rule: 'r', remove: ['a.b', 'c'] } }], outbound);
      expect(checked.ok && checked.decision.remove).toEqual(['a.b', 'c']);
    });

    it.each([
      ['on an inbound decision', [{ result: { allow: true, remove: ['a'] } }], { remove: false }, 'unknown field'],
      ['on a deny', [{ result: { allow: false, remove: ['a'] } }], outbound, 'only for allows'],
      ['not a list', [{ result: { allow: true, remove: 'a' } }], outbound, 'not a list of field paths'],
      ['with an empty path', [{ result: { allow: true, remove: [''] } }], outbound, 'not a list of field paths'],
    ])('fails %s', (_name, rs, shape, reason) => {
      const checked = checkDecision(rs, shape);
      expect(!checked.ok && checked.reason).toContain(reason);
    });
  });
});
