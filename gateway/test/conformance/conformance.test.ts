/**
 * Peer conformance: every case of the shared corpus (../shared/conformance next to the repo)
 * is imported with our importers, built with policies/ and judged as `rego-broker decide`
 * would. Each case agrees with the peer's recorded answer or is listed in differences.json
 * with a section of docs/importers.md that explains the deliberate difference.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { importSemgrep } from '../../src/importers/semgrep';
import { importSnyk } from '../../src/importers/snyk';
import { writeRuleset } from '../../src/importers/write';
import type { WasmEvaluator } from '../../src/policy/evaluate';
import { REPO_ROOT } from '../helpers/rego';
import type { CaseRequest } from './harness';
import { allows, buildBundle, headingSlugs, integration, loadBundle } from './harness';

const CORPUS = join(REPO_ROOT, '..', 'shared', 'conformance');
const DIFFERENCES = JSON.parse(readFileSync(join(__dirname, 'differences.json'), 'utf8')) as Record<string, { section: string; reason: string }>;
const DOC_SLUGS = headingSlugs(readFileSync(join(REPO_ROOT, 'docs', 'importers.md'), 'utf8'));

interface SnykCase {
  id: string;
  rules: string;
  list: 'private' | 'public' | null;
  request: { method: string; url: string; headers: Record<string, string>; body: unknown };
  expect: { allow: boolean };
  oracle: { allow: boolean };
}

interface SemgrepCase {
  id: string;
  allowlist?: unknown[];
  scm?: { type: string; baseUrl: string; allowCodeAccess: boolean };
  request: { method: string; url: string };
  expect: { allow: boolean };
}

/**
 * Where each Snyk rule file's case URLs (paths relative to the rule origin) are sent: the
 * integration shape (the type whose default surfaces it gets), its base URL, and the origin
 * the case path is appended to. Files without origins use one generic `api` surface.
 */
const SNYK_TARGETS: Record<string, { shape: string; baseUrl: string; prefix: string }> = {
  'fixtures-accept-github.json': { shape: 'github', baseUrl: 'https://api.github.com', prefix: 'https://api.github.com' },
  'defaultFilters-github.json': { shape: 'github', baseUrl: 'https://api.github.com', prefix: 'https://api.github.com' },
  'fixtures-accept-ghe.json': { shape: 'github', baseUrl: 'https://ghe.example.com/api/v3', prefix: 'https://ghe.example.com/api/v3' },
  'fixtures-accept-github-big-files.json': { shape: 'generic', baseUrl: 'https://github-api.example.com', prefix: 'https://github-api.example.com' },
  'defaultFilters-bitbucket-server.json': { shape: 'bitbucket', baseUrl: 'https://bitbucket.example.com/rest/api/1.0', prefix: 'https://bitbucket.example.com' },
  'defaultFilters-bitbucket-server-bearer-auth.json': { shape: 'bitbucket', baseUrl: 'https://bitbucket.example.com/rest/api/1.0', prefix: 'https://bitbucket.example.com' },
  'defaultFilters-azure-repos.json': { shape: 'azure-repos', baseUrl: 'https://dev.azure.com/acme', prefix: 'https://dev.azure.com/acme' },
  'defaultFilters-gitlab.json': { shape: 'gitlab', baseUrl: 'https://gitlab.example.com/api/v4', prefix: 'https://gitlab.example.com' },
  'fixtures-relay.json': { shape: 'generic', baseUrl: 'https://relay.example.com', prefix: 'https://relay.example.com' },
  'fixtures-client-filters.json': { shape: 'generic', baseUrl: 'http://localhost:9000', prefix: 'http://localhost:9000' },
};

/** Map one case after another (each judgement awaits the evaluator). */
async function mapInOrder<T, U>(items: readonly T[], f: (item: T) => Promise<U>): Promise<U[]> {
  const out: U[] = [];
  for (const item of items) out.push(await f(item));
  return out;
}

function readJsonl<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

/** Agreement of one peer's cases; throws listing every unexplained or stale entry. */
function verdict(peer: string, results: { id: string; ours: boolean; peer: boolean }[]): string {
  const problems: string[] = [];
  let agree = 0;
  let documented = 0;
  for (const r of results) {
    const listed = DIFFERENCES[r.id];
    if (r.ours === r.peer) {
      agree++;
      if (listed !== undefined) problems.push(`${r.id}: listed as a difference but agrees (allow=${r.ours}); remove it`);
    } else if (listed === undefined) {
      problems.push(`${r.id}: ours allow=${r.ours}, peer allow=${r.peer}, and not in differences.json`);
    } else {
      documented++;
      if (!DOC_SLUGS.has(listed.section)) problems.push(`${r.id}: section #${listed.section} is not in docs/importers.md`);
    }
  }
  if (problems.length > 0) throw new Error(`${peer} conformance:\n  ${problems.join('\n  ')}`);
  return `${peer}: ${agree}/${results.length} agree, ${documented} documented differences`;
}

const available = existsSync(CORPUS);
if (!available) process.stdout.write(`conformance: skipped, the corpus ${CORPUS} is absent\n`);
const maybe = available ? describe : describe.skip;

maybe('peer conformance', () => {
  test('snyk accept.json cases', async () => {
    const cases = readJsonl<SnykCase>(join(CORPUS, 'snyk', 'cases.jsonl'));
    const out = mkdtempSync(join(tmpdir(), 'rego-broker-snyk-'));
    const names = new Map<string, string>();
    for (const c of cases) {
      const key = `${c.rules}:${c.list ?? ''}`;
      if (names.has(key)) continue;
      const name = `${c.rules.replace(/\.json$/, '')}-${c.list ?? 'all'}`;
      const doc: unknown = JSON.parse(readFileSync(join(CORPUS, 'snyk', 'rules', c.rules), 'utf8'));
      writeRuleset(out, importSnyk(doc, { name, list: c.list ?? undefined, source: c.rules }).data);
      names.set(key, name);
    }
    const evaluator: WasmEvaluator = await loadBundle(buildBundle(out));
    const results = await mapInOrder(cases, async (c) => {
      const target = SNYK_TARGETS[c.rules];
      if (target === undefined) throw new Error(`${c.id}: no origin for rule file ${c.rules}; add it to SNYK_TARGETS`);
      const req: CaseRequest = { method: c.request.method, url: target.prefix + c.request.url, headers: c.request.headers, body: c.request.body };
      const ruleset = names.get(`${c.rules}:${c.list ?? ''}`) as string;
      expect(c.oracle.allow).toBe(c.expect.allow);
      return { id: c.id, ours: await allows(evaluator, integration(ruleset, target.shape, target.baseUrl), req), peer: c.expect.allow };
    });
    process.stdout.write(`${verdict('snyk', results)}\n`);
  });

  test('semgrep allowlist cases', async () => {
    const cases = readJsonl<SemgrepCase>(join(CORPUS, 'semgrep', 'cases.jsonl'));
    const out = mkdtempSync(join(tmpdir(), 'rego-broker-semgrep-'));
    type ScmRules = { expanded: { baseUrl: string; allowCodeAccess: boolean; rules: unknown[] }[] };
    const scm = new Map<string, ScmRules>();
    const rulesetOf = new Map<string, string>();
    for (const c of cases) {
      let allowlist = c.allowlist;
      if (c.scm !== undefined) {
        const { type, baseUrl, allowCodeAccess } = c.scm;
        if (!scm.has(type)) scm.set(type, JSON.parse(readFileSync(join(CORPUS, 'semgrep', 'scm-rules', `${type}.json`), 'utf8')) as ScmRules);
        allowlist = scm.get(type)?.expanded.find((e) => e.baseUrl === baseUrl && e.allowCodeAccess === allowCodeAccess)?.rules;
      }
      if (allowlist === undefined) throw new Error(`${c.id}: no rules`);
      // The peer's own configuration format, imported through the YAML path.
      const yaml = stringify({ inbound: { allowlist } });
      const name = `sg-${createHash('sha256').update(yaml).digest('hex').slice(0, 12)}`;
      if (!rulesetOf.has(yaml)) writeRuleset(out, importSemgrep(yaml, { name, source: c.id }).data);
      rulesetOf.set(yaml, name);
      rulesetOf.set(c.id, name);
    }
    const evaluator = await loadBundle(buildBundle(out));
    const results = await mapInOrder(cases, async (c) => {
      const origin = /^[a-z]+:\/\/[^/?#]+/i.exec(c.request.url)?.[0] as string;
      const target = integration(rulesetOf.get(c.id) as string, 'generic', origin);
      return { id: c.id, ours: await allows(evaluator, target, { method: c.request.method, url: c.request.url }), peer: c.expect.allow };
    });
    process.stdout.write(`${verdict('semgrep', results)}\n`);
  });
});
