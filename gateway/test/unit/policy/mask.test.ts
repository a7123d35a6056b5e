/** Applying system/log/mask results: removals and upserts by JSON pointer below /input. */
import { applyMask, REDACTED } from '../../../src/policy/mask';
import type { JsonValue } from '../../../src/policy/types';

const input = (): { [k: string]: JsonValue } => ({
  request: {
    headers: { 'x-api-key': 'k', 'a/b': 'slash', 't~n': 'tilde', accept: '*/*' },
    query: { token: ['t'], ref: ['main'] },
    body: { items: [{ name: 'a', token: 't0' }, 'plain', [{ secret: 's' }]], config: { secret: 's' } },
  },
});

const redact = (path: string): JsonValue => ({ op: 'upsert', path, value: REDACTED });

function at(doc: JsonValue, path: Array<string | number>): JsonValue | undefined {
  let node: JsonValue | undefined = doc;
  for (const p of path) node = (node as Record<string, JsonValue>)[p];
  return node;
}

describe('applyMask', () => {
  it.each<[string, JsonValue, Array<string | number>, JsonValue | undefined]>([
    ['removes a header', ['/input/request/headers/x-api-key'], ['request', 'headers', 'x-api-key'], undefined],
    ['decodes ~1 as /', ['/input/request/headers/a~1b'], ['request', 'headers', 'a/b'], undefined],
    ['decodes ~0 as ~', ['/input/request/headers/t~0n'], ['request', 'headers', 't~n'], undefined],
    ['upserts a value', [{ op: 'upsert', path: '/input/request/query/token', value: ['x'] }], ['request', 'query', 'token'], ['x']],
    ['removes with an explicit op', [{ op: 'remove', path: '/input/request/query/token' }], ['request', 'query', 'token'], undefined],
    ['redacts a header value', [redact('/input/request/headers/x-api-key')], ['request', 'headers', 'x-api-key'], REDACTED],
    ['redacts a nested body field', [redact('/input/request/body/config/secret')], ['request', 'body', 'config', 'secret'], REDACTED],
    ['passes through an array', [redact('/input/request/body/items/0/token')], ['request', 'body', 'items', 0, 'token'], REDACTED],
    ['passes through nested arrays', [redact('/input/request/body/items/2/0/secret')], ['request', 'body', 'items', 2, 0, 'secret'], REDACTED],
    ['removes through an array', ['/input/request/body/items/0/token'], ['request', 'body', 'items', 0, 'token'], undefined],
    ['upserts an array element in place', [redact('/input/request/body/items/1')], ['request', 'body', 'items', 1], REDACTED],
    // Deleting would shift the elements after it, so a remove replaces the element instead.
    ['replaces an array element it is told to remove', ['/input/request/body/items/1'], ['request', 'body', 'items', 1], REDACTED],
  ])('%s', (_name, ops, path, expected) => {
    const doc = input();
    const applied = applyMask(doc, ops);
    expect(applied).toHaveLength(1);
    expect(at(doc, path)).toEqual(expected);
  });

  it('keeps array positions and the other elements', () => {
    const doc = input();
    applyMask(doc, ['/input/request/body/items/1', redact('/input/request/body/items/0/token')]);
    expect(at(doc, ['request', 'body', 'items'])).toEqual([{ name: 'a', token: REDACTED }, REDACTED, [{ secret: 's' }]]);
  });

  it('applies an inner pointer after its outer one has replaced the parent: no effect, no error', () => {
    const doc = input();
    const applied = applyMask(doc, [redact('/input/request/body/config'), redact('/input/request/body/config/secret')]);
    expect(applied).toEqual(['/input/request/body/config']);
    expect(at(doc, ['request', 'body', 'config'])).toBe(REDACTED);
  });

  it.each([
    ['pointers outside /input', ['/result/allow']],
    ['the whole input', ['/input']],
    ['missing paths', ['/input/request/nothing/here']],
    ['unknown ops', [{ op: 'replace', path: '/input/request/headers/accept' }]],
    ['a non-list', 'x'],
    ['an index past the end', [redact('/input/request/body/items/3')]],
    ['an index with a leading zero', [redact('/input/request/body/items/00/token')]],
    ['an empty index', [redact('/input/request/body/items//token')]],
    ['a negative index', ['/input/request/body/items/-1']],
    ['"-" (past the end in RFC 6902)', [redact('/input/request/body/items/-')]],
    ['an array method name', [redact('/input/request/body/items/length')]],
    ['inherited properties', [redact('/input/request/__proto__/polluted'), redact('/input/request/body/constructor/prototype/polluted')]],
  ])('ignores %s', (_name, ops) => {
    const doc = input();
    expect(applyMask(doc, ops as JsonValue)).toEqual([]);
    expect(doc).toEqual(input());
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('upserts "__proto__" as an ordinary key, not the prototype', () => {
    const doc = input();
    expect(applyMask(doc, [redact('/input/request/headers/__proto__')])).toHaveLength(1);
    const headers = at(doc, ['request', 'headers']) as object;
    expect(Object.getPrototypeOf(headers)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(headers, '__proto__')?.value).toBe(REDACTED);
  });
});
