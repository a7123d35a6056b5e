/**
 * Preloaded into Snyk Broker (`node -r`): its server and client call `listen(port)` without a
 * host, which binds every interface. This binds such calls to 127.0.0.1 so the bench stays on
 * loopback.
 */
import net from 'node:net';

const LOOPBACK = '127.0.0.1';
// eslint-disable-next-line @typescript-eslint/unbound-method -- re-applied with its server below
const listen = net.Server.prototype.listen;

net.Server.prototype.listen = function listenOnLoopback(this: net.Server, ...args: unknown[]): net.Server {
  const first = args[0];
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    if (typeof args[1] !== 'string') args.splice(1, 0, LOOPBACK);
  } else if (typeof first === 'object' && first !== null && !('path' in first) && (first as net.ListenOptions).host === undefined) {
    args[0] = { ...(first as net.ListenOptions), host: LOOPBACK };
  } else if (first === undefined || typeof first === 'function') {
    args.unshift(0, LOOPBACK);
  }
  return (listen as (...a: unknown[]) => net.Server).apply(this, args);
} as typeof net.Server.prototype.listen;
