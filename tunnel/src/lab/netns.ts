/**
 * Running commands inside a network namespace (`ip netns exec`). A Node process cannot switch
 * namespaces itself, so everything that must happen inside one is a child process. Part of the
 * lab (see `hub.ts`): used by the end-to-end tests and the demo, not by the broker.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
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

/** Resolve with the first stdout line of `child` that matches, reject if it exits first or after `ms`. */
export function waitForLine(child: ChildProcess, match: (line: string) => boolean, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (b: Buffer): void => {
      buf += b.toString('utf8');
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      const hit = lines.find(match);
      if (hit !== undefined) finish(() => resolve(hit));
    };
    const onExit = (code: number | null): void => finish(() => reject(new Error(`process exited (${code}) before the expected output`)));
    const timer = setTimeout(() => finish(() => reject(new Error(`no expected output within ${ms} ms`))), ms);
    const finish = (f: () => void): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      f();
    };
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
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
