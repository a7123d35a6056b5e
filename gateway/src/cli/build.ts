/**
 * `rego-broker build [-o FILE] [--revision REV] [--signing-key KEY --signing-alg ALG] DIR…`:
 * build the bundle the broker loads from the shipped policies plus the customer's directories
 * (their `*_test.rego` files left out), with the pinned `opa`. With a signing key the bundle
 * carries OPA's `.signatures.json` (`opa sign` over the built files), which the broker verifies
 * when `policy.signing` has the matching key.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { c as createTar, x as extractTar } from 'tar';
import { ConfigError } from '../errors';
import type { CommandIo } from './args';
import { checkDirs, ENTRYPOINTS, opaPath, revisionFor, SHIPPED } from './policy-tools';

const ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'ES512', 'HS256', 'HS384', 'HS512'];

export function build(io: CommandIo): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: io.argv,
      options: {
        output: { type: 'string', short: 'o' },
        revision: { type: 'string' },
        opa: { type: 'string' },
        'signing-key': { type: 'string' },
        'signing-alg': { type: 'string' },
        'signing-key-id': { type: 'string' },
        scope: { type: 'string' },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const { values, positionals: dirs } = parsed;
  checkDirs(dirs);
  const out = resolve(values.output ?? 'bundle.tar.gz');
  const key = values['signing-key'];
  const alg = values['signing-alg'] ?? 'RS256';
  if (!ALGS.includes(alg)) throw new ConfigError(`--signing-alg: one of ${ALGS.join(', ')}`);
  if (key === undefined && (values['signing-key-id'] !== undefined || values.scope !== undefined)) {
    throw new ConfigError('--signing-key-id and --scope need --signing-key');
  }
  const opa = opaPath(values.opa);
  const revision = values.revision ?? revisionFor(dirs);
  const tmp = `${out}.tmp-${process.pid}`;
  try {
    run(opa, [
      'build',
      '--target',
      'wasm',
      ...ENTRYPOINTS.flatMap((e) => ['--entrypoint', e]),
      '--capabilities',
      SHIPPED.capabilities,
      '--revision',
      revision,
      '--ignore',
      'build',
      '--ignore',
      'capabilities.json',
      '--ignore',
      '*.md',
      '--ignore',
      '*_test.rego',
      '--ignore',
      '.git',
      '--output',
      tmp,
      SHIPPED.policies,
      ...dirs,
    ]);
    if (key !== undefined) sign(opa, tmp, key, alg, values['signing-key-id'], values.scope);
    renameSync(tmp, out);
  } finally {
    rmSync(tmp, { force: true });
  }
  io.stdout.write(`policy bundle: ${out}\nrevision: ${revision}\n`);
  return 0;
}

function run(opa: string, args: string[]): void {
  try {
    execFileSync(opa, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT') throw new Error(`${opa} not found (install opa, or pass --opa PATH)`);
    throw new Error(`opa ${args[0]} failed:\n${e.stderr?.toString().trim() ?? e.message}`);
  }
}

/** `opa sign` over the built bundle's files, then the same files and `.signatures.json` packed again. */
function sign(opa: string, bundle: string, key: string, alg: string, keyId: string | undefined, scope: string | undefined): void {
  const dir = mkdtempSync(join(tmpdir(), 'rego-broker-sign-'));
  try {
    const files = join(dir, 'files');
    extractTar({ file: bundle, cwd: mkdir(files), sync: true });
    const claims: Record<string, string> = {};
    if (keyId !== undefined) claims.keyid = keyId;
    if (scope !== undefined) claims.scope = scope;
    const claimsArgs = Object.keys(claims).length > 0 ? ['--claims-file', write(join(dir, 'claims.json'), JSON.stringify(claims))] : [];
    run(opa, ['sign', '--bundle', '--signing-alg', alg, '--signing-key', key, ...claimsArgs, '--output-file-path', files, files]);
    createTar({ gzip: true, file: bundle, cwd: files, sync: true, portable: true }, list(files));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function mkdir(path: string): string {
  mkdirSync(path, { recursive: true });
  return path;
}

function write(path: string, text: string): string {
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

/** Every file under `root`, relative to it. */
function list(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(relative(root, path));
    }
  };
  walk(root);
  return out.sort();
}
