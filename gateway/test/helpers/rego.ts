/**
 * Compiles tiny inline Rego modules into a WASM bundle with the pinned opa, for tests of the
 * evaluation mechanics (allow, deny, undefined, trap) independent of the shipped policies.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load';
import type { PolicyConfig } from '../../src/config/types';

export const REPO_ROOT = join(__dirname, '..', '..', '..');
export const OPA = join(REPO_ROOT, 'tools', 'bin', 'opa');
export const SHIPPED_BUNDLE = join(REPO_ROOT, 'policies', 'build', 'bundle.tar.gz');

/** Build a bundle from `modules` (file name → Rego source); cached by content. */
export function buildBundle(modules: Record<string, string>, entrypoints: string[] = ['broker/decision']): string {
  const hash = createHash('sha256').update(JSON.stringify([modules, entrypoints])).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), `rego-broker-test-${hash}`);
  const out = join(dir, 'bundle.tar.gz');
  if (existsSync(out)) return out;
  const src = join(dir, 'src');
  mkdirSync(src, { recursive: true });
  for (const [name, text] of Object.entries(modules)) writeFileSync(join(src, name), text);
  execFileSync(OPA, ['build', '-t', 'wasm', ...entrypoints.flatMap((e) => ['-e', e]), '--revision', `test-${hash}`, '-o', out, src], { stdio: 'pipe' });
  return out;
}

/** The policy section of a configuration with every default (no file, no environment). */
export function defaultPolicyConfig(): PolicyConfig {
  return loadConfig({ files: [], env: {}, defaultBundle: SHIPPED_BUNDLE }).config.policy;
}
