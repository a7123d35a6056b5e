/**
 * `rego-broker run -c FILE…`: start telemetry, the tunnel (when enabled) and the broker; on
 * SIGTERM/SIGINT drain in-flight requests, flush spans and the decision log, remove the tunnel
 * and exit 0.
 */
import type { RunningBroker, TunnelView } from '../app';
import { readSecret } from '../config/secrets';
import { createLogger } from '../telemetry/logger';
import type { Logger } from '../telemetry/logger';
import { startTelemetry } from '../telemetry/setup';
import { ADMIN_PATHS } from '../server/admin';
import type { Tunnel } from '../../../tunnel/src/tunnel';
import type { CommandIo } from './args';
import { loadFromFiles, parseCommand } from './args';

async function openTunnel(
  config: ReturnType<typeof loadFromFiles>['config'],
  io: CommandIo,
  logger: Logger,
  onFatal: (err: Error) => void,
): Promise<Tunnel | null> {
  if (!config.tunnel.enabled) return null;
  const { startTunnel } = await import('../../../tunnel/src/tunnel');
  const privateKey = readSecret(config.tunnel.privateKey, 'tunnel.privateKey', io.env);
  const tunnel = await startTunnel(config.tunnel, { privateKey, logger, onFatal });
  if (config.tunnel.heartbeat.requiredAtStart) {
    const ok = await tunnel.waitForFirstHeartbeat((config.tunnel.heartbeat.timeoutSeconds + config.tunnel.heartbeat.intervalSeconds) * 1000);
    if (!ok) {
      await tunnel.stop();
      throw Object.assign(new Error(`tunnel.heartbeat.requiredAtStart: no heartbeat from ${config.tunnel.heartbeat.url}`), { exitCode: 2 });
    }
  }
  return tunnel;
}

function tunnelView(tunnel: Tunnel): TunnelView {
  return {
    notReadyReason: () => (tunnel.ready() ? null : 'tunnel heartbeat not recent'),
    metrics: () => tunnel.metrics(),
  };
}

/** Runs until a signal; resolves with the exit code. */
export async function run(io: CommandIo): Promise<number> {
  const { files } = parseCommand(io.argv);
  const { config, warnings } = loadFromFiles(files, io.env);
  const logger = createLogger(config.telemetry.logLevel);
  for (const w of warnings) logger.warn(w);
  const telemetry = startTelemetry({ config: config.telemetry, logger, ignorePaths: ADMIN_PATHS });
  // Loaded after telemetry so the HTTP instrumentation sees the modules the broker uses.
  const { startBroker } = await import('../app');

  let fatal: ((err: Error) => void) | null = null;
  const tunnel = await openTunnel(config, io, logger, (err) => fatal?.(err)).catch(async (err: unknown) => {
    await telemetry.shutdown();
    throw err;
  });
  let broker: RunningBroker;
  try {
    broker = await startBroker({
      config,
      env: io.env,
      logger,
      listenHost: tunnel?.address,
      tunnel: tunnel ? tunnelView(tunnel) : null,
    });
  } catch (err) {
    await tunnel?.stop();
    await telemetry.shutdown();
    throw err;
  }

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (why: string, code: number): void => {
      if (stopping) return;
      stopping = true;
      logger.info({ why }, 'shutting down');
      void (async () => {
        await broker.close();
        await tunnel?.stop();
        await telemetry.shutdown();
        logger.info('stopped');
        logger.flush();
        resolve(code);
      })();
    };
    fatal = (err) => {
      logger.error({ err: err.message }, 'tunnel failed');
      stop('tunnel failed', 1);
    };
    process.once('SIGTERM', () => stop('SIGTERM', 0));
    process.once('SIGINT', () => stop('SIGINT', 0));
  });
}
