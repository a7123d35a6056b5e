/**
 * Runs peer conformance cases through the same gate as `rego-broker decide`: a bundle built
 * from policies/ plus a directory of imported rule sets, one integration per case that opts
 * into the case's rule set, and the gate.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IntegrationConfig } from '../../src/config/types';
import { gateOptions, judgeRequest } from '../../src/pipeline/gate';
import { WasmEvaluator } from '../../src/policy/evaluate';
import { compileSurfaces } from '../../src/request/resolve';
import { surfacesFor } from '../../src/request/surfaces';
import { defaultPolicyConfig, OPA, REPO_ROOT } from '../helpers/rego';

const POLICY = defaultPolicyConfig();

/** An integration type with no package of its own, so only the imported rules can allow. */
export const CONFORMANCE_TYPE = 'peer-conformance';

/** One request of a case. */
export interface CaseRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
}

/** Build a bundle exactly as scripts/build-policy.sh does, with `extraDir` as an extra directory. */
export function buildBundle(extraDir: string): string {
  const out = join(mkdtempSync(join(tmpdir(), 'rego-broker-conformance-')), 'bundle.tar.gz');
  const args = ['build', '--target', 'wasm', '-e', 'broker/decision', '-e', 'broker/outbound', '-e', 'system/log/mask'];
  args.push('--capabilities', join(REPO_ROOT, 'policies', 'capabilities.json'), '--revision', 'conformance');
  args.push('--ignore', 'build', '--ignore', 'capabilities.json', '--ignore', '*.md', '--output', out);
  execFileSync(OPA, [...args, join(REPO_ROOT, 'policies'), extraDir], { stdio: 'pipe' });
  return out;
}

/** Load a bundle with the broker's evaluator. */
export function loadBundle(bundle: string): Promise<WasmEvaluator> {
  return WasmEvaluator.load(bundle, { maxMemoryPages: 1024 });
}

/**
 * The integration a case runs against: `baseUrl` with the surfaces `shapeType` derives from
 * it, judged only by the rule set `ruleset`.
 */
export function integration(ruleset: string, shapeType: string, baseUrl: string): IntegrationConfig {
  return {
    name: 'peer',
    type: CONFORMANCE_TYPE,
    baseUrl,
    auth: { scheme: 'bearer', token: { env: null, file: null, literal: null }, username: null, header: null },
    surfaces: surfacesFor(shapeType, baseUrl, {}),
    flags: { rulesets: [ruleset] },
    forwardHeaders: [],
  };
}

/** Judge one request as `rego-broker decide` would; true when it would be proxied. */
export async function allows(evaluator: WasmEvaluator, target: IntegrationConfig, req: CaseRequest): Promise<boolean> {
  const options = gateOptions(POLICY, [target], compileSurfaces([target]), () => evaluator);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = v;
  let body = Buffer.alloc(0);
  if (req.body !== undefined && req.body !== null) {
    body = Buffer.from(JSON.stringify(req.body), 'utf8');
    headers['content-type'] ??= 'application/json';
  }
  const ctx = await judgeRequest({ method: req.method, url: req.url, headers, body, sourceAddress: 'conformance' }, options);
  return ctx.code === null;
}

/** GitHub-style heading slugs of a Markdown document. */
export function headingSlugs(markdown: string): Set<string> {
  const slugs = new Set<string>();
  for (const m of markdown.matchAll(/^#{1,6}\s+(.+)$/gm)) {
    slugs.add((m[1] as string).trim().toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-'));
  }
  return slugs;
}
