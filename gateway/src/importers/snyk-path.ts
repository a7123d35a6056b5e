/**
 * Snyk rule paths are path-to-regexp 1.x patterns (the version snyk-broker pins): `:name`
 * (one segment), `:name*` / `:name+` / `:name?` (zero or more, one or more, optional
 * segments), `:name(regex)`, `(regex)` and `*` (anything, `/` included). This module
 * reproduces that tokenizer and regex construction, with two changes: matching is
 * case-sensitive (docs/importers.md, "Case-sensitive paths") and literal text is re-encoded
 * canonically. Source: path-to-regexp 1.9.0 `index.js` (`parse`, `tokensToRegExp`).
 */
import type { CompiledMatch, Piece } from './pattern';
import { canonicalLiteral, escapeRe, firstSegment, lastSegment, literalEnds, re2Incompatible, skeletonOf } from './pattern';

/** A Snyk path compiled for the evaluator (matched against the route). */
export type CompiledSnykPath = CompiledMatch;

// path-to-regexp 1.x PATH_REGEXP: escaped char | prefix? (:name(capture)? | (group)) modifier? | *
const PATH_REGEXP = /(\\.)|([/.])?(?:(?::(\w+)(?:\(((?:\\.|[^\\()])+)\))?|\(((?:\\.|[^\\()])+)\))([+*?])?|(\*))/g;

interface Token {
  prefix: string;
  /** True for the default one-segment pattern or `*`. */
  plain: boolean;
  asterisk: boolean;
  optional: boolean;
  repeat: boolean;
  partial: boolean;
  pattern: string;
}

// path-to-regexp 1.x `escapeGroup`.
function escapeGroup(group: string): string {
  return group.replace(/([=!:$/()])/g, '\\$1');
}

function tokenize(path: string): (string | Token)[] {
  const tokens: (string | Token)[] = [];
  let index = 0;
  let text = '';
  PATH_REGEXP.lastIndex = 0;
  for (let res = PATH_REGEXP.exec(path); res !== null; res = PATH_REGEXP.exec(path)) {
    const [m, escaped, prefix, , capture, group, modifier, asterisk] = res;
    text += path.slice(index, res.index);
    index = res.index + m.length;
    if (escaped !== undefined) {
      text += escaped[1];
      continue;
    }
    if (text !== '') tokens.push(text);
    text = '';
    const next = path[index];
    const delimiter = prefix ?? '/';
    const pattern = capture ?? group;
    tokens.push({
      prefix: prefix ?? '',
      plain: pattern === undefined,
      asterisk: asterisk !== undefined,
      optional: modifier === '?' || modifier === '*',
      repeat: modifier === '+' || modifier === '*',
      partial: prefix !== undefined && next !== undefined && next !== prefix,
      pattern: pattern !== undefined ? escapeGroup(pattern) : asterisk !== undefined ? '.*' : `[^${escapeRe(delimiter)}]+`,
    });
  }
  if (index < path.length) text += path.slice(index);
  if (text !== '') tokens.push(text);
  return tokens;
}

// `*` after `/` needs at least one more character, so (no empty segments) one or more segments.
function spanOf(t: Token): 'one' | 'many0' | 'many1' | 'other' {
  if (!t.plain || t.partial) return 'other';
  if (t.asterisk) return t.optional || t.repeat ? 'other' : 'many1';
  if (t.repeat) return t.optional ? 'many0' : 'many1';
  return t.optional ? 'other' : 'one';
}

/**
 * Compile a Snyk rule path (already relative to its surface, starting with `/`). Throws with a
 * reason when the path uses a regex RE2 cannot run.
 */
export function compileSnykPath(path: string): CompiledSnykPath {
  // Non-strict mode: a trailing `/` in the rule is optional, as `(?:/(?=$))?` makes it.
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  let route = '';
  const pieces: Piece[] = [];
  for (const token of tokenize(trimmed)) {
    if (typeof token === 'string') {
      const literal = canonicalLiteral(token);
      route += escapeRe(literal);
      pieces.push({ literal });
      continue;
    }
    const bad = re2Incompatible(token.pattern);
    if (bad !== null) throw new Error(`path ${path} uses a ${bad}, which RE2 does not support`);
    const prefix = escapeRe(token.prefix);
    let capture = `(?:${token.pattern})`;
    if (token.repeat) capture += `(?:${prefix}${capture})*`;
    if (token.optional) capture = token.partial ? `${prefix}(?:${capture})?` : `(?:${prefix}(?:${capture}))?`;
    else capture = `${prefix}(?:${capture})`;
    route += capture;
    pieces.push({ prefix: token.prefix, span: spanOf(token) });
  }
  const body = route === '/' || route === '' ? '' : route;
  return { regex: `^${body}/?$`, first: firstSegment(pieces), last: lastSegment(pieces), skeleton: skeletonOf(pieces), ...literalEnds(pieces) };
}
