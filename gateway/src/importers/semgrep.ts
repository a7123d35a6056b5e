/**
 * Imports a Semgrep Network Broker configuration (`inbound.allowlist`: `{url, methods}`) into an
 * imported rule set for `policies/lib/peers/semgrep.rego`. URLs become an origin plus an RE2
 * regex over the request path, indexed by origin, method and literal first/last segment.
 * SCM shortcuts (`inbound.github`, `gitlab`, `bitbucket`, `azuredevops`) are not expanded: an
 * integration of the matching type brings our own rules for them (docs/importers.md).
 */
import { parse as parseYaml } from 'yaml';
import { addToIndex, lengthKey, ruleId } from './pattern';
import type { ImportResult, SemgrepRule, SemgrepRuleset } from './types';
import { RULESET_FORMAT } from './types';
import { compileUrlPattern } from './url-pattern';

/** Options of {@link importSemgrep}. */
export interface SemgrepImportOptions {
  /** Rule set name: `data.imported.<name>`, and the middle of every rule id. */
  name: string;
  /** Where the rules came from, recorded in the data. */
  source: string;
}

/** The methods the peer's `LookupHttpMethod` knows; any other never matches there. */
export const SEMGREP_METHODS: readonly string[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'CONNECT', 'TRACE'];

const SCM_SECTIONS = ['github', 'gitlab', 'bitbucket', 'azuredevops'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function methodsOf(raw: unknown, where: string, warnings: string[]): string[] {
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : [];
  const methods: string[] = [];
  for (const m of list) {
    const upper = String(m).toUpperCase();
    if (SEMGREP_METHODS.includes(upper)) {
      if (!methods.includes(upper)) methods.push(upper);
    } else warnings.push(`${where}: method ${String(m)} never matches at the peer; dropped`);
  }
  if (methods.length === 0) warnings.push(`${where}: no usable methods; the rule never matches`);
  return methods;
}

/** Import allowlist entries (already parsed). */
export function importSemgrepAllowlist(allowlist: readonly unknown[], options: SemgrepImportOptions, warnings: string[] = []): ImportResult<SemgrepRuleset> {
  const data: SemgrepRuleset = { peer: 'semgrep', format: RULESET_FORMAT, name: options.name, source: options.source, rules: [], index: {} };
  allowlist.forEach((raw, at) => {
    const where = `allowlist[${at}]`;
    if (!isObject(raw) || typeof raw.url !== 'string') {
      warnings.push(`${where}: no url; skipped`);
      return;
    }
    let compiled;
    try {
      compiled = compileUrlPattern(raw.url);
    } catch (err) {
      warnings.push(`${where}: ${raw.url}: ${(err as Error).message}; skipped`);
      return;
    }
    const methods = methodsOf(raw.methods, where, warnings);
    for (const method of methods) addToIndex(data.index, [compiled.origin, method, compiled.first, compiled.last, lengthKey(compiled.skeleton)], data.rules.length);
    const rule: SemgrepRule = { id: ruleId(options.name, at), url: raw.url, methods, regex: compiled.regex, skeleton: compiled.skeleton, prefix: compiled.prefix, suffix: compiled.suffix };
    data.rules.push(rule);
  });
  return { data, warnings };
}

/** Import a Semgrep Network Broker configuration file's text (YAML or JSON). */
export function importSemgrep(text: string, options: SemgrepImportOptions): ImportResult<SemgrepRuleset> {
  const doc: unknown = parseYaml(text);
  const inbound = isObject(doc) ? doc.inbound : undefined;
  if (!isObject(inbound)) throw new Error('the configuration has no inbound section');
  const warnings: string[] = [];
  for (const section of SCM_SECTIONS) {
    if (inbound[section] !== undefined) {
      warnings.push(`inbound.${section}: SCM shortcuts are not imported; configure an integration of that type, whose built-in rules cover it`);
    }
  }
  const allowlist = inbound.allowlist ?? [];
  if (!Array.isArray(allowlist)) throw new Error('inbound.allowlist must be a list');
  return importSemgrepAllowlist(allowlist, options, warnings);
}
