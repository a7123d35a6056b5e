/**
 * Running the system tools (`ip`, `wg`) without a shell. Secrets go through stdin only; the
 * argument list is visible to every user of the host.
 */
import { spawn } from 'node:child_process';

/** What a finished command produced. */
export interface CommandResult {
  /** Exit code; -1 when the command was killed by a signal or timed out. */
  code: number;
  /** Everything written to stdout, UTF-8. */
  stdout: string;
  /** Everything written to stderr, UTF-8. */
  stderr: string;
}

/** Options of one command run. */
export interface RunOptions {
  /** Written to the command's stdin, which is then closed. */
  stdin?: string;
  /** Kill the command after this many ms (default 10000). */
  timeoutMs?: number;
}

/** Runs a command and collects its output. Rejects only when the command cannot start. */
export interface CommandRunner {
  /** Run `file` with `args` (no shell) and collect its output. */
  run(file: string, args: readonly string[], options?: RunOptions): Promise<CommandResult>;
}

/** The real runner: `child_process.spawn`, no shell. */
export const SPAWN_RUNNER: CommandRunner = Object.freeze({
  run(file: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(file, args, {
        stdio: ['pipe', 'pipe', 'pipe'],
        timeout: options.timeoutMs ?? 10_000,
        killSignal: 'SIGKILL',
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.stdin.on('error', () => undefined); // the command may exit without reading stdin
      child.once('error', reject);
      child.once('close', (code) => {
        resolve({
          code: code ?? -1,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
        });
      });
      child.stdin.end(options.stdin ?? '');
    });
  },
});

/**
 * Run a command that must succeed; on failure throw an `Error` naming the command and its
 * stderr. `redact` lists strings (secrets) removed from that message.
 */
export async function runChecked(
  runner: CommandRunner,
  file: string,
  args: readonly string[],
  options: RunOptions & { redact?: readonly string[] } = {},
): Promise<string> {
  const res = await runner.run(file, args, options);
  if (res.code === 0) return res.stdout;
  let detail = res.stderr.trim().split('\n').slice(-3).join(' / ');
  for (const secret of options.redact ?? []) if (secret !== '') detail = detail.split(secret).join('[redacted]');
  throw new Error(`${[file, ...args].join(' ')} exited with ${res.code}${detail === '' ? '' : `: ${detail}`}`);
}
