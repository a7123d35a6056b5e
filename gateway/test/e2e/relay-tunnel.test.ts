/**
 * End to end: the relay of the whole broker (`rego-broker run`, the built CLI) in its own
 * network namespace, delivering webhooks through a real WireGuard tunnel to the lab hub, which
 * plays the SaaS (`POST /webhooks/<relay>`, tunnel/src/lab/hub.ts). The SCM is a sender inside
 * the broker's namespace (the internal network side). Runs only as root with ip, wg,
 * wireguard-go and /dev/net/tun; otherwise the suite is skipped and says why (the in-process
 * integration tests cover the relay in local mode). Needs `npm run build` first.
 */
import type { ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Hub } from '../../../tunnel/src/lab/hub';
import { brokerTunnelSection, createHub, hubPrerequisites } from '../../../tunnel/src/lab/hub';
import { killChild, pollUntil } from '../../../tunnel/src/lab/netns';
import { Lines } from '../helpers/lines';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist/gateway/src/cli/main.js');
const BUNDLE = path.join(ROOT, 'policies/build/bundle.tar.gz');
const RELAY_PORT = 8081; // inside the broker's own namespace
const SIGNING_KEY = `e2e-relay-key-${randomBytes(6).toString('hex')}`;
const HOOK_SECRET = `e2e-hook-secret-${randomBytes(6).toString('hex')}`;

const missing = hubPrerequisites();
const describeE2e = missing === null ? describe : describe.skip;
if (missing !== null) console.warn(`relay tunnel e2e skipped: ${missing}`);

/** The SCM: POSTs each JSON line read from stdin ({path, headers, body}) to the relay, prints the answer. */
const SENDER_SCRIPT = `
const http = require('node:http');
const port = Number(process.argv[1]);
require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
  const { path, headers, body } = JSON.parse(line);
  const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', headers, agent: false }, (res) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (d) => (text += d));
    res.on('end', () => console.log(JSON.stringify({ status: res.statusCode, body: text })));
  });
  req.setTimeout(5000, () => req.destroy(new Error('timeout')));
  req.on('error', (e) => console.log(JSON.stringify({ error: e.code || e.message })));
  req.end(body);
});
console.log('{}');
`;


interface Hook {
  url: string;
  headers: Record<string, string>;
  body: string;
}
interface Broker {
  child: ChildProcess;
  logs: Lines;
  exited: Promise<number | null>;
}

describeE2e(`relay through a tunnel, e2e (${missing ?? 'root, the built CLI in a namespace, userspace WireGuard'})`, () => {
  let hub: Hub | null = null;
  let dir = '';
  let configPath = '';
  let decisionLogPath = '';
  let sender: { child: ChildProcess; lines: Lines } | null = null;
  let broker: Broker | null = null;
  const h = (): Hub => {
    if (hub === null) throw new Error('hub not created');
    return hub;
  };

  const spawnBroker = async (): Promise<Broker> => {
    const child = h().spawnInBroker(process.execPath, [CLI, 'run', '-c', configPath], { E2E_GHE_TOKEN: 'unused', E2E_HOOK_SECRET: HOOK_SECRET });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const b = { child, logs: new Lines(child.stderr), exited };
    const early = exited.then((code) => {
      throw new Error(`the broker exited with ${code}:\n${b.logs.all.join('\n')}`);
    });
    await Promise.race([b.logs.waitFor((l) => l.includes('"msg":"broker listening"'), 20_000), early]);
    return b;
  };
  const stopBroker = async (b: Broker): Promise<void> => {
    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
  };
  const send = async (body: string, headers: Record<string, string>): Promise<{ status: number; body: string }> => {
    if (sender === null) throw new Error('sender not started');
    const from = sender.lines.all.length;
    sender.child.stdin?.write(`${JSON.stringify({ path: '/relay/github', headers, body })}\n`);
    return JSON.parse(await sender.lines.waitFor(() => true, 10_000, from)) as { status: number; body: string };
  };
  const hooks = async (): Promise<Hook[]> => {
    const r = await h().request(h().webhooksUrl, { timeoutMs: 3000 });
    if (!('status' in r)) throw new Error(`hub receiver: ${r.error}`);
    return JSON.parse(r.body) as Hook[];
  };
  const waitForHooks = async (n: number, ms: number): Promise<Hook[]> => {
    let got: Hook[] = [];
    const ok = await pollUntil(async () => (got = await hooks()).length >= n, ms, 100);
    if (!ok) throw new Error(`the hub received ${got.length} webhooks, not ${n}`);
    return got;
  };
  const push = (files: string[], id: string): string =>
    JSON.stringify({
      ref: 'refs/heads/main',
      pusher: { name: 'Jane Doe', email: 'jane@example.com' },
      commits: [{ id, message: 'secret plans', author: { name: 'Jane Doe', email: 'jane@example.com' }, added: [], modified: files, removed: [] }],
    });
  const signed = (body: string, secret = HOOK_SECRET): Record<string, string> => ({
    'content-type': 'application/json',
    'x-github-event': 'push',
    'x-github-delivery': randomBytes(4).toString('hex'),
    'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
  });
  const records = (): Array<{ decision_id: string; path: string; relay?: { outcome: string }; delivery?: { outcome: string } }> =>
    existsSync(decisionLogPath) ? readFileSync(decisionLogPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as never) : [];

  beforeAll(async () => {
    if (!existsSync(CLI) || !existsSync(BUNDLE)) throw new Error('the built CLI or bundle is missing: run `npm run build` first (npm test does)');
    hub = await createHub();
    dir = await mkdtemp(path.join(tmpdir(), 'rb-relay-e2e-'));
    await writeFile(path.join(dir, 'wg.key'), `${hub.brokerPrivateKey ?? ''}\n`, { mode: 0o600 });
    await writeFile(path.join(dir, 'relay.key'), `${SIGNING_KEY}\n`, { mode: 0o600 });
    decisionLogPath = path.join(dir, 'decisions.jsonl');
    configPath = path.join(dir, 'broker.json');
    await writeFile(
      configPath,
      JSON.stringify({
        listen: { host: '127.0.0.1', port: 8080 },
        admin: { host: '127.0.0.1', port: 9090 },
        tunnel: brokerTunnelSection(hub, path.join(dir, 'wg.key'), { intervalSeconds: 1, timeoutSeconds: 1, graceSeconds: 1, failuresBeforeReresolve: 1 }),
        policy: { bundle: BUNDLE },
        integrations: [{ name: 'ghe', type: 'github', baseUrl: 'https://ghe.internal.example/api/v3', auth: { scheme: 'bearer', tokenEnv: 'E2E_GHE_TOKEN' } }],
        relay: {
          host: '127.0.0.1',
          port: RELAY_PORT,
          signingKeyFile: path.join(dir, 'relay.key'),
          queue: { dir: path.join(dir, 'queue') },
          delivery: { initialBackoffMs: 100, maxBackoffMs: 500, timeoutMs: 1000, maxAttempts: 1000 },
        },
        relays: [{ name: 'github', integration: 'ghe', destination: `${hub.webhooksUrl}/github`, secretEnv: 'E2E_HOOK_SECRET' }],
        telemetry: { decisionLog: { path: decisionLogPath }, traces: { exporter: 'none' } },
        shutdown: { graceSeconds: 2 },
      }),
    );
    const s = hub.spawnInBroker(process.execPath, ['-e', SENDER_SCRIPT, String(RELAY_PORT)]);
    sender = { child: s, lines: new Lines(s.stdout) };
    await sender.lines.waitFor((l) => l === '{}', 10_000);
    broker = await spawnBroker();
  }, 60_000);

  afterAll(async () => {
    for (const c of [broker?.child, sender?.child]) if (c) await killChild(c, 'SIGKILL');
    await hub?.teardown();
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  }, 30_000);

  test('a signed push touching package.json reaches the hub through the tunnel, signed by the broker, minimized', async () => {
    const body = push(['package.json'], 'e1');
    const r = await send(body, signed(body));
    expect(r.status).toBe(202);
    const [hook] = await waitForHooks(1, 15_000);
    expect(hook?.url).toBe('/webhooks/github');
    expect(hook?.headers['x-rego-broker-signature']).toBe(`sha256=${createHmac('sha256', SIGNING_KEY).update(hook?.body ?? '').digest('hex')}`);
    expect(hook?.headers['x-rego-broker-delivery']).toBe((JSON.parse(r.body) as { decision_id: string }).decision_id);
    expect(hook?.body).not.toContain('jane@example.com');
    expect(hook?.body).not.toContain('secret plans');
    expect(JSON.parse(hook?.body ?? '{}')).toMatchObject({ commits: [{ id: 'e1', modified: ['package.json'] }] });
  });

  test('a push touching only src/ is dropped with a decision record; a bad signature is 401; neither reaches the hub', async () => {
    const src = push(['src/main.ts'], 'e2');
    const dropped = await send(src, signed(src));
    expect(dropped.status).toBe(200);
    expect(JSON.parse(dropped.body)).toMatchObject({ relayed: false });
    const bad = push(['package.json'], 'e3');
    const refused = await send(bad, signed(bad, 'not-the-secret'));
    expect(refused.status).toBe(401);
    // A relayed ping after them: once it arrives, anything queued before it would have too.
    const ping = '{"zen":"e2e"}';
    expect((await send(ping, { ...signed(ping), 'x-github-event': 'ping' })).status).toBe(202);
    const got = await waitForHooks(2, 15_000);
    expect(got.map((x) => x.headers['x-rego-broker-event'])).toEqual(['push', 'ping']);
    const ids = { dropped: (JSON.parse(dropped.body) as { decision_id: string }).decision_id, refused: (JSON.parse(refused.body) as { error: { decision_id: string } }).error.decision_id };
    expect(await pollUntil(() => records().some((x) => x.decision_id === ids.refused), 5000, 50)).toBe(true);
    expect(records().find((x) => x.decision_id === ids.dropped)).toMatchObject({ path: 'broker/outbound', relay: { outcome: 'dropped' } });
    expect(records().find((x) => x.decision_id === ids.refused)).toMatchObject({ path: 'broker/outbound', status: 401, relay: { outcome: 'signature_invalid' } });
  });

  test('with the hub down webhooks are accepted and queued, and delivered in order once it is back, across a broker restart', async () => {
    const before = (await hooks()).length;
    await h().killHub();
    const ids: string[] = [];
    for (const n of ['q1', 'q2', 'q3']) {
      const body = push(['go.mod'], n);
      const r = await send(body, signed(body));
      expect(r.status).toBe(202);
      ids.push((JSON.parse(r.body) as { decision_id: string }).decision_id);
    }
    await stopBroker(broker as Broker);
    broker = await spawnBroker();
    await h().startHub();
    const got = (await waitForHooks(before + 3, 30_000)).slice(before);
    expect(got.map((x) => (JSON.parse(x.body) as { commits: Array<{ id: string }> }).commits[0]?.id)).toEqual(['q1', 'q2', 'q3']);
    expect(got.map((x) => x.headers['x-rego-broker-delivery'])).toEqual(ids);
    expect(await pollUntil(() => ids.every((id) => records().some((x) => x.decision_id === id && x.delivery?.outcome === 'delivered')), 5000, 50)).toBe(true);
  }, 60_000);
});
