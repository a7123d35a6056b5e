/**
 * Runs inside the broker namespace (compiled to JS, started with `ip netns exec`): what the
 * broker's `run` command does with the tunnel, driven by JSON lines on stdin, answering on
 * stdout. The first line is `{"cmd":"start","config":TunnelConfig,"privateKey":…,"httpPort":n}`
 * (the key comes on stdin, never argv); after that `ready`, `status`, `metrics`,
 * `waitForFirstHeartbeat`, `stop`, each with an `id` echoed in the answer.
 */
import http from 'node:http';
import { createInterface } from 'node:readline';
import type { TunnelOptions as TunnelConfig } from '../../src/config';
import type { Tunnel, TunnelLogger } from '../../src/index';
import { TunnelSetupError, startTunnel } from '../../src/index';

interface Command {
  id?: number;
  cmd: string;
  config?: TunnelConfig;
  privateKey?: string;
  proxyPassword?: string | null;
  httpPort?: number;
  timeoutMs?: number;
}

const send = (obj: object): void => {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
};
const log = (level: string) => (obj: object, msg: string): void => send({ event: 'log', level, msg, obj, t: Date.now() });
const logger: TunnelLogger = { info: log('info'), warn: log('warn'), error: log('error') };

let tunnel: Tunnel | null = null;
let server: http.Server | null = null;

async function handle(c: Command): Promise<unknown> {
  switch (c.cmd) {
    case 'start': {
      const t = await startTunnel(c.config as TunnelConfig, {
        privateKey: c.privateKey ?? '', proxyPassword: c.proxyPassword ?? null, logger, onFatal: (e) => send({ event: 'fatal', message: e.message }),
      });
      tunnel = t;
      server = http.createServer((req, res) => res.end(`broker ${req.method ?? ''} ${req.url ?? ''}`));
      await new Promise<void>((resolve) => server?.listen(c.httpPort ?? 8081, t.address, resolve));
      return { address: t.address, interfaceName: t.interfaceName };
    }
    case 'ready':
      return tunnel?.ready() ?? false;
    case 'status':
      return tunnel?.status();
    case 'details':
      return tunnel?.details();
    case 'metrics':
      return tunnel?.metrics();
    case 'waitForFirstHeartbeat':
      return tunnel?.waitForFirstHeartbeat(c.timeoutMs ?? 5000);
    case 'stop':
      await tunnel?.stop();
      await tunnel?.stop(); // idempotent
      server?.close();
      return true;
    default:
      throw new Error(`unknown command ${c.cmd}`);
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const c = JSON.parse(line) as Command;
  handle(c).then(
    (result) => send({ id: c.id, result }),
    (err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      send({ id: c.id, error: { name: e.name, message: e.message, code: e instanceof TunnelSetupError ? e.code : null, exitCode: e instanceof TunnelSetupError ? e.exitCode : null } });
    },
  );
});
