import type { TunnelOptions as TunnelConfig } from '../../src/config';
import type { TunnelErrorCode } from '../../src/errors';
import { TunnelSetupError } from '../../src/errors';
import type { PreflightProbes } from '../../src/preflight';
import { preflight } from '../../src/preflight';
import { FIXTURE_PEER_KEY, FIXTURE_PRIVATE_KEY } from '../fixtures/wg-dumps';

const cfg: TunnelConfig = {
  interface: 'wg-broker',
  localAddress: '', deploymentId: 8849, mtu: 1320,
  peers: [{ publicKey: FIXTURE_PEER_KEY, endpoint: 'hub.example.com:51820', allowedIps: ['fdf0:59dc:33cf:9be9::1/128'], persistentKeepalive: 20 }],
  heartbeat: { url: '', intervalSeconds: 30, timeoutSeconds: 5, graceSeconds: 30, failuresBeforeReresolve: 3, },
  wireguardGo: '/opt/wg/wireguard-go', wg: 'wg',
};

/** Probes of a host where everything is fine. */
function okProbes(over: Partial<PreflightProbes> = {}): PreflightProbes {
  return {
    effectiveUid: () => 0,
    effectiveCapabilities: () => Promise.resolve('0000000000000000'),
    kernelWireguard: () => Promise.resolve(false),
    fileExists: () => Promise.resolve(true),
    toolRuns: () => Promise.resolve(true),
    interfaceExists: () => Promise.resolve(false),
    ipv6Addresses: () => Promise.resolve(['::1', 'fe80::1']),
    resolve: () => Promise.resolve('192.0.2.10'),
    ...over,
  };
}

async function failure(p: Promise<unknown>): Promise<TunnelSetupError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TunnelSetupError) return e;
    throw e;
  }
  throw new Error('preflight passed');
}

describe('preflight', () => {
  test('passes on a good host and resolves the endpoints', async () => {
    const r = await preflight(cfg, FIXTURE_PRIVATE_KEY, okProbes());
    expect(r).toEqual({
      localAddress: 'fdf0:59dc:33cf:9be8:0:2291:0:1', userspace: true,
      endpoints: new Map([[FIXTURE_PEER_KEY, '192.0.2.10:51820']]),
    });
  });

  test('CAP_NET_ADMIN without root is enough', async () => {
    const probes = okProbes({ effectiveUid: () => 1000, effectiveCapabilities: () => Promise.resolve('0000000000001000') });
    await expect(preflight(cfg, FIXTURE_PRIVATE_KEY, probes)).resolves.toBeDefined();
  });

  test('with the kernel module, neither wireguard-go nor /dev/net/tun is needed', async () => {
    const probes = okProbes({
      kernelWireguard: () => Promise.resolve(true),
      fileExists: () => Promise.resolve(false),
      toolRuns: (t) => Promise.resolve(t === 'wg'),
    });
    await expect(preflight(cfg, FIXTURE_PRIVATE_KEY, probes)).resolves.toMatchObject({ userspace: false });
  });

  const cases: Array<[string, Partial<PreflightProbes>, Partial<TunnelConfig>, string, TunnelErrorCode, string]> = [
    ['not root, no capability', { effectiveUid: () => 1000, effectiveCapabilities: () => Promise.resolve('00000000a80425fb') }, {}, FIXTURE_PRIVATE_KEY,
      'TUNNEL_NOT_PRIVILEGED', 'the tunnel needs root or CAP_NET_ADMIN to create a network interface (run as root, or grant CAP_NET_ADMIN)'],
    ['not root, capabilities unknown', { effectiveUid: () => 1000, effectiveCapabilities: () => Promise.resolve(null) }, {}, FIXTURE_PRIVATE_KEY,
      'TUNNEL_NOT_PRIVILEGED', 'the tunnel needs root or CAP_NET_ADMIN'],
    ['wg missing', { toolRuns: (t) => Promise.resolve(t !== 'wg') }, {}, FIXTURE_PRIVATE_KEY,
      'TUNNEL_TOOL_MISSING', 'wg not found or not executable (install it, or set tunnel.wg to its path)'],
    ['wireguard-go missing', { toolRuns: (t) => Promise.resolve(t === 'wg') }, {}, FIXTURE_PRIVATE_KEY,
      'TUNNEL_TOOL_MISSING', '/opt/wg/wireguard-go not found or not executable (install it, or set tunnel.wireguardGo to its path)'],
    ['no /dev/net/tun', { fileExists: (p) => Promise.resolve(p !== '/dev/net/tun') }, {}, FIXTURE_PRIVATE_KEY,
      'TUNNEL_TUN_MISSING', '/dev/net/tun is missing'],
    ['bad private key', {}, {}, 'c2VjcmV0',
      'TUNNEL_PRIVATE_KEY_INVALID', 'the tunnel private key is not a WireGuard key (base64 of 32 bytes; make one with `rego-broker genkey`)'],
    ['interface exists', { interfaceExists: (n) => Promise.resolve(n === 'wg-broker') }, {}, FIXTURE_PRIVATE_KEY,
      'TUNNEL_INTERFACE_EXISTS', 'interface wg-broker already exists'],
    ['address in use (other spelling)', { ipv6Addresses: () => Promise.resolve(['FDF0:59DC:33CF:9BE8:0000:2291:0000:0001']) }, {}, FIXTURE_PRIVATE_KEY,
      'TUNNEL_ADDRESS_IN_USE', 'tunnel address fdf0:59dc:33cf:9be8:0:2291:0:1 is already in use on this host'],
    ['endpoint unresolvable', { resolve: () => Promise.reject(new Error('getaddrinfo ENOTFOUND hub.example.com')) }, {}, FIXTURE_PRIVATE_KEY,
      'TUNNEL_ENDPOINT_UNRESOLVABLE', 'tunnel.peers[0].endpoint "hub.example.com:51820" cannot be resolved: getaddrinfo ENOTFOUND hub.example.com'],
    ['endpoint malformed', {}, { peers: [{ ...cfg.peers[0]!, endpoint: 'hub.example.com' }] }, FIXTURE_PRIVATE_KEY,
      'TUNNEL_ENDPOINT_UNRESOLVABLE', 'is not host:port'],
    ['bad interface name', {}, { interface: 'wg-broker-with-a-long-name' }, FIXTURE_PRIVATE_KEY,
      'TUNNEL_CONFIG_INVALID', 'tunnel.interface "wg-broker-with-a-long-name" is not a valid interface name'],
    ['no peers', {}, { peers: [] }, FIXTURE_PRIVATE_KEY, 'TUNNEL_CONFIG_INVALID', 'tunnel.peers is empty'],
    ['bad peer key', {}, { peers: [{ ...cfg.peers[0]!, publicKey: 'nope' }] }, FIXTURE_PRIVATE_KEY,
      'TUNNEL_CONFIG_INVALID', 'tunnel.peers[0].publicKey is not a WireGuard key'],
    ['no allowed IPs', {}, { peers: [{ ...cfg.peers[0]!, allowedIps: [] }] }, FIXTURE_PRIVATE_KEY,
      'TUNNEL_CONFIG_INVALID', 'tunnel.peers[0].allowedIps is empty'],
    ['mtu too small', {}, { mtu: 1000 }, FIXTURE_PRIVATE_KEY, 'TUNNEL_CONFIG_INVALID', 'tunnel.mtu must be 0 (default) or from 1280'],
    ['deployment id out of range', {}, { deploymentId: 70000 }, FIXTURE_PRIVATE_KEY,
      'TUNNEL_CONFIG_INVALID', 'tunnel.deploymentId must be an integer from 1 to 65535, got 70000'],
  ];

  test.each(cases)('%s', async (_name, probes, over, key, code, message) => {
    const err = await failure(preflight({ ...cfg, ...over }, key, okProbes(probes)));
    expect(err.code).toBe(code);
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain(message);
    expect(err.message).not.toContain('\n');
    expect(err.message).not.toContain(key === FIXTURE_PRIVATE_KEY ? FIXTURE_PRIVATE_KEY : 'c2VjcmV0');
  });

  test('nothing on the host is touched before a config error', async () => {
    const probes = okProbes();
    const spies = Object.keys(probes).map((k) => jest.spyOn(probes, k as keyof PreflightProbes));
    await failure(preflight({ ...cfg, peers: [] }, FIXTURE_PRIVATE_KEY, probes));
    for (const s of spies) expect(s).not.toHaveBeenCalled();
  });
});
