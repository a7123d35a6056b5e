/**
 * Pieces shared by the pattern compilers: canonical literals, RE2 escaping and the index keys.
 * Patterns are compiled to RE2 regexes over the gateway's canonical path encoding, so a rule's
 * literal `%2f` and a request's `%2F` compare equal exactly as the upstream would see them.
 */
import { encodePathSegment } from '../request/normalize';

/**
 * One piece of a compiled path pattern: fixed text, or a variable part with its prefix and what
 * it spans when it is a whole-segment part (`one` segment, `many0`/`many1` segments, else `other`).
 */
export type Piece = { literal: string } | { prefix: string; span: 'one' | 'many0' | 'many1' | 'other' };

/**
 * A pattern as whole segments: `head` segments, then (when `rest` is not null) at least `rest`
 * more, then `tail`. `null` in head or tail is any one segment. Matching this needs no regex.
 */
export interface Skeleton {
  head: (string | null)[];
  tail: (string | null)[];
  rest: number | null;
}

/** What the evaluator needs of any compiled peer pattern (Snyk path or Semgrep URL). */
export interface CompiledMatch {
  /** Anchored RE2 regex over the canonical path. */
  regex: string;
  /** Index keys: first and last segment every match has (`""` = varies). */
  first: string;
  last: string;
  /** Literal text every match starts / ends with (checked before the regex). */
  prefix: string;
  suffix: string;
  /** The same pattern as whole segments, when it can be (then the evaluator needs no regex). */
  skeleton: Skeleton | null;
}

/** The skeleton of a pattern, or null when a part does not span whole segments. */
export function skeletonOf(pieces: readonly Piece[]): Skeleton | null {
  const head: (string | null)[] = [];
  const tail: (string | null)[] = [];
  let rest: number | null = null;
  const into = (): (string | null)[] => (rest === null ? head : tail);
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i] as Piece;
    if ('literal' in piece) {
      if (piece.literal === '/' && pieces.length === 1) return { head: [], tail: [], rest: null };
      const parts = piece.literal.split('/');
      // Literal text glued to a part, or an empty segment, is left to the regex.
      if (parts[0] !== '' || parts.slice(1).some((p) => p === '')) return null;
      for (const p of parts.slice(1)) into().push(p);
      continue;
    }
    const next = pieces[i + 1];
    if (piece.prefix !== '/' || piece.span === 'other') return null;
    const bounded = next === undefined || ('literal' in next ? next.literal.startsWith('/') : next.prefix === '/');
    if (!bounded) return null;
    if (piece.span === 'one') into().push(null);
    else if (rest !== null) return null;
    else rest = piece.span === 'many1' ? 1 : 0;
  }
  return { head, tail, rest };
}

/** Escape RE2 metacharacters. */
export function escapeRe(text: string): string {
  return text.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/**
 * Re-encode literal path text the way the gateway encodes segments: each `/`-separated piece is
 * percent-decoded once and re-encoded with `encodePathSegment`. Text that does not decode is
 * returned unchanged (it can never match a normalized request, which is the safe outcome).
 */
export function canonicalLiteral(text: string): string {
  return text
    .split('/')
    .map((piece) => {
      try {
        return encodePathSegment(decodeURIComponent(piece));
      } catch {
        return piece;
      }
    })
    .join('/');
}

/**
 * The first path segment every match must have, or `""` when it varies. `pieces` start at the
 * path's leading `/`.
 */
export function firstSegment(pieces: readonly Piece[]): string {
  const head = pieces[0];
  if (head === undefined || !('literal' in head) || !head.literal.startsWith('/')) return '';
  const text = head.literal.slice(1);
  const slash = text.indexOf('/');
  if (slash >= 0) return text.slice(0, slash);
  const next = pieces[1];
  if (next === undefined || ('prefix' in next && next.prefix === '/')) return text;
  return '';
}

/** The last path segment every match must have, or `""` when it varies. */
export function lastSegment(pieces: readonly Piece[]): string {
  const tail = pieces[pieces.length - 1];
  if (tail === undefined || !('literal' in tail)) return '';
  const slash = tail.literal.lastIndexOf('/');
  if (slash < 0 || slash === tail.literal.length - 1) return '';
  return tail.literal.slice(slash + 1);
}

/** RE2 constructs JavaScript has and RE2 lacks: lookaround, backreferences, named groups `(?<`. */
export function re2Incompatible(source: string): string | null {
  if (/\(\?<?[=!]/.test(source)) return 'lookaround';
  if (/\\[1-9]|\\k</.test(source)) return 'backreference';
  if (/\(\?<[A-Za-z]/.test(source)) return 'named group';
  return null;
}

/** Fixed text every match starts and ends with: cheap checks before a regex runs. */
export function literalEnds(pieces: readonly Piece[]): { prefix: string; suffix: string } {
  const head = pieces[0];
  const tail = pieces[pieces.length - 1];
  return {
    prefix: head !== undefined && 'literal' in head ? head.literal : '',
    suffix: tail !== undefined && 'literal' in tail && pieces.length > 1 ? tail.literal : '',
  };
}

/** The segment-count index key: the count for a fixed-length skeleton, else `*`. */
export function lengthKey(skeleton: Skeleton | null): string {
  return skeleton !== null && skeleton.rest === null ? String(skeleton.head.length) : '*';
}

/** Add rule position `at` to `index[scope][method][first][last][length]`. */
export function addToIndex(
  index: Record<string, Record<string, Record<string, Record<string, Record<string, number[]>>>>>,
  keys: readonly [string, string, string, string, string],
  at: number,
): void {
  const [scope, method, first, last, length] = keys;
  const byMethod = (index[scope] ??= {});
  const byFirst = (byMethod[method] ??= {});
  const byLast = (byFirst[first] ??= {});
  const byLength = (byLast[last] ??= {});
  (byLength[length] ??= []).push(at);
}

/** `imported.<name>.<nnnn>`: sorts in file order, so the first matching rule names the decision. */
export function ruleId(name: string, position: number): string {
  return `imported.${name}.${String(position + 1).padStart(4, '0')}`;
}
