/**
 * A stand-in for `ip` and `wg`: records every command, keeps the text of each `wg setconf`
 * file (read while it exists), and answers `wg show <iface> dump` from a table the test sets.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { CommandResult, CommandRunner } from '../../../tunnel/src/index';

export class FakeRunner implements CommandRunner {
  readonly calls: string[][] = [];
  /** Contents of each setconf file, and whether the file was gone right after. */
  readonly setconfs: Array<{ text: string; file: string }> = [];
  /** Latest handshake (seconds since the epoch, 0 = none) per peer key, for `wg show dump`. */
  handshakes = new Map<string, number>();
  /** Exit code of `ip link add … type wireguard` (0 = the kernel module is there). */
  kernel = 0;

  constructor(private readonly privateKeyLine = '(hidden)') {}

  run(file: string, args: readonly string[]): Promise<CommandResult> {
    this.calls.push([file, ...args]);
    const ok = (stdout = ''): Promise<CommandResult> => Promise.resolve({ code: 0, stdout, stderr: '' });
    if (file === 'ip' && args[0] === 'link' && args[1] === 'add') return Promise.resolve({ code: this.kernel, stdout: '', stderr: 'not supported' });
    if (file === 'ip' && args[0] === 'link' && args[1] === 'show') return Promise.resolve({ code: 1, stdout: '', stderr: 'no such device' });
    if (args[0] === 'setconf' && args[2] !== undefined) {
      this.setconfs.push({ text: readFileSync(args[2], 'utf8'), file: args[2] });
      return ok();
    }
    if (args[0] === 'show' && args[2] === 'dump') {
      const peers = [...this.handshakes].map(([key, t]) => [key, '(none)', '(none)', '(none)', String(t), '0', '0', 'off'].join('\t'));
      return ok([[this.privateKeyLine, 'hubpub=', '51820', 'off'].join('\t'), ...peers].join('\n') + '\n');
    }
    return ok();
  }

  /** Whether a setconf file still exists (it must not, after use). */
  static gone(file: string): boolean {
    return !existsSync(file);
  }
}
