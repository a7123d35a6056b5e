#!/usr/bin/env node
/**
 * The `rego-broker` executable. Exit codes: 0 ok, 1 runtime failure, 2 bad usage or invalid
 * configuration (the message names the key). This entry point is the only place that hands
 * `process.env` and the standard streams to the rest of the program.
 */
import { ConfigError } from '../errors';
import type { CommandIo } from './args';

const USAGE = `usage: rego-broker <command> [options]

commands:
  run -c FILE [-c FILE…]          start the broker (later files override earlier ones)
  decide -c FILE… [--input FILE|-] judge JSONL request lines; print one decision per line
  dump -c FILE…                   print the effective configuration, secrets redacted
  check -c FILE…                  check the bundle and each integration's reachability
  import snyk|semgrep FILE [--name N] [--out DIR]  turn a peer's rules into policy data
  genkey                          print a new WireGuard private key
  pubkey                          read a private key on stdin, print its public key
`;

type Command = (io: CommandIo) => number | Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => (await import('./run')).run,
  decide: async () => (await import('./decide')).decide,
  dump: async () => (await import('./dump')).dump,
  check: async () => (await import('./check')).check,
  import: async () => (await import('./import')).importRules,
  genkey: async () => (await import('./keys')).genkey,
  pubkey: async () => (await import('./keys')).pubkey,
};

/** Run one command; resolves with the exit code. */
export async function main(argv: string[], io: Omit<CommandIo, 'argv'>): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout).write(USAGE);
    return name === undefined ? 2 : 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    io.stderr.write(`rego-broker: unknown command "${name}"\n${USAGE}`);
    return 2;
  }
  try {
    const command = await load();
    return await command({ ...io, argv: rest });
  } catch (err) {
    const e = err as Error & { exitCode?: number };
    const code = err instanceof ConfigError ? 2 : e.exitCode === 2 ? 2 : 1;
    io.stderr.write(`rego-broker ${name}: ${e.message}\n`);
    return code;
  }
}

if (require.main === module) {
  main(process.argv.slice(2), { env: process.env, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`rego-broker: ${String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
