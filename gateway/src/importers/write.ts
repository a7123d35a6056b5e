/** Writes an imported rule set where `opa build` picks it up as `data.imported.<name>`. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SemgrepRuleset, SnykRuleset } from './types';

/** Rule set names: also integration flag values and a data path segment. */
export const RULESET_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

/**
 * Write `<root>/imported/<name>/data.json`. `root` is a policy directory given to the bundle
 * build (`policies/` or an extra directory): opa namespaces a data.json by its directory.
 * Returns the file written.
 */
export function writeRuleset(root: string, data: SnykRuleset | SemgrepRuleset): string {
  if (!RULESET_NAME.test(data.name)) throw new Error(`rule set name ${data.name}: letters, digits, - and _ only`);
  const dir = join(root, 'imported', data.name);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'data.json');
  writeFileSync(file, `${JSON.stringify(data, null, 1)}\n`);
  return file;
}
