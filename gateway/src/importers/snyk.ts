/**
 * Imports a Snyk Broker accept.json (its `private` or `public` list, or a bare array) into an
 * imported rule set for `policies/lib/peers/snyk.rego`. Paths become RE2 regexes over the
 * route, indexed by surface, method and literal first/last segment; `valid` entries become
 * typed checks. What we deliberately do differently is listed in docs/importers.md.
 */
import { globsToRegex } from './glob';
import { DEFAULT_SURFACE, ORIGIN_MOUNTS, mountPath, originVariable } from './origins';
import type { Mount } from './origins';
import { addToIndex, lengthKey, re2Incompatible, ruleId } from './pattern';
import { compileSnykPath } from './snyk-path';
import type { ImportResult, SnykBodyRegex, SnykBodyValue, SnykHeader, SnykQuery, SnykRule, SnykRuleset } from './types';
import { RULESET_FORMAT } from './types';

/** Options of {@link importSnyk}. */
export interface SnykImportOptions {
  /** Rule set name: `data.imported.<name>`, and the middle of every rule id. */
  name: string;
  /** Which list of an object-shaped file: `private` (default) or `public`. */
  list?: 'private' | 'public';
  /** Where the rules came from, recorded in the data. */
  source: string;
  /** Surface for rules without a recognized origin variable (default `api`). */
  surface?: string;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function stringList(v: unknown): string[] | null {
  return Array.isArray(v) && v.every((s): s is string => typeof s === 'string') ? v : null;
}

// Peer: `bodyFilters = valid.filter(v => !!v.path && !v.regex)`, then body regexes, queries, headers.
function compileValid(valid: unknown[], where: string, warnings: string[]): Pick<SnykRule, 'filtered' | 'body_values' | 'body_regexes' | 'queries' | 'headers'> {
  const bodyValues: SnykBodyValue[] = [];
  const bodyRegexes: SnykBodyRegex[] = [];
  const queries: SnykQuery[] = [];
  const headers: SnykHeader[] = [];
  let filtered = false;
  for (const entry of valid) {
    if (!isObject(entry)) {
      warnings.push(`${where}: a valid entry that is not an object was skipped`);
      continue;
    }
    if (typeof entry.path === 'string' && entry.path !== '' && !entry.regex) {
      filtered = true;
      bodyValues.push({ path: entry.path.split('.'), has_value: 'value' in entry, value: entry.value ?? null });
    } else if (typeof entry.path === 'string' && entry.path !== '' && entry.regex) {
      filtered = true;
      const regex = typeof entry.regex === 'string' ? entry.regex : '';
      let reason = regex === '' ? 'not a string' : re2Incompatible(regex);
      try {
        new RegExp(regex);
      } catch {
        reason = 'an invalid regex';
      }
      if (reason !== null) warnings.push(`${where}: body regex on ${entry.path} is ${reason}; it never matches (the peer skips it too)`);
      else bodyRegexes.push({ path: entry.path.split('.'), regex });
    } else if (typeof entry.queryParam === 'string' && entry.queryParam !== '') {
      filtered = true;
      const globs = stringList(entry.values) ?? [];
      queries.push({ name: entry.queryParam, regex: globs.length === 0 ? '^\\b\\B$' : globsToRegex(globs) });
    } else if (typeof entry.header === 'string' && entry.header !== '') {
      const name = entry.header.toLowerCase();
      if (name !== entry.header) warnings.push(`${where}: header ${entry.header} is compared as ${name} (the peer never matches it)`);
      headers.push({ name, values: stringList(entry.values) ?? [] });
    }
  }
  return { filtered, body_values: bodyValues, body_regexes: bodyRegexes, queries, headers };
}

function mountFor(origin: unknown, fallback: string): Mount | null {
  if (typeof origin !== 'string') return [['', fallback]];
  const variable = originVariable(origin);
  if (variable === null) return [['', fallback]];
  const mount = ORIGIN_MOUNTS[variable];
  return mount === undefined ? [['', fallback]] : mount;
}

interface Compiled {
  rule: SnykRule;
  /** Index keys. */
  keys: readonly [string, string, string, string, string];
}

function compileRule(raw: unknown, at: number, options: SnykImportOptions, warnings: string[]): Compiled | null {
  const where = `rule ${at + 1}`;
  if (!isObject(raw) || typeof raw.path !== 'string') {
    warnings.push(`${where}: no path; skipped`);
    return null;
  }
  const method = typeof raw.method === 'string' ? raw.method.toLowerCase() : 'get';
  if (!/^[a-z]+$/.test(method)) {
    warnings.push(`${where}: method ${String(raw.method)} is not an HTTP method; skipped`);
    return null;
  }
  const mount = mountFor(raw.origin, options.surface ?? DEFAULT_SURFACE);
  if (mount === null) {
    warnings.push(`${where}: origin ${String(raw.origin)} is Snyk's own git client, not an upstream; skipped`);
    return null;
  }
  // Peer: `${VAR}` in a path becomes a `:VAR` parameter; a missing leading `/` is added.
  let path = raw.path.replace(/\$\{([^}]*)\}/g, (_, v: string) => `:${v.replace(/\W/g, '_')}`);
  if (!path.startsWith('/')) path = `/${path}`;
  const mounted = mountPath(mount, path);
  if (mounted === null) {
    warnings.push(`${where}: path ${raw.path} is under no surface of origin ${String(raw.origin)}; skipped`);
    return null;
  }
  if (raw.auth !== undefined) warnings.push(`${where}: auth is ignored; credentials come from the integration's configuration`);
  let compiled;
  try {
    compiled = compileSnykPath(mounted.path);
  } catch (err) {
    warnings.push(`${where}: ${(err as Error).message}; skipped`);
    return null;
  }
  const rule: SnykRule = {
    id: ruleId(options.name, at),
    method: method === 'any' ? '*' : method.toUpperCase(),
    surface: mounted.surface,
    path: raw.path,
    regex: compiled.regex,
    skeleton: compiled.skeleton,
    prefix: compiled.prefix,
    suffix: compiled.suffix,
    ...compileValid(Array.isArray(raw.valid) ? raw.valid : [], where, warnings),
  };
  return { rule, keys: [rule.surface, rule.method, compiled.first, compiled.last, lengthKey(compiled.skeleton)] };
}

/** Import an accept.json document (already parsed). Throws when its shape is unusable. */
export function importSnyk(doc: unknown, options: SnykImportOptions): ImportResult<SnykRuleset> {
  let rules: unknown;
  let list: string | null = null;
  if (Array.isArray(doc)) rules = doc;
  else if (isObject(doc)) {
    list = options.list ?? 'private';
    rules = doc[list];
    if (!Array.isArray(rules)) throw new Error(`accept.json has no "${list}" list`);
  } else throw new Error('accept.json must be an object with private/public lists, or a list of rules');
  const warnings: string[] = [];
  const data: SnykRuleset = { peer: 'snyk', format: RULESET_FORMAT, name: options.name, source: options.source, list, rules: [], index: {} };
  (rules as unknown[]).forEach((raw, at) => {
    const compiled = compileRule(raw, at, options, warnings);
    if (compiled === null) return;
    addToIndex(data.index, compiled.keys, data.rules.length);
    data.rules.push(compiled.rule);
  });
  return { data, warnings };
}
