/**
 * A program for `node -e` inside a namespace: GETs each URL read from stdin and prints the answer
 * as a JSON line (`{status, body}` or `{error}`), after a first `{}` line once it is ready. The
 * e2e tests use it to read a broker's admin listener (/readyz, /metrics) from its namespace.
 */
export const PROBE_SCRIPT = `
const http = require('node:http');
require('node:readline').createInterface({ input: process.stdin }).on('line', (url) => {
  const req = http.get(url, { agent: false }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (d) => (body += d));
    res.on('end', () => console.log(JSON.stringify({ status: res.statusCode, body })));
  });
  req.setTimeout(2000, () => req.destroy(new Error('timeout')));
  req.on('error', (e) => console.log(JSON.stringify({ error: e.code ?? e.message })));
});
console.log('{}');
`;
