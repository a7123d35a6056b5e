import type { InputLimits } from '../../../src/config/types';
import { checkHeaders, checkJsonText, checkQuery } from '../../../src/request/bounds';

const limits: InputLimits = { depth: 3, keysPerObject: 2, nodes: 6, stringBytes: 5, queryParams: 3, headers: 2 };

describe('checkJsonText', () => {
  it.each<[string, string, string | null]>([
    ['a scalar', '1', null],
    ['an object within every bound', '{"a": [1, 2], "b": "xyz"}', null],
    ['nested to the depth', '[[[]]]', null],
    ['nested past the depth', '[[[[]]]]', 'nested deeper than 3'],
    ['keys at the bound', '{"a": 1, "b": 2}', null],
    ['keys past the bound', '{"a": 1, "b": 2, "c": 3}', 'more than 2 keys'],
    ['keys counted per object', '{"a": {"x": 1, "y": 2}, "b": {"x": 1}}', null],
    ['values at the bound (root counted)', '[1, 2, 3, 4, 5]', null],
    ['values past the bound', '[1, 2, 3, 4, 5, 6]', 'more than 6 values'],
    ['empty containers are one value each', '[[], {}, [], {}]', null],
    ['a string at the bound', '"12345"', null],
    ['a string past the bound', '"123456"', 'longer than 5 bytes'],
    ['a key past the bound', '{"123456": 1}', 'longer than 5 bytes'],
    ['structure inside strings is not counted', '["[[[[{{{,,,:::"]', 'longer than 5 bytes'],
    ['escaped quotes stay inside the string', '["a\\"]]]]"]', 'longer than 5 bytes'],
    ['escaped quotes within bounds', '["\\"\\""]', null],
    ['a key given twice', '{"a": 1, "a": 2}', 'gives the key "a" twice'],
    ['the same key in two objects', '[{"a": 1}, {"a": 2}]', null],
    ['a value equal to a key', '{"a": "a"}', null],
  ])('%s', (_name, text, expected) => {
    const result = checkJsonText(Buffer.from(text), limits);
    if (expected === null) expect(result).toBeNull();
    else expect(result?.reason).toContain(expected);
  });

  it('decodes escaped keys before comparing them', () => {
    expect(checkJsonText(Buffer.from('{"a": 1, "\\u0061": 2}'), { ...limits, stringBytes: 10 })?.reason).toContain('gives the key "a" twice');
  });

  it('calls a repeated key ambiguous, and a bound crossed too complex', () => {
    expect(checkJsonText(Buffer.from('{"a": 1, "a": 2}'), limits)?.ambiguous).toBe(true);
    expect(checkJsonText(Buffer.from('[[[[]]]]'), limits)?.ambiguous).toBe(false);
  });

  it('counts as the parser builds: every parsed value and container, not the keys', () => {
    const doc = { a: [1, { b: null }], c: 'x' };
    // root, array, 1, object, null, "x" = 6 values
    expect(checkJsonText(Buffer.from(JSON.stringify(doc)), limits)).toBeNull();
    expect(checkJsonText(Buffer.from(JSON.stringify({ ...doc, d: true })), { ...limits, keysPerObject: 3 })?.reason).toContain('more than 6 values');
  });
});

describe('checkQuery', () => {
  it.each<[string, Record<string, string[]>, string | null]>([
    ['within bounds', { a: ['1'], b: ['2', '3'] }, null],
    ['too many values in all', { a: ['1', '2'], b: ['3', '4'] }, 'more than 3 query parameters'],
    ['a long name', { abcdef: ['1'] }, 'name is longer'],
    ['a long value', { a: ['123456'] }, 'value is longer'],
  ])('%s', (_name, query, expected) => {
    const result = checkQuery(query, limits);
    if (expected === null) expect(result).toBeNull();
    else expect(result).toContain(expected);
  });
});

describe('checkHeaders', () => {
  it.each<[string, Record<string, string>, number, string | null]>([
    ['within bounds', { a: '1' }, 1, null],
    ['too many header lines', { a: '1' }, 3, 'more than 2 headers'],
    ['a long value', { a: '123456' }, 1, 'header value is longer'],
  ])('%s', (_name, headers, count, expected) => {
    const result = checkHeaders(headers, count, limits);
    if (expected === null) expect(result).toBeNull();
    else expect(result).toContain(expected);
  });
});
