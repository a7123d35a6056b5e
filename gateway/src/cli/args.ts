/** Shared argument handling of the CLI commands. */
import { parseArgs } from 'node:util';
import { ConfigError } from '../errors';
import { loadConfig } from '../config/load';
import type { LoadResult } from '../config/load';
import type { Env } from '../config/secrets';
import { DEFAULT_BUNDLE } from '../version';

export interface CommandIo {
  argv: string[];
  env: Env;
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** Parse `-c FILE` (repeatable) and the command's own options; unknown flags are usage errors. */
export function parseCommand(
  argv: string[],
  extra: Record<string, { type: 'string' | 'boolean'; short?: string }> = {},
): { files: string[]; values: Record<string, string | boolean | undefined> } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { config: { type: 'string', short: 'c', multiple: true }, ...extra },
      allowPositionals: false,
      strict: true,
    });
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const { config, ...values } = parsed.values as Record<string, unknown>;
  return { files: (config as string[] | undefined) ?? [], values: values as Record<string, string | boolean | undefined> };
}

/** Load the configuration named by `-c`; at least one file is required. */
export function loadFromFiles(files: string[], env: Env): LoadResult {
  if (files.length === 0) throw new ConfigError('missing -c FILE (a configuration file is required)');
  return loadConfig({ files, env, defaultBundle: DEFAULT_BUNDLE });
}
