/**
 * `rego-broker test [--opa PATH] [--shipped] DIR…`: `opa test` over the shipped policies and the
 * customer's directories, with the shipped test fixtures (policy-tests/fixtures.rego) available,
 * so tests next to the customer's policies (`*_test.rego`) run against the same policies the
 * bundle will hold. `--shipped` also runs the shipped policy tests (slower): a customer rule
 * that changes a shipped package's meaning fails them.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../errors';
import type { CommandIo } from './args';
import { checkDirs, opaPath, SHIPPED } from './policy-tools';

export function test(io: CommandIo): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: io.argv,
      options: { opa: { type: 'string' }, shipped: { type: 'boolean' }, verbose: { type: 'boolean', short: 'v' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const { values, positionals: dirs } = parsed;
  if (dirs.length === 0 && values.shipped !== true) throw new ConfigError('name at least one policy directory (or --shipped)');
  checkDirs(dirs);
  const opa = opaPath(values.opa);
  const tests = values.shipped === true ? [SHIPPED.tests] : [join(SHIPPED.tests, 'fixtures.rego')];
  const args = ['test', '--ignore', 'build', '--ignore', '.git', ...(values.verbose === true ? ['--verbose'] : []), SHIPPED.policies, ...tests, ...dirs];
  const result = spawnSync(opa, args, { encoding: 'utf8' });
  if (result.error) {
    const code = (result.error as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `${opa} not found (install opa, or pass --opa PATH)` : result.error.message);
  }
  io.stdout.write(result.stdout);
  io.stderr.write(result.stderr);
  return result.status === 0 ? 0 : 1;
}
