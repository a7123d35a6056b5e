/**
 * `rego-broker check` runs the checks a reload makes and prints the reason of each failure: an
 * unreadable bundle, a bundle without the configured type's package, an unsigned bundle when
 * signing is configured, a rule set missing from the bundle.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { stringify } from 'yaml';
import { main } from '../../src/cli/main';
import { SHIPPED_BUNDLE } from '../helpers/rego';

// Only the bundle line is looked at; the integration probe goes to a closed loopback port.
const UPSTREAM = 'http://127.0.0.1:9';

const dir = mkdtempSync(join(tmpdir(), 'rego-broker-check-reasons-'));

async function check(doc: Record<string, unknown>): Promise<{ code: number; out: string }> {
  const file = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, stringify(doc));
  const stdout = new PassThrough();
  const chunks: string[] = [];
  stdout.on('data', (c: Buffer) => chunks.push(c.toString()));
  const code = await main(['check', '-c', file], { env: { T: 't', K: 'hmac-secret' }, stdin: new PassThrough(), stdout, stderr: new PassThrough() });
  return { code, out: chunks.join('') };
}

const gh = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ name: 'ghe', type: 'github', baseUrl: `${UPSTREAM}/api/v3`, auth: { scheme: 'bearer', tokenEnv: 'T' }, ...extra });
const garbage = join(dir, 'garbage.tar.gz');
writeFileSync(garbage, 'not a bundle');

const CASES: Array<[string, Record<string, unknown>, string]> = [
  ['an unreadable bundle', { policy: { bundle: garbage }, integrations: [gh()] }, 'not a readable .tar.gz bundle'],
  ['a type the bundle has no package for', { integrations: [gh({ type: 'inventory', surfaces: { api: UPSTREAM } })] }, 'integration ghe: the bundle has no policy package for type inventory'],
  ['an unsigned bundle with signing keys', { policy: { signing: { keys: [{ algorithm: 'HS256', keyEnv: 'K' }] } }, integrations: [gh()] }, 'signature: the bundle is not signed'],
  ['a rule set missing from the bundle', { integrations: [gh({ rulesets: ['nope'] })] }, 'rulesets: nope is not in the bundle'],
];

it.each(CASES)('%s: FAIL with the reason', async (_name, doc, reason) => {
  const r = await check({ ...doc, policy: { bundle: SHIPPED_BUNDLE, ...(doc.policy as object | undefined) } });
  expect(r.code).toBe(1);
  const line = r.out.split('\n').find((l) => l.startsWith('FAIL policy bundle'));
  expect(line).toContain(reason);
});

it('names the revision and whether a signature was verified when the bundle passes', async () => {
  const r = await check({ policy: { bundle: SHIPPED_BUNDLE }, integrations: [gh()] });
  expect(r.out).toMatch(/^ok +policy bundle .* \(revision .+, unsigned\)$/m);
});
