/**
 * The demo: a sample upstream (a stand-in for GitHub Enterprise), the real broker
 * (`rego-broker run`) in front of it, and a few allowed and denied requests, each printed with
 * its status, decision id, rule and reasons as the decision log recorded them.
 *
 * As root with `ip`, `wg`, `wireguard-go` and /dev/net/tun, it runs the way the broker is
 * deployed: the SaaS side in one network namespace, the broker and the upstream in another,
 * and every request goes from the SaaS namespace through a WireGuard tunnel that the broker
 * dialled out. Otherwise (or with `--local`) everything runs on loopback, and the demo says
 * why. Namespaces, processes and interfaces are removed at the end, also on failure or Ctrl-C.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SPAWN_RUNNER } from '../tunnel/src/exec';
import type { Hub } from '../tunnel/src/lab/hub';
import { brokerTunnelSection, createHub, hubPrerequisites } from '../tunnel/src/lab/hub';
import { firstLine, jsonLine } from '../tunnel/src/lab/netns';
import { recordingUpstreamScript } from '../tunnel/src/lab/upstream';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'gateway', 'src', 'cli', 'main.js');
const TOKEN = 'demo-token-do-not-print';
const TUNNEL_PROXY_PORT = 8080; // inside the broker's own namespace
const TUNNEL_ADMIN_PORT = 9090;

interface Sent {
  method: string;
  url: string;
  body?: unknown;
  note: string;
}
interface Answer {
  status: number;
  id: string;
  body: string;
}

const UPSTREAM_SCRIPT = recordingUpstreamScript({ name: 'package.json', content: 'eyJuYW1lIjoiYXBwIn0=' });

/**
 * The SaaS client: one request given as JSON in argv, the answer as a JSON line. The path is
 * sent as written: a client that resolved \`%2e%2e\` itself would hide the point.
 */
const CLIENT_SCRIPT = `
const http = require('node:http');
const o = JSON.parse(process.argv[1]);
const req = http.request({ host: o.host, port: o.port, method: o.method, path: o.path, headers: o.headers, agent: false }, (res) => {
  const chunks = [];
  res.on('data', (c) => chunks.push(c));
  res.on('end', () => console.log(JSON.stringify({ status: res.statusCode, id: String(res.headers['x-broker-decision-id'] ?? ''), body: Buffer.concat(chunks).toString() })));
});
req.setTimeout(10000, () => req.destroy(new Error('no answer within 10 s')));
req.on('error', (e) => console.log(JSON.stringify({ error: e.code ?? e.message })));
req.end(o.body);
`;

/** Where the demo runs: on loopback, or across two namespaces joined by the tunnel. */
interface Site {
  /** First lines of the output: which mode and why. */
  intro: string[];
  /** Start a process next to the broker (in its namespace, if any). */
  spawnBrokerSide(cmd: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess;
  /** The broker configuration keys that depend on the mode. */
  brokerConfig(): Record<string, unknown>;
  /** Run the client script from the SaaS side. */
  client(spec: string): Promise<string>;
  /** Where the upstream runs, for the output. */
  upstreamWhere: string;
  /** Extra lines after the table (what only this mode can show). */
  extra(listening: { host: string; port: number }): Promise<string[]>;
  /** Remove everything this site created. Idempotent. */
  teardown(): Promise<void>;
}

function localSite(why: string): Site {
  const children = new Set<ChildProcess>();
  return {
    intro: [`mode: local, everything on 127.0.0.1, no tunnel (${why}).`, '      As root with ip, wg, wireguard-go and /dev/net/tun the demo runs the broker behind a real WireGuard tunnel.'],
    upstreamWhere: 'on loopback',
    spawnBrokerSide(cmd, args, env) {
      const c = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      children.add(c);
      return c;
    },
    brokerConfig: () => ({ listen: { host: '127.0.0.1', port: 0 }, admin: { host: '127.0.0.1', port: 0 } }),
    client: async (spec) => (await SPAWN_RUNNER.run(process.execPath, ['-e', CLIENT_SCRIPT, spec], { timeoutMs: 15_000 })).stdout,
    extra: () => Promise.resolve([]),
    teardown() {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      children.clear();
      return Promise.resolve();
    },
  };
}

function tunnelSite(hub: Hub, dir: string): Site {
  const keyFile = join(dir, 'wg.key');
  writeFileSync(keyFile, `${hub.brokerPrivateKey ?? ''}\n`, { mode: 0o600 });
  chmodSync(keyFile, 0o600);
  return {
    intro: [
      `mode: through a WireGuard tunnel between namespaces ${hub.hubNs} (the SaaS side) and ${hub.brokerNs} (the broker's network).`,
      `      The hub (rego-broker hub) runs in ${hub.hubNs}; the broker dials out to it at ${hub.peerConfigForBroker.endpoint}.`,
      `      Every request below is sent to the hub's front, ${hub.frontUrl}/d/${hub.deploymentId}/proxy/<absolute URL>, which`,
      `      forwards it through the tunnel to the broker's /proxy on its tunnel address [${hub.brokerTunnelAddress}].`,
    ],
    upstreamWhere: `inside ${hub.brokerNs}, next to the broker`,
    spawnBrokerSide: (cmd, args, env) => hub.spawnInBroker(cmd, args, env),
    brokerConfig: () => ({
      listen: { host: '127.0.0.1', port: TUNNEL_PROXY_PORT },
      admin: { host: '127.0.0.1', port: TUNNEL_ADMIN_PORT },
      tunnel: brokerTunnelSection(hub, keyFile, { intervalSeconds: 2, timeoutSeconds: 2, graceSeconds: 2, requiredAtStart: true }),
    }),
    client: async (spec) => {
      // The SaaS's services talk to the hub's front, which picks a healthy replica of the deployment.
      const o = JSON.parse(spec) as { path: string };
      const front = new URL(hub.frontUrl);
      const viaHub = JSON.stringify({ ...o, host: front.hostname, port: Number(front.port), path: `/d/${hub.deploymentId}${o.path}` });
      return (await hub.execInHub(process.execPath, ['-e', CLIENT_SCRIPT, viaHub], { timeoutMs: 15_000 })).stdout;
    },
    async extra(l) {
      const direct = await hub.request(`http://${hub.brokerVethAddress}:${l.port}/proxy/http://127.0.0.1/`);
      const answer = 'error' in direct ? direct.error : `HTTP ${direct.status}`;
      return [`the same /proxy on the broker's network address ${hub.brokerVethAddress}:${l.port}, from ${hub.hubNs}: ${answer} (it listens on the tunnel only)`];
    },
    async teardown() {
      await hub.teardown();
      rmSync(keyFile, { force: true });
    },
  };
}

function readLines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (stream) createInterface({ input: stream }).on('line', onLine);
}

const cleanups: Array<() => Promise<void>> = [];
let interrupted = false;
let cleaning: Promise<void> | null = null;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch (err) {
        console.error(`cleanup: ${String(err)}`);
      }
    }
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    console.error(`\n${signal}: removing what the demo set up`);
    void cleanup().finally(() => process.exit(130));
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'rego-broker-demo-'));
  const missing = process.argv.includes('--local') ? '--local was given' : hubPrerequisites();
  let site: Site;
  if (missing === null) {
    const pending = createHub();
    cleanups.push(async () => (await pending.catch(() => null))?.teardown());
    site = tunnelSite(await pending, dir);
    cleanups.push(() => site.teardown());
  } else {
    site = localSite(missing);
    cleanups.push(() => site.teardown());
  }
  for (const line of site.intro) console.log(line);
  console.log('');

  const upstream = site.spawnBrokerSide(process.execPath, ['-e', UPSTREAM_SCRIPT], {});
  const seen: string[] = [];
  const upstreamPort = await firstLine(upstream, 'stdout', jsonLine((r) => (typeof r.listening === 'number' ? r.listening : undefined)));
  readLines(upstream.stdout, (line) => {
    if (!line.startsWith('{"method"')) return;
    const r = JSON.parse(line) as { method: string; url: string; authorization: string | null };
    const auth = r.authorization === `Bearer ${TOKEN}` ? 'the configured token' : r.authorization === null ? 'none' : 'NOT the configured token';
    seen.push(`${r.method} ${r.url} (authorization: ${auth})`);
  });

  const decisionLog = join(dir, 'decisions.jsonl');
  const ghe = `http://127.0.0.1:${upstreamPort}`;
  const config = join(dir, 'broker.json');
  writeFileSync(
    config,
    `${JSON.stringify(
      {
        ...site.brokerConfig(),
        telemetry: { decisionLog: { path: decisionLog }, traces: { exporter: 'none' } },
        integrations: [{ name: 'ghe', type: 'github', baseUrl: `${ghe}/api/v3`, auth: { scheme: 'bearer', tokenEnv: 'DEMO_GHE_TOKEN' }, allowCodeAccess: false }],
      },
      null,
      2,
    )}\n`,
  );
  console.log(`sample upstream (GitHub Enterprise stand-in), ${site.upstreamWhere}: ${ghe}`);
  console.log(`broker config: ${config}\n`);

  const startedAt = Date.now();
  const child = site.spawnBrokerSide(process.execPath, [CLI, 'run', '-c', config], { DEMO_GHE_TOKEN: TOKEN });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const listening = await firstLine(
    child,
    'stderr',
    jsonLine((r) => (r.msg === 'broker listening' && typeof r.port === 'number' ? { host: String(r.host), port: r.port } : undefined)),
    {
      onOther: (line) => {
        if (!line.startsWith('{') || /"level":(4|5|6)\d/.test(line)) console.error(line);
      },
    },
  );
  const shown = listening.host.includes(':') ? `[${listening.host}]` : listening.host;
  console.log(`broker listening on ${shown}:${listening.port} after ${Date.now() - startedAt} ms; requests go to /proxy/<absolute URL>\n`);

  const api = `${ghe}/api/v3/repos/acme/app`;
  const sent: Sent[] = [
    { method: 'GET', url: `${api}/contents/package.json?ref=main`, note: 'dependency manifest' },
    { method: 'GET', url: `${api}/contents/services/api/go.sum`, note: 'lock file, any depth' },
    { method: 'GET', url: `${api}/contents/src/main.go`, note: 'source code, allowCodeAccess is off' },
    { method: 'GET', url: `${api}/contents/package.json?ref=main&sudo=admin`, note: 'a parameter the rule does not accept' },
    { method: 'POST', url: `${api}/issues/7/comments`, body: { body: '2 vulnerable dependencies found' }, note: 'plain comment' },
    { method: 'POST', url: `${api}/issues/7/comments`, body: { body: 'hi', assignees: ['mallory'] }, note: 'comment with an extra field' },
    { method: 'DELETE', url: api, note: 'delete the repository' },
    { method: 'GET', url: `${api}/contents/%2e%2e/%2e%2e/orgs/acme`, note: 'encoded path traversal' },
    { method: 'GET', url: 'https://evil.example.com/steal', note: 'a host no integration covers' },
  ];
  const results: Array<{ s: Sent; r: Answer }> = [];
  for (const s of sent) {
    const body = s.body === undefined ? undefined : JSON.stringify(s.body);
    const spec = {
      host: listening.host, port: listening.port, method: s.method, path: `/proxy/${s.url}`, body,
      headers: { authorization: 'Bearer caller-token', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    };
    const out = (await site.client(JSON.stringify(spec))).trim();
    const r = JSON.parse(out || '{"error":"no output"}') as Answer & { error?: string };
    if (r.error !== undefined) throw new Error(`${s.method} ${s.url}: ${r.error}`);
    results.push({ s, r });
  }
  const extra = await site.extra(listening);

  child.kill('SIGTERM');
  const exit = await exited;
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
  for (const line of seen) console.log(`  ${line}`);
  for (const line of extra) console.log(`\n${line}`);
  console.log(`\n${records.size} decision records in ${decisionLog}; the broker exited with ${exit} after SIGTERM`);
  if (exit !== 0 || records.size !== sent.length) process.exitCode = 1;
}

main()
  .catch((err: unknown) => {
    // After Ctrl-C the children are gone and whatever main was waiting for fails: not news.
    if (!interrupted) console.error(err);
    process.exitCode = 1;
  })
  .finally(() => cleanup());
