/**
 * Why this exists: the policy runs in WASM, where some operations are slower than linear, and
 * nothing can interrupt it on the event loop. So what a request may hold is bounded before any
 * evaluation: JSON depth, keys per object, values in all, string length, query parameters and
 * headers (`policy.limits`). Beyond a bound the request is refused with INPUT_TOO_COMPLEX; the
 * reason names the bound, never the content.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { InputLimits } from '../config/types';
import type { JsonValue } from '../policy/types';

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

/**
 * A parsed JSON body: depth, keys per object, values in all, string and key length. Walks with
 * an explicit stack (no recursion, so no stack overflow on deep input) and stops at the first
 * bound crossed, so the work is bounded by the limits, not by the body.
 */
export function checkJson(root: JsonValue, limits: InputLimits): BoundsCheck {
  const stack: Array<[JsonValue, number]> = [[root, 1]];
  let nodes = 0;
  while (stack.length > 0) {
    const [value, depth] = stack.pop() as [JsonValue, number];
    nodes += 1;
    if (nodes > limits.nodes) return `the JSON body has more than ${limits.nodes} values (policy.limits.nodes)`;
    if (typeof value === 'string') {
      if (tooLong(value, limits)) return `a JSON string is longer than ${limits.stringBytes} bytes (policy.limits.stringBytes)`;
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth > limits.depth) return `the JSON body is nested deeper than ${limits.depth} (policy.limits.depth)`;
    if (Array.isArray(value)) {
      if (value.length > limits.nodes) return `the JSON body has more than ${limits.nodes} values (policy.limits.nodes)`;
      for (const item of value) stack.push([item, depth + 1]);
      continue;
    }
    let keys = 0;
    for (const key in value) {
      keys += 1;
      if (keys > limits.keysPerObject) return `a JSON object has more than ${limits.keysPerObject} keys (policy.limits.keysPerObject)`;
      if (tooLong(key, limits)) return `a JSON key is longer than ${limits.stringBytes} bytes (policy.limits.stringBytes)`;
      stack.push([value[key] as JsonValue, depth + 1]);
    }
  }
  return null;
}
