/**
 * A stand-in upstream for the lab (demo and end-to-end tests): a Node program, run inside a
 * namespace with `node -e`, that answers every request with the JSON object `body` plus the
 * request's `url`, and prints one JSON line per request it received (`{method, url,
 * authorization}`), after a first `{listening: port}` line. It listens on 127.0.0.1 at `port` (any
 * free port when 0; a fixed one is fine inside a namespace of the lab's own).
 */
export function recordingUpstreamScript(body: Record<string, string>, port = 0): string {
  return `
const http = require('node:http');
const body = ${JSON.stringify(body)};
const s = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    console.log(JSON.stringify({ method: req.method, url: req.url, authorization: req.headers.authorization ?? null }));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ...body, url: req.url }));
  });
});
s.listen(${port}, '127.0.0.1', () => console.log(JSON.stringify({ listening: s.address().port })));
`;
}
