/**
 * Snyk query entries are minimatch globs (`{dot: true}`): `**` spans directories, `*` and `?`
 * stay inside one, `[...]` is a class. Compiled here to one anchored RE2 regex per entry. Unlike
 * a plain translation, a `.` or `..` path segment is never matched (minimatch's globstar does
 * not cross them either); the evaluator also refuses values with such segments outright.
 */
import { escapeRe } from './pattern';

// Any segment except `.` and `..` (RE2 has no lookahead, so spelled out), or empty.
const SEGMENT = '(?:[^/.][^/]*|\\.[^/.][^/]*|\\.\\.[^/]+)?';

function segmentGlob(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') {
      while (glob[i + 1] === '*') i++;
      out += '[^/]*';
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) {
        out += '\\[';
        continue;
      }
      let cls = glob.slice(i + 1, end);
      if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
      out += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (c === '\\' && i + 1 < glob.length) {
      out += escapeRe(glob[++i] as string);
    } else {
      out += escapeRe(c);
    }
  }
  return out;
}

/** One glob as an unanchored RE2 fragment. */
export function globFragment(glob: string): string {
  const parts = glob.split('/');
  let out = '';
  parts.forEach((part, i) => {
    const last = i === parts.length - 1;
    if (part === '**') {
      // `**/` = zero or more segments each followed by `/`; a final `**` = anything below.
      out += last ? `${SEGMENT}(?:/${SEGMENT})*` : `(?:${SEGMENT}/)*`;
    } else {
      out += segmentGlob(part) + (last ? '' : '/');
    }
  });
  return out;
}

/** Globs as one anchored regex matching any of them. */
export function globsToRegex(globs: readonly string[]): string {
  return `^(?:${globs.map(globFragment).join('|')})$`;
}
