/** A real hub for integration tests: configuration from a YAML file, WireGuard off, logs captured. */
import { createHubLogger, loadHubConfig, startHub } from '../../src/index';
import type { Hub } from '../../src/index';
import { tempDir } from './files';
import type { TempDir } from './files';
import { LogCapture } from './logs';

export interface TestHub {
  hub: Hub;
  logs: LogCapture;
  dir: TempDir;
  /** Write `content` as a configuration file and load it (throws what the loader throws). */
  load(content: Record<string, unknown>, name?: string): ReturnType<typeof loadHubConfig>['config'];
  stop(): Promise<void>;
}

/** The listener part of a test configuration: loopback, port 0, WireGuard off. */
export function testSettings(brokerPort: number, extra: { heartbeat?: Record<string, unknown>; front?: Record<string, unknown> } = {}): Record<string, unknown> {
  return {
    wireguard: { enabled: false },
    heartbeat: { host: '127.0.0.1', port: 0, staleAfterSeconds: 30, ...extra.heartbeat },
    front: { host: '127.0.0.1', port: 0, brokerPort, connectTimeoutMs: 1000, responseTimeoutMs: 5000, ...extra.front },
    admin: { host: '127.0.0.1', port: 0 },
    log: { level: 'debug' },
  };
}

export async function startTestHub(content: Record<string, unknown>, env: Record<string, string> = {}): Promise<TestHub> {
  const dir = tempDir();
  const logs = new LogCapture();
  const load = (c: Record<string, unknown>, name = 'hub.yaml'): ReturnType<typeof loadHubConfig>['config'] =>
    loadHubConfig({ files: [dir.write(name, c)], env }).config;
  try {
    const config = load(content);
    const hub = await startHub({ config, env, logger: createHubLogger('debug', logs), tickMs: 50 });
    return {
      hub, logs, dir, load,
      stop: async () => {
        await hub.close();
        dir.cleanup();
      },
    };
  } catch (err) {
    dir.cleanup();
    throw err;
  }
}
