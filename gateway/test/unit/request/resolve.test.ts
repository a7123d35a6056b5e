import type { NormalizedUrl } from '../../../src/request/normalize';
import { normalizeUrl } from '../../../src/request/normalize';
import type { ResolvableIntegration, Resolved } from '../../../src/request/resolve';
import { compileSurfaces, resolveDestination } from '../../../src/request/resolve';
import { surfacesFor } from '../../../src/request/surfaces';

function url(absolute: string): NormalizedUrl {
  const result = normalizeUrl(absolute);
  if (!result.ok) throw new Error(result.reason);
  return result.value;
}

function integration(name: string, type: string, baseUrl: string, overrides: Record<string, string> = {}): ResolvableIntegration {
  return { name, type, surfaces: surfacesFor(type, baseUrl, overrides) };
}

const table = compileSurfaces([
  integration('ghe', 'github', 'https://ghe.example.com/api/v3'),
  integration('dotcom', 'github', 'https://api.github.com'),
  integration('gl', 'gitlab', 'https://GitLab.example.com:443/api/v4/'),
  integration('bb', 'bitbucket', 'https://bb.example.com/rest/api/1.0'),
  integration('ado', 'azure-repos', 'https://ado.example.com/tfs/DefaultCollection'),
  integration('jira', 'jira', 'http://jira.example.com:8080/jira'),
  integration('v6', 'nexus', 'http://[fd00::1]:8081/repository'),
]);

function expected(
  integrationName: string,
  type: string,
  surface: string,
  baseUrl: string,
  route: string,
  routeSegments: string[],
): Resolved {
  return { integrationName, type, surface, baseUrl, route, routeSegments };
}

describe('resolveDestination resolves', () => {
  it.each([
    [
      'https://ghe.example.com/api/v3/repos/acme/app/contents/package.json?ref=main',
      expected('ghe', 'github', 'api', 'https://ghe.example.com/api/v3', '/repos/acme/app/contents/package.json', [
        'repos',
        'acme',
        'app',
        'contents',
        'package.json',
      ]),
    ],
    ['https://ghe.example.com/api/v3', expected('ghe', 'github', 'api', 'https://ghe.example.com/api/v3', '/', [])],
    [
      'https://GHE.EXAMPLE.COM:443/api/v3/user',
      expected('ghe', 'github', 'api', 'https://ghe.example.com/api/v3', '/user', ['user']),
    ],
    // Segment boundary: /api/v3x is not below /api/v3; it falls to the origin-root git surface.
    ['https://ghe.example.com/api/v3x', expected('ghe', 'github', 'git', 'https://ghe.example.com/', '/api/v3x', ['api', 'v3x'])],
    // An encoded slash is part of a segment, never a separator: not below /api/v3.
    [
      'https://ghe.example.com/api%2Fv3/user',
      expected('ghe', 'github', 'git', 'https://ghe.example.com/', '/api%2Fv3/user', ['api/v3', 'user']),
    ],
    // Encodings of unreserved characters compare equal once normalized.
    ['https://ghe.example.com/%61pi/v%33/user', expected('ghe', 'github', 'api', 'https://ghe.example.com/api/v3', '/user', ['user'])],
    ['https://ghe.example.com/api/graphql', expected('ghe', 'github', 'graphql', 'https://ghe.example.com/api/graphql', '/', [])],
    [
      'https://ghe.example.com/raw/acme/app/main/README.md',
      expected('ghe', 'github', 'raw', 'https://ghe.example.com/raw', '/acme/app/main/README.md', ['acme', 'app', 'main', 'README.md']),
    ],
    [
      'https://ghe.example.com/acme/app.git/info/refs?service=git-upload-pack',
      expected('ghe', 'github', 'git', 'https://ghe.example.com/', '/acme/app.git/info/refs', ['acme', 'app.git', 'info', 'refs']),
    ],
    ['https://ghe.example.com', expected('ghe', 'github', 'git', 'https://ghe.example.com/', '/', [])],
    ['https://api.github.com/graphql', expected('dotcom', 'github', 'graphql', 'https://api.github.com/graphql', '/', [])],
    [
      'https://api.github.com/repos/a/b',
      expected('dotcom', 'github', 'api', 'https://api.github.com/', '/repos/a/b', ['repos', 'a', 'b']),
    ],
    [
      'https://raw.githubusercontent.com/a/b/main/x',
      expected('dotcom', 'github', 'raw', 'https://raw.githubusercontent.com/', '/a/b/main/x', ['a', 'b', 'main', 'x']),
    ],
    [
      'https://gitlab.example.com/api/v4/projects/group%2Fsub%2Fproj/repository/files/src%2Fa.json/raw?ref=main',
      expected(
        'gl',
        'gitlab',
        'api',
        'https://gitlab.example.com/api/v4',
        '/projects/group%2Fsub%2Fproj/repository/files/src%2Fa.json/raw',
        ['projects', 'group/sub/proj', 'repository', 'files', 'src/a.json', 'raw'],
      ),
    ],
    [
      'https://gitlab.example.com/group/proj.git/info/refs',
      expected('gl', 'gitlab', 'git', 'https://gitlab.example.com/', '/group/proj.git/info/refs', ['group', 'proj.git', 'info', 'refs']),
    ],
    [
      'https://bb.example.com/rest/build-status/1.0/commits/abc',
      expected('bb', 'bitbucket', 'rest', 'https://bb.example.com/rest', '/build-status/1.0/commits/abc', [
        'build-status',
        '1.0',
        'commits',
        'abc',
      ]),
    ],
    [
      'https://bb.example.com/rest/api/1.0/projects',
      expected('bb', 'bitbucket', 'api', 'https://bb.example.com/rest/api/1.0', '/projects', ['projects']),
    ],
    [
      'https://bb.example.com/scm/prj/repo.git/info/refs',
      expected('bb', 'bitbucket', 'git', 'https://bb.example.com/scm', '/prj/repo.git/info/refs', ['prj', 'repo.git', 'info', 'refs']),
    ],
    // Same base for api and git within one integration: api wins, deterministically.
    [
      'https://ado.example.com/tfs/DefaultCollection/proj/_git/repo',
      expected('ado', 'azure-repos', 'api', 'https://ado.example.com/tfs/DefaultCollection', '/proj/_git/repo', [
        'proj',
        '_git',
        'repo',
      ]),
    ],
    [
      'http://jira.example.com:8080/jira/rest/api/2/issue/X-1',
      expected('jira', 'jira', 'api', 'http://jira.example.com:8080/jira', '/rest/api/2/issue/X-1', ['rest', 'api', '2', 'issue', 'X-1']),
    ],
    [
      'http://[FD00:0::1]:8081/repository/npm/x',
      expected('v6', 'nexus', 'api', 'http://[fd00::1]:8081/repository', '/npm/x', ['npm', 'x']),
    ],
  ])('%s', (destination, resolved) => {
    expect(resolveDestination(url(destination), table)).toEqual(resolved);
  });
});

describe('resolveDestination finds nothing', () => {
  it.each([
    ['other host', 'https://evil.example.com/api/v3/user'],
    ['suffix of a configured host', 'https://ghe.example.com.evil.example.com/api/v3'],
    ['other scheme', 'http://ghe.example.com/api/v3/user'],
    ['other port', 'https://ghe.example.com:8443/api/v3/user'],
    ['explicit default port of the other scheme', 'https://jira.example.com:80/jira/x'],
    ['outside the base path', 'http://jira.example.com:8080/other'],
    ['segment prefix only', 'http://jira.example.com:8080/jiranot/x'],
    ['case differs in the path', 'http://jira.example.com:8080/JIRA/x'],
    ['encoded slash at the base boundary', 'http://jira.example.com:8080/jira%2Fx'],
    ['IPv6 other address', 'http://[fd00::2]:8081/repository/x'],
  ])('%s', (_label, destination) => {
    expect(resolveDestination(url(destination), table)).toBeNull();
  });

  it('resolves nothing with no integrations', () => {
    expect(resolveDestination(url('https://ghe.example.com/'), compileSurfaces([]))).toBeNull();
  });
});

describe('compileSurfaces', () => {
  it('prefers the longest base regardless of configuration order', () => {
    const compiled = compileSurfaces([
      { name: 'a', type: 'x', surfaces: { git: 'https://h.example.com/', api: 'https://h.example.com/a', deep: 'https://h.example.com/a/b' } },
    ]);
    expect(resolveDestination(url('https://h.example.com/a/b/c'), compiled)?.surface).toBe('deep');
    expect(resolveDestination(url('https://h.example.com/a/bc'), compiled)?.surface).toBe('api');
    expect(resolveDestination(url('https://h.example.com/ab'), compiled)?.surface).toBe('git');
  });

  it('lets different integrations share an origin under different base paths', () => {
    const compiled = compileSurfaces([
      { name: 'one', type: 'jira', surfaces: { api: 'https://h.example.com/one' } },
      { name: 'two', type: 'jira', surfaces: { api: 'https://h.example.com/two' } },
    ]);
    expect(resolveDestination(url('https://h.example.com/two/x'), compiled)?.integrationName).toBe('two');
    expect(resolveDestination(url('https://h.example.com/three/x'), compiled)).toBeNull();
  });

  it.each([
    ['identical base in two integrations', [
      { name: 'one', type: 'jira', surfaces: { api: 'https://h.example.com/x' } },
      { name: 'two', type: 'jira', surfaces: { api: 'https://H.example.com:443/x/' } },
    ], /"one".*"two".*ambiguous/],
    ['identical origin root in two integrations', [
      { name: 'one', type: 'github', surfaces: { git: 'https://h.example.com/' } },
      { name: 'two', type: 'gitlab', surfaces: { git: 'https://h.example.com' } },
    ], /ambiguous/],
    ['a query', [{ name: 'one', type: 'jira', surfaces: { api: 'https://h.example.com/x?a=1' } }], /"one".*"api".*query/],
    ['an empty query', [{ name: 'one', type: 'jira', surfaces: { api: 'https://h.example.com/x?' } }], /query/],
    ['a fragment', [{ name: 'one', type: 'jira', surfaces: { api: 'https://h.example.com/x#y' } }], /fragment/],
    ['a dot segment', [{ name: 'one', type: 'jira', surfaces: { api: 'https://h.example.com/a/../x' } }], /"one".*invalid base URL.*dot segment/],
    ['userinfo', [{ name: 'one', type: 'jira', surfaces: { api: 'https://u:p@h.example.com/x' } }], /userinfo/],
    ['another scheme', [{ name: 'one', type: 'jira', surfaces: { api: 'ftp://h.example.com/x' } }], /unsupported scheme/],
    ['no URL at all', [{ name: 'one', type: 'jira', surfaces: { api: '' } }], /invalid base URL/],
    ['two trailing slashes', [{ name: 'one', type: 'jira', surfaces: { api: 'https://h.example.com/x//' } }], /invalid base URL/],
    ['a bad surface name', [{ name: 'one', type: 'jira', surfaces: { 'API!': 'https://h.example.com/' } }], /surface names/],
    ['a duplicate integration name', [
      { name: 'one', type: 'jira', surfaces: { api: 'https://a.example.com/' } },
      { name: 'one', type: 'jira', surfaces: { api: 'https://b.example.com/' } },
    ], /defined twice/],
  ] as [string, ResolvableIntegration[], RegExp][])('rejects %s', (_label, integrations, message) => {
    expect(() => compileSurfaces(integrations)).toThrow(message);
  });

  it('is frozen', () => {
    const compiled = compileSurfaces([{ name: 'one', type: 'jira', surfaces: { api: 'https://h.example.com/' } }]);
    expect(Object.isFrozen(compiled)).toBe(true);
    expect(Object.isFrozen(compiled.byOrigin.get('https h.example.com 443')?.[0])).toBe(true);
  });
});
