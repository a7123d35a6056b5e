/**
 * Semgrep allowlist URLs are WHATWG URL Patterns (the newer semgrep-network-broker matches with
 * dunglas/go-urlpattern): scheme and host literal, the pathname a pattern, search and hash
 * wildcards. In the pathname `:name` is one segment (`[^/]+?`), `:name(regex)` a custom one,
 * `*` anything (`/` included), `{…}` a group, and `?` `+` `*` modifiers; a `/` right before a
 * part is its prefix. Source: URL Pattern Standard, "generate a regular expression and name
 * list" (https://urlpattern.spec.whatwg.org/#generate-a-regular-expression-and-name-list).
 */
import type { CompiledMatch, Piece } from './pattern';
import { canonicalLiteral, escapeRe, firstSegment, lastSegment, literalEnds, re2Incompatible, skeletonOf } from './pattern';

/** A Semgrep URL compiled for the evaluator (matched against the request path). */
export interface CompiledUrlPattern extends CompiledMatch {
  /** `scheme://host:port`, lower-case, default port applied: the index scope. */
  origin: string;
}

interface Part {
  /** Written as a `{…}` group. */
  group?: boolean;
  prefix: string;
  suffix: string;
  pattern: string;
  modifier: string;
}

const SEGMENT = '[^/]+?';
const NAME = /^[A-Za-z_$][A-Za-z0-9_$]*/;
const MODIFIERS = ['?', '+', '*'];

// The modifier at `i`, or '' when there is none.
function modifierAt(s: string, i: number): string {
  const c = s[i];
  return c !== undefined && MODIFIERS.includes(c) ? c : '';
}

// Reads `(regex)` at `i`; returns the regex and the index after `)`.
function readRegex(s: string, i: number): [string, number] {
  let depth = 0;
  for (let j = i; j < s.length; j++) {
    if (s[j] === '\\') j++;
    else if (s[j] === '(') depth++;
    else if (s[j] === ')' && --depth === 0) return [s.slice(i + 1, j), j + 1];
  }
  throw new Error('unbalanced ( in pattern');
}

// Reads one name / regex / wildcard at `i`, if there is one.
function readMatcher(s: string, i: number): [string, number] | null {
  if (s[i] === ':') {
    const name = NAME.exec(s.slice(i + 1));
    if (name === null) throw new Error(`":" without a name at ${i}`);
    let j = i + 1 + name[0].length;
    let pattern = SEGMENT;
    if (s[j] === '(') [pattern, j] = readRegex(s, j);
    return [pattern, j];
  }
  if (s[i] === '(') return readRegex(s, i);
  if (s[i] === '*') return ['.*', i + 1];
  return null;
}

function partRegex(p: Part): string {
  const pre = escapeRe(canonicalLiteral(p.prefix));
  const suf = escapeRe(canonicalLiteral(p.suffix));
  const r = `(?:${p.pattern})`;
  if (p.modifier === '' || p.modifier === '?') {
    const one = `${pre}${r}${suf}`;
    return p.modifier === '?' ? `(?:${one})?` : pre === '' && suf === '' ? r : `(?:${one})`;
  }
  if (pre === '' && suf === '') return `(?:${r}${p.modifier})`;
  const many = `(?:${pre}${r}(?:${suf}${pre}${r})*${suf})`;
  return p.modifier === '*' ? `${many}?` : many;
}

// A `*` after `/` needs at least one more character, so (no empty segments) one or more segments.
function spanOf(p: Part): 'one' | 'many0' | 'many1' | 'other' {
  if (p.suffix !== '' || p.group) return 'other';
  if (p.pattern === SEGMENT) return p.modifier === '' ? 'one' : p.modifier === '+' ? 'many1' : p.modifier === '*' ? 'many0' : 'other';
  if (p.pattern === '.*') return p.modifier === '' ? 'many1' : 'other';
  return 'other';
}

/** Compile a pathname pattern to pieces and a regex body (unanchored). */
function compilePathname(s: string): { regex: string; pieces: Piece[] } {
  let regex = '';
  let text = '';
  const pieces: Piece[] = [];
  const flush = (): void => {
    if (text === '') return;
    const literal = canonicalLiteral(text);
    regex += escapeRe(literal);
    pieces.push({ literal });
    text = '';
  };
  const add = (part: Part): void => {
    const bad = re2Incompatible(part.pattern);
    if (bad !== null) throw new Error(`a ${bad}, which RE2 does not support`);
    regex += partRegex(part);
    pieces.push({ prefix: part.prefix, span: spanOf(part) });
  };
  let i = 0;
  while (i < s.length) {
    const c = s[i] as string;
    if (c === '\\') {
      text += s[i + 1] ?? '';
      i += 2;
      continue;
    }
    if (c === '{') {
      const close = s.indexOf('}', i);
      if (close < 0) throw new Error('unbalanced { in pattern');
      const inner = s.slice(i + 1, close);
      let j = 0;
      let prefix = '';
      let matcher: [string, number] | null = null;
      while (j < inner.length && (matcher = readMatcher(inner, j)) === null) prefix += inner[j++];
      let pattern = '';
      let suffix = '';
      if (matcher !== null) [pattern, j] = matcher;
      suffix = inner.slice(j);
      const modifier = modifierAt(s, close + 1);
      flush();
      if (matcher === null) add({ group: true, prefix: '', suffix: '', pattern: escapeRe(canonicalLiteral(prefix)), modifier });
      else add({ group: true, prefix, suffix, pattern, modifier });
      i = close + 1 + modifier.length;
      continue;
    }
    const matcher = readMatcher(s, i);
    if (matcher !== null) {
      const [pattern, j] = matcher;
      const modifier = modifierAt(s, j);
      let prefix = '';
      if (text.endsWith('/')) {
        prefix = '/';
        text = text.slice(0, -1);
      }
      flush();
      add({ prefix, suffix: '', pattern, modifier });
      i = j + modifier.length;
      continue;
    }
    if (c === '?' || c === '#') throw new Error('search or hash patterns are not supported');
    text += c;
    i++;
  }
  flush();
  return { regex, pieces };
}

const DEFAULT_PORT: Record<string, number> = { http: 80, https: 443 };

/** Compile one allowlist URL. Throws with a reason when it cannot be matched soundly. */
export function compileUrlPattern(url: string): CompiledUrlPattern {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(.*)$/.exec(url);
  if (m === null) throw new Error('not an absolute http(s) URL');
  const scheme = (m[1] as string).toLowerCase();
  const authority = (m[2] as string).toLowerCase();
  const pathname = m[3] === '' ? '/' : (m[3] as string);
  const port = DEFAULT_PORT[scheme];
  if (port === undefined) throw new Error(`scheme ${scheme} is not http or https`);
  const hp = /^([a-z0-9.-]+|\[[0-9a-f:.]+\])(?::([0-9]{1,5}))?$/.exec(authority);
  if (hp === null) throw new Error(`host ${authority} is a pattern or has userinfo; only literal hosts are imported`);
  const host = (hp[1] as string).replace(/^\[|\]$/g, '');
  const { regex, pieces } = compilePathname(pathname);
  return {
    origin: `${scheme}://${host}:${hp[2] === undefined ? port : Number(hp[2])}`,
    regex: `^${regex}$`,
    first: firstSegment(pieces),
    last: lastSegment(pieces),
    skeleton: skeletonOf(pieces),
    ...literalEnds(pieces),
  };
}
