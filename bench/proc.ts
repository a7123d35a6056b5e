/** Child processes of the bench: start, wait until ready, read memory, stop. */
import { spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { openSync, readFileSync, writeFileSync } from 'node:fs';
import { firstLine } from '../tunnel/src/lab/netns';

export interface Child {
  name: string;
  proc: ChildProcess;
  pid: number;
  /** Resolves once the process has exited. */
  exited: Promise<number | null>;
}

/**
 * Start `argv` and wait (at most `timeoutMs`) until a line of `stream` satisfies `ready`, which
 * returns the value to resolve with. The other stream goes to `logFile`.
 */
export function startChild<T>(
  name: string,
  argv: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; logFile: string; stream: 'stdout' | 'stderr'; timeoutMs: number; ready: (line: string) => T | undefined },
): Promise<{ child: Child; value: T }> {
  const log = openSync(options.logFile, 'a');
  const stdio: SpawnOptions['stdio'] = options.stream === 'stdout' ? ['ignore', 'pipe', log] : ['ignore', log, 'pipe'];
  const proc = spawn(argv[0] as string, argv.slice(1), { env: options.env ?? process.env, cwd: options.cwd, stdio });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const child: Child = { name, proc, pid: proc.pid ?? 0, exited };
  const ready = (line: string): T | undefined => {
    try {
      return options.ready(line);
    } catch {
      return undefined;
    }
  };
  const started = new Promise<never>((_resolve, reject) => proc.once('error', reject));
  return Promise.race([firstLine(proc, options.stream, ready, { timeoutMs: options.timeoutMs }), started]).then(
    (value) => ({ child, value }),
    async (err: Error) => {
      // A process that never started (no pid) has nothing to stop and may never emit 'exit'.
      if (proc.pid !== undefined) await stop(child);
      throw new Error(`${name} was not ready: ${err.message} (log: ${options.logFile})`);
    },
  );
}

/** Stop a child with SIGTERM, then SIGKILL after `graceMs`. */
export async function stop(child: Child, graceMs = 5000): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  child.proc.kill('SIGTERM');
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}

/** Memory of a process from /proc/<pid>/status, in MiB. */
export function memory(pid: number): { rss: number; hwm: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rss: kib('VmRSS') / 1024, hwm: kib('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/** Reset the peak RSS (VmHWM) of a process; false when the kernel or permissions refuse. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Samples the RSS of `pid` every `everyMs` until stopped; returns the maximum seen (MiB). */
export function sampleRss(pid: number, everyMs = 20): { stop(): number } {
  let max = memory(pid)?.rss ?? 0;
  const timer = setInterval(() => {
    const m = memory(pid);
    if (m && m.rss > max) max = m.rss;
  }, everyMs);
  return {
    stop(): number {
      clearInterval(timer);
      const m = memory(pid);
      if (m && m.rss > max) max = m.rss;
      return max;
    },
  };
}

/** The last `bytes` of a log file, for error messages. */
export function tail(file: string, bytes = 600): string {
  try {
    const text = readFileSync(file, 'utf8');
    return text.slice(-bytes).trim();
  } catch {
    return '';
  }
}
