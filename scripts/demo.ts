/**
 * The demo: a sample upstream (a stand-in for GitHub Enterprise) on loopback, the real broker
 * (`rego-broker run`) in front of it, and a few allowed and denied requests, each printed with
 * its status, decision id, rule and reasons as the decision log recorded them.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'gateway', 'src', 'cli', 'main.js');
const TOKEN = 'demo-token-do-not-print';

interface Sent {
  method: string;
  url: string;
  body?: unknown;
  note: string;
}

function startUpstream(): Promise<{ server: http.Server; port: number; seen: string[] }> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    const auth = req.headers.authorization === `Bearer ${TOKEN}` ? 'the configured token' : 'NO TOKEN';
    seen.push(`${req.method ?? ''} ${req.url ?? ''} (authorization: ${auth})`);
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ name: 'package.json', content: 'eyJuYW1lIjoiYXBwIn0=' }));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port, seen })));
}

function request(port: number, s: Sent): Promise<{ status: number; id: string; body: string }> {
  const body = s.body === undefined ? undefined : JSON.stringify(s.body);
  return new Promise((resolve, reject) => {
    // The target is written as is: a client that resolved `%2e%2e` itself would hide the point.
    const req = http.request(
      { host: '127.0.0.1', port, method: s.method, path: `/proxy/${s.url}`, headers: { authorization: 'Bearer caller-token', ...(body ? { 'content-type': 'application/json' } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, id: String(res.headers['x-broker-decision-id'] ?? ''), body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function main(): Promise<void> {
  const upstream = await startUpstream();
  const dir = mkdtempSync(join(tmpdir(), 'rego-broker-demo-'));
  const decisionLog = join(dir, 'decisions.jsonl');
  const ghe = `http://127.0.0.1:${upstream.port}`;
  const config = join(dir, 'broker.yaml');
  writeFileSync(
    config,
    [
      'listen: {host: 127.0.0.1, port: 0}',
      'admin: {host: 127.0.0.1, port: 0}',
      `telemetry: {decisionLog: {path: "${decisionLog}"}, traces: {exporter: none}}`,
      'integrations:',
      `  - {name: ghe, type: github, baseUrl: "${ghe}/api/v3", auth: {scheme: bearer, tokenEnv: DEMO_GHE_TOKEN}, allowCodeAccess: false}`,
      '',
    ].join('\n'),
  );
  console.log(`sample upstream (GitHub Enterprise stand-in): ${ghe}`);
  console.log(`broker config: ${config}\n`);

  const child = spawn(process.execPath, [CLI, 'run', '-c', config], { env: { ...process.env, DEMO_GHE_TOKEN: TOKEN }, stdio: ['ignore', 'inherit', 'pipe'] });
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stderr });
    lines.on('line', (line) => {
      try {
        const rec = JSON.parse(line) as { msg?: string; port?: number; level?: number };
        if (rec.msg === 'broker listening' && rec.port) resolve(rec.port);
        else if ((rec.level ?? 0) >= 40) console.error(line);
      } catch {
        console.error(line);
      }
    });
    child.once('exit', (code) => reject(new Error(`broker exited with ${code}`)));
  });
  console.log(`broker listening on 127.0.0.1:${port}; requests go to /proxy/<absolute URL>\n`);

  const api = `${ghe}/api/v3/repos/acme/app`;
  const sent: Sent[] = [
    { method: 'GET', url: `${api}/contents/package.json?ref=main`, note: 'dependency manifest' },
    { method: 'GET', url: `${api}/contents/services/api/go.sum`, note: 'lock file, any depth' },
    { method: 'GET', url: `${api}/contents/src/main.go`, note: 'source code, allowCodeAccess is off' },
    { method: 'POST', url: `${api}/issues/7/comments`, body: { body: '2 vulnerable dependencies found' }, note: 'plain comment' },
    { method: 'POST', url: `${api}/issues/7/comments`, body: { body: 'hi', assignees: ['mallory'] }, note: 'comment with an extra field' },
    { method: 'DELETE', url: api, note: 'delete the repository' },
    { method: 'GET', url: `${api}/contents/%2e%2e/%2e%2e/orgs/acme`, note: 'encoded path traversal' },
    { method: 'GET', url: 'https://evil.example.com/steal', note: 'a host no integration covers' },
  ];
  const results = [];
  for (const s of sent) results.push({ s, r: await request(port, s) });

  child.kill('SIGTERM');
  const exit = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const records = new Map<string, { result: { rule?: string; reasons?: string[]; code?: string } }>();
  for (const line of readFileSync(decisionLog, 'utf8').split('\n').filter(Boolean)) {
    const rec = JSON.parse(line) as { decision_id: string; result: { rule?: string; reasons?: string[]; code?: string } };
    records.set(rec.decision_id, rec);
  }
  for (const { s, r } of results) {
    const rec = records.get(r.id);
    const verdict = r.status < 300 ? 'ALLOW' : 'DENY ';
    console.log(`${verdict} ${r.status} ${s.method.padEnd(6)} ${s.url.replace(ghe, '')}   (${s.note})`);
    console.log(`      decision ${r.id}  ${rec?.result.rule ? `rule ${rec.result.rule}` : `code ${rec?.result.code ?? '-'} (rejected before the policy)`}`);
    for (const reason of rec?.result.reasons ?? []) console.log(`      - ${reason}`);
  }
  console.log('\nwhat the upstream received (the caller sent "Bearer caller-token"; the broker replaced it):');
  for (const line of upstream.seen) console.log(`  ${line}`);
  console.log(`\n${records.size} decision records in ${decisionLog}; the broker exited with ${exit} after SIGTERM`);
  upstream.server.close();
  if (exit !== 0 || records.size !== sent.length) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
