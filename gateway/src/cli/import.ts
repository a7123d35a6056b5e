/**
 * `rego-broker import snyk ACCEPT.json [--name NAME] [--list private|public] [--surface S] [--out DIR]`
 * `rego-broker import semgrep CONFIG.yaml [--name NAME] [--out DIR]`
 *
 * Turns a peer's rules into `DIR/imported/<name>/data.json` (DIR defaults to `.`), which the
 * bundle build compiles in when DIR is one of its policy directories. An integration uses the
 * rules with `rulesets: [NAME]`. See docs/importers.md.
 */
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../errors';
import { importSemgrep } from '../importers/semgrep';
import { importSnyk } from '../importers/snyk';
import type { ImportResult, SemgrepRuleset, SnykRuleset } from '../importers/types';
import { RULESET_NAME, writeRuleset } from '../importers/write';
import type { CommandIo } from './args';

const OPTIONS = {
  name: { type: 'string' },
  list: { type: 'string' },
  surface: { type: 'string' },
  out: { type: 'string', short: 'o' },
} as const;

function defaultName(file: string): string {
  const stem = basename(file, extname(file)).replace(/[^A-Za-z0-9_-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return stem === '' ? 'imported' : stem.slice(0, 63);
}

function run(peer: string, file: string, values: Record<string, string | undefined>): ImportResult<SnykRuleset | SemgrepRuleset> {
  const name = values.name ?? defaultName(file);
  if (!RULESET_NAME.test(name)) throw new ConfigError(`--name ${name}: letters, digits, - and _ only`);
  const list = values.list;
  if (list !== undefined && list !== 'private' && list !== 'public') throw new ConfigError('--list: private or public');
  if (peer !== 'snyk' && (list !== undefined || values.surface !== undefined)) throw new ConfigError('--list and --surface apply to snyk only');
  const text = readFileSync(file, 'utf8');
  if (peer === 'snyk') {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw new ConfigError(`${file}: not valid JSON (${(err as Error).message})`);
    }
    return importSnyk(doc, { name, source: basename(file), list, surface: values.surface });
  }
  return importSemgrep(text, { name, source: basename(file) });
}

/** The `import` command. */
export function importRules(io: CommandIo): number {
  let parsed;
  try {
    parsed = parseArgs({ args: io.argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const [peer, file, ...extra] = parsed.positionals;
  if ((peer !== 'snyk' && peer !== 'semgrep') || file === undefined || extra.length > 0) {
    throw new ConfigError('usage: import snyk ACCEPT.json | import semgrep CONFIG.yaml [--name NAME] [--out DIR]');
  }
  let result;
  try {
    result = run(peer, file, parsed.values);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`${file}: ${(err as Error).message}`);
  }
  for (const w of result.warnings) io.stderr.write(`warning: ${w}\n`);
  const written = writeRuleset(parsed.values.out ?? '.', result.data);
  io.stdout.write(
    `${written}: ${result.data.rules.length} ${peer} rules as data.imported.${result.data.name}\n` +
      `use them with "rulesets": ["${result.data.name}"] on an integration, and build with rego-broker build ${parsed.values.out ?? '.'}\n`,
  );
  return 0;
}
