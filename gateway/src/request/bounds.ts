/**
 * Why this exists: the policy runs in WASM, where some operations are slower than linear, and
 * nothing can interrupt it on the event loop. So what a request may hold is bounded before any
 * evaluation: JSON depth, keys per object, values in all, string length, query parameters and
 * headers (`policy.limits`). Beyond a bound the request is refused with INPUT_TOO_COMPLEX; the
 * reason names the bound, never the content.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { InputLimits } from '../config/types';

/** Null when within bounds, else the reason. */
export type BoundsCheck = string | null;

function tooLong(text: string, limits: InputLimits): boolean {
  // Byte length only matters when the character count is close to the limit.
  return text.length > limits.stringBytes || (text.length * 3 > limits.stringBytes && Buffer.byteLength(text) > limits.stringBytes);
}

/** Headers: how many, and how long each value is. */
export function checkHeaders(headers: IncomingHttpHeaders, rawCount: number, limits: InputLimits): BoundsCheck {
  if (rawCount > limits.headers) return `more than ${limits.headers} headers (policy.limits.headers)`;
  for (const value of Object.values(headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) {
      if (tooLong(v, limits)) return `a header value is longer than ${limits.stringBytes} bytes (policy.limits.stringBytes)`;
    }
  }
  return null;
}

/** Query parameters: how many values in all, and how long each name and value is. */
export function checkQuery(query: Readonly<Record<string, readonly string[]>>, limits: InputLimits): BoundsCheck {
  let n = 0;
  for (const [name, values] of Object.entries(query)) {
    if (tooLong(name, limits)) return `a query parameter name is longer than ${limits.stringBytes} bytes (policy.limits.stringBytes)`;
    for (const value of values) {
      n += 1;
      if (n > limits.queryParams) return `more than ${limits.queryParams} query parameters (policy.limits.queryParams)`;
      if (tooLong(value, limits)) return `a query parameter value is longer than ${limits.stringBytes} bytes (policy.limits.stringBytes)`;
    }
  }
  return null;
}

/** One open container while scanning JSON text. */
interface Open {
  object: boolean;
  keys: number;
  /** The keys seen so far, decoded (objects only). */
  seen: Set<string> | null;
}

/** What a scan of JSON text found wrong: past a bound, or ambiguous (a key given twice). */
export interface JsonTextProblem {
  ambiguous: boolean;
  reason: string;
}

function tooComplex(reason: string): JsonTextProblem {
  return { ambiguous: false, reason };
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/** A key's text as the parser will read it (escapes decoded only when there are any). */
function keyText(bytes: Buffer, start: number, end: number, escaped: boolean): string {
  const raw = bytes.toString('utf8', start, end);
  if (!escaped) return raw;
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return raw;
  }
}

/**
 * JSON text, before it is parsed: depth, keys per object, values in all and string length,
 * counted in one pass over the bytes with no allocation per value, so a body past the bounds
 * is refused without building it (JSON.parse of 100k keys holds the event loop for tens of ms).
 * A key given twice in one object is ambiguous (parsers disagree on which value wins) and is
 * refused too. Malformed text is left to the parser; only what it would build is counted.
 */
export function checkJsonText(bytes: Buffer, limits: InputLimits): JsonTextProblem | null {
  const stack: Open[] = [];
  let nodes = 0;
  let expectValue = true;
  let expectKey = false;
  let inString = false;
  let isKey = false;
  let escaped = false;
  let stringStart = 0;
  for (let i = 0; i < bytes.length; i += 1) {
    const byte = bytes[i] as number;
    if (inString) {
      if (byte === BACKSLASH) {
        escaped = true;
        i += 1;
      } else if (byte === QUOTE) {
        inString = false;
        if (i - stringStart > limits.stringBytes) return tooComplex(`a JSON string is longer than ${limits.stringBytes} bytes (policy.limits.stringBytes)`);
        const seen = stack[stack.length - 1]?.seen;
        if (isKey && seen) {
          const key = keyText(bytes, stringStart, i, escaped);
          if (seen.has(key)) return { ambiguous: true, reason: `a JSON object gives the key ${JSON.stringify(key.slice(0, 40))} twice` };
          seen.add(key);
        }
      }
      continue;
    }
    if (isSpace(byte)) continue;
    const top = stack[stack.length - 1];
    if (expectValue && byte !== 0x5d && byte !== 0x7d) {
      nodes += 1;
      if (nodes > limits.nodes) return tooComplex(`the JSON body has more than ${limits.nodes} values (policy.limits.nodes)`);
      expectValue = false;
    }
    if (byte === QUOTE) {
      inString = true;
      isKey = expectKey;
      expectKey = false;
      escaped = false;
      stringStart = i + 1;
    } else if (byte === 0x7b || byte === 0x5b) {
      const object = byte === 0x7b;
      stack.push({ object, keys: 0, seen: object ? new Set() : null });
      if (stack.length > limits.depth) return tooComplex(`the JSON body is nested deeper than ${limits.depth} (policy.limits.depth)`);
      // In an object the next token is a key, not a value.
      expectValue = !object;
      expectKey = object;
    } else if (byte === 0x7d || byte === 0x5d) {
      stack.pop();
      expectValue = false;
      expectKey = false;
    } else if (byte === COLON && top?.object === true) {
      top.keys += 1;
      if (top.keys > limits.keysPerObject) return tooComplex(`a JSON object has more than ${limits.keysPerObject} keys (policy.limits.keysPerObject)`);
      expectValue = true;
    } else if (byte === COMMA) {
      if (top?.object === false) expectValue = true;
      else if (top?.object === true) expectKey = true;
    }
  }
  return null;
}
