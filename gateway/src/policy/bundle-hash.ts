/**
 * The file hashes of OPA's bundle signature format, computed exactly as OPA does
 * (open-policy-agent/opa `bundle/hash.go`): `data.json`, `data.yaml` and `.manifest` are hashed
 * as canonical JSON (object keys sorted, no spaces, numbers as written, strings as Go's
 * encoder writes them without HTML escaping); every other file is hashed as its bytes.
 *
 * A hash that differs from OPA's fails verification, so an error here can only refuse a bundle,
 * never accept one.
 */
import { createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';

/** Hash algorithms of the signature's `files[].algorithm`, as OPA names them. */
const ALGORITHMS: Readonly<Record<string, string>> = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512', MD5: 'md5', 'SHA-1': 'sha1' };

/** Hex digest of a bundle file (`name` without a leading slash) as OPA computes it. */
export function bundleFileHash(name: string, bytes: Buffer, algorithm: string): string {
  const node = ALGORITHMS[algorithm];
  if (node === undefined) throw new Error(`unsupported file hash algorithm ${algorithm}`);
  const base = name.split('/').pop() ?? name;
  let content: Buffer | string = bytes;
  if (base === 'data.json' || base === '.manifest') content = canonicalJson(bytes.toString('utf8'));
  else if (base === 'data.yaml' || base === 'data.yml') content = canonicalValue(parseYaml(bytes.toString('utf8')) as unknown);
  return createHash(node).update(content).digest('hex');
}

/** Canonical form of a JSON text, numbers kept as written. */
export function canonicalJson(text: string): string {
  const reader = { text, at: 0 };
  const out = value(reader);
  skipSpace(reader);
  if (reader.at !== text.length) throw new Error('trailing characters after JSON value');
  return out;
}

interface Reader {
  text: string;
  at: number;
}

function skipSpace(r: Reader): void {
  while (r.at < r.text.length && ' \t\n\r'.includes(r.text[r.at]!)) r.at += 1;
}

function value(r: Reader): string {
  skipSpace(r);
  const c = r.text[r.at];
  if (c === '{') {
    r.at += 1;
    const entries: Array<[string, string]> = [];
    skipSpace(r);
    if (r.text[r.at] === '}') r.at += 1;
    else {
      for (;;) {
        skipSpace(r);
        const key = JSON.parse(stringLiteral(r)) as string;
        skipSpace(r);
        expect(r, ':');
        entries.push([key, value(r)]);
        skipSpace(r);
        if (r.text[r.at] === ',') r.at += 1;
        else break;
      }
      expect(r, '}');
    }
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${goString(k)}:${v}`).join(',')}}`;
  }
  if (c === '[') {
    r.at += 1;
    const items: string[] = [];
    skipSpace(r);
    if (r.text[r.at] === ']') r.at += 1;
    else {
      for (;;) {
        items.push(value(r));
        skipSpace(r);
        if (r.text[r.at] === ',') r.at += 1;
        else break;
      }
      expect(r, ']');
    }
    return `[${items.join(',')}]`;
  }
  if (c === '"') return goString(JSON.parse(stringLiteral(r)) as string);
  const m = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(r.text.slice(r.at, r.at + 400));
  if (m === null) throw new Error(`invalid JSON at offset ${r.at}`);
  r.at += m[0].length;
  return m[0];
}

function expect(r: Reader, c: string): void {
  if (r.text[r.at] !== c) throw new Error(`invalid JSON at offset ${r.at}: expected ${c}`);
  r.at += 1;
}

function stringLiteral(r: Reader): string {
  const start = r.at;
  if (r.text[r.at] !== '"') throw new Error(`invalid JSON at offset ${r.at}: expected a string`);
  r.at += 1;
  while (r.at < r.text.length && r.text[r.at] !== '"') r.at += r.text[r.at] === '\\' ? 2 : 1;
  r.at += 1;
  return r.text.slice(start, r.at);
}

/** Canonical form of a parsed (YAML) value; numbers as Go's encoder writes float64 integers. */
function canonicalValue(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalValue).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${goString(k)}:${canonicalValue((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  if (typeof v === 'string') return goString(v);
  return JSON.stringify(v ?? null);
}

/** A string as Go's encoding/json writes it with SetEscapeHTML(false). */
function goString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (code < 0x20 || code === 0x2028 || code === 0x2029) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else if (code >= 0xd800 && code <= 0xdfff) out += '\ufffd';
    else out += ch;
  }
  return `${out}"`;
}
