/**
 * `rego-broker hub -c FILE…`: the reference SaaS side of the tunnel (hub/). Logs one JSON line
 * `hub started` with the bound addresses once it serves; SIGHUP reloads the configuration files
 * (an invalid one is refused and the old one stays); SIGTERM/SIGINT close the listeners, let
 * front requests in flight finish and remove the interface (exit 0). If wireguard-go dies, the
 * same cleanup runs and the exit code is 1.
 *
 * The signal handlers are installed before anything is set up, so a signal during start-up
 * still removes the interface instead of leaving wireguard-go behind.
 */
import { createHubLogger, dumpHubConfig, loadHubConfig, startHub } from '../../../hub/src/index';
import type { Hub } from '../../../hub/src/index';
import type { CommandIo } from './args';
import { parseCommand } from './args';

/** Runs until a signal or a fatal WireGuard failure; resolves with the exit code. */
export async function hub(io: CommandIo): Promise<number> {
  const { files, values } = parseCommand(io.argv, { dump: { type: 'boolean' } });
  const { config, warnings } = loadHubConfig({ files, env: io.env });
  if (values.dump === true) {
    io.stdout.write(`${JSON.stringify(dumpHubConfig(config), null, 2)}\n`);
    return 0;
  }
  const logger = createHubLogger(config.log.level, io.stderr);
  for (const w of warnings) logger.warn(w);

  const state: { code: number | null; why: string } = { code: null, why: '' };
  let wake = (): void => undefined;
  const ended = new Promise<void>((resolve) => (wake = resolve));
  const end = (code: number, why: string): void => {
    if (state.code !== null) return;
    state.code = code;
    state.why = why;
    wake();
  };
  let running: Hub | null = null;
  const onSignal = (signal: NodeJS.Signals): void => end(0, signal);
  const onHangup = (): void => {
    if (running === null) return void logger.warn('SIGHUP before the hub started; ignored');
    void running.reload(() => {
      const next = loadHubConfig({ files, env: io.env });
      for (const w of next.warnings) logger.warn(w);
      return next.config;
    });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('SIGHUP', onHangup);
  const detach = (): void => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    process.off('SIGHUP', onHangup);
  };

  try {
    running = await startHub({ config, env: io.env, logger, onFatal: () => end(1, 'WireGuard stopped') });
  } catch (err) {
    detach();
    throw err;
  }
  await ended;
  logger.info({ why: state.why }, 'shutting down');
  await running.close();
  detach();
  return state.code ?? 1;
}
