/**
 * `rego-broker hub` as a process, as a vendor (or the e2e lab) runs it: the `hub started` line
 * with the bound addresses, heartbeats and front requests, SIGHUP reloading the file, SIGTERM
 * stopping with exit 0; and exit 2 naming the key for an invalid configuration.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { stringify } from 'yaml';
import { generatePrivateKey, publicKeyFromPrivate } from '../../../tunnel/src/index';
import { runCli } from '../helpers/cli';
import { REPO_ROOT } from '../helpers/rego';

const CLI = join(REPO_ROOT, 'dist', 'gateway', 'src', 'cli', 'main.js');
const KEY = publicKeyFromPrivate(generatePrivateKey());
const KEY2 = publicKeyFromPrivate(generatePrivateKey());

interface Bound {
  host: string;
  port: number;
}
type Line = { msg?: string; front?: Bound; heartbeat?: Bound; admin?: Bound };

function get(at: Bound, path: string, localAddress?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: at.host, port: at.port, path, localAddress, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.setTimeout(5000, () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

/** The child's stderr lines, as JSON, with a way to await one. */
function lines(child: ChildProcess): (match: (l: Line) => boolean) => Promise<Line> {
  const seen: Line[] = [];
  const waiters: Array<{ match: (l: Line) => boolean; resolve: (l: Line) => void }> = [];
  createInterface({ input: child.stderr! }).on('line', (raw) => {
    const l = JSON.parse(raw) as Line;
    seen.push(l);
    for (const w of waiters.splice(0)) {
      if (w.match(l)) w.resolve(l);
      else waiters.push(w);
    }
  });
  return (match) =>
    new Promise((resolve, reject) => {
      const done = seen.find(match);
      if (done !== undefined) return resolve(done);
      waiters.push({ match, resolve });
      child.once('exit', (code) => reject(new Error(`exited with ${code} before the line came`)));
    });
}

describe('rego-broker hub', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'rego-hub-cli-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const config = (replicas: unknown[]): string => {
    const file = join(dir, 'hub.yaml');
    writeFileSync(file, stringify({
      wireguard: { enabled: false },
      heartbeat: { host: '127.0.0.1', port: 0 },
      front: { host: '127.0.0.1', port: 0, brokerPort: 1 },
      admin: { host: '127.0.0.1', port: 0 },
      deployments: [{ id: 31, replicas }],
    }));
    return file;
  };

  it('logs its bound addresses, serves heartbeats, reloads on SIGHUP and exits 0 on SIGTERM', async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
    const file = config([{ index: 0, publicKey: KEY, address: '127.0.0.2' }]);
    const child = spawn(process.execPath, [CLI, 'hub', '-c', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const waitLine = lines(child);
      const started = await waitLine((l) => l.msg === 'hub started');
      expect(started.front?.port).toBeGreaterThan(0);
      const { heartbeat, admin } = started as Required<Line>;
      expect((await get(admin, '/readyz')).status).toBe(200);
      expect(JSON.parse((await get(heartbeat, '/heartbeat', '127.0.0.2')).body)).toEqual({ deployment: 31, replica: 0, state: 'serving' });
      expect((await get(heartbeat, '/heartbeat', '127.0.0.3')).status).toBe(403);

      config([{ index: 0, publicKey: KEY, address: '127.0.0.2' }, { index: 1, publicKey: KEY2, address: '127.0.0.3' }]);
      child.kill('SIGHUP');
      await waitLine((l) => l.msg === 'configuration reloaded');
      expect((await get(heartbeat, '/heartbeat', '127.0.0.3')).status).toBe(200);

      child.kill('SIGTERM');
      await waitLine((l) => l.msg === 'hub stopped');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('exits 2 naming the key and the file when the configuration is invalid', async () => {
    const file = config([{ index: 0, publicKey: KEY }, { index: 1, publicKey: KEY }]);
    const run = await runCli(['hub', '-c', file]);
    expect(run.code).toBe(2);
    expect(run.err).toContain(`${file}: deployments[0].replicas[1].publicKey: is the same key as deployments[0].replicas[0]`);
  });

  it('prints the effective configuration with --dump', async () => {
    const run = await runCli(['hub', '-c', config([{ index: 0, publicKey: KEY }]), '--dump']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.out)).toMatchObject({ deployments: [{ id: 31, replicas: [{ index: 0, address: 'fdf0:59dc:33cf:9be8:0:1f:0:1' }] }] });
  });
});
