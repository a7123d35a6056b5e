/**
 * The hub's end of the TLS carrier for the bench, run in the hub namespace:
 *
 *   ip netns exec <hub ns> node dist/bench/carrier-hub.js '{"host":…,"port":443,"keyFile":…,"certFile":…,"targetPort":51820}'
 *
 * Prints `{"port": N}` once it listens; SIGTERM closes it.
 */
import { readFileSync } from 'node:fs';
import { startCarrierServer } from '../tunnel/src/index';

interface Args {
  host: string;
  port: number;
  keyFile: string;
  certFile: string;
  targetPort: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
startCarrierServer({
  host: args.host,
  port: args.port,
  key: readFileSync(args.keyFile, 'utf8'),
  cert: readFileSync(args.certFile, 'utf8'),
  target: { host: '127.0.0.1', port: args.targetPort },
}).then(
  (server) => {
    process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
    process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
  },
  (err: unknown) => {
    process.stderr.write(`carrier-hub: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
