/** CLI usage and exit codes: 0 ok, 1 runtime failure, 2 bad usage or configuration. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../helpers/cli';
import type { CliRun } from '../../helpers/cli';

function run(argv: string[], stdinText = ''): Promise<CliRun> {
  return runCli(argv, { stdin: stdinText });
}

const dir = mkdtempSync(join(tmpdir(), 'rego-broker-cli-'));
const bad = join(dir, 'bad.yaml');
writeFileSync(bad, 'integrations:\n  - name: x\n    type: github\n    baseUrl: https://x/api/v3\n    auth: {scheme: bearer, tokenEnv: T}\n    bogus: 1\n');

describe('rego-broker', () => {
  it.each([
    [[], 2, 'usage'],
    [['frobnicate'], 2, 'unknown command'],
    [['run'], 2, 'missing -c'],
    [['dump', '--nope'], 2, 'nope'],
    [['dump', '-c', bad], 2, 'integrations[0].bogus'],
    [['decide', '-c', join(dir, 'absent.yaml')], 2, 'absent.yaml'],
    [['genkey', 'extra'], 2, 'no arguments'],
  ])('%j exits %i', async (argv, code, message) => {
    const r = await run(argv);
    expect(r.code).toBe(code);
    expect(r.err).toContain(message);
  });

  it('prints help with exit 0', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('decide');
  });

  it('genkey and pubkey agree with each other', async () => {
    const priv = (await run(['genkey'])).out.trim();
    expect(priv).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    const pub = await run(['pubkey'], `${priv}\n`);
    expect(pub.code).toBe(0);
    expect(pub.out.trim()).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(pub.out.trim()).not.toBe(priv);
  });

  it('pubkey rejects a bad key with exit 2', async () => {
    expect((await run(['pubkey'], 'not-a-key')).code).toBe(2);
  });

  const wg = (() => {
    try {
      execFileSync('wg', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  (wg ? it : it.skip)('pubkey agrees with wg pubkey', async () => {
    const priv = execFileSync('wg', ['genkey']).toString().trim();
    const theirs = execFileSync('wg', ['pubkey'], { input: `${priv}\n` }).toString().trim();
    expect((await run(['pubkey'], priv)).out.trim()).toBe(theirs);
  });
});
