/**
 * Why this exists: a caller must never choose the credential the upstream sees, nor smuggle
 * connection-level headers through the broker. This module decides which request headers the
 * policy sees and which reach the upstream; credentials are added afterwards, from config only.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { AuthConfig } from '../config/types';

/** Hop-by-hop headers (RFC 9110 §7.6.1) and their old aliases. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** Headers that carry a caller's credential. */
const CREDENTIALS = new Set(['authorization', 'proxy-authorization', 'cookie']);

/** Headers the broker sets itself, or that would let a caller speak for the broker. */
const BROKER_OWNED = new Set([
  'host',
  'content-length',
  'expect',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-forwarded-prefix',
  'x-real-ip',
  // Some servers and frameworks take the request path from these, behind the policy's back.
  'x-original-url',
  'x-rewrite-url',
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
]);

function dropped(name: string, listedInConnection: ReadonlySet<string>, auth: AuthConfig): boolean {
  return (
    HOP_BY_HOP.has(name) ||
    CREDENTIALS.has(name) ||
    BROKER_OWNED.has(name) ||
    listedInConnection.has(name) ||
    name.startsWith('x-broker-') ||
    (auth.header !== null && name === auth.header)
  );
}

function connectionTokens(headers: IncomingHttpHeaders): Set<string> {
  const value = headers.connection;
  if (typeof value !== 'string') return new Set();
  return new Set(value.split(',').map((t) => t.trim().toLowerCase()).filter((t) => t !== ''));
}

/** Headers as the policy sees them: lower-case, one string each, credentials and hop-by-hop removed. */
export function policyHeaders(headers: IncomingHttpHeaders, auth: AuthConfig): Record<string, string> {
  const listed = connectionTokens(headers);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || dropped(name, listed, auth)) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** Headers forwarded upstream before the credential is added; passthrough keeps the caller's `authorization`. */
export function upstreamHeaders(headers: IncomingHttpHeaders, auth: AuthConfig): Record<string, string | string[]> {
  const listed = connectionTokens(headers);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const keep = auth.scheme === 'passthrough' && (name === 'authorization' || name === 'cookie');
    if (!keep && dropped(name, listed, auth)) continue;
    out[name] = value;
  }
  return out;
}

/** Response headers that must not pass back to the caller. */
export function isHopByHop(name: string): boolean {
  return HOP_BY_HOP.has(name.toLowerCase());
}
