/**
 * Configuration mistakes of the policy lifecycle are refused at start (exit 2), each message
 * naming the file that set the key and the key: types, their surfaces and flags, rule set
 * modes, signing keys, the bundle service.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runCli } from '../../helpers/cli';
import type { CliRun } from '../../helpers/cli';

const dir = mkdtempSync(join(tmpdir(), 'rego-broker-discipline-'));
const auth = { scheme: 'bearer', tokenEnv: 'T' };
const ghe = { name: 'ghe', type: 'github', baseUrl: 'https://ghe.example.com/api/v3', auth };

let serial = 0;
function file(doc: unknown): string {
  const path = join(dir, `c${++serial}.yaml`);
  writeFileSync(path, stringify(doc));
  return path;
}

function dump(files: string[]): Promise<CliRun> {
  return runCli(['dump', ...files.flatMap((f) => ['-c', f])], { env: { T: 't' } });
}

const CASES: Array<[string, unknown, string]> = [
  ['a custom type without surfaces', { integrations: [{ ...ghe, type: 'inventory' }] }, 'integrations[0].type: inventory is not a built-in type: declare its surfaces'],
  ['a type that is no package name', { integrations: [{ ...ghe, type: 'Inventory!' }] }, 'integrations[0].type'],
  ['a flag the type does not read', { integrations: [{ ...ghe, type: 'jira', baseUrl: 'https://jira.example.com', allowCodeAccess: true }] }, 'integrations[0].allowCodeAccess: does not apply to type jira'],
  ['allowedProjects on github', { integrations: [{ ...ghe, allowedProjects: ['SEC'] }] }, 'integrations[0].allowedProjects: does not apply to type github'],
  ['an unknown rulesetMode', { integrations: [{ ...ghe, rulesets: ['s'], rulesetMode: 'widest' }] }, 'integrations[0].rulesetMode: one of union, intersect, replace'],
  ['rulesetMode without rulesets', { integrations: [{ ...ghe, rulesetMode: 'intersect' }] }, 'integrations[0].rulesetMode: only with rulesets'],
  ['disabledRules without rulesets', { integrations: [{ ...ghe, disabledRules: ['imported.s.0001'] }] }, 'integrations[0].disabledRules: only with rulesets'],
  ['a signing key without material', { policy: { signing: { keys: [{ algorithm: 'RS256' }] } } }, 'policy.signing.keys[0]: set one of keyFile or keyEnv'],
  ['an unknown signing algorithm', { policy: { signing: { keys: [{ algorithm: 'none', keyFile: '/k' }] } } }, 'policy.signing.keys[0].algorithm'],
  ['an unknown signing key field', { policy: { signing: { keys: [{ algorithm: 'HS256', keyFile: '/k', kid: 'x' }] } } }, 'policy.signing.keys[0].kid: unknown key'],
  ['a bundle service that is no URL', { policy: { service: { url: 'ftp://x' } } }, 'policy.service.url'],
  ['a service token without a service', { policy: { service: { tokenEnv: 'X' } } }, 'policy.service: tokenEnv/tokenFile set without policy.service.url'],
  ['an unknown start-up stance', { policy: { onLoadFailure: 'maybe' } }, 'policy.onLoadFailure'],
];

it.each(CASES)('%s: exit 2, naming the file and the key', async (_name, doc, message) => {
  const path = file(doc);
  const r = await dump([path]);
  expect(r.code).toBe(2);
  expect(r.err).toContain(message);
  if (!r.err.includes('invalid configuration')) expect(r.err).toContain(`${path}: `);
});

it('names the later file when layered files both set the key', async () => {
  const base = file({ integrations: [ghe] });
  const override = file({ integrations: [{ ...ghe, allowedProjects: ['SEC'] }] });
  const r = await dump([base, override]);
  expect(r.code).toBe(2);
  expect(r.err).toContain(`${override}: integrations[0].allowedProjects`);
});

it('a custom type with its surfaces, rulesetMode, disabledRules and a signing key load as configured', async () => {
  const r = await dump([
    file({
      policy: { signing: { keys: [{ id: 'prod', algorithm: 'HS256', keyEnv: 'T' }] } },
      integrations: [{ name: 'inv', type: 'inventory', baseUrl: 'https://inv.example.com', surfaces: { api: 'https://inv.example.com' }, auth, rulesets: ['s'], rulesetMode: 'intersect', disabledRules: ['imported.s.0002'] }],
    }),
  ]);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  const config = JSON.parse(r.out) as { policy: { signing: { required: boolean } }; integrations: Array<{ flags: Record<string, unknown> }> };
  expect(config.policy.signing.required).toBe(true);
  expect(config.integrations[0]!.flags).toMatchObject({ rulesets: ['s'], ruleset_mode: ['intersect'], disabled_rules: ['imported.s.0002'] });
});
