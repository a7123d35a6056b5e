/** HTTP calls tests make to the hub: heartbeats from a chosen source address, front requests. */
import http from 'node:http';
import type { BoundAddress } from '../../src/index';

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function call(options: http.RequestOptions, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ ...options, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(5000, () => req.destroy(new Error('test request timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

/** A heartbeat as a broker sends it, from `source`. */
export function beat(at: BoundAddress, source: string, headers: Record<string, string> = {}, path = '/heartbeat'): Promise<Answer> {
  return call({ host: at.host, port: at.port, path, method: 'GET', localAddress: source, headers });
}

/** A request to the front. */
export function front(at: BoundAddress, path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return call({ host: at.host, port: at.port, path, method: init.method ?? 'GET', headers: init.headers ?? {} }, init.body);
}

/** GET on the admin listener. */
export function admin(at: BoundAddress, path: string): Promise<Answer> {
  return call({ host: at.host, port: at.port, path, method: 'GET' });
}
