/** `expect` on decide lines and decision records: parsing and judging, table-driven. */
import { parseExpect, unmet } from '../../../src/cli/expect';

it.each([
  [undefined, undefined],
  ['allow', { allow: true }],
  ['deny', { allow: false }],
  [{ allow: false, rule: 'broker.deny.integration_deny' }, { allow: false, rule: 'broker.deny.integration_deny' }],
  [{ allow: false, reason: 'lab' }, { allow: false, reason: 'lab' }],
  ['maybe', '"expect" must be "allow", "deny" or {"allow": true|false, "rule": "<id>", "reason": "<text>"}'],
  [{ allow: 'yes' }, '"expect.allow" must be true or false'],
  [{ allow: true, rule: 1 }, '"expect.rule" must be a rule id'],
  [{ allow: true, why: 'x' }, '"expect" has unknown key why'],
])('parseExpect(%j)', (input, want) => {
  expect(parseExpect(input)).toEqual(want);
});

it.each([
  [{ allow: true }, true, 'r', [], null],
  [{ allow: true }, false, 'broker.deny.no_matching_rule', [], 'expected allow, got deny (broker.deny.no_matching_rule)'],
  [{ allow: false }, true, 'r', [], 'expected deny, got allow (r)'],
  [{ allow: true, rule: 'a' }, true, 'b', [], 'expected rule a, got b'],
  [{ allow: false, reason: 'lab items' }, false, 'd', ['inventory: lab items are not shared'], null],
  [{ allow: false, reason: 'lab items' }, false, 'd', ['other'], 'expected a reason containing "lab items"'],
])('unmet(%j, %s, %s)', (expectation, allow, rule, reasons, want) => {
  expect(unmet(expectation, allow, rule, reasons)).toBe(want);
});
