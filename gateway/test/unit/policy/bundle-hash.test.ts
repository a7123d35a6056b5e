/**
 * File hashes of OPA's bundle signature format. Expected values were produced by
 * `opa build -b --signing-key` (v1.22.3) and read from the signature's payload.
 */
import { bundleFileHash, canonicalJson } from '../../../src/policy/bundle-hash';

describe('canonicalJson', () => {
  it.each([
    ['sorts keys, drops spaces', '{ "b": 1, "a": {"d": [1, 2], "c": null} }', '{"a":{"c":null,"d":[1,2]},"b":1}'],
    ['keeps numbers as written', '{"x": 1.50, "y": 12345678901234567890, "z": -0.0, "e": 1E+3}', '{"e":1E+3,"x":1.50,"y":12345678901234567890,"z":-0.0}'],
    ['writes strings as Go does, without HTML escaping', '{"s": "<a & b>\\u00e9\\u2028\\u0001\\n"}', '{"s":"<a & b>é\\u2028\\u0001\\n"}'],
    ['keeps escaped quotes and backslashes', '{"s": "a\\"b\\\\c\\/d"}', '{"s":"a\\"b\\\\c/d"}'],
    ['handles empty containers', '{"a": {}, "b": []}', '{"a":{},"b":[]}'],
  ])('%s', (_name, input, want) => {
    expect(canonicalJson(input)).toBe(want);
  });

  it.each([['{"a": 1,}'], ['{"a" 1}'], ['[1 2]'], ['{"a": 1} x'], ['{"a": NaN}']])('refuses %s', (input) => {
    expect(() => canonicalJson(input)).toThrow();
  });
});

describe('bundleFileHash', () => {
  it('hashes data.json and .manifest canonically and other files as bytes, as opa does', () => {
    expect(bundleFileHash('data.json', Buffer.from('{"a":{"b":1}}\n'), 'SHA-256')).toBe('815ce69073bf37a71afee34156192e1d9921dfc365dc653a02516902c3a5e2e7');
    const manifest = '{"revision":"r1","roots":[""],"wasm":[{"entrypoint":"broker/decision","module":"/policy.wasm"}],"rego_version":1}';
    expect(bundleFileHash('.manifest', Buffer.from(manifest), 'SHA-256')).toBe('85dc55ca8a2e834ec3cfe7920f0ce9a7c87e4b593f5aace07d087cd02b2928eb');
    expect(bundleFileHash('src/p.rego', Buffer.from('package broker\n\nimport data.broker.decision\n'), 'SHA-256')).toBe('64970aec3af489c129364b5cdc58e70be75c6c4d282edc230a325f20a5b31d3a');
  });

  it('refuses an unknown hash algorithm', () => {
    expect(() => bundleFileHash('data.json', Buffer.from('{}'), 'CRC32')).toThrow('unsupported file hash algorithm CRC32');
  });
});
