import { defaultSurfaces, surfacesFor } from '../../../src/request/surfaces';

describe('defaultSurfaces', () => {
  it.each([
    [
      'github',
      'https://api.github.com',
      {
        api: 'https://api.github.com',
        graphql: 'https://api.github.com/graphql',
        raw: 'https://raw.githubusercontent.com',
        git: 'https://github.com',
      },
    ],
    [
      'github',
      'https://ghe.example.com/api/v3',
      {
        api: 'https://ghe.example.com/api/v3',
        graphql: 'https://ghe.example.com/api/graphql',
        raw: 'https://ghe.example.com/raw',
        git: 'https://ghe.example.com/',
      },
    ],
    [
      'github',
      'https://GHE.example.com:8443/api/v3',
      {
        api: 'https://GHE.example.com:8443/api/v3',
        graphql: 'https://ghe.example.com:8443/api/graphql',
        raw: 'https://ghe.example.com:8443/raw',
        git: 'https://ghe.example.com:8443/',
      },
    ],
    [
      'gitlab',
      'https://gitlab.example.com/api/v4',
      {
        api: 'https://gitlab.example.com/api/v4',
        graphql: 'https://gitlab.example.com/api/graphql',
        git: 'https://gitlab.example.com/',
      },
    ],
    [
      'gitlab',
      'https://gitlab.example.com',
      {
        api: 'https://gitlab.example.com/api/v4',
        graphql: 'https://gitlab.example.com/api/graphql',
        git: 'https://gitlab.example.com/',
      },
    ],
    [
      'gitlab',
      'https://gitlab.example.com/',
      {
        api: 'https://gitlab.example.com/api/v4',
        graphql: 'https://gitlab.example.com/api/graphql',
        git: 'https://gitlab.example.com/',
      },
    ],
    [
      'gitlab',
      'https://example.com/gitlab/api/v4',
      {
        api: 'https://example.com/gitlab/api/v4',
        graphql: 'https://example.com/gitlab/api/graphql',
        git: 'https://example.com/gitlab/',
      },
    ],
    [
      'bitbucket',
      'https://bb.example.com/rest/api/1.0',
      { api: 'https://bb.example.com/rest/api/1.0', rest: 'https://bb.example.com/rest', git: 'https://bb.example.com/scm' },
    ],
    [
      'bitbucket',
      'https://bb.example.com',
      { api: 'https://bb.example.com', rest: 'https://bb.example.com/rest', git: 'https://bb.example.com/scm' },
    ],
    [
      'bitbucket',
      'https://example.com/bitbucket/rest/api/latest',
      {
        api: 'https://example.com/bitbucket/rest/api/latest',
        rest: 'https://example.com/bitbucket/rest',
        git: 'https://example.com/bitbucket/scm',
      },
    ],
    [
      'azure-repos',
      'https://ado.example.com/tfs/DefaultCollection',
      { api: 'https://ado.example.com/tfs/DefaultCollection', git: 'https://ado.example.com/tfs/DefaultCollection' },
    ],
    ['jira', 'https://jira.example.com', { api: 'https://jira.example.com' }],
    ['artifactory', 'https://jfrog.example.com/artifactory', { api: 'https://jfrog.example.com/artifactory' }],
    ['nexus', 'https://nexus.example.com', { api: 'https://nexus.example.com' }],
    ['something-else', 'https://x.example.com/api', { api: 'https://x.example.com/api' }],
    // Invalid base URLs are reported when the surfaces are compiled, with the integration name.
    ['github', 'https://ghe.example.com/a/../api/v3', { api: 'https://ghe.example.com/a/../api/v3' }],
    ['gitlab', 'not a url', { api: 'not a url' }],
  ])('%s %s', (type, baseUrl, expected) => {
    expect(defaultSurfaces(type, baseUrl)).toEqual(expected);
  });
});

describe('surfacesFor', () => {
  it('lets configured surfaces replace and add to the defaults', () => {
    expect(
      surfacesFor('github', 'https://ghe.example.com/api/v3', {
        raw: 'https://raw.ghe.example.com',
        uploads: 'https://ghe.example.com/api/uploads',
      }),
    ).toEqual({
      api: 'https://ghe.example.com/api/v3',
      graphql: 'https://ghe.example.com/api/graphql',
      raw: 'https://raw.ghe.example.com',
      git: 'https://ghe.example.com/',
      uploads: 'https://ghe.example.com/api/uploads',
    });
  });

  it('returns the defaults when nothing is configured', () => {
    expect(surfacesFor('jira', 'https://jira.example.com', {})).toEqual({ api: 'https://jira.example.com' });
  });

  it('does not mutate the overrides', () => {
    const overrides = Object.freeze({ git: 'https://git.example.com' });
    expect(surfacesFor('gitlab', 'https://gitlab.example.com', overrides).git).toBe('https://git.example.com');
    expect(overrides).toEqual({ git: 'https://git.example.com' });
  });
});
