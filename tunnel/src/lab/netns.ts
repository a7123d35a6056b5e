/**
 * Running commands inside a network namespace (`ip netns exec`). A Node process cannot switch
 * namespaces itself, so everything that must happen inside one is a child process. Part of the
 * lab (see `hub.ts`): used by the end-to-end tests and the demo, not by the broker.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { CommandResult } from '../exec';
import { SPAWN_RUNNER } from '../exec';

/** Run `cmd args` in namespace `ns` and collect its output. */
export function execIn(ns: string, cmd: string, args: readonly string[], opts: { stdin?: string; timeoutMs?: number } = {}): Promise<CommandResult> {
  return SPAWN_RUNNER.run('ip', ['netns', 'exec', ns, cmd, ...args], opts);
}

/** Like `execIn`, but rejects unless the command exits 0. */
export async function execInChecked(ns: string, cmd: string, args: readonly string[], opts: { stdin?: string } = {}): Promise<string> {
  const r = await execIn(ns, cmd, args, opts);
  if (r.code !== 0) throw new Error(`[${ns}] ${cmd} ${args.join(' ')} exited with ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Run a command on the host and reject unless it exits 0. */
export async function host(cmd: string, args: readonly string[]): Promise<string> {
  const r = await SPAWN_RUNNER.run(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

/**
 * Start a long-running child in namespace `ns`. Its environment is `PATH` plus `env` only, so
 * nothing from the caller's environment (e.g. `REGO_BROKER_*` overrides) leaks into it.
 */
export function spawnIn(ns: string, cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  // The lab's children inherit PATH (to find ip, wg, wireguard-go) and nothing else.
  // eslint-disable-next-line no-restricted-properties
  const path = process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin';
  return spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: path, ...env } });
}

/**
 * Resolve with the value `pick` returns for the first line of `child`'s `stream` it accepts;
 * reject if the child exits first, or after `timeoutMs` when given. Lines `pick` passes over go
 * to `onOther`.
 */
export function firstLine<T>(
  child: ChildProcess,
  stream: 'stdout' | 'stderr',
  pick: (line: string) => T | undefined,
  opts: { timeoutMs?: number; onOther?: (line: string) => void } = {},
): Promise<T> {
  return new Promise((resolve, reject) => {
    const source = child[stream];
    if (source === null) {
      reject(new Error(`${child.spawnfile} has no ${stream} pipe`));
      return;
    }
    const lines = createInterface({ input: source });
    const finish = (f: () => void): void => {
      if (timer) clearTimeout(timer);
      lines.off('line', onLine);
      child.off('exit', onExit);
      f();
    };
    const onLine = (line: string): void => {
      const hit = pick(line);
      if (hit !== undefined) finish(() => resolve(hit));
      else opts.onOther?.(line);
    };
    const onExit = (code: number | null): void => finish(() => reject(new Error(`${child.spawnfile} exited (${code}) before the expected output`)));
    const timer = opts.timeoutMs === undefined ? null : setTimeout(() => finish(() => reject(new Error(`no expected output within ${opts.timeoutMs} ms`))), opts.timeoutMs);
    lines.on('line', onLine);
    child.once('exit', onExit);
  });
}

/** A `pick` for `firstLine` over JSON lines: lines that are not JSON objects are passed over. */
export function jsonLine<T>(pick: (rec: Record<string, unknown>) => T | undefined): (line: string) => T | undefined {
  return (line) => {
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch {
      return undefined;
    }
    return typeof rec === 'object' && rec !== null && !Array.isArray(rec) ? pick(rec as Record<string, unknown>) : undefined;
  };
}

/** Resolve with the first stdout line of `child` that matches, reject if it exits first or after `ms`. */
export function waitForLine(child: ChildProcess, match: (line: string) => boolean, ms: number): Promise<string> {
  return firstLine(child, 'stdout', (line) => (match(line) ? line : undefined), { timeoutMs: ms });
}

/** Kill a child and wait until it has exited. */
export function killChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/** Poll `probe` until it returns true or `ms` pass (for state that has no event, like `wg show`). */
export async function pollUntil(probe: () => Promise<boolean> | boolean, ms: number, everyMs = 50): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Wait for `p`, at most `ms` (a cleanup step that must not hang a test run); its rejection passes on. */
export async function awaitAtMost(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
