/** The heartbeat's default request: one GET, fresh connection, overall deadline. */
import http from 'node:http';
import https from 'node:https';

/** GET `url`; resolves on a 2xx answer, rejects on anything else or after `timeoutMs`. */
export type HeartbeatFetch = (url: string, timeoutMs: number) => Promise<void>;

/** `HeartbeatFetch` with node:http / node:https. No connection reuse: each beat dials anew. */
export const httpGet: HeartbeatFetch = (url, timeoutMs) =>
  new Promise((resolve, reject) => {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : u.protocol === 'http:' ? http : null;
    if (mod === null) {
      reject(new Error(`heartbeat URL must be http or https, got ${u.protocol}`));
      return;
    }
    const req = mod.get(u, { agent: false, headers: { 'user-agent': 'rego-broker-heartbeat' } }, (res) => {
      res.resume();
      res.once('end', () => {
        clearTimeout(timer);
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve();
        else reject(new Error(`heartbeat answered HTTP ${status}`));
      });
      res.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    // A beat in flight must not keep a stopping broker alive until its timeout.
    req.once('socket', (socket) => socket.unref());
    const timer = setTimeout(() => req.destroy(new Error(`heartbeat timed out after ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
    req.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
