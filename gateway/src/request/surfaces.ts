/**
 * The surfaces an integration answers on, derived from its type and `baseUrl`, then
 * overridden by the configuration. See ARCHITECTURE.md, "Integrations and surfaces".
 */
import { normalizeUrl } from './normalize';

// Suffixes that mark a base URL as the API below an instance root (which may itself sit below
// a context path, e.g. `https://example.com/gitlab/api/v4`).
const GITLAB_API = '/api/v4';
const BITBUCKET_API = ['/rest/api/1.0', '/rest/api/latest'];

/** Origin (`scheme://host[:port]`) and path of a base URL, or null when it does not parse. */
function split(baseUrl: string): { origin: string; path: string; host: string } | null {
  // A configured base may end in `/` (`https://ghe.example.com/`); requests may not.
  const trimmed = baseUrl.length > 1 && baseUrl.endsWith('/') ? baseUrl.slice(0, -1) : baseUrl;
  const parsed = normalizeUrl(trimmed);
  if (!parsed.ok) return null;
  const { scheme, hostHeader, path, host } = parsed.value;
  return { origin: `${scheme}://${hostHeader}`, path: path === '/' ? '' : path, host };
}

/** The instance root: the base path with a known API suffix removed. */
function rootOf(path: string, apiSuffixes: readonly string[]): string {
  const suffix = apiSuffixes.find((s) => path.endsWith(s));
  return suffix === undefined ? path : path.slice(0, -suffix.length);
}

/**
 * Default surfaces for an integration type. Every type has `api`; `<origin>` is the base URL's
 * `scheme://host[:port]`, `<root>` the origin plus any context path in front of the API path.
 *
 * | type          | surface   | default                                                     |
 * |---------------|-----------|-------------------------------------------------------------|
 * | `github`      | `api`     | `baseUrl`                                                   |
 * | (github.com,  | `graphql` | `https://api.github.com/graphql`                            |
 * | `baseUrl` on  | `raw`     | `https://raw.githubusercontent.com`                         |
 * | api.github.com) | `git`   | `https://github.com`                                        |
 * | `github`      | `api`     | `baseUrl` (e.g. `https://ghe.example.com/api/v3`)           |
 * | (Enterprise   | `graphql` | `<origin>/api/graphql`                                      |
 * | Server)       | `raw`     | `<origin>/raw`                                              |
 * |               | `git`     | `<origin>/`                                                 |
 * | `gitlab`      | `api`     | `<root>/api/v4` (`baseUrl` may be the root or its `/api/v4`) |
 * |               | `graphql` | `<root>/api/graphql`                                        |
 * |               | `git`     | `<root>/`                                                   |
 * | `bitbucket`   | `api`     | `baseUrl` (e.g. `https://bb.example.com/rest/api/1.0`)      |
 * | (Data Center) | `rest`    | `<root>/rest` (`<root>` = `baseUrl` without `/rest/api/1.0`) |
 * |               | `git`     | `<root>/scm`                                                |
 * | `azure-repos` | `api`     | `baseUrl` (the collection URL)                              |
 * |               | `git`     | `baseUrl` (same base: requests resolve to `api`)            |
 * | `jira`, `artifactory`, `nexus`, any other | `api` | `baseUrl`                         |
 *
 * A base URL that does not parse yields `{ api: baseUrl }` only; compiling the surfaces then
 * reports it with the integration's name.
 */
export function defaultSurfaces(type: string, baseUrl: string): Record<string, string> {
  const base = split(baseUrl);
  if (base === null) return { api: baseUrl };
  const { origin, path, host } = base;
  switch (type) {
    case 'github':
      if (host === 'api.github.com') {
        return {
          api: baseUrl,
          graphql: 'https://api.github.com/graphql',
          raw: 'https://raw.githubusercontent.com',
          git: 'https://github.com',
        };
      }
      return { api: baseUrl, graphql: `${origin}/api/graphql`, raw: `${origin}/raw`, git: `${origin}/` };
    case 'gitlab': {
      const root = `${origin}${rootOf(path, [GITLAB_API])}`;
      return { api: `${root}${GITLAB_API}`, graphql: `${root}/api/graphql`, git: `${root}/` };
    }
    case 'bitbucket': {
      const root = `${origin}${rootOf(path, BITBUCKET_API)}`;
      return { api: baseUrl, rest: `${root}/rest`, git: `${root}/scm` };
    }
    case 'azure-repos':
      return { api: baseUrl, git: baseUrl };
    default:
      return { api: baseUrl };
  }
}

/**
 * The surfaces of one integration: {@link defaultSurfaces}, then each explicitly configured
 * surface replacing or adding to them.
 */
export function surfacesFor(
  type: string,
  baseUrl: string,
  overrides: Readonly<Record<string, string>>,
): Record<string, string> {
  return { ...defaultSurfaces(type, baseUrl), ...overrides };
}
