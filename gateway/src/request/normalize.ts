/**
 * Why this exists: the policy must judge exactly the URL the upstream will receive. Path
 * traversal bypasses live in the gap between two parsers (the one that checks and the one
 * that serves), so the destination is parsed once, here, by hand, and anything that two
 * reasonable parsers could read differently is rejected rather than repaired. The URL that
 * is forwarded is re-serialized from what was parsed, never copied from the request.
 *
 * `new URL()` is deliberately not used for the path: the WHATWG URL parser resolves dot
 * segments, turns `\` into `/` and percent-encodes some bytes on its own, which is exactly
 * the repair we must not do silently. It is used only to print a validated IPv6 literal in
 * its canonical form (see `parseIpv6`).
 */
import { isIPv6 } from 'node:net';

/** Outcome of a parse step: a value, or a short human reason (never a copy of the input). */
export type Result<T> = { ok: true; value: T } | { ok: false; reason: string };

/** A destination URL after normalization: the one parse the policy and the proxy share. */
export interface NormalizedUrl {
  /** Lower-case scheme; only http and https are accepted. */
  scheme: 'http' | 'https';
  /** Lower-case host name, dotted-decimal IPv4, or canonical IPv6 without brackets. */
  host: string;
  /** Port with the scheme default applied (80 / 443). */
  port: number;
  /** `host[:port]` as sent in the Host header: IPv6 in brackets, default port omitted. */
  hostHeader: string;
  /** Path segments, each percent-decoded exactly once (`%2F` stays inside its segment). */
  segments: string[];
  /** `/` + segments re-encoded with {@link encodePathSegment}, joined by `/`; `/` if empty. */
  path: string;
  /** Decoded query parameters (`+` is a space), each a list in order of appearance. */
  query: Record<string, string[]>;
  /** `''` or `?k=v&…` re-serialized from the parsed query, in original order. */
  search: string;
  /** `scheme://hostHeader` + path + search: the URL that is forwarded. */
  href: string;
}

const REASON_MAX = 200;
const PREFIX = '/proxy/';
const DEFAULT_PORT = { http: 80, https: 443 } as const;

function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

function fail<T>(reason: string): Result<T> {
  return { ok: false, reason: reason.length > REASON_MAX ? `${reason.slice(0, REASON_MAX - 1)}…` : reason };
}

/** Builds a 128-entry lookup table of the ASCII characters in `chars` and the ranges given. */
function asciiTable(chars: string): Uint8Array {
  const table = new Uint8Array(128);
  const all = `ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789${chars}`;
  for (let i = 0; i < all.length; i++) table[all.charCodeAt(i)] = 1;
  return table;
}

// RFC 3986 §2.2-2.3: unreserved, gen-delims, sub-delims and `%`; nothing else may appear raw.
const URL_CHARS = asciiTable("-._~:/?#[]@!$&'()*+,;=%");
// RFC 3986 §3.3: pchar = unreserved / pct-encoded / sub-delims / ":" / "@".
const PCHAR = asciiTable("-._~!$&'()*+,;=:@%");
// RFC 3986 §3.4: query = *( pchar / "/" / "?" ).
const QUERY_CHARS = asciiTable("-._~!$&'()*+,;=:@%/?");
// Left raw by the canonical segment encoder: unreserved plus sub-delims/":"/"@" except `;`,
// which Tomcat/Jetty read as a path-parameter separator and so must be sent as `%3B`.
const SEGMENT_RAW = asciiTable("-._~!$&'()*+,=:@");

const HEX = '0123456789ABCDEF';
const UTF8 = new TextEncoder();
// fatal: invalid or overlong UTF-8 (`%c0%ae`, `%e0%80%ae`) and encoded surrogates throw
// (WHATWG Encoding §4.1). ignoreBOM: a leading U+FEFF must stay in the segment, not vanish.
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Takes the destination out of a raw request target such as
 * `/proxy/https://ghe.example.com/api/v3/repos/a/b?x=1` (Node's `req.url`, unmodified).
 * The scheme must be exactly `http://` or `https://` in lower case: a canonical client never
 * sends anything else, and accepting only one spelling keeps the prefix check trivial.
 */
export function extractDestination(requestTarget: string): Result<string> {
  if (!requestTarget.startsWith(PREFIX)) return fail('request target must start with /proxy/');
  const destination = requestTarget.slice(PREFIX.length);
  if (destination.startsWith('http://') || destination.startsWith('https://')) return ok(destination);
  if (/^https?:\/\//i.test(destination)) return fail('scheme must be lower-case http or https');
  return fail('destination must be an absolute http:// or https:// URL');
}

/**
 * Percent-encodes one decoded path segment canonically: RFC 3986 unreserved characters and
 * `!$&'()*+,=:@` stay raw, every other byte of its UTF-8 form becomes `%XX` (upper-case hex,
 * RFC 3986 §2.1), so `/` is `%2F`, `;` is `%3B`, `%` is `%25`.
 */
export function encodePathSegment(segment: string): string {
  let raw = true;
  for (let i = 0; raw && i < segment.length; i++) {
    const code = segment.charCodeAt(i);
    raw = code < 128 && SEGMENT_RAW[code] === 1;
  }
  if (raw) return segment;
  let out = '';
  for (const byte of UTF8.encode(segment)) {
    out += byte < 128 && SEGMENT_RAW[byte] === 1 ? String.fromCharCode(byte) : `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
  }
  return out;
}

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 70) return code - 55;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}

/** Decodes `%XX` once (and `+` as space in form-encoded queries), strictly as UTF-8. */
function percentDecode(raw: string, plusIsSpace: boolean): Result<string> {
  if (!raw.includes('%') && !(plusIsSpace && raw.includes('+'))) return ok(raw);
  const bytes = new Uint8Array(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const code = raw.charCodeAt(i);
    if (code === 37) {
      const high = hexValue(raw.charCodeAt(i + 1));
      const low = hexValue(raw.charCodeAt(i + 2));
      if (high < 0 || low < 0) return fail('invalid percent-encoding (% must be followed by two hex digits)');
      bytes[n++] = high * 16 + low;
      i += 2;
    } else {
      bytes[n++] = plusIsSpace && code === 43 ? 32 : code;
    }
  }
  try {
    return ok(STRICT_UTF8.decode(bytes.subarray(0, n)));
  } catch {
    return fail('percent-encoded bytes are not valid UTF-8');
  }
}

/** True for C0 controls, DEL and C1 controls (Unicode general category Cc). */
function isControl(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code <= 0x9f);
}

function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (isControl(text.charCodeAt(i))) return true;
  return false;
}

const ESCAPE = /%[0-9A-Fa-f]{2}/;

/**
 * Checks a decoded segment for what some upstream could read as traversal. A segment is
 * split on `/` too, because servers that decode `%2F` (Apache `AllowEncodedSlashes`, Tomcat
 * `ALLOW_ENCODED_SLASH`) would otherwise see `..%2F` as a dot segment; each piece is also cut
 * at `;`, because Tomcat drops `;params` before resolving dot segments (`..;/`).
 */
function traversalIn(segment: string): string | null {
  if (segment.includes('\\')) return 'backslash in path';
  if (!segment.includes('/') && !segment.includes(';')) {
    return segment === '.' || segment === '..' ? 'dot segment in path' : null;
  }
  const pieces = segment.split('/');
  for (const piece of pieces) {
    const name = piece.split(';', 1)[0] ?? '';
    if (name === '.' || name === '..') return 'dot segment in path';
    if (name === '') {
      return pieces.length > 1 ? 'empty segment inside an encoded slash (%2F)' : 'segment empty once ;params are removed';
    }
  }
  return null;
}

function checkSegment(segment: string): string | null {
  let nonAscii = false;
  for (let i = 0; i < segment.length; i++) {
    const code = segment.charCodeAt(i);
    if (isControl(code)) return 'control character in path';
    if (code > 127) nonAscii = true;
  }
  const direct = traversalIn(segment);
  if (direct !== null) return direct;
  // Fullwidth `．` `／` `＼` become `.` `/` `\` under NFKC (UAX #15), which some servers apply.
  // NFKC leaves ASCII unchanged, so only segments with other characters need folding.
  if (nonAscii) {
    const folded = segment.normalize('NFKC');
    const viaFolding = folded === segment ? null : traversalIn(folded);
    if (viaFolding !== null) return `${viaFolding} after Unicode compatibility folding`;
  }
  // A second decode by a careless upstream would turn `%252e%252e` into `..`.
  if (segment.includes('%') && ESCAPE.test(segment)) return 'double percent-encoding in path';
  return null;
}

interface ParsedPath {
  segments: string[];
  path: string;
}

/** RFC 3986 §3.3, split on literal `/` only; empty segments (`//`, trailing `/`) are rejected. */
function parsePath(raw: string): Result<ParsedPath> {
  if (raw === '' || raw === '/') return ok({ segments: [], path: '/' });
  const pieces = raw.slice(1).split('/');
  const segments: string[] = [];
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i] ?? '';
    if (piece === '') return fail(i === pieces.length - 1 ? 'trailing slash in path' : 'empty segment in path (//)');
    for (let j = 0; j < piece.length; j++) {
      if (PCHAR[piece.charCodeAt(j)] !== 1) return fail('character not allowed in path');
    }
    const decoded = percentDecode(piece, false);
    if (!decoded.ok) return decoded;
    const problem = checkSegment(decoded.value);
    if (problem !== null) return fail(problem);
    segments.push(decoded.value);
  }
  return ok({ segments, path: `/${segments.map(encodePathSegment).join('/')}` });
}

/**
 * `encodeURIComponent`, plus `!'()*`: leaves only RFC 3986 unreserved characters raw, so that a
 * later WHATWG parse of the forwarded URL (whose special-query set escapes `'`) changes nothing.
 */
function encodeQueryComponent(text: string): string {
  if (/^[A-Za-z0-9._~-]*$/.test(text)) return text;
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

interface ParsedQuery {
  query: Record<string, string[]>;
  search: string;
}

/**
 * Form-style query (WHATWG `application/x-www-form-urlencoded`, as upstream servers read it):
 * split on `&`, first `=` separates key and value, `+` is a space. Empty pieces (`&&`) carry
 * nothing and are skipped; the re-serialized query therefore never contains them.
 */
function parseQuery(raw: string): Result<ParsedQuery> {
  // Null prototype: a `__proto__` key must be an ordinary key, not a prototype write.
  const query = Object.create(null) as Record<string, string[]>;
  const parts: string[] = [];
  for (let j = 0; j < raw.length; j++) {
    if (QUERY_CHARS[raw.charCodeAt(j)] !== 1) return fail('character not allowed in query');
  }
  for (const piece of raw.split('&')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    const key = percentDecode(eq < 0 ? piece : piece.slice(0, eq), true);
    if (!key.ok) return key;
    const value = percentDecode(eq < 0 ? '' : piece.slice(eq + 1), true);
    if (!value.ok) return value;
    if (hasControl(key.value) || hasControl(value.value)) return fail('control character in query');
    (query[key.value] ??= []).push(value.value);
    parts.push(`${encodeQueryComponent(key.value)}=${encodeQueryComponent(value.value)}`);
  }
  return ok({ query, search: parts.length === 0 ? '' : `?${parts.join('&')}` });
}

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const HOST_NAME = /^[a-z0-9_-]{1,63}(?:\.[a-z0-9_-]{1,63})*$/;

/** RFC 3986 §3.2.2 IP-literal, without IPvFuture or zone ids, printed canonically. */
function parseIpv6(literal: string): Result<string> {
  if (literal.includes('%')) return fail('percent-encoding in host (IPv6 zone ids are not accepted)');
  if (!isIPv6(literal)) return fail('invalid IPv6 address');
  try {
    // Only re-prints an address isIPv6 accepted (e.g. `0:0::1` → `::1`): one address, one form.
    return ok(new URL(`http://[${literal}]/`).hostname.slice(1, -1));
  } catch {
    return fail('invalid IPv6 address');
  }
}

/** DNS name or dotted-decimal IPv4, lower-cased (host is case-insensitive, RFC 3986 §3.2.2). */
function parseHostName(raw: string): Result<string> {
  if (raw === '') return fail('missing host');
  if (raw.includes('%')) return fail('percent-encoding in host');
  const host = raw.toLowerCase();
  if (host.length > 253 || !HOST_NAME.test(host)) return fail('invalid host name');
  // WHATWG and inet_aton read `127.1`, `0x7f.1` or `2130706433` as IPv4 addresses: a host whose
  // last label is numeric must be the one unambiguous spelling, dotted decimal.
  const last = host.slice(host.lastIndexOf('.') + 1);
  if (/^(?:\d+|0x[0-9a-f]*)$/.test(last) && !IPV4.test(host)) return fail('numeric host must be dotted-decimal IPv4');
  return ok(host);
}

function parsePort(raw: string, scheme: 'http' | 'https'): Result<number> {
  if (raw === '') return ok(DEFAULT_PORT[scheme]);
  if (!raw.startsWith(':')) return fail('invalid host');
  const digits = raw.slice(1);
  if (digits === '') return fail('empty port');
  if (!/^\d{1,5}$/.test(digits)) return fail('invalid port');
  if (digits.startsWith('0')) return fail('port out of range or with leading zero');
  const port = Number(digits);
  if (port > 65535) return fail('port out of range or with leading zero');
  return ok(port);
}

interface Authority {
  host: string;
  port: number;
  hostHeader: string;
}

function parseAuthority(authority: string, scheme: 'http' | 'https'): Result<Authority> {
  if (authority === '') return fail('missing host');
  if (authority.includes('@')) return fail('userinfo (@) in destination');
  let host: Result<string>;
  let rest: string;
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    if (close < 0) return fail('unterminated IPv6 literal');
    host = parseIpv6(authority.slice(1, close));
    rest = authority.slice(close + 1);
  } else {
    const colon = authority.indexOf(':');
    const name = colon < 0 ? authority : authority.slice(0, colon);
    if (name.includes('[') || name.includes(']')) return fail('invalid host name');
    host = parseHostName(name);
    rest = colon < 0 ? '' : authority.slice(colon);
  }
  if (!host.ok) return host;
  const port = parsePort(rest, scheme);
  if (!port.ok) return port;
  const bracketed = authority.startsWith('[') ? `[${host.value}]` : host.value;
  const hostHeader = port.value === DEFAULT_PORT[scheme] ? bracketed : `${bracketed}:${port.value}`;
  return ok({ host: host.value, port: port.value, hostHeader });
}

function parseScheme(absolute: string): Result<'http' | 'https'> {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(absolute);
  const scheme = match?.[1];
  if (scheme === undefined) return fail('not an absolute URL');
  if (scheme === 'http' || scheme === 'https') return ok(scheme);
  const lower = scheme.toLowerCase();
  if (lower === 'http' || lower === 'https') return fail('scheme must be lower-case http or https');
  return fail(`unsupported scheme "${scheme.slice(0, 20)}" (only http and https)`);
}

function checkCharacters(absolute: string): string | null {
  for (let i = 0; i < absolute.length; i++) {
    const code = absolute.charCodeAt(i);
    if (code === 35) return 'fragment (#) in destination';
    if (code < 128 && URL_CHARS[code] === 1) continue;
    if (code > 127) return 'non-ASCII character in URL (percent-encode it)';
    if (code < 32 || code === 127) return 'control character in URL';
    if (code === 92) return 'backslash in URL';
    return `character not allowed in URL: ${JSON.stringify(String.fromCharCode(code))}`;
  }
  return null;
}

/**
 * Parses an absolute http(s) URL once, by hand, and re-serializes it canonically. Rejects
 * (never repairs) anything ambiguous: see ARCHITECTURE.md, "URL normalization (contract)".
 * A path of `/` alone is accepted; any other empty segment, including a trailing `/`, is not.
 */
export function normalizeUrl(absolute: string): Result<NormalizedUrl> {
  const scheme = parseScheme(absolute);
  if (!scheme.ok) return scheme;
  const badCharacter = checkCharacters(absolute);
  if (badCharacter !== null) return fail(badCharacter);
  const afterScheme = absolute.slice(scheme.value.length + 1);
  if (!afterScheme.startsWith('//')) return fail('missing host');
  const authorityEnd = afterScheme.slice(2).search(/[/?]/);
  const rest = authorityEnd < 0 ? '' : afterScheme.slice(2 + authorityEnd);
  const authority = parseAuthority(authorityEnd < 0 ? afterScheme.slice(2) : afterScheme.slice(2, 2 + authorityEnd), scheme.value);
  if (!authority.ok) return authority;
  const queryStart = rest.indexOf('?');
  const path = parsePath(queryStart < 0 ? rest : rest.slice(0, queryStart));
  if (!path.ok) return path;
  const query = parseQuery(queryStart < 0 ? '' : rest.slice(queryStart + 1));
  if (!query.ok) return query;
  const { host, port, hostHeader } = authority.value;
  return ok({
    scheme: scheme.value,
    host,
    port,
    hostHeader,
    segments: path.value.segments,
    path: path.value.path,
    query: query.value.query,
    search: query.value.search,
    href: `${scheme.value}://${hostHeader}${path.value.path}${query.value.search}`,
  });
}
