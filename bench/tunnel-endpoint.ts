/**
 * The `tunnel-direct` target: run in the broker's network namespace, it brings the tunnel up
 * from a broker configuration file exactly as `rego-broker run` does (same `startTunnel`, key,
 * peers, MTU, heartbeat), waits for the first heartbeat, and then serves the bench's sample
 * upstream on the tunnel address instead of starting a broker. What the hub measures through
 * it is the cost of WireGuard (wireguard-go at both ends) without the broker.
 *
 *   ip netns exec <ns> node dist/bench/tunnel-endpoint.js <broker config file>
 *
 * Prints `{"port": N}` once the upstream listens on the tunnel address (logs go to stderr);
 * on SIGTERM or SIGINT it closes the server and removes the interface.
 */
import { join } from 'node:path';
import { readSecret } from '../gateway/src/config/secrets';
import { loadConfig, readProxyPassword } from '../gateway/src/config/load';
import type { TunnelLogger } from '../tunnel/src/index';
import { startTunnel } from '../tunnel/src/index';
import { upstream } from './servers';

const log =
  (level: string) =>
  (obj: object, msg: string): void => {
    process.stderr.write(`${JSON.stringify({ level, msg, ...obj })}\n`);
  };
const logger: TunnelLogger = { info: log('info'), warn: log('warn'), error: log('error') };

async function main(file: string): Promise<void> {
  const env = process.env;
  const { config } = loadConfig({ files: [file], env, defaultBundle: join(__dirname, '..', '..', 'policies', 'build', 'bundle.tar.gz') });
  if (!config.tunnel.enabled) throw new Error(`${file}: tunnel.enabled is not set`);
  const privateKey = readSecret(config.tunnel.privateKey, 'tunnel.privateKey', env);
  const proxyPassword = config.tunnel.proxy === null ? null : readProxyPassword(config.tunnel.proxy, 'tunnel.proxy', env);
  const tunnel = await startTunnel(config.tunnel, {
    privateKey,
    proxyPassword,
    logger,
    onFatal: (err) => {
      logger.error({ error: err.message }, 'tunnel failed');
      process.exit(1);
    },
  });
  let server: ReturnType<typeof upstream> | null = null;
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    server?.closeAllConnections();
    server?.close();
    void tunnel.stop().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  if (!(await tunnel.waitForFirstHeartbeat(10_000))) {
    logger.error({}, 'no heartbeat within 10 s');
    await tunnel.stop();
    process.exit(1);
  }
  if (!stopping) server = upstream(tunnel.address);
}

main(process.argv[2] ?? '').catch((err: unknown) => {
  process.stderr.write(`tunnel-endpoint: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
