/** Peers by difference and the routes into the interface, as pure functions. */
import { allowedIp, diffPeers, peerRoutes } from '../../src/wireguard';

const p = (publicKey: string, address: string): { publicKey: string; address: string } => ({ publicKey, address });

describe('diffPeers', () => {
  const cases: Array<[string, ReturnType<typeof p>[], ReturnType<typeof p>[], ReturnType<typeof diffPeers>]> = [
    ['nothing changes', [p('A', 'x'), p('B', 'y')], [p('B', 'y'), p('A', 'x')], { add: [], remove: [], update: [] }],
    ['a replica added', [p('A', 'x')], [p('A', 'x'), p('B', 'y')], { add: [p('B', 'y')], remove: [], update: [] }],
    ['a replica removed', [p('A', 'x'), p('B', 'y')], [p('A', 'x')], { add: [], remove: [p('B', 'y')], update: [] }],
    ['a key rotated', [p('A', 'x')], [p('C', 'x')], { add: [p('C', 'x')], remove: [p('A', 'x')], update: [] }],
    ['an address changed', [p('A', 'x')], [p('A', 'z')], { add: [], remove: [], update: [p('A', 'z')] }],
  ];
  it.each(cases)('%s', (_name, current, next, expected) => {
    expect(diffPeers(current, next)).toEqual(expected);
  });
});

describe('peerRoutes and allowedIp', () => {
  it('routes the broker prefix, and each address outside it once', () => {
    const routes = peerRoutes([p('A', 'fdf0:59dc:33cf:9be8:0:1:0:1'), p('B', '127.0.0.2'), p('C', 'fd00::7'), p('D', 'fdf0:59dc:33cf:9be8::9')]);
    expect(routes).toEqual(['fdf0:59dc:33cf:9be8::/64', '127.0.0.2/32', 'fd00::7/128']);
  });

  it('gives each peer exactly its own address', () => {
    expect([allowedIp('fdf0:59dc:33cf:9be8:0:1:0:1'), allowedIp('10.1.2.3')]).toEqual(['fdf0:59dc:33cf:9be8:0:1:0:1/128', '10.1.2.3/32']);
  });
});
