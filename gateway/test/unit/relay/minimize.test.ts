/** Minimization: the listed fields leave, nothing else changes, the input is not modified. */
import type { JsonValue } from '../../../src/policy/types';
import { DEFAULT_REMOVED, minimize, removedFields } from '../../../src/relay/minimize';

const push: JsonValue = {
  ref: 'refs/heads/main',
  pusher: { name: 'Jane', email: 'jane@example.com' },
  commits: [
    { id: 'a', message: 'm1', author: { email: 'jane@example.com' }, modified: ['package.json'] },
    { id: 'b', message: 'm2', modified: [] },
  ],
};

const cases: Array<[string, string[], JsonValue, string[]]> = [
  ['a key', ['pusher'], { ref: 'refs/heads/main', commits: (push as { commits: JsonValue }).commits }, ['pusher']],
  [
    'a key under every array element',
    ['commits.*.message'],
    { ...(push as object), commits: [{ id: 'a', author: { email: 'jane@example.com' }, modified: ['package.json'] }, { id: 'b', modified: [] }] },
    ['commits.0.message', 'commits.1.message'],
  ],
  ['an absent path changes nothing', ['pull_request.diff_url', 'commits.*.nope', 'ref.x'], push, []],
  [
    'every value of an object',
    ['pusher.*'],
    { ...(push as object), pusher: {} },
    ['pusher.name', 'pusher.email'],
  ],
];

test.each(cases)('%s', (_name, paths, expected, removed) => {
  const before = JSON.stringify(push);
  const got = minimize(push, paths);
  expect(got.body).toEqual(expected);
  expect(got.removed).toEqual(removed);
  expect(JSON.stringify(push)).toBe(before);
});

test('a "__proto__" path removes an own key only', () => {
  const body = JSON.parse('{"__proto__": {"x": 1}, "a": 1}') as JsonValue;
  const got = minimize(body, ['__proto__.x']);
  expect(got.removed).toEqual(['__proto__.x']);
  expect(({} as Record<string, unknown>).x).toBeUndefined();
});

test('the defaults per type, on unless turned off, plus a relay\'s own', () => {
  expect(removedFields('github', true, ['repository.owner'])).toEqual([...(DEFAULT_REMOVED.github ?? []), 'repository.owner']);
  expect(removedFields('github', false, [])).toEqual([]);
  expect(removedFields('jira', true, [])).toEqual([]);
});
