/**
 * Where a Snyk rule's path is rooted. A Snyk rule names its upstream by an origin template
 * (`https://${GITHUB_TOKEN}@${GITHUB_API}`); we name it by a surface of the integration (see
 * ARCHITECTURE.md, "Integrations and surfaces"). This table maps the first `${VARIABLE}` of the
 * origin to surfaces by path prefix: the rule path's longest matching prefix picks the surface
 * and is removed, leaving the path below that surface's base (what `input.request.route` is).
 */

/** `[path prefix of the rule, surface]`, longest prefix first. */
export type Mount = readonly (readonly [string, string])[];

/** Surface that rules without a recognized origin are placed on, unless `--surface` says otherwise. */
export const DEFAULT_SURFACE = 'api';

/**
 * | origin variable | surface by rule path prefix |
 * |---|---|
 * | `GITHUB_API` | `api` |
 * | `GITHUB_GRAPHQL` | `/graphql` → `graphql` |
 * | `GITHUB_RAW` | `raw` |
 * | `GITHUB` | `git` |
 * | `GITLAB` | `/api/v4` → `api`, `/api/graphql` → `graphql`, else `git` |
 * | `BITBUCKET_API` | `api` |
 * | `BITBUCKET` | `/rest/api/1.0` → `api`, `/rest` → `rest`, `/scm` → `git`, else `web` |
 * | `AZURE_REPOS_HOST` | `api` (the collection URL) |
 * | `GIT_CLIENT_URL` | not imported: Snyk's own git client, not an upstream |
 */
export const ORIGIN_MOUNTS: Readonly<Record<string, Mount | null>> = Object.freeze({
  GITHUB_API: [['', 'api']],
  GITHUB_GRAPHQL: [['/graphql', 'graphql']],
  GITHUB_RAW: [['', 'raw']],
  GITHUB: [['', 'git']],
  GITLAB: [
    ['/api/graphql', 'graphql'],
    ['/api/v4', 'api'],
    ['', 'git'],
  ],
  BITBUCKET_API: [['', 'api']],
  BITBUCKET: [
    ['/rest/api/1.0', 'api'],
    ['/rest', 'rest'],
    ['/scm', 'git'],
    ['', 'web'],
  ],
  AZURE_REPOS_HOST: [['', 'api']],
  GIT_CLIENT_URL: null,
});

/** The origin's first `${VARIABLE}` that is not a credential, or null for a literal origin. */
export function originVariable(origin: string): string | null {
  const host = origin.replace(/^[a-z]+:\/\/(?:[^@/]*@)?/i, '');
  const m = /^\$\{([A-Za-z0-9_]+)\}/.exec(host);
  return m === null ? null : (m[1] as string);
}

/**
 * Surface and surface-relative path of a rule. Returns null when the rule path does not fall
 * under any prefix of the mount.
 */
export function mountPath(mount: Mount, path: string): { surface: string; path: string } | null {
  for (const [prefix, surface] of mount) {
    if (prefix === '') return { surface, path };
    if (path === prefix) return { surface, path: '/' };
    if (path.startsWith(`${prefix}/`)) return { surface, path: path.slice(prefix.length) };
  }
  return null;
}
