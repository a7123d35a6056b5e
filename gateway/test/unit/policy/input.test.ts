/**
 * Request fixtures in, input documents out. The destinations are the ones a scanner sends
 * (GitHub REST/GraphQL/raw/smart-HTTP, GitLab REST with encoded project ids, Bitbucket Data
 * Center REST), written by hand from each product's API documentation; the facts are produced
 * by the real normalizer and resolver, as the gateway does.
 */
import type { RequestFacts } from '../../../src/policy/input';
import { buildInput } from '../../../src/policy/input';
import type { JsonValue, PolicyInput } from '../../../src/policy/types';
import { normalizeUrl } from '../../../src/request/normalize';
import { compileSurfaces, resolveDestination } from '../../../src/request/resolve';
import { surfacesFor } from '../../../src/request/surfaces';

const integrations: { name: string; type: string; baseUrl: string; flags: Record<string, boolean | string[]> }[] = [
  { name: 'ghe', type: 'github', baseUrl: 'https://ghe.example.com/api/v3', flags: { allow_code_access: false } },
  { name: 'gl', type: 'gitlab', baseUrl: 'https://gitlab.example.com', flags: { allow_code_access: true, projects: ['acme/app'] } },
  { name: 'bb', type: 'bitbucket', baseUrl: 'https://bb.example.com/rest/api/1.0', flags: {} },
];
const table = compileSurfaces(integrations.map((i) => ({ name: i.name, type: i.type, surfaces: surfacesFor(i.type, i.baseUrl, {}) })));

interface Fixture {
  method: string;
  destination: string;
  headers?: Record<string, string>;
  body?: Partial<RequestFacts['body']>;
  direction?: 'inbound' | 'outbound';
}

function facts(fixture: Fixture): RequestFacts {
  const normalized = normalizeUrl(fixture.destination);
  if (!normalized.ok) throw new Error(normalized.reason);
  const resolved = resolveDestination(normalized.value, table);
  if (resolved === null) throw new Error(`${fixture.destination} resolves nowhere`);
  const integration = integrations.find((i) => i.name === resolved.integrationName);
  if (integration === undefined) throw new Error('unknown integration');
  return {
    decisionId: '0b6f1c2e-0000-4000-8000-000000000001',
    direction: fixture.direction ?? 'inbound',
    integration: { name: integration.name, type: integration.type, surface: resolved.surface, baseUrl: resolved.baseUrl, flags: integration.flags },
    url: normalized.value,
    route: resolved.route,
    routeSegments: resolved.routeSegments,
    method: fixture.method,
    headers: fixture.headers ?? { accept: 'application/json' },
    body: { size: 0, truncated: false, json: undefined, contentType: null, ...fixture.body },
    graphql: null,
    sourceAddress: 'fdf0:59dc:33cf:9be9::1',
  };
}

type Integration = PolicyInput['integration'];
type Request = PolicyInput['request'];

function documentOf(integration: Integration, request: Partial<Request> & Pick<Request, 'path' | 'route' | 'segments'>, direction: 'inbound' | 'outbound' = 'inbound'): PolicyInput {
  return {
    version: 'rego-broker/v1',
    direction,
    decision_id: '0b6f1c2e-0000-4000-8000-000000000001',
    integration,
    request: {
      method: 'GET',
      scheme: 'https',
      host: 'ghe.example.com',
      port: 443,
      query: {},
      headers: { accept: 'application/json' },
      body: null,
      body_size: 0,
      body_truncated: false,
      content_type: null,
      graphql: null,
      segments_folded: request.segments.map((x) => x.replace(/[A-Z]/g, (c) => c.toLowerCase())),
      ...request,
    },
    source: { address: 'fdf0:59dc:33cf:9be9::1' },
  };
}

const ghe = (surface: string, base_url: string): Integration => ({
  name: 'ghe',
  type: 'github',
  surface,
  base_url,
  flags: { allow_code_access: false },
});

const graphqlQuery: JsonValue = { query: 'query { viewer { login } }', variables: {} };

describe('buildInput', () => {
  it.each<[string, Fixture, PolicyInput]>([
    [
      'github api (the contract example)',
      { method: 'get', destination: 'https://ghe.example.com/api/v3/repos/acme/app/contents/package.json?ref=main' },
      documentOf(ghe('api', 'https://ghe.example.com/api/v3'), {
        path: '/api/v3/repos/acme/app/contents/package.json',
        route: '/repos/acme/app/contents/package.json',
        segments: ['repos', 'acme', 'app', 'contents', 'package.json'],
        query: { ref: ['main'] },
      }),
    ],
    [
      'github graphql with a JSON body',
      {
        method: 'POST',
        destination: 'https://ghe.example.com/api/graphql',
        headers: { accept: 'application/json', 'content-type': 'application/json; charset=utf-8' },
        body: { size: 49, json: graphqlQuery, contentType: 'Application/JSON; charset=utf-8' },
      },
      documentOf(ghe('graphql', 'https://ghe.example.com/api/graphql'), {
        method: 'POST',
        path: '/api/graphql',
        route: '/',
        segments: [],
        headers: { accept: 'application/json', 'content-type': 'application/json; charset=utf-8' },
        body: graphqlQuery,
        body_size: 49,
        content_type: 'application/json',
      }),
    ],
    [
      'github raw',
      { method: 'GET', destination: 'https://ghe.example.com/raw/acme/app/main/README.md', headers: {} },
      documentOf(ghe('raw', 'https://ghe.example.com/raw'), {
        path: '/raw/acme/app/main/README.md',
        route: '/acme/app/main/README.md',
        segments: ['acme', 'app', 'main', 'README.md'],
        headers: {},
      }),
    ],
    [
      'github git smart HTTP',
      {
        method: 'POST',
        destination: 'https://ghe.example.com/acme/app.git/git-upload-pack',
        headers: { 'content-type': 'application/x-git-upload-pack-request' },
        body: { size: 2048, truncated: true, contentType: 'application/x-git-upload-pack-request' },
      },
      documentOf(ghe('git', 'https://ghe.example.com/'), {
        method: 'POST',
        path: '/acme/app.git/git-upload-pack',
        route: '/acme/app.git/git-upload-pack',
        segments: ['acme', 'app.git', 'git-upload-pack'],
        headers: { 'content-type': 'application/x-git-upload-pack-request' },
        body_size: 2048,
        body_truncated: true,
        content_type: 'application/x-git-upload-pack-request',
      }),
    ],
    [
      'gitlab api with encoded project and file ids',
      { method: 'GET', destination: 'https://gitlab.example.com/api/v4/projects/acme%2Fapp/repository/files/src%2Fa.json/raw?ref=main&ref=dev' },
      documentOf(
        {
          name: 'gl',
          type: 'gitlab',
          surface: 'api',
          base_url: 'https://gitlab.example.com/api/v4',
          flags: { allow_code_access: true, projects: ['acme/app'] },
        },
        {
          host: 'gitlab.example.com',
          path: '/api/v4/projects/acme%2Fapp/repository/files/src%2Fa.json/raw',
          route: '/projects/acme%2Fapp/repository/files/src%2Fa.json/raw',
          segments: ['projects', 'acme/app', 'repository', 'files', 'src/a.json', 'raw'],
          query: { ref: ['main', 'dev'] },
        },
      ),
    ],
    [
      'bitbucket rest, relayed outbound',
      { method: 'delete', destination: 'https://bb.example.com:443/rest/build-status/1.0/commits/abc', direction: 'outbound' },
      documentOf(
        { name: 'bb', type: 'bitbucket', surface: 'rest', base_url: 'https://bb.example.com/rest', flags: {} },
        {
          method: 'DELETE',
          host: 'bb.example.com',
          path: '/rest/build-status/1.0/commits/abc',
          route: '/build-status/1.0/commits/abc',
          segments: ['build-status', '1.0', 'commits', 'abc'],
        },
        'outbound',
      ),
    ],
  ])('%s', (_label, fixture, expected) => {
    expect(buildInput(facts(fixture))).toEqual(expected);
  });

  it('is deterministic and does not alias or change its facts', () => {
    const given = facts({ method: 'GET', destination: 'https://gitlab.example.com/api/v4/projects?search=a&search=b' });
    const snapshot = JSON.stringify(given);
    const first = buildInput(given);
    expect(buildInput(given)).toEqual(first);
    first.request.segments.push('x');
    first.request.query['search']?.push('c');
    const flag = first.integration.flags['projects'];
    if (Array.isArray(flag)) flag.push('evil');
    expect(JSON.stringify(given)).toBe(snapshot);
  });

  it('keeps a JSON null body distinct by size, and maps no JSON to null', () => {
    const none = buildInput(facts({ method: 'POST', destination: 'https://ghe.example.com/api/v3/x', body: { size: 3, contentType: 'text/plain' } }));
    expect(none.request).toMatchObject({ body: null, body_size: 3, content_type: 'text/plain' });
    const empty = buildInput(facts({ method: 'POST', destination: 'https://ghe.example.com/api/v3/x', body: { contentType: ' ; charset=x' } }));
    expect(empty.request.content_type).toBeNull();
  });

  it('keeps a __proto__ query key as data', () => {
    const input = buildInput(facts({ method: 'GET', destination: 'https://ghe.example.com/api/v3/x?__proto__=1' }));
    expect(Object.keys(input.request.query)).toEqual(['__proto__']);
    expect(JSON.parse(JSON.stringify(input.request.query))).toEqual({ ['__proto__']: ['1'] });
  });
});
