/** Applying system/log/mask results: removals and upserts by JSON pointer below /input. */
import { applyMask } from '../../../src/policy/mask';
import type { JsonValue } from '../../../src/policy/types';

const input = (): { [k: string]: JsonValue } => ({
  request: { headers: { 'x-api-key': 'k', 'a/b': 'slash', 't~n': 'tilde', accept: '*/*' }, query: { token: ['t'], ref: ['main'] } },
});

describe('applyMask', () => {
  it.each([
    ['removes a header', ['/input/request/headers/x-api-key'], ['request', 'headers', 'x-api-key'], undefined],
    ['decodes ~1 as /', ['/input/request/headers/a~1b'], ['request', 'headers', 'a/b'], undefined],
    ['decodes ~0 as ~', ['/input/request/headers/t~0n'], ['request', 'headers', 't~n'], undefined],
    ['upserts a value', [{ op: 'upsert', path: '/input/request/query/token', value: ['x'] }], ['request', 'query', 'token'], ['x']],
    ['removes with an explicit op', [{ op: 'remove', path: '/input/request/query/token' }], ['request', 'query', 'token'], undefined],
  ])('%s', (_name, ops, path, expected) => {
    const doc = input();
    const applied = applyMask(doc, ops);
    expect(applied).toHaveLength(1);
    let node: JsonValue | undefined = doc;
    for (const p of path) node = (node as Record<string, JsonValue>)[p];
    expect(node).toEqual(expected);
  });

  it.each([
    ['pointers outside /input', ['/result/allow']],
    ['the whole input', ['/input']],
    ['missing paths', ['/input/request/nothing/here']],
    ['unknown ops', [{ op: 'replace', path: '/input/request/headers/accept' }]],
    ['a non-list', 'x'],
  ])('ignores %s', (_name, ops) => {
    const doc = input();
    expect(applyMask(doc, ops as JsonValue)).toEqual([]);
    expect(doc).toEqual(input());
  });
});
