import accepted from '../../fixtures/normalize/accepted.json';
import rejected from '../../fixtures/normalize/rejected.json';
import type { NormalizedUrl, Result } from '../../../src/request/normalize';
import { encodePathSegment, extractDestination, normalizeUrl } from '../../../src/request/normalize';

function value<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`expected ok, got: ${result.reason}`);
  return result.value;
}

function reason<T>(result: Result<T>): string {
  if (result.ok) throw new Error('expected a rejection');
  return result.reason;
}

const acceptedCases = accepted.cases.map((c) => [c.input, c.expected] as [string, NormalizedUrl]);
const rejectedCases = rejected.cases.map((c) => [c[0], c[1]] as [string, string]);

describe('normalizeUrl accepts', () => {
  it.each(acceptedCases)('%s', (input, expected) => {
    expect(value(normalizeUrl(input))).toEqual(expected);
  });

  it.each(acceptedCases)('%s: its href normalizes to itself', (input) => {
    const once = value(normalizeUrl(input));
    expect(value(normalizeUrl(once.href))).toEqual(once);
  });

  // The forwarded href must mean the same to a WHATWG parser (Node's URL, undici, proxies).
  it.each(acceptedCases)('%s: a WHATWG parse of its href changes nothing', (input) => {
    const once = value(normalizeUrl(input));
    const whatwg = new URL(once.href);
    expect(whatwg.href).toBe(once.href);
    expect(whatwg.pathname).toBe(once.path);
    expect(whatwg.search).toBe(once.search);
    expect(whatwg.host).toBe(once.hostHeader);
  });

  it('keeps a __proto__ query key as an ordinary key', () => {
    const url = value(normalizeUrl('https://ghe.example.com/x?__proto__=a&constructor=b'));
    expect(Object.keys(url.query)).toEqual(['__proto__', 'constructor']);
    expect(url.query['__proto__']).toEqual(['a']);
    expect(url.search).toBe('?__proto__=a&constructor=b');
    expect(({} as Record<string, unknown>)['a']).toBeUndefined();
  });
});

describe('normalizeUrl rejects', () => {
  it.each(rejectedCases)('%j (%s)', (input, expected) => {
    expect(reason(normalizeUrl(input))).toContain(expected);
  });

  it('does not echo a huge input in its reason', () => {
    const huge = `https://ghe.example.com/${'a'.repeat(10000)}/%2e%2e`;
    expect(reason(normalizeUrl(huge)).length).toBeLessThanOrEqual(200);
    const scheme = `${'x'.repeat(5000)}://h/`;
    expect(reason(normalizeUrl(scheme)).length).toBeLessThanOrEqual(200);
  });
});

describe('extractDestination', () => {
  it.each([
    ['/proxy/https://ghe.example.com/api/v3/repos/a/b?x=1', 'https://ghe.example.com/api/v3/repos/a/b?x=1'],
    ['/proxy/http://[::1]:8080/x', 'http://[::1]:8080/x'],
    // Validation of the rest is normalizeUrl's job; extraction only cuts the prefix.
    ['/proxy/https://h/../x', 'https://h/../x'],
  ])('%s', (target, destination) => {
    expect(value(extractDestination(target))).toBe(destination);
  });

  it.each([
    ['/proxy/HTTPS://ghe.example.com/', 'lower-case'],
    ['/proxy/Http://ghe.example.com/', 'lower-case'],
    ['/proxy/ftp://ghe.example.com/', 'absolute http'],
    ['/proxy/javascript:alert(1)', 'absolute http'],
    ['/proxy//https://ghe.example.com/', 'absolute http'],
    ['/proxy/https:/ghe.example.com/', 'absolute http'],
    ['/proxy/ghe.example.com/', 'absolute http'],
    ['/proxy/', 'absolute http'],
    ['/proxy', 'must start with /proxy/'],
    ['/PROXY/https://ghe.example.com/', 'must start with /proxy/'],
    ['/proxyhttps://ghe.example.com/', 'must start with /proxy/'],
    ['https://ghe.example.com/', 'must start with /proxy/'],
    ['/other/proxy/https://ghe.example.com/', 'must start with /proxy/'],
    ['', 'must start with /proxy/'],
  ])('%j', (target, expected) => {
    expect(reason(extractDestination(target))).toContain(expected);
  });
});

describe('encodePathSegment', () => {
  it.each([
    ['abc-._~XYZ019', 'abc-._~XYZ019'],
    ["!$&'()*+,=:@", "!$&'()*+,=:@"],
    ['a/b', 'a%2Fb'],
    ['a;b', 'a%3Bb'],
    ['100%', '100%25'],
    ['a b', 'a%20b'],
    ['a?b#c', 'a%3Fb%23c'],
    ['[x]', '%5Bx%5D'],
    ['café', 'caf%C3%A9'],
    ['😀', '%F0%9F%98%80'],
    ['', ''],
  ])('%j → %j', (segment, encoded) => {
    expect(encodePathSegment(segment)).toBe(encoded);
  });
});
