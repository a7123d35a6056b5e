import type { GraphqlLimits } from '../../../src/config/types';
import type { JsonValue } from '../../../src/policy/types';
import { readGraphql } from '../../../src/request/graphql';
import type { GraphqlInput, GraphqlRead, GraphqlRequest } from '../../../src/request/graphql';

const LIMITS: GraphqlLimits = { maxTokens: 5000, maxDepth: 15, maxNodes: 1000 };
type Query = Record<string, string[]>;

/** A POST whose body is this JSON text, parsed the way the gateway parses JSON bodies. */
function postJson(text: string, query: Query = {}, contentType = 'application/json'): GraphqlRequest {
  let json: JsonValue | undefined;
  try {
    json = JSON.parse(text) as JsonValue;
  } catch {
    json = undefined;
  }
  return { method: 'POST', query, contentType, body: Buffer.from(text), json };
}
/** A POST whose JSON body has bytes that are not UTF-8, decoded leniently as the gateway does. */
const postJsonBytes = (bytes: Buffer): GraphqlRequest => ({
  method: 'POST',
  query: {},
  contentType: 'application/json',
  body: bytes,
  json: JSON.parse(bytes.toString('utf8')) as JsonValue,
});
const post = (body: unknown, query: Query = {}): GraphqlRequest => postJson(JSON.stringify(body), query);
const get = (query: Query, method = 'GET'): GraphqlRequest => ({ method, query, contentType: null, body: Buffer.alloc(0), json: undefined });
const postBody = (contentType: string | null, text: string | Buffer, query: Query = {}): GraphqlRequest => ({
  method: 'POST',
  query,
  contentType,
  body: Buffer.isBuffer(text) ? text : Buffer.from(text),
  json: undefined,
});

function document(req: GraphqlRequest, limits: GraphqlLimits = LIMITS): GraphqlInput {
  const read = readGraphql(req, limits);
  if (!read.ok || read.graphql === null) throw new Error(`expected a document, got ${JSON.stringify(read)}`);
  return read.graphql;
}
const refusal = (read: GraphqlRead): [string, string] => (read.ok ? ['ok', ''] : [read.code, read.reason]);

describe('where the document is read', () => {
  it.each<[string, GraphqlRequest, GraphqlInput['source'], string]>([
    ['JSON body', post({ query: '{ viewer { login } }' }), 'body', 'viewer.login'],
    ['JSON body with null variables and operationName', post({ query: '{ viewer { login } }', variables: null, operationName: null }), 'body', 'viewer.login'],
    ['+json media type', postJson('{"query": "{ viewer { login } }"}', {}, 'application/vnd.api+json'), 'body', 'viewer.login'],
    ['GET query string', get({ query: ['{ project(fullPath: "a/b") { name } }'] }), 'query', 'project.name'],
    ['HEAD query string', get({ query: ['{ project(fullPath: "a/b") { name } }'] }, 'HEAD'), 'query', 'project.name'],
    ['POST with no body and no content type', get({ query: ['{ viewer { login } }'] }, 'POST'), 'query', 'viewer.login'],
    ['POST with an empty JSON body', { ...postBody('application/json', ''), query: { query: ['{ viewer { login } }'] } }, 'query', 'viewer.login'],
    ['GET with a ";" that hides nothing', get({ query: ['{ viewer(x: "a;b") { login } }'] }), 'query', 'viewer.login'],
    ['GET with an empty operationName', get({ query: ['{ viewer { login } }'], operationName: [''] }), 'query', 'viewer.login'],
    ['application/graphql body', postBody('application/graphql', 'query { viewer { login } }'), 'body', 'viewer.login'],
    ['application/graphql body, variables in the query string', postBody('application/graphql', 'query Q($p: ID!) { project(fullPath: $p) { name } }', { variables: ['{"p": "a/b"}'], operationName: ['Q'] }), 'body', 'project.name'],
  ])('%s', (_name, req, source, path) => {
    const doc = document(req);
    expect(doc.source).toBe(source);
    expect(doc.paths).toContain(path);
  });

  it.each<[string, GraphqlRequest]>([
    ['GET without query', get({})],
    ['GET with only variables', get({ variables: ['{}'] })],
    ['POST with no body and no query string', get({}, 'POST')],
    ['OPTIONS with nothing', get({}, 'OPTIONS')],
  ])('%s carries no document', (_name, req) => {
    expect(readGraphql(req, LIMITS)).toEqual({ ok: true, graphql: null });
  });

  it('reads GET variables and operationName', () => {
    const doc = document(get({ query: ['query Q($p: ID!) { project(fullPath: $p) { name } }'], variables: ['{"p": "a/b"}'], operationName: ['Q'] }));
    expect(doc).toMatchObject({ name: 'Q', variables: { p: 'a/b' }, fields: [{ path: 'project', args: { fullPath: 'a/b' } }, { path: 'project.name' }] });
  });

  it.each<[string, string]>([
    ['absent', ''],
    ['JSON null', 'null'],
  ])('GET variables %s give {}', (_name, text) => {
    const q: Query = { query: ['{ a }'] };
    if (text !== '') q.variables = [text];
    expect(document(get(q)).variables).toEqual({});
  });
});

describe('refused request shapes', () => {
  const mutation = 'mutation { destroyProject(input: {id: "1"}) { errors } }';
  it.each<[string, GraphqlRequest, RegExp]>([
    ['GitLab attack: harmless JSON body, mutation in ?query=', post({ query: '{ currentUser { name } }' }, { query: [mutation] }), /given both in the body and in the query string/],
    ['JSON body and ?variables=', post({ query: '{ a }' }, { variables: ['{}'] }), /given both/],
    ['JSON body and ?operationName=', post({ query: '{ a }' }, { operationName: ['X'] }), /given both/],
    ['application/graphql body and ?query=', postBody('application/graphql', '{ a }', { query: [mutation] }), /given both/],
    ['query repeated in the query string', get({ query: ['{ a }', mutation] }), /"query" is repeated/],
    ['variables repeated in the query string', get({ query: ['{ a }'], variables: ['{}', '{}'] }), /"variables" is repeated/],
    ['operationName repeated in the query string', get({ query: ['{ a }'], operationName: ['A', 'B'] }), /"operationName" is repeated/],
    ['Rails nested variables (?variables[p]=)', get({ query: ['query($p: ID) { project(fullPath: $p) { name } }'], 'variables[p]': ['x'] }), /nested or _json/],
    ['Rails batch in the query string (?_json[][query]=)', post({ query: '{ a }' }, { '_json[][query]': [mutation] }), /nested or _json/],
    ['Rack 2 leading bracket (?[query]=)', get({ '[query]': [mutation] }), /nested or _json/],
    ['Rack 2 splits at ";" (?a=1;query=)', post({ query: '{ a }' }, { a: [`1;query=${mutation}`] }), /";" in the query string/],
    ['Rack 2 splits at ";" in a key (?a;variables[x]=1)', get({ query: ['{ a }'], 'a;variables[x]': ['1'] }), /";" in the query string/],
    ['Rack 2 splits at ";" inside ?query=', get({ query: [`{ a };operationName=X`] }), /";" in the query string/],
    ['batched JSON array', postJson(JSON.stringify([{ query: '{ a }' }, { query: mutation }])), /^batched GraphQL requests are not accepted$/],
    ['JSON string body', postJson('"{ a }"'), /not an object/],
    ['JSON null body', postJson('null'), /not an object/],
    ['JSON body that is not JSON', postJson('{"query": '), /not valid JSON/],
    ['unknown key extensions', post({ query: '{ a }', extensions: { persistedQuery: {} } }), /unknown key "extensions"/],
    ['JSON body {}', post({}), /no "query" string/],
    ['query not a string', post({ query: ['{ a }'] }), /no "query" string/],
    ['variables an array', post({ query: '{ a }', variables: [] }), /"variables"/],
    ['variables a string', post({ query: '{ a }', variables: '{}' }), /"variables"/],
    ['operationName a number', post({ query: '{ a }', operationName: 1 }), /"operationName"/],
    ['form body', postBody('application/x-www-form-urlencoded', `query=${encodeURIComponent(mutation)}`), /must be application\/json or application\/graphql/],
    ['multipart body', postBody('multipart/form-data', '--b\r\n\r\n--b--'), /must be application\/json/],
    ['text/plain body', postBody('text/plain', '{"query": "{ a }"}'), /must be application\/json/],
    ['body without content type', postBody(null, '{"query": "{ a }"}'), /must be application\/json/],
    ['GET with a body', { ...get({ query: ['{ a }'] }), body: Buffer.from(mutation) }, /must not have a body/],
    ['PUT with a document', { ...post({ query: mutation }), method: 'PUT' }, /only from GET, HEAD and POST/],
    ['GET variables not JSON', get({ query: ['{ a }'], variables: ['{"p": secret-value'] }), /not JSON$/],
    ['GET variables not an object', get({ query: ['{ a }'], variables: ['["secret-value"]'] }), /not a JSON object/],
    ['JSON body not UTF-8', postJsonBytes(Buffer.concat([Buffer.from('{"query": "{ a'), Buffer.from([0xff]), Buffer.from(' }"}')])), /not UTF-8/],
    ['application/graphql body not UTF-8', postBody('application/graphql', Buffer.from([0x7b, 0x20, 0xff, 0x7d])), /not UTF-8/],
  ])('%s', (_name, req, reason) => {
    const [code, text] = refusal(readGraphql(req, LIMITS));
    expect(code).toBe('INPUT_INVALID');
    expect(text).toMatch(reason);
    expect(text).not.toContain('secret-value');
    expect(text).not.toContain('destroyProject');
  });
});

describe('parsing and validation', () => {
  it.each<[string, GraphqlRequest, RegExp]>([
    ['syntax error', post({ query: '{ a ' }), /^GraphQL syntax error: Expected Name, found <EOF>\.$/],
    ['empty document', get({ query: [''] }), /^GraphQL syntax error: /],
    ['fragment cycle', post({ query: '{ ...A } fragment A on Query { a ...B } fragment B on Query { b ...A }' }), /Cannot spread fragment "A" within itself/],
    ['unused fragment', post({ query: '{ a } fragment F on Query { secretField }' }), /Fragment "F" is never used/],
    ['unknown fragment', post({ query: '{ ...Missing }' }), /Unknown fragment "Missing"/],
    ['two named operations', post({ query: 'query A { a } mutation B { b }', operationName: 'A' }), /^one operation per request$/],
    ['anonymous and named operations', post({ query: '{ a } mutation B { b }' }), /anonymous operation must be the only/],
    ['only a fragment', post({ query: 'fragment F on Query { a }' }), /Fragment "F" is never used/],
    ['operationName mismatch', post({ query: 'query A { a }', operationName: 'B' }), /^operationName does not name the operation/],
    ['operationName for an anonymous operation', post({ query: '{ a }', operationName: 'A' }), /^operationName does not name/],
    ['undefined variable', post({ query: 'query { project(fullPath: $p) { name } }' }), /Variable "\$p" is not defined/],
    ['duplicate variable', post({ query: 'query($p: ID, $p: ID) { a(x: $p) }' }), /only one variable named "\$p"/],
    ['duplicate argument', post({ query: '{ a(x: 1, x: 2) }' }), /only one argument named "x"/],
    ['duplicate input field', post({ query: '{ a(x: {k: 1, k: 2}) }' }), /only one input field named "k"/],
    ['duplicate fragment', post({ query: '{ ...F } fragment F on Q { a } fragment F on Q { b }' }), /only one fragment named "F"/],
    ['type definition', post({ query: '{ a } type Evil { x: Int }' }), /not executable/],
    ['number out of range', post({ query: '{ a(x: 1e400) }' }), /out of range/],
  ])('%s → INPUT_INVALID', (_name, req, reason) => {
    const [code, text] = refusal(readGraphql(req, LIMITS));
    expect(code).toBe('INPUT_INVALID');
    expect(text).toMatch(reason);
  });

  it('cuts a syntax error to 200 characters of graphql-js message', () => {
    const [code, text] = refusal(readGraphql(post({ query: `{ a(x: "${'s'.repeat(500)}" }` }), LIMITS));
    expect(code).toBe('INPUT_INVALID');
    expect(text.length).toBeLessThanOrEqual('GraphQL syntax error: '.length + 200);
  });
});

describe('expansion', () => {
  it.each<[string, string, unknown, Partial<GraphqlInput>]>([
    [
      'aliases resolved',
      'query { project(fullPath: "g/p") { x: ciVariables { nodes { v: value } } } }',
      undefined,
      {
        paths: ['project', 'project.ciVariables', 'project.ciVariables.nodes', 'project.ciVariables.nodes.value'],
        fields: [
          { path: 'project', alias: null, args: { fullPath: 'g/p' }, on: [], directives: [] },
          { path: 'project.ciVariables', alias: 'x', args: {}, on: [], directives: [] },
          { path: 'project.ciVariables.nodes', alias: null, args: {}, on: [], directives: [] },
          { path: 'project.ciVariables.nodes.value', alias: 'v', args: {}, on: [], directives: [] },
        ],
        depth: 4,
        nodes: 4,
      },
    ],
    [
      'named fragment expanded with its type condition',
      '{ repository(owner: "o", name: "r") { ...Pr } } fragment Pr on Repository { pullRequests(first: 2) { nodes { title } } }',
      undefined,
      {
        paths: ['repository', 'repository.pullRequests', 'repository.pullRequests.nodes', 'repository.pullRequests.nodes.title'],
        fields: [
          { path: 'repository', alias: null, args: { owner: 'o', name: 'r' }, on: [], directives: [] },
          { path: 'repository.pullRequests', alias: null, args: { first: 2 }, on: ['Repository'], directives: [] },
          { path: 'repository.pullRequests.nodes', alias: null, args: {}, on: ['Repository'], directives: [] },
          { path: 'repository.pullRequests.nodes.title', alias: null, args: {}, on: ['Repository'], directives: [] },
        ],
      },
    ],
    [
      'inline fragment with a directive, nested in a fragment with one',
      'query($on: Boolean!) { node(id: "1") { ...N @include(if: $on) } } fragment N on Node @dir { ... on Issue @skip(if: false) { title @deprecated } id }',
      { on: true },
      {
        fields: [
          { path: 'node', alias: null, args: { id: '1' }, on: [], directives: [] },
          { path: 'node.title', alias: null, args: {}, on: ['Node', 'Issue'], directives: ['include', 'dir', 'skip', 'deprecated'] },
          { path: 'node.id', alias: null, args: {}, on: ['Node'], directives: ['include', 'dir'] },
        ],
      },
    ],
    [
      'directives on the operation and on its variable definitions',
      'query Q($a: Int @v, $b: Int) @op @cached(ttl: 5) { a(x: $a) @include(if: true) }',
      { a: 1 },
      {
        directives: ['op', 'cached', 'v'],
        fields: [{ path: 'a', alias: null, args: { x: 1 }, on: [], directives: ['include'] }],
      },
    ],
    [
      'no directive on the operation',
      'mutation M($a: Int) { a(x: $a) @skip(if: false) }',
      undefined,
      { directives: [] },
    ],
    [
      'inline fragment without a type condition',
      '{ ... @include(if: true) { a } }',
      undefined,
      { fields: [{ path: 'a', alias: null, args: {}, on: [], directives: ['include'] }] },
    ],
    [
      'a fragment used twice counts twice; paths stay distinct',
      '{ a { ...F } b: a { ...F } } fragment F on A { x }',
      undefined,
      { paths: ['a', 'a.x'], nodes: 4, depth: 2 },
    ],
    [
      'variables substituted, defaults applied, missing ones null',
      'query Q($p: ID!, $n: Int = 5, $o: String, $in: Filter = {state: OPEN, labels: ["x"]}) { project(fullPath: $p) { issues(first: $n, after: $o, filter: $in, list: [$p, 1.5, null, ENUM]) { count } } }',
      { p: 'g/p', unused: 'u' },
      {
        name: 'Q',
        operation: 'query',
        variables: { p: 'g/p', unused: 'u' },
        fields: [
          { path: 'project', alias: null, args: { fullPath: 'g/p' }, on: [], directives: [] },
          {
            path: 'project.issues',
            alias: null,
            args: { first: 5, after: null, filter: { state: 'OPEN', labels: ['x'] }, list: ['g/p', 1.5, null, 'ENUM'] },
            on: [],
            directives: [],
          },
          { path: 'project.issues.count', alias: null, args: {}, on: [], directives: [] },
        ],
      },
    ],
    [
      'an explicit null is not replaced by the default',
      'query($n: Int = 5) { a(first: $n) }',
      { n: null },
      { fields: [{ path: 'a', alias: null, args: { first: null }, on: [], directives: [] }] },
    ],
    [
      'mutation',
      'mutation CreateNote($i: CreateNoteInput!) { createNote(input: $i) { errors } }',
      { i: { noteableId: 'gid://gitlab/Issue/1', body: 'hi' } },
      { operation: 'mutation', name: 'CreateNote', paths: ['createNote', 'createNote.errors'] },
    ],
    ['subscription (the policy decides)', 'subscription { issueUpdated(issuableId: "1") { title } }', undefined, { operation: 'subscription', paths: ['issueUpdated', 'issueUpdated.title'] }],
    ['__typename', '{ __typename viewer { __typename login } }', undefined, { paths: ['__typename', 'viewer', 'viewer.__typename', 'viewer.login'], nodes: 4 }],
  ])('%s', (_name, query, variables, expected) => {
    expect(document(post(variables === undefined ? { query } : { query, variables }))).toMatchObject(expected);
  });

  it('returns plain JSON data', () => {
    const doc = document(post({ query: 'query($v: In) { a(x: $v, y: {k: [1, "s"]}) { b } }', variables: { v: { deep: [{ k: 1 }] } } }));
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });

  const own = (value: unknown): string[] => Object.keys(value as object);
  it.each<[string, string, unknown, (doc: GraphqlInput) => unknown, unknown]>([
    ['alias', '{ __proto__: viewer { login } }', undefined, (doc) => doc.fields[0]?.alias, '__proto__'],
    ['field', '{ __proto__ { isAdmin } }', undefined, (doc) => doc.paths, ['__proto__', '__proto__.isAdmin']],
    ['argument', '{ viewer(__proto__: {isAdmin: true}) { login } }', undefined, (doc) => own(doc.fields[0]?.args), ['__proto__']],
    ['input field', '{ viewer(x: {__proto__: {isAdmin: true}}) { login } }', undefined, (doc) => own(doc.fields[0]?.args.x), ['__proto__']],
    ['variable key', 'query($v: In) { viewer(x: $v) { login } }', JSON.parse('{"v": {"__proto__": {"isAdmin": true}}}'), (doc) => own(doc.fields[0]?.args.x), ['__proto__']],
    ['variable name', 'query($__proto__: In) { viewer(x: $__proto__) { login } }', JSON.parse('{"__proto__": {"isAdmin": true}}'), (doc) => own(doc.variables), ['__proto__']],
  ])('__proto__ as %s stays an ordinary key', (_name, query, variables, pick, expected) => {
    const doc = document(postJson(JSON.stringify(variables === undefined ? { query } : { query, variables })));
    expect(pick(doc)).toEqual(expected);
    for (const field of doc.fields) expect((field.args as { isAdmin?: unknown }).isAdmin).toBeUndefined();
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });

  it('does not read variables from the prototype of the variables object', () => {
    const doc = document(post({ query: 'query($constructor: ID, $toString: ID = "d") { a(x: $constructor, y: $toString) }' }));
    expect(doc.fields[0]?.args).toEqual({ x: null, y: 'd' });
  });
});

describe('bounds', () => {
  const nested = (n: number): string => `{ ${'a { '.repeat(n - 1)}b${' }'.repeat(n - 1)} }`;
  const bomb = (levels: number): string => {
    const defs = Array.from({ length: levels }, (_, i) => `fragment F${i} on Q { ...F${i + 1} ...F${i + 1} }`);
    return `{ ...F0 } ${defs.join(' ')} fragment F${levels} on Q { a b }`;
  };
  const wide = (count: number): string => `{ ${Array.from({ length: count }, (_, i) => `f${i}: field${i % 7}(first: ${i}) { id name }`).join(' ')} }`;

  it.each<[string, GraphqlRequest, Partial<GraphqlLimits>, RegExp]>([
    ['depth over maxDepth', post({ query: nested(16) }), {}, /maxDepth \(15\)/],
    ['nodes over maxNodes', post({ query: wide(11) }), { maxNodes: 10 }, /maxNodes \(10\)/],
    ['tokens over maxTokens', post({ query: wide(2000) }), {}, /maxTokens \(5000\)/],
    ['fragment bomb (2^40 fields)', post({ query: bomb(40) }), {}, /maxNodes \(1000\)/],
    ['a variable repeated by aliases', post({ query: `query($v: String) { ${Array.from({ length: 200 }, (_, i) => `f${i}: a(x: $v)`).join(' ')} }`, variables: { v: 'x'.repeat(100_000) } }), {}, /too large/],
    ['a variable repeated by a fragment bomb', post({ query: `query($v: String) { ...F0 } ${Array.from({ length: 10 }, (_, i) => `fragment F${i} on Q { ...F${i + 1} ...F${i + 1} }`).join(' ')} fragment F10 on Q { a(x: $v) }`, variables: { v: 'x'.repeat(100_000) } }), {}, /too large/],
    ['variables nested past the stack', postJson(`{"query": "query($v: In) { a(x: $v) }", "variables": {"v": ${'['.repeat(200_000)}${']'.repeat(200_000)}}}`), {}, /nest too deeply/],
  ])('%s → INPUT_TOO_COMPLEX', (_name, req, limits, reason) => {
    const [code, text] = refusal(readGraphql(req, { ...LIMITS, ...limits }));
    expect(code).toBe('INPUT_TOO_COMPLEX');
    expect(text).toMatch(reason);
    expect(text).not.toContain('xxxx');
  });

  it.each<[string, string, Partial<GraphqlLimits>, Partial<GraphqlInput>]>([
    ['depth exactly maxDepth', nested(15), {}, { depth: 15, nodes: 15 }],
    ['nodes exactly maxNodes', wide(10), { maxNodes: 30 }, { nodes: 30 }],
  ])('%s is accepted', (_name, query, limits, expected) => {
    expect(document(post({ query }), { ...LIMITS, ...limits })).toMatchObject(expected);
  });

  it('accepts a 16 KB document of ordinary fields within the limits', () => {
    const fields = Array.from(
      { length: 140 },
      (_, i) => `mergeRequestNumber${i}: mergeRequest(iid: "${i}") { title descriptionHtml webUrl detailedMergeStatus author { username } }`,
    );
    const query = `query MergeRequests { project(fullPath: "group/subgroup/project") { ${fields.join(' ')} } }`;
    expect(query.length).toBeGreaterThan(16_000);
    const doc = document(post({ query }));
    expect(doc).toMatchObject({ name: 'MergeRequests', nodes: 1 + 140 * 7, depth: 4 });
    expect(doc.paths).toEqual([
      'project',
      'project.mergeRequest',
      'project.mergeRequest.author',
      'project.mergeRequest.author.username',
      'project.mergeRequest.descriptionHtml',
      'project.mergeRequest.detailedMergeStatus',
      'project.mergeRequest.title',
      'project.mergeRequest.webUrl',
    ]);
  });

  it('accepts one large variable used once', () => {
    const doc = document(post({ query: 'mutation($c: String!) { commitCreate(input: {content: $c}) { errors } }', variables: { c: 'x'.repeat(500_000) } }));
    expect(doc.nodes).toBe(2);
  });
});
