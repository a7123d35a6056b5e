/**
 * End to end: one deployment, two broker replicas (`rego-broker run`, the built CLI, each with its
 * own key and tunnel address) behind the real hub (`rego-broker hub`). The SaaS side sends a
 * steady load to the hub's front; both replicas must carry it; killing one loses only what was in
 * flight on it; it takes traffic again when it is back; SIGTERM drains a replica without a failed
 * request.
 *
 * Runs only as root with ip, wg, wireguard-go and /dev/net/tun; otherwise the suite is skipped and
 * says why. Needs `npm run build` first (`npm test` does it).
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Hub } from '../../../tunnel/src/lab/hub';
import { brokerTunnelSection, createHub, hubPrerequisites } from '../../../tunnel/src/lab/hub';
import { killChild, pollUntil } from '../../../tunnel/src/lab/netns';
import { recordingUpstreamScript } from '../../../tunnel/src/lab/upstream';
import { Lines } from '../helpers/lines';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist/gateway/src/cli/main.js');
const BUNDLE = path.join(ROOT, 'policies/build/bundle.tar.gz');
const INTERVAL_S = 1;
const BROKER_PORT = 8080; // each replica on its own tunnel address
const TOKEN = `e2e-ghe-${randomBytes(6).toString('hex')}`;
const CONNECTIONS = 8;
/** Each replica's namespace has the same upstream at the same address, as one internal system seen from two hosts. */
const UPSTREAM_PORT = 18080;

const missing = hubPrerequisites();
const describeE2e = missing === null ? describe : describe.skip;
if (missing !== null) console.warn(`replicas e2e skipped: ${missing}`);

/**
 * The SaaS's load: `CONNECTIONS` loops of GET through the hub's front, bounded by a request count
 * and a time; one JSON line per answer (`{s: status, r: replica, code, t: ms since start}`), then
 * `{"done":n}`. SIGUSR2 ends it early (after the requests in flight).
 */
const LOAD_SCRIPT = `
const http = require('node:http');
const [url, conc, max, ms] = process.argv.slice(1).map((v, i) => (i === 0 ? v : Number(v)));
const agent = new http.Agent({ keepAlive: true, maxSockets: conc });
const t0 = Date.now();
let sent = 0;
let stop = false;
process.on('SIGUSR2', () => (stop = true));
const one = () => new Promise((resolve) => {
  const start = Date.now() - t0;
  const req = http.get(url, { agent }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (d) => (body += d));
    res.on('end', () => {
      let code;
      if (res.statusCode >= 300) { try { const j = JSON.parse(body); code = j.code ?? j.error?.code; } catch { code = 'unparsable'; } }
      resolve({ s: res.statusCode, r: res.headers['x-rego-hub-replica'] ?? null, code, t: start, e: Date.now() - t0 });
    });
    res.on('error', (e) => resolve({ s: 0, code: e.code ?? e.message, t: start, e: Date.now() - t0 }));
  });
  req.setTimeout(10000, () => req.destroy(new Error('timeout')));
  req.on('error', (e) => resolve({ s: 0, code: e.code ?? e.message, t: start, e: Date.now() - t0 }));
});
const loop = async () => {
  while (!stop && sent < max && Date.now() - t0 < ms) {
    sent++;
    console.log(JSON.stringify(await one()));
  }
};
Promise.all(Array.from({ length: conc }, loop)).then(() => { console.log(JSON.stringify({ done: sent })); agent.destroy(); });
`;

interface Answer {
  s: number;
  r: string | null;
  code?: string;
  /** ms since the load started, when the request was sent and when it ended. */
  t: number;
  e: number;
}
interface Replica {
  child: ChildProcess;
  logs: Lines;
  exited: Promise<number | null>;
}

describeE2e(`two replicas behind the hub, e2e (${missing ?? 'root, the built CLI in namespaces'})`, () => {
  let hub: Hub | null = null;
  let dir = '';
  const upstreamPort = UPSTREAM_PORT;
  const children: ChildProcess[] = [];
  const replicas: Array<Replica | null> = [null, null];
  const timings: Record<string, number> = {};

  const h = (): Hub => {
    if (hub === null) throw new Error('hub not created');
    return hub;
  };
  const url = (): string => `${h().frontUrl}/d/${h().deploymentId}/proxy/http://127.0.0.1:${upstreamPort}/api/v3/repos/acme/app/contents/package.json`;

  const startReplica = async (i: number): Promise<Replica> => {
    const config = {
      listen: { host: '127.0.0.1', port: BROKER_PORT },
      admin: { host: '127.0.0.1', port: 9090 + i },
      tunnel: brokerTunnelSection(h(), path.join(dir, `wg-${i}.key`), { intervalSeconds: INTERVAL_S, timeoutSeconds: 1, graceSeconds: 1, failuresBeforeReresolve: 1 }, i),
      policy: { bundle: BUNDLE },
      integrations: [{ name: 'ghe', type: 'github', baseUrl: `http://127.0.0.1:${upstreamPort}/api/v3`, auth: { scheme: 'bearer', tokenEnv: 'E2E_GHE_TOKEN' } }],
      telemetry: { decisionLog: { path: path.join(dir, `decisions-${i}.jsonl`) }, traces: { exporter: 'none' } },
      shutdown: { graceSeconds: 5 },
    };
    const file = path.join(dir, `replica-${i}.json`);
    await writeFile(file, JSON.stringify(config, null, 2));
    const child = h().spawnInReplica(i, process.execPath, [CLI, 'run', '-c', file], { E2E_GHE_TOKEN: TOKEN });
    children.push(child);
    const r: Replica = { child, logs: new Lines(child.stderr), exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
    const early = r.exited.then((code) => {
      throw new Error(`replica ${i} exited with ${code}:\n${r.logs.all.join('\n')}`);
    });
    await Promise.race([r.logs.waitFor((l) => l.includes('"tunnel heartbeat established"'), 20_000), early]);
    replicas[i] = r;
    return r;
  };

  /** Until the hub's front has answered from every listed replica (it routes only to healthy ones). */
  let lastAnswer: unknown = null;
  const routedTo = async (want: string[]): Promise<boolean> => {
    const ok = await pollUntil(async () => {
      const seen = new Set<string>();
      for (let k = 0; k < 2 * want.length + 2; k++) {
        const r = await h().request(url(), { timeoutMs: 3000 });
        lastAnswer = r;
        if ('status' in r && r.status === 200) seen.add(r.headers?.['x-rego-hub-replica'] ?? '');
      }
      return want.every((w) => seen.has(w));
    }, 15_000, 100);
    if (!ok) console.warn(`not routed to ${want.join(', ')}; last answer ${JSON.stringify(lastAnswer)}; hub log:\n${h().hubLogs().slice(-30).join('\n')}`);
    return ok;
  };

  /** Run the load; `during` is called once `afterAnswers` answers came back. */
  const load = async (opts: { maxMs: number; afterAnswers?: number; during?: () => Promise<void> }): Promise<{ answers: Answer[]; marks: Record<string, number> }> => {
    const child = spawnLoad(opts.maxMs);
    const lines = new Lines(child.stdout);
    const marks: Record<string, number> = {};
    const started = Date.now();
    if (opts.during !== undefined) {
      let answered = 0;
      await lines.waitFor(() => ++answered >= (opts.afterAnswers ?? 1), 20_000);
      marks.duringAt = Date.now() - started;
      await opts.during();
      marks.duringDoneAt = Date.now() - started;
    }
    await lines.waitFor((l) => l.startsWith('{"done"'), opts.maxMs + 20_000);
    const answers = lines.json<Answer & { done?: number }>().filter((a) => a.done === undefined);
    return { answers, marks };
  };
  const spawnLoad = (maxMs: number): ChildProcess => {
    const c = h().spawnInHub(process.execPath, ['-e', LOAD_SCRIPT, url(), String(CONNECTIONS), '20000', String(maxMs)]);
    children.push(c);
    return c;
  };
  const byReplica = (answers: Answer[]): Record<string, number> => {
    const n: Record<string, number> = {};
    for (const a of answers) if (a.s === 200) n[a.r ?? '?'] = (n[a.r ?? '?'] ?? 0) + 1;
    return n;
  };
  const killReplica = async (i: number): Promise<void> => {
    const r = replicas[i];
    if (r === null || r === undefined) throw new Error(`replica ${i} is not running`);
    // A pod that dies takes its wireguard-go with it.
    const wgGo = (await h().execInReplica(i, 'ip', ['netns', 'pids', h().replicas[i]?.ns ?? '?'])).stdout.split('\n').filter((p) => {
      try {
        return /^\d+$/.test(p) && readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'wireguard-go';
      } catch {
        return false;
      }
    });
    r.child.kill('SIGKILL');
    for (const p of wgGo) process.kill(Number(p), 'SIGKILL');
    await r.exited;
    await pollUntil(async () => (await h().execInReplica(i, 'ip', ['link', 'show', 'dev', h().replicas[i]?.interface ?? '?'])).code !== 0, 5000);
    replicas[i] = null;
  };

  beforeAll(async () => {
    for (const f of [CLI, BUNDLE]) if (!existsSync(f)) throw new Error(`${path.relative(ROOT, f)} is missing: run \`npm run build\` first (npm test does)`);
    hub = await createHub({ replicas: 2, staleAfterSeconds: 2 * INTERVAL_S + 1 });
    dir = await mkdtemp(path.join(tmpdir(), 'rb-replicas-e2e-'));
    for (const r of hub.replicas) await writeFile(path.join(dir, `wg-${r.index}.key`), `${r.privateKey ?? ''}\n`, { mode: 0o600 });
    for (const r of hub.replicas) {
      const up = hub.spawnInReplica(r.index, process.execPath, ['-e', recordingUpstreamScript({ upstream: 'ghe' }, UPSTREAM_PORT)]);
      children.push(up);
      await new Lines(up.stdout).waitFor((l) => l.includes('listening'), 10_000);
    }
    await Promise.all([startReplica(0), startReplica(1)]);
    expect(await routedTo(['0', '1'])).toBe(true);
  }, 90_000);

  afterAll(async () => {
    for (const c of children) await killChild(c, 'SIGKILL');
    await hub?.teardown();
    if (dir !== '') await rm(dir, { recursive: true, force: true });
    console.warn(`replicas e2e timings (ms): ${JSON.stringify(timings)}`);
  }, 60_000);

  test('under a steady load from the front, both replicas serve, each at least a third', async () => {
    const { answers } = await load({ maxMs: 3000 });
    const n = byReplica(answers);
    timings.steadyRequests = answers.length;
    expect(answers.filter((a) => a.s !== 200)).toEqual([]);
    expect(answers.length).toBeGreaterThan(30);
    expect(n['0'] ?? 0).toBeGreaterThanOrEqual(answers.length / 3);
    expect(n['1'] ?? 0).toBeGreaterThanOrEqual(answers.length / 3);
  }, 60_000);

  test('killing a replica mid-load loses only what was in flight on it; the rest flows through the other within one heartbeat interval', async () => {
    let killedAt = 0;
    const { answers, marks } = await load({
      maxMs: 5000, afterAnswers: 50,
      during: async () => {
        killedAt = Date.now();
        await killReplica(1);
      },
    });
    const t0 = marks.duringAt ?? 0;
    timings.killReplicaMs = Date.now() - killedAt;
    const failed = answers.filter((a) => a.s !== 200);
    // Only requests already on their way when the replica died can fail, at most one per connection, each reported.
    expect(failed.length).toBeLessThanOrEqual(CONNECTIONS);
    for (const f of failed) {
      expect(f.t).toBeLessThanOrEqual(t0 + 100);
      expect(f.code).toBe('HUB_REPLICA_FAILED');
    }
    // Everything sent a heartbeat interval after the kill was answered by the survivor.
    const later = answers.filter((a) => a.t > t0 + INTERVAL_S * 1000 + 100);
    expect(later.length).toBeGreaterThan(10);
    expect(later.every((a) => a.s === 200 && a.r === '0')).toBe(true);
    timings.failedInFlight = failed.length;
    // The hub reports what it lost.
    if (failed.length > 0) expect(h().hubLogs().some((l) => l.includes('"replica":1') && l.includes('answered 502'))).toBe(true);
  }, 60_000);

  test('the replica that comes back takes traffic again', async () => {
    await startReplica(1);
    const backAt = Date.now();
    expect(await routedTo(['0', '1'])).toBe(true);
    timings.routedAgainMs = Date.now() - backAt;
    const { answers } = await load({ maxMs: 2000 });
    expect(answers.filter((a) => a.s !== 200)).toEqual([]);
    expect(byReplica(answers)['1'] ?? 0).toBeGreaterThanOrEqual(answers.length / 3);
  }, 60_000);

  test('SIGTERM on a replica drains it without a failed request: the hub stops routing to it first', async () => {
    const r = replicas[1];
    if (r === null || r === undefined) throw new Error('replica 1 is not running');
    let exit: number | null = null;
    const { answers, marks } = await load({
      maxMs: 8000, afterAnswers: 50,
      during: async () => {
        r.child.kill('SIGTERM');
        exit = await r.exited;
      },
    });
    replicas[1] = null;
    timings.drainExitMs = (marks.duringDoneAt ?? 0) - (marks.duringAt ?? 0);
    timings.drainLoadAnswers = answers.length;
    expect(exit).toBe(0);
    expect(answers.filter((a) => a.s !== 200)).toEqual([]);
    const after = answers.filter((a) => a.t > (marks.duringDoneAt ?? 0));
    expect(after.length).toBeGreaterThan(10);
    expect(after.every((a) => a.r === '0')).toBe(true);
    expect(r.logs.all.some((l) => l.includes('draining'))).toBe(true);
  }, 60_000);
});
