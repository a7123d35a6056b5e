/**
 * `rego-broker decide` with outbound lines (relay name, headers, body): the same judgement as
 * the relay listener, the fields that would be removed, and no secret needed or shown.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { stringify } from 'yaml';
import { main } from '../../src/cli/main';
import { buildBundle } from '../conformance/harness';
import { SHIPPED_BUNDLE } from '../helpers/rego';

function configFile(bundle = SHIPPED_BUNDLE): string {
  const dir = mkdtempSync(join(tmpdir(), 'rego-broker-relay-decide-'));
  const file = join(dir, 'broker.yaml');
  writeFileSync(
    file,
    stringify({
      policy: { bundle },
      integrations: [{ name: 'ghe', type: 'github', baseUrl: 'https://ghe.example.com/api/v3', auth: { scheme: 'bearer', tokenEnv: 'T' } }],
      relay: { signingKeyEnv: 'RELAY_KEY', queue: { dir: join(dir, 'queue') } },
      relays: [{ name: 'scanner', integration: 'ghe', destination: 'https://saas.example.com/hooks', secretEnv: 'HOOK_SECRET' }],
    }),
  );
  return file;
}

async function decide(lines: unknown[], bundle = SHIPPED_BUNDLE): Promise<{ code: number; out: Array<Record<string, unknown>> }> {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (c: Buffer) => chunks.push(c));
  stdin.end(lines.map((l) => JSON.stringify(l)).join('\n'));
  // No secret in the environment: decide neither verifies nor signs.
  const code = await main(['decide', '-c', configFile(bundle)], { env: { T: 'x' }, stdin, stdout, stderr: new PassThrough() });
  const out = Buffer.concat(chunks).toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code, out };
}

const push = (files: string[]): Record<string, unknown> => ({ commits: [{ message: 'm', author: { email: 'a@example.com' }, added: files, modified: [], removed: [] }], pusher: { name: 'a' } });

test('outbound lines are judged by broker/outbound', async () => {
  const { code, out } = await decide([
    { relay: 'scanner', headers: { 'X-GitHub-Event': 'push' }, body: push(['requirements.txt']) },
    { relay: 'scanner', headers: { 'X-GitHub-Event': 'push' }, body: push(['main.py']) },
    { relay: 'scanner', headers: { 'X-GitHub-Event': 'pull_request' }, body: { action: 'opened' } },
  ]);
  expect(code).toBe(0);
  expect(out[0]).toMatchObject({ allow: true, rule: 'outbound.github.push.manifest', status: null, code: null, removed: ['commits.0.message', 'commits.0.author', 'pusher'] });
  expect((out[0]?.input as { event: { changed_files: string[] } }).event.changed_files).toEqual(['requirements.txt']);
  expect(out[1]).toMatchObject({ allow: false, rule: 'broker.outbound.deny.no_matching_rule', status: 200, code: 'POLICY_DENIED', removed: [] });
  expect(out[2]).toMatchObject({ allow: true, rule: 'outbound.github.pull_request' });
});

test('an unknown relay or a malformed line is an error for that line; inbound lines still work', async () => {
  const { code, out } = await decide([
    { relay: 'nope', body: {} },
    { relay: 'scanner', headers: [] },
    { relay: 'scanner', headers: { 'x-github-event': 'push' }, body: 'not json' },
    { method: 'GET', url: 'https://ghe.example.com/api/v3/repos/acme/app' },
  ]);
  expect(code).toBe(1);
  expect(out[0]).toEqual({ line: 1, error: '"relay" must name a configured relay (scanner)' });
  expect(out[1]).toEqual({ line: 2, error: '"headers" must be an object' });
  expect(out[2]).toMatchObject({ allow: false, code: 'INPUT_INVALID', status: 400 });
  expect(out[3]).toHaveProperty('allow');
});

test('fields a customer outbound rule names in remove are removed too', async () => {
  const extra = mkdtempSync(join(tmpdir(), 'rego-broker-outbound-remove-'));
  writeFileSync(join(extra, 'remove.rego'), 'package outbound\n\nremove contains "commits.*.added"\n');
  const { out } = await decide([{ relay: 'scanner', headers: { 'X-GitHub-Event': 'push' }, body: push(['requirements.txt']) }], buildBundle(extra));
  expect(out[0]).toMatchObject({ allow: true, removed: expect.arrayContaining(['commits.0.message', 'commits.0.added']) as unknown });
});
