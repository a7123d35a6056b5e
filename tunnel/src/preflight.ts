/**
 * Why this exists: a tunnel that half comes up fails later in ways that are hard to read
 * (a silent MTU or routing problem, a dead UAPI socket). Every condition we can check before
 * touching the host is checked here first, and each failure is one line that says what to fix.
 */
import type { TunnelOptions } from './config';
import { canonicalIPv6, resolveLocalAddress } from './address';
import type { HostResolver } from './endpoint';
import { resolveEndpoint } from './endpoint';
import { TunnelErrorCode, TunnelSetupError } from './errors';
import { isValidKey } from './keys';

/** What preflight asks of the host; `createSystemProbes` has the real ones, tests inject fakes. */
export interface PreflightProbes {
  /** Effective user id. */
  effectiveUid(): number;
  /** The `CapEff:` hex mask of this process, or null when unknown. */
  effectiveCapabilities(): Promise<string | null>;
  /** True when the host's kernel has the WireGuard module loaded. */
  kernelWireguard(): Promise<boolean>;
  /** True when the file exists (used for `/dev/net/tun`). */
  fileExists(path: string): Promise<boolean>;
  /** True when the tool starts (`<tool> --version`). */
  toolRuns(tool: string): Promise<boolean>;
  /** True when a network interface of that name exists, or its WireGuard UAPI socket is live. */
  interfaceExists(name: string): Promise<boolean>;
  /** IPv6 addresses on this host, as written by `ip -6 addr`. */
  ipv6Addresses(): Promise<string[]>;
  /** Resolve a host name. */
  resolve: HostResolver;
}

/** What preflight found out, for the bring-up that follows. */
export interface PreflightResult {
  /** The broker's tunnel address. */
  localAddress: string;
  /** True when `wireguard-go` will be used (no kernel module). */
  userspace: boolean;
  /** Peer public key → resolved `ip:port`. */
  endpoints: Map<string, string>;
}

/** CAP_NET_ADMIN, capabilities(7). */
const CAP_NET_ADMIN = 12n;
const IFNAME = /^[A-Za-z0-9_.=+-]{1,15}$/;

function fail(code: TunnelErrorCode, message: string): never {
  throw new TunnelSetupError(code, message);
}

async function checkPrivileges(p: PreflightProbes): Promise<void> {
  if (p.effectiveUid() === 0) return;
  const caps = await p.effectiveCapabilities();
  if (caps !== null && /^[0-9a-fA-F]+$/.test(caps) && ((BigInt(`0x${caps}`) >> CAP_NET_ADMIN) & 1n) === 1n) return;
  fail(TunnelErrorCode.NOT_PRIVILEGED, 'the tunnel needs root or CAP_NET_ADMIN to create a network interface (run as root, or grant CAP_NET_ADMIN)');
}

async function checkTool(p: PreflightProbes, tool: string, key: string): Promise<void> {
  if (!(await p.toolRuns(tool))) {
    fail(TunnelErrorCode.TOOL_MISSING, `${tool} not found or not executable (install it, or set ${key} to its path)`);
  }
}

/**
 * Check everything that can be checked before the tunnel is set up, in order: configuration
 * shape, privileges, tools, /dev/net/tun, private key, interface name, local address, peer
 * endpoints. Throws `TunnelSetupError` (exit code 2) at the first failure.
 */
export async function preflight(cfg: TunnelOptions, privateKey: string, probes: PreflightProbes): Promise<PreflightResult> {
  if (!IFNAME.test(cfg.interface)) {
    fail(TunnelErrorCode.CONFIG_INVALID, `tunnel.interface "${cfg.interface}" is not a valid interface name (1-15 letters, digits, _.=+-)`);
  }
  if (cfg.peers.length === 0) fail(TunnelErrorCode.CONFIG_INVALID, 'tunnel.peers is empty: the tunnel needs at least one peer');
  if (cfg.mtu !== 0 && (!Number.isInteger(cfg.mtu) || cfg.mtu < 1280 || cfg.mtu > 9000)) {
    fail(TunnelErrorCode.CONFIG_INVALID, `tunnel.mtu must be 0 (default) or from 1280 (the IPv6 minimum) to 9000, got ${cfg.mtu}`);
  }
  cfg.peers.forEach((peer, i) => {
    if (!isValidKey(peer.publicKey)) fail(TunnelErrorCode.CONFIG_INVALID, `tunnel.peers[${i}].publicKey is not a WireGuard key (base64 of 32 bytes)`);
    if (peer.allowedIps.length === 0) fail(TunnelErrorCode.CONFIG_INVALID, `tunnel.peers[${i}].allowedIps is empty`);
  });
  const localAddress = resolveLocalAddress(cfg);

  await checkPrivileges(probes);
  await checkTool(probes, cfg.wg, 'tunnel.wg');
  const userspace = !(await probes.kernelWireguard());
  if (userspace) {
    await checkTool(probes, cfg.wireguardGo, 'tunnel.wireguardGo');
    if (!(await probes.fileExists('/dev/net/tun'))) {
      fail(TunnelErrorCode.TUN_MISSING, '/dev/net/tun is missing: the userspace WireGuard needs it (in a container, add the device /dev/net/tun)');
    }
  }
  if (!isValidKey(privateKey)) {
    fail(TunnelErrorCode.PRIVATE_KEY_INVALID, 'the tunnel private key is not a WireGuard key (base64 of 32 bytes; make one with `rego-broker genkey`)');
  }
  if (await probes.interfaceExists(cfg.interface)) {
    fail(TunnelErrorCode.INTERFACE_EXISTS, `interface ${cfg.interface} already exists (another broker running? set tunnel.interface to another name)`);
  }
  const inUse = (await probes.ipv6Addresses()).some((a) => canonicalIPv6(a) === localAddress);
  if (inUse) {
    fail(TunnelErrorCode.ADDRESS_IN_USE, `tunnel address ${localAddress} is already in use on this host (another broker with the same deployment id?)`);
  }
  const endpoints = new Map<string, string>();
  for (const [i, peer] of cfg.peers.entries()) {
    try {
      endpoints.set(peer.publicKey, await resolveEndpoint(peer.endpoint, probes.resolve));
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      fail(TunnelErrorCode.ENDPOINT_UNRESOLVABLE, `tunnel.peers[${i}].endpoint "${peer.endpoint}" cannot be resolved: ${why}`);
    }
  }
  return { localAddress, userspace, endpoints };
}
