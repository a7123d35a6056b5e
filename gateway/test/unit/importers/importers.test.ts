/** The Snyk and Semgrep importers and the `import` command: rule files in, rule set data out. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../../../src/cli/main';
import { importSemgrep } from '../../../src/importers/semgrep';
import { importSnyk } from '../../../src/importers/snyk';

const opts = { name: 't', source: 'test' };

describe('importSnyk', () => {
  const surfaces: [string, string | undefined, string, string][] = [
    ['https://${GITHUB_TOKEN}@${GITHUB_API}', '/repos/:o/:r', 'api', '^/repos/(?:(?:[^/]+))/(?:(?:[^/]+))/?$'],
    ['https://${GITHUB_TOKEN}@${GITHUB_GRAPHQL}', '/graphql', 'graphql', '^/?$'],
    ['https://${GITHUB_TOKEN}@${GITHUB_RAW}', '/:o/:r', 'raw', '^/(?:(?:[^/]+))/(?:(?:[^/]+))/?$'],
    ['https://${GITLAB}', '/api/v4/projects', 'api', '^/projects/?$'],
    ['https://${GITLAB}', '/api/graphql', 'graphql', '^/?$'],
    ['https://${GITLAB}', '/g/r.git/info/refs', 'git', '^/g/r\\.git/info/refs/?$'],
    ['https://${BITBUCKET}', '/rest/api/1.0/projects', 'api', '^/projects/?$'],
    ['https://${BITBUCKET}', '/rest/insights/1.0/x', 'rest', '^/insights/1\\.0/x/?$'],
    ['https://${BITBUCKET}', '/projects/p/browse', 'web', '^/projects/p/browse/?$'],
    ['https://${AZURE_REPOS_HOST}/${AZURE_REPOS_ORG}', '_apis/projects', 'api', '^/_apis/projects/?$'],
    ['http://localhost:9000', '/echo', 'api', '^/echo/?$'],
  ];
  test.each(surfaces)('origin %s, path %s → surface %s', (origin, path, surface, regex) => {
    const { data } = importSnyk({ private: [{ method: 'GET', path, origin }] }, opts);
    expect(data.rules[0]).toMatchObject({ surface, regex, method: 'GET', id: 'imported.t.0001' });
  });

  test('methods: default GET, any is *, lists index them', () => {
    const { data } = importSnyk([{ path: '/a' }, { method: 'any', path: '/b' }, { method: 'post', path: '/c/:x' }], opts);
    expect(data.rules.map((r) => r.method)).toEqual(['GET', '*', 'POST']);
    expect(data.index).toEqual({ api: { GET: { a: { a: { '1': [0] } } }, '*': { b: { b: { '1': [1] } } }, POST: { c: { '': { '2': [2] } } } } });
    expect(data.rules[2]).toMatchObject({ skeleton: { head: ['c', null], tail: [], rest: null }, prefix: '/c', suffix: '' });
    expect(data.list).toBeNull();
  });

  test('the list is chosen, private by default', () => {
    const doc = { private: [{ path: '/priv' }], public: [{ path: '/pub' }] };
    expect(importSnyk(doc, opts).data.rules[0]?.path).toBe('/priv');
    expect(importSnyk(doc, { ...opts, list: 'public' }).data.rules[0]?.path).toBe('/pub');
    expect(() => importSnyk({ private: [] }, { ...opts, list: 'public' })).toThrow(/no "public" list/);
    expect(() => importSnyk('x', opts)).toThrow(/must be an object/);
  });

  test('valid entries are classified like the peer', () => {
    const valid = [
      { path: 'a.*.b', value: 'v' },
      { path: 'flag' },
      { path: 'query', regex: '^\\{' },
      { path: 'query', regex: 'INVALID (' },
      { path: 'query', regex: '(?=x)' },
      { queryParam: 'f', values: ['**/x.json'] },
      { header: 'Accept', values: ['a'] },
      { '//': 'a comment only' },
    ];
    const { data, warnings } = importSnyk([{ method: 'POST', path: '/x', valid }], opts);
    const rule = data.rules[0];
    expect(rule?.filtered).toBe(true);
    expect(rule?.body_values).toEqual([
      { path: ['a', '*', 'b'], has_value: true, value: 'v' },
      { path: ['flag'], has_value: false, value: null },
    ]);
    expect(rule?.body_regexes).toEqual([{ path: ['query'], regex: '^\\{' }]);
    expect(rule?.queries.map((q) => q.name)).toEqual(['f']);
    expect(rule?.headers).toEqual([{ name: 'accept', values: ['a'] }]);
    expect(warnings.join('\n')).toMatch(/invalid regex[\s\S]*lookaround[\s\S]*Accept is compared as accept/);
  });

  test('a rule whose only entry was dropped still requires it', () => {
    const { data } = importSnyk([{ method: 'POST', path: '/g', valid: [{ path: 'q', regex: '(' }] }], opts);
    expect(data.rules[0]).toMatchObject({ filtered: true, body_regexes: [] });
  });

  test.each([
    [{ path: '/snykgit/*', origin: '${GIT_CLIENT_URL}' }, /git client/],
    [{ method: 'GET' }, /no path/],
    [{ method: 'GE T', path: '/x' }, /not an HTTP method/],
    [{ path: '/elsewhere', origin: 'https://${GITHUB_TOKEN}@${GITHUB_GRAPHQL}' }, /under no surface/],
  ])('%j is skipped', (rule, reason) => {
    const { data, warnings } = importSnyk([rule], opts);
    expect(data.rules).toEqual([]);
    expect(warnings.join('\n')).toMatch(reason);
  });

  test('auth is ignored with a warning; ${VAR} in a path is a parameter', () => {
    const { data, warnings } = importSnyk([{ path: '/x/${ORG}', auth: { scheme: 'basic' } }], opts);
    expect(data.rules[0]?.regex).toBe('^/x/(?:(?:[^/]+))/?$');
    expect(warnings.join('\n')).toMatch(/auth is ignored/);
  });
});

describe('importSemgrep', () => {
  test('allowlist entries become indexed rules', () => {
    const yaml = `inbound:
  allowlist:
    - url: https://ghe.example.com/api/v3/repos/:o/:r
      methods: [GET, post, OPTIONS]
    - url: https://*.example.com/x
      methods: [GET]
    - url: https://ghe.example.com/x
  github:
    baseUrl: https://ghe.example.com/api/v3
`;
    const { data, warnings } = importSemgrep(yaml, opts);
    expect(data.rules.map((r) => [r.id, r.methods])).toEqual([
      ['imported.t.0001', ['GET', 'POST']],
      ['imported.t.0003', []],
    ]);
    expect(data.index['https://ghe.example.com:443']).toEqual({ GET: { api: { '': { '5': [0] } } }, POST: { api: { '': { '5': [0] } } } });
    const text = warnings.join('\n');
    expect(text).toMatch(/OPTIONS never matches/);
    expect(text).toMatch(/literal hosts/);
    expect(text).toMatch(/no usable methods/);
    expect(text).toMatch(/inbound\.github: SCM shortcuts are not imported/);
  });

  test.each([
    ['just: text', /no inbound section/],
    ['inbound:\n  allowlist: 3', /must be a list/],
  ])('%s is refused', (yaml, reason) => {
    expect(() => importSemgrep(yaml, opts)).toThrow(reason);
  });
});

describe('rego-broker import', () => {
  async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (c: Buffer) => (out += c.toString()));
    stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await main(argv, { env: {}, stdin: new PassThrough(), stdout, stderr });
    return { code, out, err };
  }

  test('writes DIR/imported/NAME/data.json', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rego-broker-import-'));
    const file = join(dir, 'accept.json');
    writeFileSync(file, JSON.stringify({ private: [{ method: 'GET', path: '/x', auth: {} }] }));
    const r = await run(['import', 'snyk', file, '--name', 'mine', '--out', dir]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/warning: rule 1: auth is ignored/);
    const data = JSON.parse(readFileSync(join(dir, 'imported', 'mine', 'data.json'), 'utf8')) as { peer: string; rules: unknown[] };
    expect([data.peer, data.rules.length]).toEqual(['snyk', 1]);
  });

  test('the name defaults to the file name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rego-broker-import-'));
    const file = join(dir, 'semgrep config.yaml');
    writeFileSync(file, 'inbound:\n  allowlist:\n    - url: https://a.example.com/*\n      methods: [GET]\n');
    const r = await run(['import', 'semgrep', file, '--out', dir]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/data\.imported\.semgrep-config/);
  });

  test.each([
    [['import'], /usage: import snyk/],
    [['import', 'other', 'f'], /usage: import snyk/],
    [['import', 'snyk', '/nonexistent.json'], /nonexistent/],
    [['import', 'semgrep', '/x.yaml', '--list', 'public'], /snyk only/],
    [['import', 'snyk', '/x.json', '--name', 'bad name'], /letters, digits/],
    [['import', 'snyk', '/x.json', '--list', 'both'], /private or public/],
  ])('%j is a usage error', async (argv, reason) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(reason);
  });
});
