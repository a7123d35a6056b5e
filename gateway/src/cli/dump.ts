/** `rego-broker dump -c FILE…`: the effective configuration as JSON, secrets redacted. */
import { dumpConfig } from '../config/dump';
import type { CommandIo } from './args';
import { loadFromFiles, parseCommand } from './args';

export function dump(io: CommandIo): number {
  const { files } = parseCommand(io.argv);
  const { config, warnings } = loadFromFiles(files, io.env);
  for (const w of warnings) io.stderr.write(`warning: ${w}\n`);
  io.stdout.write(`${JSON.stringify(dumpConfig(config), null, 2)}\n`);
  return 0;
}
