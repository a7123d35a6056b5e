/**
 * Starts `broker-driver.ts` inside a namespace and talks to it. The driver is compiled with
 * tsc into a private temporary directory (not the shared dist/), from the sources as they are.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TunnelOptions as TunnelConfig } from '../../src/config';
import { SPAWN_RUNNER } from '../../src/exec';

const ROOT = path.resolve(__dirname, '../../..');

/**
 * Compile the driver (and the tunnel sources it imports); returns the JS path and a cleanup.
 */
export async function buildDriver(): Promise<{ script: string; cleanup: () => Promise<void> }> {
  const out = await mkdtemp(path.join(tmpdir(), 'rb-tunnel-e2e-'));
  const tsconfig = path.join(out, 'tsconfig.json');
  await writeFile(tsconfig, JSON.stringify({
    extends: path.join(ROOT, 'tsconfig.json'),
    compilerOptions: { outDir: path.join(out, 'js'), rootDir: ROOT, types: ['node'], typeRoots: [path.join(ROOT, 'node_modules/@types')], sourceMap: false, noEmit: false },
    files: [path.join(ROOT, 'tunnel/test/helpers/broker-driver.ts')],
    include: [],
  }));
  const r = await SPAWN_RUNNER.run(path.join(ROOT, 'node_modules/.bin/tsc'), ['-p', tsconfig], { timeoutMs: 120_000 });
  if (r.code !== 0) {
    await rm(out, { recursive: true, force: true });
    throw new Error(`compiling the e2e driver failed: ${r.stdout}${r.stderr}`);
  }
  // The compiled files resolve their packages (ws) from here.
  await symlink(path.join(ROOT, 'node_modules'), path.join(out, 'node_modules'), 'dir');
  return {
    script: path.join(out, 'js/tunnel/test/helpers/broker-driver.js'),
    cleanup: () => rm(out, { recursive: true, force: true }),
  };
}

/** One line the driver wrote. */
export interface DriverLine {
  id?: number;
  result?: unknown;
  error?: { name: string; message: string; code: string | null; exitCode: number | null };
  event?: 'log' | 'fatal';
  level?: string;
  msg?: string;
  obj?: Record<string, unknown>;
  message?: string;
  t?: number;
}

/** A driver process and its RPC. */
export class DriverClient {
  /** Every event line (logs, fatal) in order. */
  readonly events: DriverLine[] = [];
  private nextId = 1;
  private readonly pending = new Map<number, (l: DriverLine) => void>();
  private buf = '';
  stderr = '';

  constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (b: Buffer) => {
      this.buf += b.toString('utf8');
      const lines = this.buf.split('\n');
      this.buf = lines.pop() ?? '';
      for (const l of lines.filter((x) => x !== '')) {
        const msg = JSON.parse(l) as DriverLine;
        if (msg.id !== undefined) this.pending.get(msg.id)?.(msg);
        else this.events.push(msg);
      }
    });
    child.stderr?.on('data', (b: Buffer) => (this.stderr += b.toString('utf8')));
    child.once('exit', () => {
      for (const [, resolve] of this.pending) resolve({ error: { name: 'Exit', message: `driver exited: ${this.stderr}`, code: null, exitCode: null } });
    });
  }

  /** Send a command; resolves with the driver's answer line. */
  call(cmd: string, extra: Record<string, unknown> = {}): Promise<DriverLine> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, (l) => {
        this.pending.delete(id);
        resolve(l);
      });
      this.child.stdin?.write(`${JSON.stringify({ id, cmd, ...extra })}\n`);
    });
  }

  /** Send a command and return its result, throwing on a driver error. */
  async result<T>(cmd: string, extra: Record<string, unknown> = {}): Promise<T> {
    const l = await this.call(cmd, extra);
    if (l.error !== undefined) throw new Error(`${cmd}: ${l.error.message}`);
    return l.result as T;
  }

  /** Start the tunnel in the driver (the secrets go over stdin). */
  start(config: TunnelConfig, privateKey: string, httpPort = 8081, proxyPassword: string | null = null): Promise<DriverLine> {
    return this.call('start', { config, privateKey, httpPort, proxyPassword });
  }

  /** Log lines with this message. */
  logs(msg: string): DriverLine[] {
    return this.events.filter((e) => e.event === 'log' && e.msg === msg);
  }
}
