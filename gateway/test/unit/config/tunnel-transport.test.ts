/** Configuration of the tunnel's transport, carrier and proxies: parsing, fallbacks, refusals, and no secret in `dump`. */
import { dumpConfig } from '../../../src/config/dump';
import { loadConfig, readProxyPassword } from '../../../src/config/load';
import { SAMPLE_PEER as peer, configFile, configRefusal, sampleTunnel as tunnel } from '../../helpers/config';

const PIN = 'AB:'.repeat(31) + 'AB';
const CANARY = 'canary-proxy-secret-91f3';
const load = (content: unknown, env: Record<string, string> = {}) => loadConfig({ files: [configFile(content)], env, defaultBundle: '/b.tar.gz' });
const refused = (content: unknown, env: Record<string, string> = {}): string => configRefusal(() => load(content, env));

describe('tunnel transport configuration', () => {
  it('defaults to udp with no proxy', () => {
    const { config } = load({ tunnel: tunnel() });
    expect(config.tunnel.transport).toBe('udp');
    expect(config.tunnel.proxy).toBeNull();
    expect(config.tunnel.carrier).toMatchObject({ pinSha256: [], caFile: '', switchAfterSeconds: 15, probeIntervalSeconds: 60 });
    expect(config.proxy.upstreamProxy).toBeNull();
  });

  it('takes auto with a pin, a per-peer carrier URL and a proxy with a password by reference', () => {
    const { config } = load({
      tunnel: tunnel({
        transport: 'auto',
        peers: [{ ...peer, carrierUrl: 'wss://hub.example.com/wg' }],
        carrier: { pinSha256: [PIN], switchAfterSeconds: 5 },
        proxy: { url: 'http://proxy.corp:3128', username: 'svc', passwordEnv: 'PROXY_PW', noProxy: '.corp, 10.0.0.1' },
      }),
    });
    expect(config.tunnel.transport).toBe('auto');
    expect(config.tunnel.peers[0]?.carrierUrl).toBe('wss://hub.example.com/wg');
    expect(config.tunnel.proxy).toEqual({
      url: 'http://proxy.corp:3128', username: 'svc', password: { env: 'PROXY_PW', file: null, literal: null }, passwordInUrl: false, noProxy: ['.corp', '10.0.0.1'],
    });
    const proxy = config.tunnel.proxy;
    if (proxy === null) throw new Error('no proxy');
    expect(readProxyPassword(proxy, 'tunnel.proxy', { PROXY_PW: CANARY })).toBe(CANARY);
  });

  it('falls back to HTTPS_PROXY and NO_PROXY; the password stays a reference to the variable', () => {
    const env = { HTTPS_PROXY: `http://svc:${encodeURIComponent(CANARY)}@proxy.corp:3128`, NO_PROXY: 'localhost,.internal' };
    const { config } = load({ tunnel: tunnel({ transport: 'tcp', carrier: { caFile: '/etc/hub-ca.pem' } }) }, env);
    const proxy = config.tunnel.proxy;
    expect(proxy).toMatchObject({ url: 'http://proxy.corp:3128', username: 'svc', password: { env: 'HTTPS_PROXY' }, passwordInUrl: true, noProxy: ['localhost', '.internal'] });
    if (proxy === null) throw new Error('no proxy');
    expect(readProxyPassword(proxy, 'tunnel.proxy', env)).toBe(CANARY);
    expect(JSON.stringify(dumpConfig(config))).not.toContain(CANARY);
  });

  it('never shows a proxy password in dump', () => {
    const { config } = load({
      tunnel: tunnel({ transport: 'tcp', carrier: { pinSha256: [PIN] }, proxy: { url: 'http://p:3128', username: 'u', passwordFile: '/run/secrets/p' } }),
      proxy: { upstreamProxy: { url: 'http://up:8080', username: 'u', passwordEnv: 'UP_PW' } },
    }, { UP_PW: CANARY });
    const dumped = JSON.stringify(dumpConfig(config));
    expect(dumped).not.toContain(CANARY);
    expect(dumped).toContain('/run/secrets/p');
    expect(dumped).toContain('UP_PW');
  });

  it.each([
    ['tunnel.carrier: set pinSha256 or caFile', { tunnel: tunnel({ transport: 'tcp' }) }],
    ['tunnel.carrier.pinSha256', { tunnel: tunnel({ transport: 'auto', carrier: { pinSha256: ['not-a-pin'] } }) }],
    ['tunnel.transport', { tunnel: tunnel({ transport: 'quic' }) }],
    ['tunnel.peers[0].carrierUrl: must be a wss:// URL', { tunnel: tunnel({ peers: [{ ...peer, carrierUrl: 'https://hub/wg' }] }) }],
    ['tunnel.proxy.url: must not hold credentials', { tunnel: tunnel({ proxy: { url: 'http://u:pw@proxy:3128' } }) }],
    ['tunnel.proxy.url: must be an http:// proxy URL', { tunnel: tunnel({ proxy: { url: 'https://proxy:3128' } }) }],
    ['tunnel.proxy.username: required', { tunnel: tunnel({ proxy: { url: 'http://proxy:3128', passwordEnv: 'P' } }) }],
    ['set only one of passwordEnv and passwordFile', { tunnel: tunnel({ proxy: { url: 'http://proxy:3128', username: 'u', passwordEnv: 'P', passwordFile: '/p' } }) }],
    ['tunnel.proxy.password', { tunnel: tunnel({ proxy: { url: 'http://proxy:3128', password: 'literal' } }) }],
    ['tunnel.carrier.switchAfterSeconds', { tunnel: tunnel({ carrier: { switchAfterSeconds: 0 } }) }],
  ])('refuses a bad setting, naming %s', (key, content) => {
    expect(refused(content)).toContain(key);
  });

  it('leaves HTTPS_PROXY alone when the tunnel runs on UDP only', () => {
    const { config } = load({ tunnel: tunnel() }, { HTTPS_PROXY: 'https://not-for-us:3128' });
    expect(config.tunnel.proxy).toBeNull();
  });

  it('names the variable, not its value, when HTTPS_PROXY is not a proxy URL', () => {
    const msg = refused({ tunnel: tunnel({ transport: 'auto', carrier: { pinSha256: [PIN] } }) }, { HTTPS_PROXY: `https://u:${CANARY}@proxy:3128` });
    expect(msg).toContain('HTTPS_PROXY');
    expect(msg).not.toContain(CANARY);
  });
});
