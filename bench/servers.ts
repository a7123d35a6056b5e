/**
 * The bench's helper servers, each started in a child process of its own so that it does not
 * share an event loop with the load generator or with the system under test:
 *
 *   node dist/bench/servers.js upstream     the sample upstream (a GitHub Enterprise stand-in)
 *   node dist/bench/servers.js bare-proxy   http-proxy-3 alone, no policy (the proxy baseline)
 *   node dist/bench/servers.js sink         an OTLP/HTTP receiver that counts and discards
 *
 * Each binds 127.0.0.1 on a free port and prints one JSON line `{"port": N}` on stdout.
 * (tunnel-endpoint.ts serves the same upstream on a tunnel address.)
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createProxyServer } from 'http-proxy-3';

/** Size of the large response. */
export const LARGE_BYTES = 10 * 1024 * 1024;
/** Repository name whose file contents answer with the large response. */
export const LARGE_REPO = 'large';

/** A 2 KB JSON document shaped like GitHub's "get repository content" answer. */
export function smallBody(): Buffer {
  const doc = {
    type: 'file',
    encoding: 'base64',
    size: 1024,
    name: 'package.json',
    path: 'package.json',
    sha: '3d21ec53a331a6f037a91c368710b99387d012c1',
    url: 'https://ghe.example.com/api/v3/repos/acme/app/contents/package.json?ref=main',
    html_url: 'https://ghe.example.com/acme/app/blob/main/package.json',
    git_url: 'https://ghe.example.com/api/v3/repos/acme/app/git/blobs/3d21ec53a331a6f037a91c368710b99387d012c1',
    download_url: 'https://ghe.example.com/raw/acme/app/main/package.json',
    content: '',
  };
  const base = Buffer.byteLength(JSON.stringify(doc));
  doc.content = 'eyJuYW1lIjoiYXBwIn0K'.repeat(Math.ceil((2048 - base) / 20)).slice(0, 2048 - base);
  return Buffer.from(JSON.stringify(doc));
}

function listen(server: http.Server, host = '127.0.0.1', port = 0): void {
  server.keepAliveTimeout = 30_000;
  server.listen(port, host, () => {
    process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
  });
}

/** The sample upstream on `host`; prints its port as a JSON line once it listens. */
export function upstream(host = '127.0.0.1', port = 0): http.Server {
  const small = smallBody();
  // One shared buffer, written in 64 KiB slices so the upstream itself stays small.
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  const server = http.createServer((req, res) => {
    req.resume();
    if ((req.url ?? '').includes(`/repos/acme/${LARGE_REPO}/`)) {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': LARGE_BYTES });
      let sent = 0;
      const pump = (): void => {
        while (sent < LARGE_BYTES) {
          sent += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': small.length });
    res.end(small);
  });
  listen(server, host, port);
  return server;
}

/**
 * The proxy baseline: what forwarding costs with no normalization, no policy, no logging and
 * no tracing, with the broker's own http-proxy-3 options and a keep-alive agent like its.
 */
function bareProxy(): void {
  const proxy = createProxyServer({});
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64, timeout: 60_000 });
  const prefix = '/proxy/';
  const server = http.createServer((req, res) => {
    const url = req.url ?? '';
    if (!url.startsWith(prefix)) {
      res.writeHead(400).end();
      return;
    }
    proxy.web(req, res, { target: url.slice(prefix.length), ignorePath: true, changeOrigin: true, secure: true, xfwd: false, agent }, () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
  });
  listen(server);
}

/** Accepts OTLP/HTTP exports (any path), answers 200 with an empty protobuf message, keeps nothing. */
function sink(port = 0): void {
  let requests = 0;
  let bytes = 0;
  const server = http.createServer((req, res) => {
    if (req.url === '/stats') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ requests, bytes }));
      return;
    }
    requests += 1;
    req.on('data', (c: Buffer) => {
      bytes += c.length;
    });
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 }).end();
    });
  });
  listen(server, '127.0.0.1', port);
}

if (require.main === module) {
  // A fixed port is for a namespace of the bench's own, where the same address must serve twice.
  const [mode, port] = [process.argv[2], Number(process.argv[3] ?? '0')];
  if (mode === 'upstream') upstream('127.0.0.1', port);
  else if (mode === 'bare-proxy') bareProxy();
  else if (mode === 'sink') sink(port);
  else {
    process.stderr.write('usage: servers.js upstream|bare-proxy|sink [port]\n');
    process.exitCode = 2;
  }
}
