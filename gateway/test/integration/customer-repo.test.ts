/**
 * The worked customer-repository example of policies/README.md, run as written: its files are
 * taken from the README's `file=` blocks into a new git repository, its CI commands (the
 * `sh example` block) run with the built CLI in that directory, then `rego-broker run` serves
 * with the bundle (its upstream pointed at a local fake by a second, layered -c file), survives
 * and honours SIGHUP, records decisions, and `decide --replay` reports which of them a
 * candidate bundle changes.
 */
import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { parse, stringify } from 'yaml';
import { send } from '../helpers/broker';
import { REPO_ROOT } from '../helpers/rego';
import { startUpstream } from '../helpers/upstream';
import type { FakeUpstream } from '../helpers/upstream';

const CLI = join(REPO_ROOT, 'dist', 'gateway', 'src', 'cli', 'main.js');
const README = readFileSync(join(REPO_ROOT, 'policies', 'README.md'), 'utf8');
const section = README.slice(README.indexOf('### A worked example'));
const blocks = [...section.matchAll(/```(\S*)(?: ([^\n]*))?\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1] ?? '', info: m[2] ?? '', text: m[3] ?? '' }));

// The policy worker resolves its modules from the working directory; the customer repository
// is elsewhere, so the package's modules are named explicitly.
const ENV = { PATH: process.env.PATH ?? '', NODE_PATH: join(REPO_ROOT, 'node_modules'), INVENTORY_TOKEN: 'inventory-canary-2b9e' };

let upstream: FakeUpstream;
let repo: string;

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  upstream = await startUpstream();
  repo = mkdtempSync(join(tmpdir(), 'rego-broker-customer-'));
  for (const b of blocks) {
    const file = /^file=(\S+)$/.exec(b.info)?.[1];
    if (file === undefined) continue;
    mkdirSync(dirname(join(repo, file)), { recursive: true });
    writeFileSync(join(repo, file), b.text);
  }
  const git = (...args: string[]): string => execFileSync('git', ['-C', repo, '-c', 'user.name=ACME', '-c', 'user.email=sec@acme.example', ...args]).toString().trim();
  git('init', '-q');
  git('add', '-A');
  git('commit', '-qm', 'inventory policy');
});
afterAll(() => upstream.close());

function cli(args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: repo, env: ENV, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The commands of the README's `sh example` block, in order. */
function exampleCommands(): string[][] {
  const block = blocks.find((b) => b.lang === 'sh' && b.info === 'example');
  if (block === undefined) throw new Error('policies/README.md: no ```sh example block in the worked example');
  return block.text
    .split('\n')
    .filter((l) => l.startsWith('rego-broker '))
    .map((l) => l.split(/\s+/).slice(1));
}

function listening(child: ChildProcess, lines: Array<Record<string, unknown>>): Promise<{ port: number }> {
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stderr! }).on('line', (line) => {
      const rec = JSON.parse(line) as Record<string, unknown>;
      lines.push(rec);
      if (rec.msg === 'broker listening') resolve({ port: rec.port as number });
    });
    child.once('exit', (code) => reject(new Error(`exited early with ${code}: ${JSON.stringify(lines)}`)));
  });
}

it('runs as written: import, test, build, decide with expect, run with SIGHUP, replay a candidate', async () => {
  // CI: every command of the example succeeds.
  for (const args of exampleCommands()) {
    const r = cli(args);
    expect({ args, status: r.status, stderr: r.stderr }).toEqual({ args, status: 0, stderr: expect.any(String) as unknown });
    if (args[0] === 'build') {
      const commit = execFileSync('git', ['-C', repo, 'log', '-1', '--format=%H']).toString().trim();
      // The imported rule set is not committed yet: the revision says so.
      expect(r.stdout).toMatch(new RegExp(`revision: git-${commit.slice(0, 12)}-dirty-[0-9a-f]{12}\\+rego-broker-`));
    }
    if (args[0] === 'decide') {
      const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { allow: boolean; expect_unmet?: string; revision: string });
      expect(lines.map((l) => l.allow)).toEqual([true, true, false, false, false]);
      expect(lines.every((l) => l.expect_unmet === undefined && l.revision.startsWith('git-'))).toBe(true);
    }
  }

  // A wrong expectation fails the job.
  writeFileSync(join(repo, 'wrong.jsonl'), '{"url": "https://inventory.acme.internal/admin/users", "expect": "allow"}\n');
  const wrong = cli(['decide', '-c', 'broker.yaml', '--input', 'wrong.jsonl']);
  expect(wrong.status).toBe(1);
  expect(wrong.stdout).toContain('"expect_unmet":"expected allow, got deny');

  // Production: the same configuration, with the upstream and ports of this test layered on.
  const config = parse(readFileSync(join(repo, 'broker.yaml'), 'utf8')) as { integrations: Array<Record<string, unknown>> };
  const local = {
    listen: { host: '127.0.0.1', port: 0 },
    admin: { host: '127.0.0.1', port: 0 },
    telemetry: { logLevel: 'info' },
    integrations: config.integrations.map((i) => ({ ...i, baseUrl: upstream.url, surfaces: { api: upstream.url } })),
  };
  writeFileSync(join(repo, 'local.yaml'), stringify(local));
  const child = spawn(process.execPath, [CLI, 'run', '-c', 'broker.yaml', '-c', 'local.yaml'], { cwd: repo, env: ENV, stdio: ['ignore', 'ignore', 'pipe'] });
  const logs: Array<Record<string, unknown>> = [];
  try {
    const { port } = await listening(child, logs);
    const base = `http://127.0.0.1:${port}`;
    const requests = readFileSync(join(repo, 'requests.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { url: string; method?: string });
    const statuses = [];
    for (const r of requests) {
      statuses.push((await send(base, `/proxy/${r.url.replace('https://inventory.acme.internal', upstream.url)}`, { method: r.method ?? 'GET' })).status);
    }
    expect(statuses).toEqual([200, 200, 403, 403, 403]);

    // SIGHUP reloads and the broker lives on.
    const reloaded = new Promise<Record<string, unknown>>((resolve) => {
      const check = (): void => {
        const found = logs.find((l) => l.msg === 'policy bundle loaded' && l.trigger === 'SIGHUP');
        if (found) resolve(found);
        else child.stderr.once('data', () => setImmediate(check));
      };
      check();
    });
    child.kill('SIGHUP');
    expect((await reloaded).revision).toEqual(expect.stringMatching(/^git-/));
    expect(child.exitCode).toBeNull();
    expect((await send(base, `/proxy/${upstream.url}/items/srv-2`)).status).toBe(200);
  } finally {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }
  expect(JSON.stringify(logs)).not.toContain(ENV.INVENTORY_TOKEN);

  // A candidate that no longer shares software lists, replayed against what production decided.
  const policy = join(repo, 'policies', 'inventory', 'inventory.rego');
  writeFileSync(policy, readFileSync(policy, 'utf8').replace(', ["items", "*", "software"]', ''));
  expect(cli(['build', '-o', 'candidate.tar.gz', 'policies']).status).toBe(0);
  const replay = cli(['decide', '-c', 'broker.yaml', '--replay', 'decisions.jsonl', '--bundle', 'candidate.tar.gz', '--fail-on-change']);
  expect(replay.status).toBe(1);
  const out = replay.stdout.trim().split('\n').map((l) => JSON.parse(l) as { changed?: boolean; before?: { allow: boolean }; after?: { allow: boolean }; revision_after: string });
  expect(out).toHaveLength(6);
  const changed = out.filter((l) => l.changed === true);
  expect(changed).toHaveLength(1);
  expect(changed[0]).toMatchObject({ before: { allow: true }, after: { allow: false } });
  expect(out[0]!.revision_after).toContain('-dirty-');
  expect(replay.stderr).toContain('6 record(s): 1 changed');
  expect(cli(['decide', '-c', 'broker.yaml', '--replay', 'decisions.jsonl', '--bundle', 'candidate.tar.gz']).status).toBe(0);
});

it('every command answers --help', () => {
  for (const command of ['run', 'decide', 'dump', 'check', 'build', 'test', 'import', 'genkey', 'pubkey']) {
    const r = cli([command, '--help']);
    expect({ command, status: r.status }).toEqual({ command, status: 0 });
    expect(r.stdout).toContain(`usage: rego-broker ${command}`);
  }
});
