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
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/**
 * JSON text, before it is parsed: depth, keys per object, values in all and string length,
 * counted in one pass over the bytes with no allocation per value, so a body past the bounds
 * is refused without building it (JSON.parse of 100k keys holds the event loop for tens of ms).
 * Malformed text is left to the parser; only what it would build is counted.
 */
export function checkJsonText(bytes: Uint8Array, limits: InputLimits): BoundsCheck {
  const stack: Open[] = [];
  let nodes = 0;
  let expectValue = true;
  let inString = false;
  let stringStart = 0;
  for (let i = 0; i < bytes.length; i += 1) {
    const byte = bytes[i] as number;
    if (inString) {
      if (byte === BACKSLASH) i += 1;
      else if (byte === QUOTE) {
        inString = false;
        if (i - stringStart > limits.stringBytes) return `a JSON string is longer than ${limits.stringBytes} bytes (policy.limits.stringBytes)`;
      }
      continue;
    }
    if (isSpace(byte)) continue;
    const top = stack[stack.length - 1];
    if (expectValue && byte !== 0x5d && byte !== 0x7d) {
      nodes += 1;
      if (nodes > limits.nodes) return `the JSON body has more than ${limits.nodes} values (policy.limits.nodes)`;
      expectValue = false;
    }
    if (byte === QUOTE) {
      inString = true;
      stringStart = i + 1;
    } else if (byte === 0x7b || byte === 0x5b) {
      stack.push({ object: byte === 0x7b, keys: 0 });
      if (stack.length > limits.depth) return `the JSON body is nested deeper than ${limits.depth} (policy.limits.depth)`;
      // In an object the next token is a key, not a value.
      expectValue = byte === 0x5b;
    } else if (byte === 0x7d || byte === 0x5d) {
      stack.pop();
      expectValue = false;
    } else if (byte === COLON && top?.object === true) {
      top.keys += 1;
      if (top.keys > limits.keysPerObject) return `a JSON object has more than ${limits.keysPerObject} keys (policy.limits.keysPerObject)`;
      expectValue = true;
    } else if (byte === COMMA && top?.object === false) {
      expectValue = true;
    }
  }
  return null;
}
