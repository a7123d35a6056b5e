/** `rego-broker check`: the bundle loads and each integration answers with its credential. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { stringify } from 'yaml';
import { main } from '../../src/cli/main';
import { SHIPPED_BUNDLE } from '../helpers/rego';
import { startUpstream } from '../helpers/upstream';
import type { FakeUpstream } from '../helpers/upstream';

const TOKEN = 'check-canary-51f0';
let upstream: FakeUpstream;

beforeAll(async () => {
  upstream = await startUpstream((req, res) => {
    res.writeHead(req.headers.authorization === `Bearer ${TOKEN}` ? 200 : 401);
    res.end();
  });
});
afterAll(() => upstream.close());

async function check(bundle: string, token: string): Promise<{ code: number; out: string }> {
  const file = join(mkdtempSync(join(tmpdir(), 'rego-broker-check-')), 'c.yaml');
  writeFileSync(file, stringify({ policy: { bundle }, integrations: [{ name: 'ghe', type: 'github', baseUrl: `${upstream.url}/api/v3`, auth: { scheme: 'bearer', tokenEnv: 'T' } }] }));
  const stdout = new PassThrough();
  const chunks: string[] = [];
  stdout.on('data', (c: Buffer) => chunks.push(c.toString()));
  const code = await main(['check', '-c', file], { env: { T: token }, stdin: new PassThrough(), stdout, stderr: new PassThrough() });
  return { code, out: chunks.join('') };
}

it('passes when the bundle loads and the integration accepts the credential', async () => {
  const r = await check(SHIPPED_BUNDLE, TOKEN);
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/^ok +policy bundle/m);
  expect(r.out).toMatch(/^ok +integration ghe .*HTTP 200/m);
  expect(r.out).not.toContain(TOKEN);
});

it.each([
  ['a rejected credential', SHIPPED_BUNDLE, 'wrong-token', /^FAIL integration ghe .*HTTP 401/m],
  ['a missing bundle', join(tmpdir(), 'missing-bundle.tar.gz'), TOKEN, /^FAIL policy bundle/m],
])('fails with exit 1 on %s', async (_name, bundle, token, line) => {
  const r = await check(bundle, token);
  expect(r.code).toBe(1);
  expect(r.out).toMatch(line);
});
