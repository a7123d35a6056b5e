/**
 * Why this exists: a webhook is relayed to the SaaS only if it really came from the customer's
 * SCM. Each SCM proves it its own way: GitHub (`X-Hub-Signature-256`) and Bitbucket Data Center
 * (`X-Hub-Signature`) send `sha256=<hex HMAC-SHA256 of the body>` under the webhook secret,
 * GitLab sends the secret itself in `X-Gitlab-Token`, Azure DevOps Server sends it as the basic
 * authentication password or in a header the customer chose. Every comparison is between two
 * SHA-256 digests of equal length with `crypto.timingSafeEqual`, so neither the time taken nor
 * an early exit tells a caller how much of a guess was right. No secret or header value is
 * ever put in the reason.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { RelayAuth } from '../config/types';

export type Verification = { ok: true } | { ok: false; reason: string };

function sha256(data: Buffer | string): Buffer {
  return createHash('sha256').update(data).digest();
}

/** Equal digests, compared in constant time. */
function sameDigest(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Constant-time equality of two strings (compared through their SHA-256, so lengths may differ). */
export function sameSecret(given: string, expected: string): boolean {
  return sameDigest(sha256(given), sha256(expected));
}

function single(headers: IncomingHttpHeaders, name: string): string | null {
  const v = headers[name];
  if (v === undefined) return null;
  return Array.isArray(v) ? null : v;
}

const HMAC_RE = /^sha256=([0-9a-fA-F]{64})$/;

/** Check `sha256=<hex>` against the HMAC-SHA256 of the exact body bytes. */
function verifyHmac(header: string | null, name: string, body: Buffer, secret: string): Verification {
  if (header === null) return { ok: false, reason: `the ${name} header is missing or given twice` };
  const m = HMAC_RE.exec(header.trim());
  if (m === null) return { ok: false, reason: `the ${name} header is not sha256=<64 hex digits>` };
  const expected = createHmac('sha256', secret).update(body).digest();
  return sameDigest(Buffer.from(m[1] as string, 'hex'), expected) ? { ok: true } : { ok: false, reason: `the ${name} signature does not match the body` };
}

/** Basic authentication with `username` and the secret as password (RFC 7617). */
function verifyBasic(header: string | null, username: string, secret: string): Verification {
  if (header === null) return { ok: false, reason: 'the authorization header is missing or given twice' };
  const m = /^basic\s+([A-Za-z0-9+/=]+)$/i.exec(header.trim());
  if (m === null) return { ok: false, reason: 'the authorization header is not basic authentication' };
  const decoded = Buffer.from(m[1] as string, 'base64').toString('utf8');
  // Both halves compared, always, so a wrong user name takes as long as a wrong password.
  const colon = decoded.indexOf(':');
  const user = colon < 0 ? decoded : decoded.slice(0, colon);
  const password = colon < 0 ? '' : decoded.slice(colon + 1);
  const userOk = sameSecret(user, username);
  const passwordOk = sameSecret(password, secret);
  return userOk && passwordOk ? { ok: true } : { ok: false, reason: 'the basic authentication credentials do not match' };
}

/** Verify that the webhook carries its SCM's proof for `secret`. */
export function verifyWebhook(auth: RelayAuth, headers: IncomingHttpHeaders, body: Buffer, secret: string): Verification {
  switch (auth.kind) {
    case 'hmac-sha256':
      return verifyHmac(single(headers, auth.header), auth.header, body, secret);
    case 'token': {
      const given = single(headers, auth.header);
      if (given === null) return { ok: false, reason: `the ${auth.header} header is missing or given twice` };
      return sameSecret(given, secret) ? { ok: true } : { ok: false, reason: `the ${auth.header} header does not match the webhook secret` };
    }
    case 'basic':
      return verifyBasic(single(headers, 'authorization'), auth.username, secret);
  }
}
