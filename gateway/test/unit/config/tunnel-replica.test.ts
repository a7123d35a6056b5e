/** `tunnel.replica`: an index or the StatefulSet ordinal of the host name, and the address it gives. */
import { loadConfig } from '../../../src/config/load';
import { configFile, configRefusal, sampleTunnel as tunnel } from '../../helpers/config';

const load = (content: unknown, opts: { env?: Record<string, string>; host?: string } = {}) =>
  loadConfig({ files: [configFile(content)], env: opts.env ?? {}, defaultBundle: '/b.tar.gz', hostname: () => opts.host ?? 'broker-host' });
const refused = (content: unknown, opts: { env?: Record<string, string>; host?: string } = {}): string => configRefusal(() => load(content, opts));

describe('tunnel.replica', () => {
  it('defaults to 0, the address a single broker always had', () => {
    const { config } = load({ tunnel: tunnel() });
    expect(config.tunnel.replica).toBe(0);
    expect(config.tunnel.localAddress).toBe('fdf0:59dc:33cf:9be8:0:2291:0:1');
  });

  it.each([
    [1, 'fdf0:59dc:33cf:9be8:0:2291:0:2'],
    [9, 'fdf0:59dc:33cf:9be8:0:2291:0:a'],
    [65534, 'fdf0:59dc:33cf:9be8:0:2291:0:ffff'],
  ])('replica %d derives %s', (replica, address) => {
    const { config } = load({ tunnel: tunnel({ replica }) });
    expect(config.tunnel.replica).toBe(replica);
    expect(config.tunnel.localAddress).toBe(address);
  });

  it.each([
    ['rego-broker-2', 2],
    ['rego-broker-0', 0],
    ['my-release-rego-broker-11.rego-broker.ns.svc.cluster.local', 11],
  ])('"ordinal" on host %s is replica %d', (host, replica) => {
    const { config } = load({ tunnel: tunnel({ replica: 'ordinal' }) }, { host });
    expect(config.tunnel.replica).toBe(replica);
  });

  it('comes from REGO_BROKER_TUNNEL_REPLICA, a number or "ordinal"', () => {
    expect(load({ tunnel: tunnel() }, { env: { REGO_BROKER_TUNNEL_REPLICA: '3' } }).config.tunnel.replica).toBe(3);
    expect(load({ tunnel: tunnel() }, { env: { REGO_BROKER_TUNNEL_REPLICA: 'ordinal' }, host: 'rego-broker-4' }).config.tunnel.localAddress)
      .toBe('fdf0:59dc:33cf:9be8:0:2291:0:5');
  });

  it('an explicit address that agrees with deployment id and replica is kept (the chart sets both)', () => {
    const { config } = load({ tunnel: tunnel({ replica: 1, localAddress: 'fdf0:59dc:33cf:9be8:0:2291:0:2' }) });
    expect(config.tunnel.localAddress).toBe('fdf0:59dc:33cf:9be8:0:2291:0:2');
  });

  it('with an explicit address and no deployment id, the replica is only the index', () => {
    const { config } = load({ tunnel: tunnel({ deploymentId: null, replica: 2, localAddress: 'fd00::2' }) });
    expect(config.tunnel).toMatchObject({ replica: 2, localAddress: 'fd00::2', deploymentId: null });
  });

  it.each([
    ['out of range', { replica: 65535 }, {}, 'tunnel.replica: must be an integer from 0 to 65534 or "ordinal", got 65535'],
    ['negative', { replica: -1 }, {}, 'tunnel.replica: must be an integer from 0 to 65534'],
    ['not an integer', { replica: 1.5 }, {}, 'tunnel.replica: must be an integer'],
    ['another word', { replica: 'first' }, {}, 'tunnel.replica: must be an integer from 0 to 65534 or "ordinal", got "first"'],
    ['a list', { replica: [1] }, {}, 'tunnel.replica'],
    ['"ordinal" on a host name without a number', { replica: 'ordinal' }, { host: 'broker-host' }, 'tunnel.replica: "ordinal" needs a host name ending in -<0..65534>'],
    ['"ordinal" on a host name ending in a number without a dash', { replica: 'ordinal' }, { host: 'broker7' }, 'tunnel.replica: "ordinal"'],
    ['"ordinal" out of range', { replica: 'ordinal' }, { host: 'rego-broker-70000' }, 'tunnel.replica: "ordinal"'],
    ['an address for another replica', { replica: 1, localAddress: 'fdf0:59dc:33cf:9be8:0:2291:0:1' }, {}, 'tunnel.localAddress: contradicts tunnel.deploymentId and tunnel.replica (which give fdf0:59dc:33cf:9be8:0:2291:0:2)'],
  ])('refuses %s, naming the key', (_name, extra, opts, message) => {
    expect(refused({ tunnel: tunnel(extra) }, opts)).toContain(message);
  });

  it('names the host name it could not use', () => {
    expect(refused({ tunnel: tunnel({ replica: 'ordinal' }) }, { host: 'build-box' })).toContain('"build-box"');
  });
});
