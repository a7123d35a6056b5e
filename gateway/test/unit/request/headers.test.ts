import type { AuthConfig } from '../../../src/config/types';
import { HOSTILE_HEADERS } from '../../helpers/hostile-headers';
import { connectionTokens, forwardedHeaders, isResponseHeaderDropped, passthroughCredentials } from '../../../src/request/headers';

function auth(scheme: AuthConfig['scheme'], header: string | null = null): AuthConfig {
  return { scheme, token: { env: null, file: null, literal: null }, username: null, header };
}

const rules = (type: string, forward: readonly string[] = [], a: AuthConfig = auth('bearer')) => ({ type, auth: a, forwardHeaders: forward });

describe('forwardedHeaders', () => {
  const incoming = {
    accept: 'application/json',
    'user-agent': 'scanner/1.0',
    'if-none-match': '"abc"',
    ...HOSTILE_HEADERS,
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    'x-github-api-version': '2022-11-28',
    'x-atlassian-token': 'no-check',
    'x-custom': 'yes',
    connection: 'keep-alive',
    'x-broker-decision-id': 'forged',
  };

  it.each<[string, string[], string[]]>([
    ['github', [], ['accept', 'user-agent', 'if-none-match', 'x-github-api-version']],
    ['gitlab', [], ['accept', 'user-agent', 'if-none-match']],
    ['jira', [], ['accept', 'user-agent', 'if-none-match', 'x-atlassian-token']],
    ['nexus', ['x-custom'], ['accept', 'user-agent', 'if-none-match', 'x-custom']],
  ])('%s forwards only the allowlist (extra %j)', (type, extra, expected) => {
    expect(Object.keys(forwardedHeaders(incoming, rules(type, extra))).sort()).toEqual([...expected].sort());
  });

  it('never forwards the integration credential header, even when listed', () => {
    expect(forwardedHeaders({ 'x-token': 'a' }, rules('nexus', ['x-token'], auth('header', 'x-token')))).toEqual({});
  });

  it('joins repeated values once, for the policy and the upstream alike', () => {
    expect(forwardedHeaders({ 'x-github-api-version': ['"a"', '"b"'] }, rules('github'))['x-github-api-version']).toBe('"a", "b"');
  });

  it('keeps __proto__ an ordinary (dropped) key', () => {
    const h = JSON.parse('{"__proto__": "x", "accept": "a"}') as Record<string, string>;
    expect(Object.keys(forwardedHeaders(h, rules('github')))).toEqual(['accept']);
  });
});

describe('passthroughCredentials', () => {
  it('passes the caller credential only with passthrough', () => {
    expect(passthroughCredentials({ authorization: 'Bearer c', 'proxy-authorization': 'x' }, auth('passthrough'))).toEqual({ authorization: 'Bearer c' });
    expect(passthroughCredentials({ authorization: 'Bearer c' }, auth('bearer'))).toEqual({});
  });
});

describe('response headers', () => {
  it.each([
    ['connection', '', true],
    ['keep-alive', '', true],
    ['x-secret-hop', 'x-secret-hop', true],
    ['X-Broker-Decision-Id', '', true],
    ['content-type', '', false],
    ['etag', 'x-other', false],
  ])('%s (connection lists %j) dropped: %s', (name, listed, dropped) => {
    expect(isResponseHeaderDropped(name, connectionTokens(listed))).toBe(dropped);
  });
});
