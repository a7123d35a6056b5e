/** NO_PROXY matching and the carrier's proxy route. */
import { bypassesProxy, parseNoProxy } from '../../src/carrier/no-proxy';
import { carrierUrlFor, proxyRouteFor } from '../../src/transport';

describe('bypassesProxy', () => {
  it.each([
    ['hub.example.com', 443, '', false],
    ['hub.example.com', 443, '*', true],
    ['hub.example.com', 443, 'example.com', true],
    ['hub.example.com', 443, '.example.com', true],
    ['hub.example.com', 443, '*.example.com', true],
    ['example.com', 443, '.example.com', true],
    ['badexample.com', 443, 'example.com', false],
    ['hub.example.com', 443, 'example.com:8443', false],
    ['hub.example.com', 8443, 'example.com:8443', true],
    ['10.0.0.1', 443, '10.0.0.1', true],
    ['10.0.0.10', 443, '10.0.0.1', false],
    ['fd00::1', 443, '[fd00::1]:443', true],
    ['fd00::1', 443, 'fd00::1', true],
    ['HUB.Example.COM.', 443, 'hub.example.com', true],
  ])('%s:%d with NO_PROXY=%j → %s', (host, port, list, expected) => {
    expect(bypassesProxy(host, port, parseNoProxy(list))).toBe(expected);
  });
});

describe('the carrier route', () => {
  const proxy = { url: 'http://proxy.corp:3128', username: 'svc', noProxy: ['.internal'] };

  it('goes through the proxy unless NO_PROXY names the hub', () => {
    expect(proxyRouteFor('wss://hub.example.com/wireguard', proxy, 'pw')).toEqual({ host: 'proxy.corp', port: 3128, username: 'svc', password: 'pw' });
    expect(proxyRouteFor('wss://hub.internal/wireguard', proxy, 'pw')).toBeNull();
    expect(proxyRouteFor('wss://hub.example.com/wireguard', null, null)).toBeNull();
  });

  it('defaults the carrier URL to port 443 of the endpoint host', () => {
    const peer = { publicKey: 'k', endpoint: 'hub.example.com:51820', allowedIps: [], persistentKeepalive: 0 };
    expect(carrierUrlFor(peer)).toBe('wss://hub.example.com:443/wireguard');
    expect(carrierUrlFor({ ...peer, endpoint: '[fd00::1]:51820' })).toBe('wss://[fd00::1]:443/wireguard');
    expect(carrierUrlFor({ ...peer, carrierUrl: 'wss://edge.example.com/t' })).toBe('wss://edge.example.com/t');
  });
});
