/** The admin listener's handler: /healthz (the process runs), /readyz (it can serve), /metrics. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from './answer';

/** What the admin handler reads. */
export interface AdminDeps {
  /** Null when ready, else why not. */
  notReadyReason: () => string | null;
  /** Prometheus text. */
  metrics: () => string;
}

export function adminHandler(deps: AdminDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    req.resume();
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (path === '/readyz') {
      const why = deps.notReadyReason();
      return why === null ? sendJson(res, 200, { status: 'ready' }) : sendJson(res, 503, { status: 'not ready', reason: why });
    }
    if (path === '/metrics') {
      const text = deps.metrics();
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(text) });
      return void res.end(text);
    }
    sendJson(res, 404, { status: 'not found', paths: ['/healthz', '/readyz', '/metrics'] });
  };
}
