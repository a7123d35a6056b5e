/**
 * Complete mediation, class by class, on the real broker (shipped bundle, port 0) in front of a
 * recording upstream: what reaches the upstream is exactly what the policy judged, and what the
 * policy did not judge never reaches it. Each case was an attack that got through before.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { send, startTestBroker, testConfig } from '../helpers/broker';
import { HOSTILE_HEADERS } from '../helpers/hostile-headers';
import type { Reply, TestBroker } from '../helpers/broker';
import { startUpstream } from '../helpers/upstream';
import type { FakeUpstream } from '../helpers/upstream';

let upstream: FakeUpstream;
let tb: TestBroker;
const TOKEN = 'mediation-token-5d1c';

beforeAll(async () => {
  upstream = await startUpstream();
  const config = testConfig(
    upstream.url,
    {
      integrations: [
        { name: 'ghe', type: 'github', baseUrl: `${upstream.url}/api/v3`, auth: { scheme: 'bearer', tokenEnv: 'TEST_GHE_TOKEN' }, allowWebhooks: true, allowedWebhookUrls: ['https://scanner.example.com/hook'] },
        { name: 'gitlab', type: 'gitlab', baseUrl: `${upstream.url}/gitlab/api/v4`, auth: { scheme: 'bearer', tokenEnv: 'TEST_GHE_TOKEN' } },
      ],
    },
    { TEST_GHE_TOKEN: TOKEN },
  );
  tb = await startTestBroker(config, { env: { TEST_GHE_TOKEN: TOKEN } });
});

afterAll(async () => {
  await tb.close();
  await upstream.close();
});

beforeEach(() => {
  upstream.received.length = 0;
  tb.log.records.length = 0;
});

const gh = (rest: string): string => `/proxy/${upstream.url}/api/v3${rest}`;
const gl = (rest: string): string => `/proxy/${upstream.url}/gitlab${rest}`;

function code(reply: Reply): string {
  return (reply.json() as { error: { code: string } }).error.code;
}

function reasons(reply: Reply): string {
  return ((reply.json() as { error: { reasons?: string[] } }).error.reasons ?? []).join('\n');
}

const json = (body: unknown): { method: string; headers: Record<string, string>; body: string } => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

describe('1. the query string next to a judged body', () => {
  it('refuses a GraphQL document in the query string next to a harmless body (GitLab reads either)', async () => {
    const r = await send(tb.base, `${gl('/api/graphql')}?query=${encodeURIComponent('mutation { destroyProject(input: {id: "1"}) { errors } }')}`, json({ query: '{ currentUser { username } }' }));
    expect(r.status).toBe(400);
    expect(code(r)).toBe('INPUT_INVALID');
    expect(upstream.received).toHaveLength(0);
  });

  it.each([
    ['sudo', '?sudo=root'],
    ['private_token', '?private_token=glpat-x'],
    ['repeated', '?per_page=1&per_page=2'],
  ])('refuses %s on a GitLab REST read, naming the parameter', async (name, query) => {
    const r = await send(tb.base, `${gl('/api/v4/projects/7')}${query}`);
    expect(r.status).toBe(403);
    expect(reasons(r)).toContain(`"${name === 'repeated' ? 'per_page' : name}"`);
    expect(upstream.received).toHaveLength(0);
  });

  it('refuses any query parameter on a write, and allows the same write without one', async () => {
    const note = json({ body: 'found 2 issues' });
    const denied = await send(tb.base, `${gh('/repos/acme/app/issues/3/comments')}?body=evil`, note);
    expect(denied.status).toBe(403);
    expect(upstream.received).toHaveLength(0);
    const allowed = await send(tb.base, gh('/repos/acme/app/issues/3/comments'), note);
    expect(allowed.status).toBe(200);
    expect(upstream.received[0]?.url).toBe('/api/v3/repos/acme/app/issues/3/comments');
  });

  it('refuses a JSON body on a GET (Rails would read {"sudo"} from it)', async () => {
    // content-length given explicitly: Node's client sends a GET body without one, unframed.
    const r = await send(tb.base, gl('/api/v4/projects/7'), { headers: { 'content-type': 'application/json', 'content-length': '15' }, body: '{"sudo":"root"}' });
    expect(r.status).toBe(400);
    expect(upstream.received).toHaveLength(0);
  });

  it('refuses a JSON body that gives a key twice (parsers disagree on which value wins)', async () => {
    const r = await send(tb.base, gh('/repos/acme/app/issues/3/comments'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"body": "LGTM", "body": "evil"}' });
    expect(r.status).toBe(400);
    expect(code(r)).toBe('INPUT_INVALID');
    expect(upstream.received).toHaveLength(0);
  });

  it('refuses a form body, whose fields servers read as parameters', async () => {
    const r = await send(tb.base, gh('/repos/acme/app/issues/3/comments'), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'body=x&sudo=root' });
    expect(r.status).toBe(400);
    expect(upstream.received).toHaveLength(0);
  });
});

describe('2. GraphQL judged by its parsed field paths', () => {
  it('allows a metadata query and forwards the very bytes judged', async () => {
    const body = JSON.stringify({ query: 'query { currentUser { username } }' });
    const r = await send(tb.base, gl('/api/graphql'), { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(r.status).toBe(200);
    expect(upstream.received[0]?.body.toString('utf8')).toBe(body);
  });

  it.each([
    ['an alias', 'query { project(fullPath: "g/app") { name x: ciVariables { nodes { v: value } } } }'],
    ['a named fragment', 'query { project(fullPath: "g/app") { ...F } } fragment F on Project { ciVariables { nodes { value } } }'],
    ['an inline fragment', 'query { project(fullPath: "g/app") { ... on Project { ciVariables { nodes { value } } } } }'],
  ])('denies CI/CD variable values hidden behind %s', async (_how, query) => {
    const r = await send(tb.base, gl('/api/graphql'), json({ query }));
    expect(r.status).toBe(403);
    expect(reasons(r)).toContain('project.ciVariables');
    expect(upstream.received).toHaveLength(0);
  });

  it.each([
    ['GitLab, on the operation', 'gitlab', 'query Q @cached { currentUser { username } }'],
    ['GitLab, on a variable', 'gitlab', 'query Q($u: Boolean = true @cached) { currentUser { username @include(if: $u) } }'],
    ['GitHub, on the operation', 'github', 'query Q @cached { viewer { login } }'],
  ])('denies a directive the policy does not list (%s), while @include on a field is allowed', async (_where, host, query) => {
    const to = host === 'gitlab' ? gl('/api/graphql') : `/proxy/${upstream.url}/api/graphql`;
    const r = await send(tb.base, to, json({ query }));
    expect(r.status).toBe(403);
    expect(reasons(r)).toContain('@include and @skip');
    expect(upstream.received).toHaveLength(0);
    const ok = await send(tb.base, to, json({ query: query.replace(' @cached', '') }));
    expect(ok.status).toBe(200);
  });

  it('denies deploy keys on GitHub', async () => {
    const r = await send(tb.base, `/proxy/${upstream.url}/api/graphql`, json({ query: '{ repository(owner: "acme", name: "app") { deployKeys { nodes { key } } } }' }));
    expect(r.status).toBe(403);
    expect(upstream.received).toHaveLength(0);
  });

  it('judges a 16 KB document without failing (no 500), and refuses a fragment bomb as too complex', async () => {
    const fields = Array.from({ length: 700 }, (_, i) => `a${i}: username`).join(' ');
    const big = await send(tb.base, gl('/api/graphql'), json({ query: `{ currentUser { ${fields} } }` }));
    expect([200, 403]).toContain(big.status);
    const bomb = ['query { currentUser { ...F0 } }', ...Array.from({ length: 30 }, (_, i) => `fragment F${i} on UserCore { ...F${i + 1} ...F${i + 1} }`), 'fragment F30 on UserCore { username }'].join(' ');
    const r = await send(tb.base, gl('/api/graphql'), json({ query: bomb }));
    expect(r.status).toBe(400);
    expect(code(r)).toBe('INPUT_TOO_COMPLEX');
  });

  it('refuses batched documents', async () => {
    const r = await send(tb.base, gl('/api/graphql'), json([{ query: '{ currentUser { username } }' }, { query: '{ currentUser { username } }' }]));
    expect(r.status).toBe(400);
    expect(upstream.received).toHaveLength(0);
  });
});

describe('3. headers by allowlist', () => {
  it('forwards only allowlisted headers, and exactly those the policy saw', async () => {
    const hostile = { accept: 'application/json', 'user-agent': 'scanner/2', ...HOSTILE_HEADERS };
    const r = await send(tb.base, `${gh('/repos/acme/app/contents/package.json')}?ref=main`, { headers: hostile });
    expect(r.status).toBe(200);
    const got = upstream.received[0]?.headers ?? {};
    const forwarded = Object.keys(got).filter((h) => !['host', 'connection', 'traceparent', 'tracestate'].includes(h));
    expect(forwarded.sort()).toEqual(['accept', 'authorization', 'user-agent']);
    expect(got.authorization).toBe(`Bearer ${TOKEN}`);
    const input = (await tb.log.waitForDecision(r.headers['x-broker-decision-id'] as string)).input as { request: { headers: Record<string, string> } };
    expect(Object.keys(input.request.headers).sort()).toEqual(['accept', 'user-agent']);
  });
});

describe('4. evaluation has a bound', () => {
  it.each([
    ['100k keys', () => JSON.stringify({ body: 'x', ...Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [i.toString(36), 1])) })],
    ['deep nesting', () => `{"body":${'['.repeat(5000)}${']'.repeat(5000)}}`],
    ['many values', () => JSON.stringify({ body: Array.from({ length: 50_000 }, () => 0) })],
  ])('refuses a body with %s before evaluating it', async (_what, make) => {
    const r = await send(tb.base, gh('/repos/acme/app/issues/3/comments'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: make() });
    expect(r.status).toBe(400);
    expect(code(r)).toBe('INPUT_TOO_COMPLEX');
    expect(upstream.received).toHaveLength(0);
  });

  it('refuses too many query parameters and too many headers', async () => {
    const query = Array.from({ length: 100 }, (_, i) => `p${i}=1`).join('&');
    const q = await send(tb.base, `${gh('/repos/acme/app')}?${query}`);
    expect(code(q)).toBe('INPUT_TOO_COMPLEX');
    const headers = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`x-h${i}`, '1']));
    const h = await send(tb.base, gh('/repos/acme/app'), { headers });
    expect(code(h)).toBe('INPUT_TOO_COMPLEX');
  });
});

describe('6. the response side', () => {
  let forging: http.Server;
  let port = 0;

  beforeAll(async () => {
    forging = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-broker-decision-id': 'forged', connection: 'x-internal-secret', 'x-internal-secret': 'leak' });
      res.end('{}');
    });
    await new Promise<void>((resolve) => forging.listen(0, '127.0.0.1', resolve));
    port = (forging.address() as AddressInfo).port;
  });

  afterAll(() => new Promise<void>((resolve) => forging.close(() => resolve())));

  it('keeps the broker decision id and strips headers the upstream listed in Connection', async () => {
    const other = await startTestBroker(testConfig(`http://127.0.0.1:${port}`));
    try {
      const r = await send(other.base, `/proxy/http://127.0.0.1:${port}/api/v3/repos/acme/app`);
      expect(r.status).toBe(200);
      const record = await other.log.waitForDecision(r.headers['x-broker-decision-id'] as string);
      expect(record.status).toBe(200);
      expect(r.headers['x-internal-secret']).toBeUndefined();
    } finally {
      await other.close();
    }
  });
});

describe('7. placeholders follow the naming grammar', () => {
  it.each([
    ['an encoded slash', '/repos/acme%2Fother/app'],
    ['a path parameter', '/repos/acme/app;x=1'],
    ['a space', '/repos/acme/ap%20p'],
  ])('denies %s inside a name', async (_what, path) => {
    const r = await send(tb.base, gh(path));
    expect(r.status).toBe(403);
    expect(upstream.received).toHaveLength(0);
  });

  it('allows HEAD where GET is, and the upstream receives HEAD', async () => {
    const r = await send(tb.base, `${gh('/repos/acme/app/contents/package.json')}?ref=main`, { method: 'HEAD' });
    expect(r.status).toBe(200);
    expect(upstream.received[0]?.method).toBe('HEAD');
  });

  it('gives the policy a case-folded view of the segments', async () => {
    const r = await send(tb.base, gh('/repos/Acme/App'));
    const input = (await tb.log.waitForDecision(r.headers['x-broker-decision-id'] as string)).input as { request: { segments: string[]; segments_folded: string[] } };
    expect(input.request.segments).toEqual(['repos', 'Acme', 'App']);
    expect(input.request.segments_folded).toEqual(['repos', 'acme', 'app']);
  });
});

describe('5. no secret in the decision log', () => {
  it('masks a webhook secret in the body of an allowed request, and logs the body hash', async () => {
    const canary = 'CANARY-whsec-9b2e';
    const hook = { name: 'web', config: { url: 'https://scanner.example.com/hook', content_type: 'json', secret: canary }, events: ['push'] };
    const body = JSON.stringify(hook);
    const r = await send(tb.base, gh('/repos/acme/app/hooks'), { method: 'POST', headers: { 'content-type': 'application/json', 'x-github-otp': canary }, body });
    expect(r.status).toBe(200);
    expect(upstream.received[0]?.body.toString('utf8')).toBe(body);
    const line = JSON.stringify(await tb.log.waitForDecision(r.headers['x-broker-decision-id'] as string));
    expect(line).not.toContain(canary);
    expect(line).toContain(createHash('sha256').update(body).digest('hex'));
  });
});
