/** Header handling: heartbeat claims parsed strictly, front headers passed on minus hop-by-hop ones. */
import { parseClaims } from '../../src/heartbeat';
import { forwardHeaders } from '../../src/front';

describe('parseClaims', () => {
  const ok: Array<[string, Record<string, string>, ReturnType<typeof parseClaims>]> = [
    ['no headers (an older broker)', {}, { deployment: null, replica: null, instance: null, draining: false }],
    ['all headers', { 'x-rego-broker-deployment': '8849', 'x-rego-broker-replica': '1', 'x-rego-broker-instance': 'ABCDEF0123456789', 'x-rego-broker-state': 'draining' },
      { deployment: 8849, replica: 1, instance: 'abcdef0123456789', draining: true }],
    ['replica 0 and serving', { 'x-rego-broker-replica': '0', 'x-rego-broker-state': 'serving' }, { deployment: null, replica: 0, instance: null, draining: false }],
  ];
  it.each(ok)('accepts %s', (_name, headers, expected) => {
    expect(parseClaims(headers)).toEqual(expected);
  });

  it.each([
    ['x-rego-broker-deployment', '065'],
    ['x-rego-broker-deployment', '65536'],
    ['x-rego-broker-deployment', '1.0'],
    ['x-rego-broker-replica', '-1'],
    ['x-rego-broker-replica', '1, 2'],
    ['x-rego-broker-instance', 'a'.repeat(65)],
    ['x-rego-broker-state', 'Serving'],
  ])('refuses %s: %s, naming the header', (name, value) => {
    expect(parseClaims({ [name]: value })).toEqual(expect.stringContaining(name));
  });
});

describe('forwardHeaders', () => {
  it('drops hop-by-hop headers, those Connection names, and those the hub sets; keeps duplicates', () => {
    const raw = [
      'Host', 'hub:8000', 'Connection', 'keep-alive, X-Trace-Hop', 'X-Trace-Hop', 'secret-to-next-hop', 'Keep-Alive', 'timeout=5',
      'Transfer-Encoding', 'chunked', 'Content-Length', '5', 'Expect', '100-continue', 'TE', 'trailers', 'Upgrade', 'h2c',
      'Accept', 'application/json', 'X-Custom', 'a', 'X-Custom', 'b', 'Authorization', 'Bearer caller-token',
    ];
    expect(forwardHeaders(raw, 'keep-alive, X-Trace-Hop')).toEqual(['Accept', 'application/json', 'X-Custom', 'a', 'X-Custom', 'b', 'Authorization', 'Bearer caller-token']);
  });
});
