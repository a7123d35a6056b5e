/**
 * Why this exists: headers are instructions to the upstream as much as the path is. Servers
 * behind SSO trust `X-Remote-User`, GitLab impersonates with `Sudo`, proxies route on
 * `X-Original-URI`, and a caller must never choose the credential the upstream sees. So request
 * headers reach the upstream by allowlist only: a small common set, a few per integration type,
 * and what an integration names in `forwardHeaders`. The policy sees exactly the headers that
 * are forwarded (the credential is added after the decision, from configuration only).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { AuthConfig } from '../config/types';

/** Hop-by-hop headers (RFC 9110 §7.6.1) and their old aliases. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** Headers that carry a caller's credential. */
const CREDENTIALS = new Set(['authorization', 'proxy-authorization', 'cookie']);

/** Headers the broker sets itself (length, host, trace context of its own CLIENT span). */
const BROKER_OWNED = new Set(['host', 'content-length', 'expect', 'traceparent', 'tracestate']);

/**
 * Forwarded for every integration: content negotiation, caching validators, ranges, the user
 * agent and the body's type. None of them names a user, a path or a credential.
 */
const COMMON = new Set([
  'accept',
  'accept-language',
  'cache-control',
  'content-type',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-range',
  'if-unmodified-since',
  'range',
  'user-agent',
]);

/** Per integration type, what its API documents as request headers a client sends. */
const BY_TYPE: Readonly<Record<string, ReadonlySet<string>>> = {
  // REST API versioning (https://docs.github.com/en/rest/about-the-rest-api/api-versions);
  // git protocol v2 for clones.
  github: new Set(['x-github-api-version', 'git-protocol']),
  gitlab: new Set(['git-protocol']),
  // XSRF opt-out that Atlassian REST writes require.
  bitbucket: new Set(['x-atlassian-token', 'git-protocol']),
  jira: new Set(['x-atlassian-token']),
  'azure-repos': new Set(['git-protocol']),
};

const NONE: ReadonlySet<string> = new Set();

/** Never forwarded, whatever the configuration says. */
export function isNeverForwarded(name: string): boolean {
  return HOP_BY_HOP.has(name) || CREDENTIALS.has(name) || BROKER_OWNED.has(name) || name.startsWith('x-broker-');
}

/** What decides which headers pass for one integration. */
export interface HeaderRules {
  type: string;
  auth: AuthConfig;
  /** The integration's own additions, lower-case. */
  forwardHeaders: readonly string[];
}

function allowed(name: string, rules: HeaderRules): boolean {
  if (isNeverForwarded(name)) return false;
  if (rules.auth.header !== null && name === rules.auth.header) return false;
  return COMMON.has(name) || (BY_TYPE[rules.type] ?? NONE).has(name) || rules.forwardHeaders.includes(name);
}

function joined(value: string | string[]): string {
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * The headers the upstream receives before the credential is added, and that the policy sees:
 * lower-case names, one string each (repeated headers joined with ", ", as RFC 9110 §5.3 allows),
 * in the order received. `Object.create(null)`: a `__proto__` header is an ordinary key.
 */
export function forwardedHeaders(headers: IncomingHttpHeaders, rules: HeaderRules): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || !allowed(name, rules)) continue;
    out[name] = joined(value);
  }
  return out;
}

/** With `auth: passthrough`, the caller's own credential headers, which pass unseen by the policy. */
export function passthroughCredentials(headers: IncomingHttpHeaders, auth: AuthConfig): Record<string, string> {
  const out: Record<string, string> = {};
  if (auth.scheme !== 'passthrough') return out;
  for (const name of ['authorization', 'cookie']) {
    const value = headers[name];
    if (value !== undefined) out[name] = joined(value);
  }
  return out;
}

/**
 * Response headers that must not pass back to the caller: hop-by-hop ones, those the upstream
 * listed in its own `Connection` header, and the broker's own (`x-broker-*`), which only the
 * broker sets.
 */
export function isResponseHeaderDropped(name: string, connectionListed: ReadonlySet<string>): boolean {
  const lower = name.toLowerCase();
  return HOP_BY_HOP.has(lower) || connectionListed.has(lower) || lower.startsWith('x-broker-');
}

/** The field names listed in a `Connection` header value, lower-case. */
export function connectionTokens(value: string | string[] | undefined): Set<string> {
  if (value === undefined) return new Set();
  return new Set(
    joined(value)
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter((t) => t !== ''),
  );
}
