/**
 * The tunnel as the broker sees it: `startTunnel` checks, brings up the interface, starts the
 * heartbeat, and returns a handle for readiness, status, metrics and shutdown.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { HubIdentity } from './carrier/connect';
import { normalisePin } from './carrier/connect';
import { parseCarrierUrl } from './carrier/relay';
import type { CarrierConfig, TunnelOptions } from './config';
import type { HostResolver } from './endpoint';
import { SYSTEM_RESOLVER, resolveEndpoint } from './endpoint';
import { TunnelErrorCode, TunnelSetupError } from './errors';
import type { CommandRunner } from './exec';
import { SPAWN_RUNNER } from './exec';
import { Heartbeat } from './heartbeat';
import type { ReplicaState } from './heartbeat';
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
import type { ActiveTransport } from './transport';
import { TransportController, carrierUrlFor } from './transport';
import { buildSetconf, wgReplacePeer } from './wg';

/** MTU used when `tunnel.mtu` is 0: leaves room for WireGuard over IPv6 on links down to 1400. */
export const DEFAULT_MTU = 1320;

/** What `startTunnel` needs besides the configuration. */
export interface TunnelDeps {
  /** The WireGuard private key (base64), already read from its secret reference. */
  privateKey: string;
  /** The password of `proxy.username`, already read from its secret reference; never logged. */
  proxyPassword?: string | null;
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
  /** This process's instance id sent to the hub (default: 16 random bytes in hex). */
  instance?: string;
}

/** What `/readyz` shows about the tunnel. */
export interface TunnelDetails {
  transport: ActiveTransport;
  mode: 'auto' | 'udp' | 'tcp';
  transportChanges: number;
  /** Per peer, while a carrier relay is open. */
  carrier: Array<{ peer: string; connected: boolean; lastError: string | null }>;
}

const DEFAULT_CARRIER: CarrierConfig = Object.freeze({
  pinSha256: [], caFile: '', switchAfterSeconds: 15, probeIntervalSeconds: 60, connectTimeoutSeconds: 10,
});

/** The hub's expected TLS identity, from the pins and CA file; throws TUNNEL_CONFIG_INVALID. */
export function carrierIdentity(carrier: CarrierConfig, readFile: (f: string) => string = (f) => readFileSync(f, 'utf8')): HubIdentity {
  const pins = carrier.pinSha256.map((p, i) => {
    const n = normalisePin(p);
    if (n === null) throw new TunnelSetupError(TunnelErrorCode.CONFIG_INVALID, `tunnel.carrier.pinSha256[${i}] is not a SHA-256 fingerprint (64 hex digits, colons allowed)`);
    return n;
  });
  let ca: string | null = null;
  if (carrier.caFile !== '') {
    try {
      ca = readFile(carrier.caFile);
    } catch (err) {
      throw new TunnelSetupError(TunnelErrorCode.CONFIG_INVALID, `tunnel.carrier.caFile: cannot read ${carrier.caFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  if (pins.length === 0 && ca === null) {
    throw new TunnelSetupError(TunnelErrorCode.CONFIG_INVALID, 'tunnel.carrier: set pinSha256 or caFile; the hub\'s TLS identity is never trusted on first use');
  }
  return { pins, ca };
}

/** A running tunnel. */
export interface Tunnel {
  /** The broker's address inside the tunnel: bind the tunnel listener to it. */
  readonly address: string;
  /** The WireGuard interface name. */
  readonly interfaceName: string;
  /** This replica's index (`tunnel.replica`). */
  readonly replica: number;
  /** Random hex id of this process start, sent to the hub as `x-rego-broker-instance`. */
  readonly instance: string;
  /**
   * True while the interface is up and the heartbeat (or, without a heartbeat URL, a handshake)
   * is recent; false once draining was announced.
   */
  ready(now?: Date): boolean;
  /** Peer status from `wg show`. */
  status(): Promise<TunnelStatus>;
  /** The transport in use now (`udp` or `tcp`, the TLS carrier). */
  transport(): ActiveTransport;
  /** For `/readyz`: transport, configured mode, and the carrier's state when it is open. */
  details(): TunnelDetails;
  /** Prometheus text lines for `/metrics`. */
  metrics(): Promise<string>;
  /** Resolves true at the first successful heartbeat, false after `timeoutMs`. */
  waitForFirstHeartbeat(timeoutMs: number): Promise<boolean>;
  /**
   * Tell the hub this replica is draining: one heartbeat with `x-rego-broker-state: draining`
   * at once, awaited (at most the heartbeat timeout); every later beat says `draining` too.
   * Logs `announced draining to the hub` with the result. Never rejects; sends nothing without
   * a heartbeat URL or once the tunnel is down. Only the first call sends.
   */
  announceDraining(): Promise<void>;
  /** What the heartbeats say: `serving`, or `draining` from `announceDraining` on. */
  replicaState(): ReplicaState;
  /** Stop the heartbeat and remove the interface. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Check the host, bring the tunnel up and start the heartbeat. Throws `TunnelSetupError`
 * (exit code 2 for preflight failures, 1 when bring-up fails; nothing is left behind).
 */
export async function startTunnel(cfg: TunnelOptions, deps: TunnelDeps): Promise<Tunnel> {
  const { logger } = deps;
  const runner = deps.runner ?? SPAWN_RUNNER;
  const resolve = deps.resolve ?? SYSTEM_RESOLVER;
  const pre = await preflight(cfg, deps.privateKey, deps.probes ?? createSystemProbes(runner, resolve));
  const mtu = cfg.mtu === 0 ? DEFAULT_MTU : cfg.mtu;
  const routes = [...new Set(cfg.peers.flatMap((p) => p.allowedIps))];
  const mode = cfg.transport ?? 'udp';
  const carrier = cfg.carrier ?? DEFAULT_CARRIER;
  let identity: HubIdentity = { pins: [], ca: null };
  if (mode !== 'udp') {
    identity = carrierIdentity(carrier);
    cfg.peers.forEach((peer, i) => {
      try {
        parseCarrierUrl(carrierUrlFor(peer));
      } catch (err) {
        throw new TunnelSetupError(TunnelErrorCode.CONFIG_INVALID, `tunnel.peers[${i}].carrierUrl: ${(err as Error).message}`);
      }
    });
  }
  const endpoints = new Map(pre.endpoints);
  let hbRef: Heartbeat | null = null;
  const transport = new TransportController({
    mode, interfaceName: cfg.interface, wg: cfg.wg, peers: cfg.peers, carrier, identity,
    proxy: cfg.proxy ?? null, proxyPassword: deps.proxyPassword ?? null, runner, logger,
    status: () => readStatus(runner, cfg.wg, cfg.interface),
    heartbeat: () => (cfg.heartbeat.url === '' ? null : (hbRef?.state() ?? null)),
    heartbeatIntervalMs: cfg.heartbeat.intervalSeconds * 1000,
    udpEndpoints: endpoints,
  });
  await transport.prepare();
  const wgEndpoints = new Map(cfg.peers.map((p) => [p.publicKey, transport.endpointFor(p.publicKey)]));

  let alive = true;
  let heartbeat: Heartbeat | null = null;
  let iface: WireguardInterface;
  try {
    iface = await bringUp({
      name: cfg.interface, wg: cfg.wg, wireguardGo: cfg.wireguardGo, mtu, localAddress: pre.localAddress, routes,
      setconf: buildSetconf(cfg, deps.privateKey, wgEndpoints), privateKey: deps.privateKey, runner,
      tryKernel: !pre.userspace,
      onExit: (err) => {
        alive = false;
        heartbeat?.stop();
        transport.stop();
        logger.error({ interface: cfg.interface, error: err.message }, 'tunnel interface process exited');
        deps.onFatal?.(err);
      },
    });
  } catch (err) {
    transport.stop();
    const why = err instanceof Error ? err.message : String(err);
    throw new TunnelSetupError(TunnelErrorCode.BRINGUP_FAILED, `tunnel ${cfg.interface} could not be set up: ${why}`, { cause: err });
  }
  logger.info(
    { interface: cfg.interface, mode: iface.mode, address: pre.localAddress, mtu, peers: Object.fromEntries(pre.endpoints), transport: transport.current(), transportMode: mode },
    'tunnel interface up',
  );

  try {
    const port = Number((await runner.run(cfg.wg, ['show', cfg.interface, 'listen-port'])).stdout.trim());
    transport.start(port);
  } catch (err) {
    transport.stop();
    await iface.down();
    throw new TunnelSetupError(TunnelErrorCode.BRINGUP_FAILED, `tunnel ${cfg.interface} could not be set up: ${(err as Error).message}`, { cause: err });
  }
  // Each peer on its own: one unresolvable name must not keep the others from being re-applied.
  const reresolve = async (): Promise<void> => {
    const errors: string[] = [];
    for (const peer of cfg.peers) {
      try {
        const endpoint = await resolveEndpoint(peer.endpoint, resolve);
        if (endpoint !== endpoints.get(peer.publicKey)) {
          logger.warn({ peer: peer.publicKey, from: endpoints.get(peer.publicKey), to: endpoint }, 'tunnel peer endpoint changed');
          endpoints.set(peer.publicKey, endpoint);
          transport.udpEndpointChanged(peer.publicKey);
        }
        await wgReplacePeer(runner, cfg.wg, cfg.interface, { ...peer, endpoint: transport.endpointFor(peer.publicKey) });
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
  const replica = cfg.replica ?? 0;
  const instance = deps.instance ?? randomBytes(16).toString('hex');
  const hb = new Heartbeat({
    config: cfg.heartbeat, logger, reresolve, fetch: deps.fetch,
    identity: { deployment: cfg.deploymentId, replica, instance },
    check: cfg.heartbeat.url === '' ? handshakeCheck : undefined,
  });
  heartbeat = hb;
  hbRef = hb;
  hb.start();
  const details = (): TunnelDetails => ({
    transport: transport.current(),
    mode,
    transportChanges: transport.changesTotal(),
    carrier: [...transport.relayStats()].map(([peer, s]) => ({ peer, connected: s.connected, lastError: s.lastError })),
  });

  let stopping: Promise<void> | null = null;
  let draining: Promise<void> | null = null;
  const announceDraining = async (): Promise<void> => {
    if (cfg.heartbeat.url === '' || !alive || stopping !== null) {
      hb.markDraining();
      return;
    }
    const started = Date.now();
    try {
      const result = await hb.drain();
      const fields = { url: cfg.heartbeat.url, replica, ok: result?.ok ?? false, ms: Date.now() - started };
      if (result?.ok === true) logger.info(fields, 'announced draining to the hub');
      else logger.warn({ ...fields, error: result?.error ?? 'not sent' }, 'announced draining to the hub');
    } catch (err) {
      logger.warn({ url: cfg.heartbeat.url, replica, ok: false, error: err instanceof Error ? err.message : String(err) }, 'announced draining to the hub');
    }
  };
  return {
    address: pre.localAddress,
    interfaceName: cfg.interface,
    replica,
    instance,
    ready: (now = new Date()) => alive && stopping === null && draining === null && hb.isHealthy(now),
    announceDraining: () => (draining ??= announceDraining()),
    replicaState: () => hb.replicaState(),
    status,
    transport: () => transport.current(),
    details,
    metrics: async () => tunnelMetrics(alive ? await status().catch(() => null) : null, hb.state(), {
      current: transport.current(), changesTotal: transport.changesTotal(), relays: transport.relayStats(),
    }),
    waitForFirstHeartbeat: (timeoutMs) => hb.waitForSuccess(timeoutMs),
    stop: () => {
      stopping ??= (async () => {
        hb.stop();
        transport.stop();
        await iface.down();
        logger.info({ interface: cfg.interface }, 'tunnel interface removed');
      })();
      return stopping;
    },
  };
}
