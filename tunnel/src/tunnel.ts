/**
 * The tunnel as the broker sees it: `startTunnel` checks, brings up the interface, starts the
 * heartbeat, and returns a handle for readiness, status, metrics and shutdown.
 */
import type { TunnelConfig } from '../../gateway/src/config/types';
import type { HostResolver } from './endpoint';
import { SYSTEM_RESOLVER, resolveEndpoint } from './endpoint';
import { TunnelErrorCode, TunnelSetupError } from './errors';
import type { CommandRunner } from './exec';
import { SPAWN_RUNNER } from './exec';
import { Heartbeat } from './heartbeat';
import type { HeartbeatFetch } from './http-get';
import type { WireguardInterface } from './interface';
import { bringUp } from './interface';
import type { TunnelLogger } from './logger';
import { tunnelMetrics } from './metrics';
import type { PreflightProbes } from './preflight';
import { preflight } from './preflight';
import type { TunnelStatus } from './status';
import { SESSION_LIFETIME_MS, hasFreshHandshake, readStatus } from './status';
import { createSystemProbes } from './system-probes';
import { buildSetconf, wgReplacePeer } from './wg';

/** MTU used when `tunnel.mtu` is 0: leaves room for WireGuard over IPv6 on links down to 1400. */
export const DEFAULT_MTU = 1320;

/** What `startTunnel` needs besides the configuration. */
export interface TunnelDeps {
  /** The WireGuard private key (base64), already read from its secret reference. */
  privateKey: string;
  /** Where the tunnel logs (pino works). */
  logger: TunnelLogger;
  /** Called once if the tunnel dies on its own (the userspace process exited). */
  onFatal?: (err: Error) => void;
  /** Runs `ip` / `wg` (default: spawn). */
  runner?: CommandRunner;
  /** Preflight probes (default: this host's). */
  probes?: PreflightProbes;
  /** Resolves peer endpoint host names (default: `dns.lookup`). */
  resolve?: HostResolver;
  /** The heartbeat request (default: `httpGet`). */
  fetch?: HeartbeatFetch;
}

/** A running tunnel. */
export interface Tunnel {
  /** The broker's address inside the tunnel: bind the tunnel listener to it. */
  readonly address: string;
  /** The WireGuard interface name. */
  readonly interfaceName: string;
  /** True while the interface is up and the heartbeat (or, without a heartbeat URL, a handshake) is recent. */
  ready(now?: Date): boolean;
  /** Peer status from `wg show`. */
  status(): Promise<TunnelStatus>;
  /** Prometheus text lines for `/metrics`. */
  metrics(): Promise<string>;
  /** Resolves true at the first successful heartbeat, false after `timeoutMs`. */
  waitForFirstHeartbeat(timeoutMs: number): Promise<boolean>;
  /** Stop the heartbeat and remove the interface. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Check the host, bring the tunnel up and start the heartbeat. Throws `TunnelSetupError`
 * (exit code 2 for preflight failures, 1 when bring-up fails; nothing is left behind).
 */
export async function startTunnel(cfg: TunnelConfig, deps: TunnelDeps): Promise<Tunnel> {
  const { logger } = deps;
  const runner = deps.runner ?? SPAWN_RUNNER;
  const resolve = deps.resolve ?? SYSTEM_RESOLVER;
  const pre = await preflight(cfg, deps.privateKey, deps.probes ?? createSystemProbes(runner, resolve));
  const mtu = cfg.mtu === 0 ? DEFAULT_MTU : cfg.mtu;
  const routes = [...new Set(cfg.peers.flatMap((p) => p.allowedIps))];

  let alive = true;
  let heartbeat: Heartbeat | null = null;
  let iface: WireguardInterface;
  try {
    iface = await bringUp({
      name: cfg.interface, wg: cfg.wg, wireguardGo: cfg.wireguardGo, mtu, localAddress: pre.localAddress, routes,
      setconf: buildSetconf(cfg, deps.privateKey, pre.endpoints), privateKey: deps.privateKey, runner,
      tryKernel: !pre.userspace,
      onExit: (err) => {
        alive = false;
        heartbeat?.stop();
        logger.error({ interface: cfg.interface, error: err.message }, 'tunnel interface process exited');
        deps.onFatal?.(err);
      },
    });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new TunnelSetupError(TunnelErrorCode.BRINGUP_FAILED, `tunnel ${cfg.interface} could not be set up: ${why}`, { cause: err });
  }
  logger.info(
    { interface: cfg.interface, mode: iface.mode, address: pre.localAddress, mtu, peers: Object.fromEntries(pre.endpoints) },
    'tunnel interface up',
  );

  const endpoints = new Map(pre.endpoints);
  // Each peer on its own: one unresolvable name must not keep the others from being re-applied.
  const reresolve = async (): Promise<void> => {
    const errors: string[] = [];
    for (const peer of cfg.peers) {
      try {
        const endpoint = await resolveEndpoint(peer.endpoint, resolve);
        if (endpoint !== endpoints.get(peer.publicKey)) {
          logger.warn({ peer: peer.publicKey, from: endpoints.get(peer.publicKey), to: endpoint }, 'tunnel peer endpoint changed');
          endpoints.set(peer.publicKey, endpoint);
        }
        await wgReplacePeer(runner, cfg.wg, cfg.interface, { ...peer, endpoint });
      } catch (err) {
        errors.push(`${peer.endpoint}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (errors.length > 0) throw new Error(errors.join('; '));
  };
  const status = (): Promise<TunnelStatus> => readStatus(runner, cfg.wg, cfg.interface);
  const graceMs = cfg.heartbeat.graceSeconds * 1000;
  const handshakeCheck = async (): Promise<void> => {
    if (!hasFreshHandshake(await status(), new Date(), graceMs)) {
      throw new Error(`no handshake with any peer within ${SESSION_LIFETIME_MS / 1000} s`);
    }
  };
  const hb = new Heartbeat({
    config: cfg.heartbeat, logger, reresolve, fetch: deps.fetch,
    check: cfg.heartbeat.url === '' ? handshakeCheck : undefined,
  });
  heartbeat = hb;
  hb.start();

  let stopping: Promise<void> | null = null;
  return {
    address: pre.localAddress,
    interfaceName: cfg.interface,
    ready: (now = new Date()) => alive && stopping === null && hb.isHealthy(now),
    status,
    metrics: async () => tunnelMetrics(alive ? await status().catch(() => null) : null, hb.state()),
    waitForFirstHeartbeat: (timeoutMs) => hb.waitForSuccess(timeoutMs),
    stop: () => {
      stopping ??= (async () => {
        hb.stop();
        await iface.down();
        logger.info({ interface: cfg.interface }, 'tunnel interface removed');
      })();
      return stopping;
    },
  };
}
