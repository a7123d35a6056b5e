/**
 * `startHub`: the reference SaaS side of the tunnel, from one validated configuration. It
 * brings up WireGuard (when it manages it) and the carrier, then listens for heartbeats, front
 * requests and admin calls; reads handshakes and judges health every tick; reloads by
 * difference; and closes in order, letting requests in flight finish.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import type { CarrierServer, CommandRunner } from '../../tunnel/src/index';
import { SESSION_LIFETIME_MS, SPAWN_RUNNER, startCarrierServer } from '../../tunnel/src/index';
import { adminHandler } from './admin';
import type { Env } from './config';
import { readHubSecret } from './config';
import { HubConfigError } from './errors';
import { PendingRequests, frontHandler } from './front';
import { heartbeatHandler, who } from './heartbeat';
import type { HubLogger } from './logger';
import { HubMetrics } from './metrics';
import { Registry } from './registry';
import type { RegistryRules } from './registry';
import { inConflict } from './duplicates';
import { listenerChanges } from './reload';
import type { HubConfig, ListenAddress } from './types';
import type { HubPeer, HubWireguard } from './wireguard';
import { startHubWireguard } from './wireguard';

/** What `startHub` needs. */
export interface StartHubOptions {
  /** The validated configuration (`loadHubConfig`). */
  config: HubConfig;
  /** The environment, for `wireguard.privateKeyEnv`. */
  env: Env;
  logger: HubLogger;
  /** Runs `ip` and `wg` (default: spawn, no shell). */
  runner?: CommandRunner;
  /** Called once when the hub cannot go on (wireguard-go exited); the caller should close and exit 1. */
  onFatal?: (err: Error) => void;
  /** Clock, ms since the epoch (default `Date.now`). */
  now?: () => number;
  /** How often handshakes are read and health is judged, ms (default 1000). */
  tickMs?: number;
}

/** The address and port a listener is bound to. */
export interface BoundAddress {
  host: string;
  port: number;
}

/** Where the hub listens. */
export interface HubAddresses {
  front: BoundAddress;
  heartbeat: BoundAddress;
  admin: BoundAddress;
  /** Null when the carrier is off. */
  carrier: BoundAddress | null;
}

/** The result of a reload. */
export type ReloadOutcome = { ok: true; added: number; removed: number } | { ok: false; reason: string };

/** One replica as `status()` reports it. */
export interface ReplicaStatus {
  deployment: number;
  replica: number;
  address: string;
  healthy: boolean;
  /** Why it is not healthy, or null. */
  reason: string | null;
  draining: boolean;
  conflict: boolean;
  markedDown: boolean;
  lastHeartbeatMs: number | null;
  lastHandshakeMs: number | null;
}

/** A running hub. */
export interface Hub {
  readonly addresses: HubAddresses;
  /** The configuration in service. */
  config(): HubConfig;
  /** Every replica's state. */
  status(): ReplicaStatus[];
  /** Prometheus text (as /metrics serves it). */
  metrics(): string;
  /** Null when ready, else why not. */
  notReadyReason(): string | null;
  /**
   * Apply a new configuration (or the result of a loader, whose `HubConfigError` is caught):
   * deployments and peers by difference; listener changes are refused (restart needed).
   * A refused or failed reload leaves the old configuration in service.
   */
  reload(next: HubConfig | (() => HubConfig)): Promise<ReloadOutcome>;
  /** Stop listening, let requests in flight finish (bounded), remove the interface. Idempotent. */
  close(): Promise<void>;
}

const peersOf = (c: HubConfig): HubPeer[] => c.deployments.flatMap((d) => d.replicas.map((r) => ({ publicKey: r.publicKey, address: r.address })));

const rulesOf = (c: HubConfig): RegistryRules => ({
  staleAfterMs: c.heartbeat.staleAfterSeconds * 1000,
  duplicateWindowMs: c.heartbeat.duplicateWindowSeconds * 1000,
  requireHandshake: c.wireguard.enabled,
  handshakeMaxAgeMs: SESSION_LIFETIME_MS,
});

function listen(server: http.Server, at: ListenAddress, name: string): Promise<BoundAddress> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new Error(`${name}: cannot listen on ${at.host} port ${at.port} (${err.code ?? err.message})`)));
    server.listen(at.port, at.host, () => {
      const a = server.address() as AddressInfo;
      resolve({ host: a.address, port: a.port });
    });
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

/** Start the hub. Throws `HubConfigError` (exit 2) for what the operator must fix, `Error` otherwise; nothing is left running on failure. */
export async function startHub(o: StartHubOptions): Promise<Hub> {
  const now = o.now ?? Date.now;
  const logger = o.logger;
  let config = o.config;
  const metrics = new HubMetrics();
  const registry = new Registry(config.deployments, rulesOf(config), now);
  const pending = new PendingRequests();
  const agent = new http.Agent({ keepAlive: true });
  const servers: http.Server[] = [];
  let wireguard: HubWireguard | null = null;
  let carrier: CarrierServer | null = null;
  let closing = false;
  let inFlight = 0;
  let drained: (() => void) | null = null;

  /** Read handshakes and judge health (set up below, once WireGuard is up; a no-op until then). */
  let tick = (): Promise<void> => Promise.resolve();

  const sweep = (): void => {
    for (const { replica: r, health } of registry.sweep()) {
      if (health.healthy) {
        logger.info({ ...who(r) }, 'replica healthy');
        continue;
      }
      logger.warn({ ...who(r), reason: health.reason }, 'replica unhealthy');
    }
    // A replica whose heartbeats (or handshakes) stopped is gone, whatever else is known of it
    // (it may have been marked down first): the answers it owes will not come.
    for (const r of registry.all()) {
      const gone = registry.gone(r);
      if (gone === null) continue;
      const n = pending.abort(r, gone === 'heartbeat_stale' ? 'the replica stopped sending heartbeats' : 'the replica\'s tunnel has no recent handshake');
      if (n > 0) logger.warn({ ...who(r), requests: n, reason: gone }, 'requests waiting for a replica that went away answered 502');
    }
  };

  const cleanup = async (): Promise<void> => {
    await Promise.all(servers.map(closeServer));
    for (const s of servers) s.closeAllConnections();
    agent.destroy();
    await carrier?.close();
    await wireguard?.down();
  };

  let addresses: HubAddresses;
  try {
    if (config.wireguard.enabled) {
      const privateKey = readHubSecret(config.wireguard.privateKey, 'wireguard.privateKey', o.env);
      wireguard = await startHubWireguard({
        settings: config.wireguard, privateKey, peers: peersOf(config), runner: o.runner ?? SPAWN_RUNNER, logger,
        onExit: (err) => {
          logger.error({ err: err.message }, 'WireGuard stopped');
          o.onFatal?.(err);
        },
      });
      logger.info({ interface: config.wireguard.interface, mode: wireguard.mode, listenPort: config.wireguard.listenPort, peers: peersOf(config).length }, 'WireGuard up');
    }
    if (config.carrier.enabled) {
      const read = (file: string, key: string): string => {
        try {
          return readFileSync(file, 'utf8');
        } catch (err) {
          throw new HubConfigError(`carrier.${key}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
        }
      };
      const c = config.carrier;
      carrier = await startCarrierServer({
        host: c.host, port: c.port, cert: read(c.certFile, 'certFile'), key: read(c.keyFile, 'keyFile'),
        target: { host: '127.0.0.1', port: config.wireguard.listenPort }, logger,
      });
    }
    const heartbeat = http.createServer(heartbeatHandler({ registry, metrics, logger, changed: sweep, idle: (r) => pending.idle(r), refreshHandshakes: () => tick() }));
    const front = http.createServer((req, res) => {
      inFlight += 1;
      res.once('close', () => {
        inFlight -= 1;
        if (inFlight === 0) drained?.();
      });
      handleFront(req, res);
    });
    const handleFront = frontHandler(
      {
        registry, metrics, logger, pending, agent, changed: sweep,
        settings: () => config.front,
        retryAfterSeconds: () => Math.max(1, Math.ceil(config.heartbeat.staleAfterSeconds)),
      },
      () => closing,
    );
    const admin = http.createServer(adminHandler({ notReadyReason: () => notReadyReason(), metrics: () => metrics.text(registry, now()) }));
    servers.push(heartbeat, front, admin);
    addresses = {
      heartbeat: await listen(heartbeat, config.heartbeat, 'heartbeat'),
      front: await listen(front, config.front, 'front'),
      admin: await listen(admin, config.admin, 'admin'),
      carrier: carrier === null ? null : { host: config.carrier.host, port: carrier.port },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }

  const notReadyReason = (): string | null => (closing ? 'shutting down' : null);

  // One read at a time; a caller that comes during a read waits for that one.
  let ticking: Promise<void> | null = null;
  tick = (): Promise<void> => {
    if (ticking !== null) return ticking;
    const read = (async (): Promise<void> => {
      try {
        if (wireguard !== null) registry.handshakes(await wireguard.handshakes());
      } catch (err) {
        metrics.handshakeReadFailed();
        logger.warn({ err: (err as Error).message }, 'could not read WireGuard handshakes');
      }
      sweep();
    })();
    ticking = read.finally(() => {
      ticking = null;
    });
    return ticking;
  };
  const timer = setInterval(() => void tick(), o.tickMs ?? 1000);
  timer.unref();
  await tick();

  let reloads: Promise<unknown> = Promise.resolve();
  const reloadNow = async (next: HubConfig | (() => HubConfig)): Promise<ReloadOutcome> => {
    const fail = (reason: string): ReloadOutcome => {
      metrics.reload('failed');
      logger.error({ reason }, 'reload refused; the configuration in service stays');
      return { ok: false, reason };
    };
    let candidate: HubConfig;
    try {
      candidate = typeof next === 'function' ? next() : next;
    } catch (err) {
      if (err instanceof HubConfigError) return fail(err.message);
      throw err;
    }
    const changed = listenerChanges(config, candidate);
    if (changed.length > 0) return fail(`${changed.join(', ')} changed: a restart is needed to apply listener or interface settings`);
    if (wireguard !== null) {
      try {
        const d = await wireguard.applyPeers(peersOf(candidate));
        logger.info({ added: d.add.length, removed: d.remove.length, readdressed: d.update.length }, 'WireGuard peers updated');
      } catch (err) {
        return fail(`WireGuard peers could not be updated: ${(err as Error).message}`);
      }
    }
    const diff = registry.apply(candidate.deployments);
    registry.setRules(rulesOf(candidate));
    config = candidate;
    logger.level = candidate.log.level;
    metrics.reload('ok');
    logger.info(
      { deployments: candidate.deployments.length, added: diff.added.map((r) => `${r.deploymentId}/${r.index}`), removed: diff.removed.map((r) => `${r.deploymentId}/${r.index}`) },
      'configuration reloaded',
    );
    sweep();
    return { ok: true, added: diff.added.length, removed: diff.removed.length };
  };

  let closed: Promise<void> | null = null;
  const hub: Hub = {
    addresses,
    config: () => config,
    metrics: () => metrics.text(registry, now()),
    notReadyReason,
    status: () =>
      registry.all().map((r) => {
        const h = registry.health(r);
        return {
          deployment: r.deploymentId, replica: r.index, address: r.address, healthy: h.healthy, reason: h.healthy ? null : h.reason,
          draining: r.draining, conflict: inConflict(r.history, now()), markedDown: r.markedDown,
          lastHeartbeatMs: r.lastHeartbeatMs, lastHandshakeMs: r.lastHandshakeMs,
        };
      }),
    reload(next) {
      const p = reloads.then(() => reloadNow(next));
      reloads = p.catch(() => undefined);
      return p;
    },
    close() {
      closed ??= (async () => {
        closing = true;
        clearInterval(timer);
        const [, frontServer] = servers;
        const stopped = Promise.all(servers.map(closeServer));
        if (inFlight > 0 && frontServer !== undefined) {
          logger.info({ inFlight }, 'waiting for front requests in flight');
          const waited = await new Promise<boolean>((resolve) => {
            const t = setTimeout(() => resolve(false), config.front.drainTimeoutMs);
            drained = () => {
              clearTimeout(t);
              resolve(true);
            };
          });
          if (!waited) logger.warn({ inFlight }, 'front requests still in flight after front.drainTimeoutMs; cut off');
        }
        for (const s of servers) s.closeAllConnections();
        await stopped;
        agent.destroy();
        await carrier?.close();
        await wireguard?.down();
        logger.info('hub stopped');
      })();
      return closed;
    },
  };
  logger.info({ front: addresses.front, heartbeat: addresses.heartbeat, admin: addresses.admin, carrier: addresses.carrier, wireguard: config.wireguard.enabled ? config.wireguard.interface : null }, 'hub started');
  return hub;
}
