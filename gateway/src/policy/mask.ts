/**
 * Why this exists: the decision log must not carry secrets the caller sent (an API key in a
 * header, a token in the query, a webhook secret in the body). The bundle's `system/log/mask`
 * rule lists what to erase, as in OPA's decision-log masking: JSON pointers (RFC 6901) to
 * remove, or `{op: "upsert", path, value}` objects whose value replaces what is there. This
 * module applies them to a copy of the input.
 *
 * Pointers may pass through arrays (`/input/request/body/items/0/token`) and may end at an
 * array element. An upsert there replaces the element. A remove there replaces it with
 * {@link REDACTED} instead of deleting it: deleting would shift the later elements, and the
 * other pointers into the same array (computed on the unmasked input) would then hit the wrong
 * ones. Only own properties are followed, so a pointer naming `__proto__` or `constructor`
 * cannot reach or change an object's prototype.
 */
import type { JsonValue } from './types';

/** What a removed array element is replaced with (the mask policy's upserts use it too). */
export const REDACTED = '[REDACTED]';

type JsonObject = { [key: string]: JsonValue };
type Container = JsonObject | JsonValue[];

function isContainer(v: JsonValue | undefined): v is Container {
  return typeof v === 'object' && v !== null;
}

function unescape(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** Split "/input/request/headers/x-api-key" into its tokens below "/input". */
function tokens(pointer: string): string[] | null {
  if (!pointer.startsWith('/input/') && pointer !== '/input') return null;
  return pointer.split('/').slice(2).map(unescape);
}

/** The array index a token names (RFC 6901: decimal, no leading zeros), or null. */
function index(token: string, array: JsonValue[]): number | null {
  if (!/^(0|[1-9][0-9]*)$/.test(token)) return null;
  const i = Number(token);
  return i < array.length ? i : null;
}

function child(node: Container, token: string): JsonValue | undefined {
  if (Array.isArray(node)) {
    const i = index(token, node);
    return i === null ? undefined : node[i];
  }
  return Object.prototype.hasOwnProperty.call(node, token) ? node[token] : undefined;
}

function walk(root: JsonValue, path: string[]): Container | null {
  let node: JsonValue | undefined = root;
  for (const token of path) {
    if (!isContainer(node)) return null;
    node = child(node, token);
  }
  return isContainer(node) ? node : null;
}

function setOwn(object: JsonObject, key: string, value: JsonValue): void {
  // A plain assignment to "__proto__" would set the prototype instead of a key.
  Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
}

/** Apply one operation at `last` of `parent`; true when it changed something. */
function apply(parent: Container, last: string, upsert: JsonValue | undefined): boolean {
  if (Array.isArray(parent)) {
    const i = index(last, parent);
    if (i === null) return false;
    parent[i] = upsert === undefined ? REDACTED : upsert;
    return true;
  }
  if (upsert !== undefined) {
    setOwn(parent, last, upsert);
    return true;
  }
  if (!Object.prototype.hasOwnProperty.call(parent, last)) return false;
  delete parent[last];
  return true;
}

/**
 * Apply mask operations to `input` (modified in place), in order; returns the pointers that
 * took effect. Operations that are not a string or an `upsert`/`remove` object, pointers
 * outside `/input`, the whole input, and paths whose parent does not exist are ignored.
 */
export function applyMask(input: { [key: string]: JsonValue }, ops: JsonValue): string[] {
  const applied: string[] = [];
  if (!Array.isArray(ops)) return applied;
  for (const op of ops) {
    let pointer: string;
    let upsert: JsonValue | undefined;
    if (typeof op === 'string') pointer = op;
    else if (isContainer(op) && !Array.isArray(op) && typeof op.path === 'string') {
      pointer = op.path;
      if (op.op === 'upsert') upsert = op.value ?? null;
      else if (op.op !== 'remove') continue;
    } else continue;
    const path = tokens(pointer);
    if (path === null || path.length === 0) continue;
    const parent = walk(input, path.slice(0, -1));
    if (parent !== null && apply(parent, path[path.length - 1] as string, upsert)) applied.push(pointer);
  }
  return applied;
}
