/** The hub's configuration: what it accepts, what it refuses (naming key, file and both entries), and dump. */
import { HubConfigError } from '../../src/errors';
import { dumpHubConfig, loadHubConfig, readHubSecret } from '../../src/config';
import { tempDir } from '../helpers/files';
import type { TempDir } from '../helpers/files';
import { publicKeys } from '../helpers/keys';

const [K1, K2, K3] = publicKeys(3) as [string, string, string];

function base(): Record<string, unknown> {
  return {
    wireguard: { enabled: false },
    deployments: [
      { id: 4242, name: 'acme', replicas: [{ index: 0, publicKey: K1 }, { index: 1, publicKey: K2 }] },
      { id: 7, replicas: [{ index: 0, publicKey: K3 }] },
    ],
  };
}

describe('loadHubConfig', () => {
  let dir: TempDir;
  beforeEach(() => (dir = tempDir()));
  afterEach(() => dir.cleanup());

  const load = (content: unknown, env: Record<string, string> = {}): ReturnType<typeof loadHubConfig> =>
    loadHubConfig({ files: [dir.write('hub.yaml', content)], env });

  it('accepts a minimal configuration, derives addresses and freezes the result', () => {
    const { config } = load(base());
    expect(config.deployments[0]?.replicas.map((r) => r.address)).toEqual(['fdf0:59dc:33cf:9be8:0:1092:0:1', 'fdf0:59dc:33cf:9be8:0:1092:0:2']);
    expect(config.heartbeat.host).toBe('fdf0:59dc:33cf:9be9::1');
    expect(config.front.port).toBe(8000);
    expect(Object.isFrozen(config.deployments[0]?.replicas[0])).toBe(true);
  });

  it('layers files, a later list replacing an earlier one, and env overrides', () => {
    const a = dir.write('a.yaml', base());
    const b = dir.write('b.json', { front: { port: 0 }, deployments: [{ id: 9, replicas: [{ index: 3, publicKey: K1, address: '127.0.0.2' }] }] });
    const { config } = loadHubConfig({ files: [a, b], env: { REGO_BROKER_HUB_ADMIN_PORT: '0', REGO_BROKER_HUB_HEARTBEAT_STALE_AFTER_SECONDS: '0.5' } });
    expect(config.deployments).toEqual([{ id: 9, name: null, replicas: [{ index: 3, publicKey: K1, address: '127.0.0.2' }] }]);
    expect([config.front.port, config.admin.port, config.heartbeat.staleAfterSeconds]).toEqual([0, 0, 0.5]);
  });

  const dep = (replicas: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> => ({ id: 1, replicas, ...extra });
  const refusals: Array<[string, Record<string, unknown>, RegExp]> = [
    ['an unknown top-level key', { ...base(), frnt: {} }, /hub\.yaml: frnt: unknown key/],
    ['an unknown nested key', { ...base(), front: { prot: 1 } }, /hub\.yaml: front\.prot: unknown key/],
    ['an unknown deployment key', { deployments: [dep([{ index: 0, publicKey: K1 }], { owner: 'x' })] }, /hub\.yaml: deployments\[0\]\.owner: unknown key/],
    ['an unknown replica key', { deployments: [dep([{ index: 0, publicKey: K1, key: 'x' }])] }, /deployments\[0\]\.replicas\[0\]\.key: unknown key/],
    ['a duplicate deployment id', { deployments: [dep([{ index: 0, publicKey: K1 }]), dep([{ index: 0, publicKey: K2 }])] }, /deployments\[1\]\.id: deployment 1 is already deployments\[0\]/],
    ['a duplicate replica index', { deployments: [dep([{ index: 0, publicKey: K1 }, { index: 0, publicKey: K2 }])] }, /deployments\[0\]\.replicas\[1\]\.index: replica 0 of deployment 1 is already deployments\[0\]\.replicas\[0\]/],
    ['the same key on two replicas', { deployments: [dep([{ index: 0, publicKey: K1 }]), { id: 2, replicas: [{ index: 0, publicKey: K1 }] }] }, /deployments\[1\]\.replicas\[0\]\.publicKey: is the same key as deployments\[0\]\.replicas\[0\]/],
    ['the same address on two replicas', { deployments: [dep([{ index: 0, publicKey: K1, address: '127.0.0.2' }, { index: 1, publicKey: K2, address: '127.0.0.2' }])] }, /deployments\[0\]\.replicas\[1\]\.address: 127\.0\.0\.2 is the same address as deployments\[0\]\.replicas\[0\]/],
    ['an override equal to a derived address', { deployments: [dep([{ index: 0, publicKey: K1 }, { index: 1, publicKey: K2, address: 'fdf0:59dc:33cf:9be8:0:1:0:1' }])] }, /replicas\[1\]\.address: .* is the same address as deployments\[0\]\.replicas\[0\]/],
    ['the hub\'s own address', { deployments: [dep([{ index: 0, publicKey: K1, address: 'fdf0:59dc:33cf:9be9:0::1' }])] }, /is the same address as wireguard\.address/],
    ['a deployment id out of range', { deployments: [{ id: 70000, replicas: [{ index: 0, publicKey: K1 }] }] }, /deployments\[0\]\.id: must be an integer from 1 to 65535/],
    ['a replica index out of range', { deployments: [dep([{ index: 65535, publicKey: K1 }])] }, /replicas\[0\]\.index: must be an integer from 0 to 65534/],
    ['a malformed public key', { deployments: [dep([{ index: 0, publicKey: 'abc' }])] }, /replicas\[0\]\.publicKey: must be a WireGuard public key/],
    ['a malformed address', { deployments: [dep([{ index: 0, publicKey: K1, address: '10.0.0.0/8' }])] }, /replicas\[0\]\.address: must be an IP address/],
    ['no replicas', { deployments: [dep([])] }, /deployments\[0\]\.replicas: a list of at least one replica/],
    ['deployments not a list', { deployments: { id: 1 } }, /deployments: must be a list/],
    ['wireguard without a key', { wireguard: { enabled: true } }, /wireguard: set one of privateKeyFile or privateKeyEnv/],
    ['wireguard with two keys', { wireguard: { enabled: true, privateKeyEnv: 'A', privateKeyFile: '/k' } }, /wireguard: set only one of privateKeyEnv and privateKeyFile/],
    ['a bad interface name', { wireguard: { enabled: false, interface: 'much-too-long-name' } }, /wireguard\.interface/],
    ['an IPv4 hub address', { wireguard: { enabled: false, address: '10.0.0.1' } }, /wireguard\.address: must be an IPv6 address/],
    ['an mtu out of range', { wireguard: { enabled: true, privateKeyEnv: 'K', mtu: 9000 } }, /wireguard\.mtu/],
    ['a port out of range', { wireguard: { enabled: false }, front: { port: 70000 } }, /hub\.yaml: .*front\.port/],
    ['a zero stale time', { wireguard: { enabled: false }, heartbeat: { staleAfterSeconds: 0 } }, /heartbeat\.staleAfterSeconds: must be a number above 0/],
    ['a string where a number goes', { wireguard: { enabled: false }, front: { maxBodyBytes: 'lots' } }, /front\.maxBodyBytes/],
    ['a carrier without its files', { wireguard: { enabled: false }, carrier: { enabled: true } }, /carrier: certFile and keyFile are required/],
    ['two listeners on one port', { wireguard: { enabled: false }, front: { host: '127.0.0.1', port: 9100 } }, /admin\.port: the admin listener cannot share front\.host:front\.port/],
  ];

  it.each(refusals)('refuses %s, naming it', (_name, content, message) => {
    let err: unknown;
    try {
      load({ wireguard: { enabled: false }, ...content });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HubConfigError);
    expect((err as Error).message).toMatch(message);
  });

  it('names the file that holds an unknown key', () => {
    const a = dir.write('a.yaml', base());
    const b = dir.write('b.yaml', { heartbeat: { stale: 1 } });
    expect(() => loadHubConfig({ files: [a, b], env: {} })).toThrow(/b\.yaml: heartbeat\.stale: unknown key/);
  });

  it('refuses a file it cannot read or parse', () => {
    expect(() => loadHubConfig({ files: [dir.write('x.txt', 'a: 1')], env: {} })).toThrow(/must end in \.yaml/);
    expect(() => loadHubConfig({ files: ['/nonexistent/hub.yaml'], env: {} })).toThrow(/cannot read \(ENOENT\)/);
    expect(() => loadHubConfig({ files: [dir.write('bad.json', '{')], env: {} })).toThrow(/bad\.json: not valid JSON/);
    expect(() => loadHubConfig({ files: [], env: {} })).toThrow(/missing -c FILE/);
  });

  it('warns about a heartbeat listener off the tunnel address', () => {
    const { warnings } = load({ wireguard: { enabled: true, privateKeyEnv: 'K' }, heartbeat: { host: '0.0.0.0' } });
    expect(warnings.join('\n')).toMatch(/heartbeat\.host/);
  });

  it('dumps references, never secret values', () => {
    const canary = 'CANARY-hub-private-key-0123456789';
    const { config } = load({ ...base(), wireguard: { enabled: true, privateKeyEnv: 'HUB_KEY' } }, { HUB_KEY: canary });
    const text = JSON.stringify(dumpHubConfig(config));
    expect(text).toContain('"privateKeyEnv":"HUB_KEY"');
    expect(text).not.toContain(canary);
    expect(readHubSecret(config.wireguard.privateKey, 'wireguard.privateKey', { HUB_KEY: canary })).toBe(canary);
  });

  it('reports a missing secret by its name only', () => {
    const { config } = load({ wireguard: { enabled: true, privateKeyFile: '/nonexistent/key' } });
    expect(() => readHubSecret(config.wireguard.privateKey, 'wireguard.privateKey', {})).toThrow('wireguard.privateKeyFile: cannot read /nonexistent/key (ENOENT)');
  });
});
