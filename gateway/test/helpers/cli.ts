/** Runs the CLI in-process, with its output captured, as a shell would run `rego-broker ...`. */
import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/main';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

export async function runCli(argv: string[], options: { env?: Record<string, string>; stdin?: string } = {}): Promise<CliRun> {
  const stdin = new PassThrough();
  stdin.end(options.stdin ?? '');
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (c: Buffer) => out.push(c.toString()));
  stderr.on('data', (c: Buffer) => err.push(c.toString()));
  const code = await main(argv, { env: options.env ?? {}, stdin, stdout, stderr });
  return { code, out: out.join(''), err: err.join('') };
}
