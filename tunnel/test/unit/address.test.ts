import { addressFromDeploymentId, canonicalIPv6, resolveLocalAddress } from '../../src/address';
import { TunnelSetupError } from '../../src/errors';

describe('addressFromDeploymentId', () => {
  test.each([
    [8849, 'fdf0:59dc:33cf:9be8:0:2291:0:1'],
    [1, 'fdf0:59dc:33cf:9be8:0:1:0:1'],
    [65535, 'fdf0:59dc:33cf:9be8:0:ffff:0:1'],
    [0x100, 'fdf0:59dc:33cf:9be8:0:100:0:1'],
  ])('%i → %s', (id, address) => {
    expect(addressFromDeploymentId(id)).toBe(address);
    expect(canonicalIPv6(address)).toBe(address);
  });

  test.each([0, -1, 65536, 1.5, Number.NaN])('rejects %p with a clear error', (id) => {
    expect(() => addressFromDeploymentId(id)).toThrow(TunnelSetupError);
    expect(() => addressFromDeploymentId(id)).toThrow(/tunnel\.deploymentId must be an integer from 1 to 65535/);
  });
});

describe('addressFromDeploymentId with a replica index', () => {
  test.each([
    [8849, 0, 'fdf0:59dc:33cf:9be8:0:2291:0:1'],
    [8849, 1, 'fdf0:59dc:33cf:9be8:0:2291:0:2'],
    [8849, 15, 'fdf0:59dc:33cf:9be8:0:2291:0:10'],
    [1, 0xfffe, 'fdf0:59dc:33cf:9be8:0:1:0:ffff'],
  ])('%i replica %i → %s', (id, replica, address) => {
    expect(addressFromDeploymentId(id, replica)).toBe(address);
    expect(canonicalIPv6(address)).toBe(address);
  });

  test.each([-1, 0xffff, 0.5, Number.NaN])('rejects replica %p with a clear error', (replica) => {
    expect(() => addressFromDeploymentId(8849, replica)).toThrow(/tunnel\.replica must be an integer from 0 to 65534/);
  });
});

describe('resolveLocalAddress', () => {
  test.each([
    [{ localAddress: '', deploymentId: 8849 }, 'fdf0:59dc:33cf:9be8:0:2291:0:1'],
    [{ localAddress: 'FDF0:59DC:33CF:9BE8:0:0:0:7', deploymentId: 8849 }, 'fdf0:59dc:33cf:9be8::7'],
  ])('%j → %s', (cfg, address) => {
    expect(resolveLocalAddress(cfg)).toBe(address);
  });

  test.each([
    [{ localAddress: '', deploymentId: null }, /deploymentId or tunnel\.localAddress must be set/],
    [{ localAddress: '10.0.0.1', deploymentId: null }, /must be an IPv6 address/],
    [{ localAddress: 'fd00::1/64', deploymentId: null }, /without prefix length/],
  ])('rejects %j', (cfg, message) => {
    expect(() => resolveLocalAddress(cfg)).toThrow(message);
  });
});
