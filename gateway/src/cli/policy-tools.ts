/**
 * What `rego-broker build` and `rego-broker test` share: where the shipped policies are (in the
 * installed package, so a customer's policy repository needs no checkout of this one), which
 * `opa` runs them, and the revision a build gets.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ConfigError } from '../errors';
import { PACKAGE_ROOT, VERSION } from '../version';

/** The shipped policies and their tests. */
export const SHIPPED = {
  policies: join(PACKAGE_ROOT, 'policies'),
  tests: join(PACKAGE_ROOT, 'policy-tests'),
  capabilities: join(PACKAGE_ROOT, 'policies', 'capabilities.json'),
};

/** The entrypoints every bundle has (the broker loads broker/decision; the others when present). */
export const ENTRYPOINTS = ['broker/decision', 'broker/outbound', 'system/log/mask'];

/** `--opa`, else the pinned one next to the package (`npm run tools`), else `opa` on PATH. */
export function opaPath(given: string | undefined): string {
  if (given !== undefined) return given;
  const pinned = join(PACKAGE_ROOT, 'tools', 'bin', 'opa');
  return existsSync(pinned) ? pinned : 'opa';
}

/** Customer directories must exist and be directories. */
export function checkDirs(dirs: readonly string[]): void {
  for (const dir of dirs) {
    let ok = false;
    try {
      ok = statSync(dir).isDirectory();
    } catch {
      ok = false;
    }
    if (!ok) throw new ConfigError(`${dir}: not a directory`);
  }
}

function git(dir: string, args: string[]): string | null {
  try {
    return execFileSync('git', ['-C', dir, ...args], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return null;
  }
}

/** Hash of the policy and data files under `dir` (sorted, names relative to it), 12 hex. */
export function contentHash(dir: string): string {
  const hash = createHash('sha256');
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      if (name === '.git' || name === 'build' || name === 'node_modules') continue;
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(rego|json|yaml|yml)$/.test(name)) hash.update(`${relative(dir, path)}\0`).update(readFileSync(path)).update('\0');
    }
  };
  walk(dir);
  return hash.digest('hex').slice(0, 12);
}

/**
 * The revision of a bundle of the shipped policies plus `dirs`: each customer directory by its
 * own commit when it is a git checkout (`git-<12 hex>`, `-dirty-<hash>` with uncommitted
 * changes), else by the hash of its files; then the shipped policies as `rego-broker-<version>`.
 */
export function revisionFor(dirs: readonly string[]): string {
  const parts = dirs.map((dir) => {
    const commit = git(dir, ['log', '-1', '--format=%H', '--', '.']);
    if (commit === null || commit === '') return `sha256-${contentHash(dir)}`;
    const dirty = git(dir, ['status', '--porcelain', '--', '.']);
    return `git-${commit.slice(0, 12)}${dirty ? `-dirty-${contentHash(dir)}` : ''}`;
  });
  return [...parts, `rego-broker-${VERSION}`].join('+');
}
