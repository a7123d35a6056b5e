import { formatEndpoint, parseEndpoint, resolveEndpoint } from '../../src/endpoint';

describe('endpoints', () => {
  test.each([
    ['hub.example.com:51820', { host: 'hub.example.com', port: 51820 }],
    ['192.0.2.1:1', { host: '192.0.2.1', port: 1 }],
    ['[2001:db8::1]:65535', { host: '2001:db8::1', port: 65535 }],
    ['hub.example.com', null],
    ['hub.example.com:0', null],
    ['hub.example.com:65536', null],
    ['2001:db8::1:51820', null],
    ['[hub.example.com]:51820', null],
    ['', null],
  ])('parseEndpoint(%p)', (text, expected) => {
    expect(parseEndpoint(text)).toEqual(expected);
  });

  test.each([
    ['192.0.2.1', 51820, '192.0.2.1:51820'],
    ['2001:db8::1', 51820, '[2001:db8::1]:51820'],
  ])('formatEndpoint(%s, %i)', (ip, port, text) => {
    expect(formatEndpoint(ip, port)).toBe(text);
  });

  test('names are resolved, literals are not', async () => {
    const resolver = jest.fn((host: string) => Promise.resolve(host === 'v6.example' ? '2001:db8::9' : '198.51.100.7'));
    await expect(resolveEndpoint('hub.example:51820', resolver)).resolves.toBe('198.51.100.7:51820');
    await expect(resolveEndpoint('v6.example:51820', resolver)).resolves.toBe('[2001:db8::9]:51820');
    await expect(resolveEndpoint('[2001:db8::1]:51820', resolver)).resolves.toBe('[2001:db8::1]:51820');
    expect(resolver).toHaveBeenCalledTimes(2);
    await expect(resolveEndpoint('nope', resolver)).rejects.toThrow('"nope" is not host:port');
  });
});
