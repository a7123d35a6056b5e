/** The package root and version, found once by walking up from this file to package.json. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

function findRoot(): { root: string; version: string } {
  let dir = __dirname;
  for (let i = 0; i < 6; i += 1) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'rego-broker') return { root: dir, version: pkg.version ?? '0.0.0' };
    } catch {
      // not here; go up
    }
    dir = dirname(dir);
  }
  return { root: process.cwd(), version: '0.0.0' };
}

const found = findRoot();

/** Directory holding package.json (the repository or the installed package). */
export const PACKAGE_ROOT = found.root;
export const VERSION = found.version;
/** Where `npm run build` puts the policy bundle. */
export const DEFAULT_BUNDLE = join(PACKAGE_ROOT, 'policies', 'build', 'bundle.tar.gz');
