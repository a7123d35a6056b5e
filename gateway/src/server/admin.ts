/** The admin listener: `/healthz` (process up), `/readyz` (policy loaded, tunnel healthy), `/metrics`. */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface AdminOptions {
  /** Why the broker is not ready, or null when it is. */
  notReadyReason: () => string | null;
  /** Facts added to a ready /readyz answer (the policy revision in service). */
  details?: () => Record<string, string>;
  metrics: () => Promise<string>;
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

/** Build the admin request handler. */
export function adminHandler(options: AdminOptions): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = (req.url ?? '').split('?', 1)[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed\n');
    switch (path) {
      case '/healthz':
        return send(res, 200, 'application/json', '{"status":"ok"}\n');
      case '/readyz': {
        const why = options.notReadyReason();
        const details = options.details?.();
        return why === null
          ? send(res, 200, 'application/json', `${JSON.stringify({ status: 'ready', ...(details ? { details } : {}) })}\n`)
          : send(res, 503, 'application/json', `${JSON.stringify({ status: 'not ready', reason: why })}\n`);
      }
      case '/metrics':
        options.metrics().then(
          (text) => send(res, 200, 'text/plain; version=0.0.4', text),
          () => send(res, 500, 'text/plain', 'metrics unavailable\n'),
        );
        return;
      default:
        return send(res, 404, 'text/plain', 'not found\n');
    }
  };
}
