/**
 * Runs inside the hub namespace (compiled to JS, started with `ip netns exec`): the hub's end
 * of the TLS carrier. Arguments: a JSON object `{host, port, keyFile, certFile, targetPort}`.
 * Prints `{"listening":port}` once it accepts connections, then one JSON line per log record.
 */
import { readFileSync } from 'node:fs';
import type { TunnelLogger } from '../../src/index';
import { startCarrierServer } from '../../src/index';

interface Args {
  host: string;
  port: number;
  keyFile: string;
  certFile: string;
  targetPort: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const log = (level: string) => (obj: object, msg: string): void => {
  process.stdout.write(`${JSON.stringify({ level, msg, ...obj })}\n`);
};
const logger: TunnelLogger = { info: log('info'), warn: log('warn'), error: log('error') };

void startCarrierServer({
  host: args.host,
  port: args.port,
  key: readFileSync(args.keyFile, 'utf8'),
  cert: readFileSync(args.certFile, 'utf8'),
  target: { host: '127.0.0.1', port: args.targetPort },
  logger,
}).then((server) => {
  process.stdout.write(`${JSON.stringify({ listening: server.port })}\n`);
  process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
});
