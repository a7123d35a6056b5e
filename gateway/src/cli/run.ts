/**
 * `rego-broker run -c FILE…`: start telemetry, the tunnel (when enabled) and the broker; on
 * SIGTERM/SIGINT tell the hub this replica is draining (one heartbeat, awaited), then drain
 * in-flight requests, flush spans and the decision log, remove the tunnel and exit 0. If the
 * tunnel dies on its own, the same cleanup runs (without the announcement) and the exit code is 1.
 *
 * The signal handlers are installed before anything is set up: a signal that arrives while
 * the tunnel is starting (or waiting for its first heartbeat) must still remove the interface,
 * not kill the process and leave `wireguard-go` running.
 */
import type { RunningBroker, TunnelView } from '../app';
import { replicaIdentity } from '../config/replica';
import type { BrokerConfig } from '../config/types';
import { readSecret } from '../config/secrets';
import { createLogger } from '../telemetry/logger';
import type { Logger } from '../telemetry/logger';
import { startTelemetry } from '../telemetry/setup';
import type { Tunnel, TunnelOptions } from '../../../tunnel/src/index';
import { readProxyPassword } from '../config/load';
import type { CommandIo } from './args';
import { loadFromFiles, parseCommand } from './args';

/** Why the run ends, and with which exit code. */
interface Outcome {
  why: string;
  code: number;
}

function tunnelView(tunnel: Tunnel): TunnelView {
  return {
    notReadyReason: () => (tunnel.replicaState() === 'draining' ? 'draining: shutting down' : tunnel.ready() ? null : 'tunnel heartbeat not recent'),
    metrics: () => tunnel.metrics(),
    details: () => {
      const d = tunnel.details();
      return { tunnelTransport: d.transport, tunnelTransportMode: d.mode };
    },
  };
}

/** Runs until a signal or a tunnel failure; resolves with the exit code. */
export async function run(io: CommandIo): Promise<number> {
  const { files } = parseCommand(io.argv);
  const { config, warnings } = loadFromFiles(files, io.env);
  const logger = createLogger(config.telemetry.logLevel);
  for (const w of warnings) logger.warn(w);

  // The first of: a signal (exit 0), the tunnel dying (exit 1). Later ones are ignored, so a
  // second SIGTERM during the drain does not cut the cleanup short.
  const state: { outcome: Outcome | null } = { outcome: null };
  let wake = (): void => undefined;
  const ended = new Promise<void>((resolve) => (wake = resolve));
  const end = (o: Outcome): void => {
    if (state.outcome !== null) return;
    state.outcome = o;
    wake();
  };
  const onSignal = (signal: NodeJS.Signals): void => end({ why: signal, code: 0 });
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // SIGHUP reloads the policy and never ends the process (Node's default for it is to exit),
  // also while the broker is still starting: the reload then has nothing to replace yet.
  let broker: RunningBroker | null = null;
  const onHangup = (): void => {
    if (broker === null) return void logger.warn('SIGHUP before the broker started; the bundle being loaded stays');
    void broker.reload('SIGHUP');
  };
  process.on('SIGHUP', onHangup);

  // SIGUSR1 reopens the decision log file (logrotate's postrotate); renames are also detected.
  const onReopen = (): void => {
    logger.info('SIGUSR1: reopening the decision log');
    broker?.decisionLog.reopen();
  };
  process.on('SIGUSR1', onReopen);

  const flushMs = config.shutdown.flushSeconds * 1000;
  const telemetry = await startTelemetry({ config: config.telemetry, logger, exportTimeoutMs: flushMs, replica: replicaIdentity(config.tunnel) });
  let spansLost = 0;
  let tunnel: Tunnel | null = null;
  const cleanup = async (draining: boolean): Promise<void> => {
    await stopServing({ broker, tunnel }, draining);
    spansLost = (await telemetry.shutdown(flushMs)).spansLost;
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    process.off('SIGUSR1', onReopen);
    process.off('SIGHUP', onHangup);
  };

  try {
    const { startBroker } = await import('../app');
    tunnel = await openTunnel(config, io, logger, (err) => {
      logger.error({ err: err.message }, 'tunnel failed');
      end({ why: 'tunnel failed', code: 1 });
    });
    if (tunnel !== null && state.outcome === null && config.tunnel.heartbeat.requiredAtStart) {
      const { timeoutSeconds, intervalSeconds, url } = config.tunnel.heartbeat;
      const ok = await Promise.race([tunnel.waitForFirstHeartbeat((timeoutSeconds + intervalSeconds) * 1000), ended.then(() => true)]);
      if (!ok) throw Object.assign(new Error(`tunnel.heartbeat.requiredAtStart: no heartbeat from ${url}`), { exitCode: 2 });
    }
    if (state.outcome === null) {
      broker = await startBroker({
        config,
        env: io.env,
        logger,
        listenHost: tunnel?.address,
        tunnel: tunnel ? tunnelView(tunnel) : null,
        droppedSpans: () => telemetry.droppedSpans(),
      });
    }
  } catch (err) {
    await cleanup(false);
    logger.flush();
    throw err;
  }

  await ended;
  const { why, code } = state.outcome ?? { why: 'unknown', code: 1 };
  logger.info({ why }, 'shutting down');
  // A signal is a planned stop: the hub is told first. A dead tunnel cannot carry the news.
  await cleanup(code === 0);
  const { recordsUnwritten, recordsLost } = broker?.unrecorded() ?? { recordsUnwritten: 0, recordsLost: 0 };
  const lost = recordsUnwritten + recordsLost;
  // The last line says what could not be kept; losing decision records is a failed run.
  (lost > 0 ? logger.error.bind(logger) : logger.info.bind(logger))({ recordsUnwritten, recordsLost, spansLost }, 'stopped');
  logger.flush();
  const exitCode = lost > 0 && code === 0 ? 1 : code;
  // Shutdown is bounded: a write stuck in the kernel (a pipe nobody reads) or a socket to a dead
  // collector must not keep the process alive. Unref'd, so a clean exit is not delayed.
  setTimeout(() => process.exit(exitCode), EXIT_GRACE_MS).unref();
  return exitCode;
}

/** What `stopServing` stops. */
export interface Serving {
  broker: Pick<RunningBroker, 'close'> | null;
  tunnel: Pick<Tunnel, 'announceDraining' | 'stop'> | null;
}

/**
 * Stop serving in the order that loses no request behind a hub: with `draining`, first one
 * heartbeat saying `draining` (awaited, at most the heartbeat timeout; the hub stops routing
 * new requests here before it answers), then the broker stops accepting and drains what is in
 * flight (later heartbeats say `draining` too), then the tunnel is removed.
 */
export async function stopServing(parts: Serving, draining: boolean): Promise<void> {
  if (draining && parts.broker !== null) await parts.tunnel?.announceDraining();
  await parts.broker?.close();
  await parts.tunnel?.stop();
}

/** How long the process may linger after `stopped` before it is ended regardless. */
const EXIT_GRACE_MS = 1000;

async function openTunnel(
  config: BrokerConfig,
  io: CommandIo,
  logger: Logger,
  onFatal: (err: Error) => void,
): Promise<Tunnel | null> {
  if (!config.tunnel.enabled) return null;
  const { startTunnel } = await import('../../../tunnel/src/index');
  const privateKey = readSecret(config.tunnel.privateKey, 'tunnel.privateKey', io.env);
  const proxyPassword = config.tunnel.proxy === null ? null : readProxyPassword(config.tunnel.proxy, 'tunnel.proxy', io.env);
  return startTunnel(tunnelOptions(config.tunnel), { privateKey, proxyPassword, logger, onFatal });
}

/** The broker's tunnel section as the tunnel package's options (secret references stay behind). */
function tunnelOptions(t: BrokerConfig['tunnel']): TunnelOptions {
  return {
    interface: t.interface, localAddress: t.localAddress, deploymentId: t.deploymentId, replica: t.replica, mtu: t.mtu,
    peers: t.peers.map((p) => ({ ...p, allowedIps: [...p.allowedIps] })),
    heartbeat: {
      url: t.heartbeat.url, intervalSeconds: t.heartbeat.intervalSeconds, timeoutSeconds: t.heartbeat.timeoutSeconds,
      graceSeconds: t.heartbeat.graceSeconds, failuresBeforeReresolve: t.heartbeat.failuresBeforeReresolve,
    },
    wireguardGo: t.wireguardGo, wg: t.wg,
    transport: t.transport,
    carrier: { ...t.carrier, pinSha256: [...t.carrier.pinSha256] },
    proxy: t.proxy === null ? null : { url: t.proxy.url, username: t.proxy.username, noProxy: [...t.proxy.noProxy] },
  };
}
