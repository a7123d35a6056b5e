/**
 * Why this exists: the decision log must not carry secrets the caller sent (an API key in a
 * header, a token in the query). The bundle's `system/log/mask` rule lists JSON pointers to
 * erase (or `{op: "upsert", path, value}` objects), as in OPA's decision-log masking; this
 * module applies them to a copy of the input.
 */
import type { JsonValue } from './types';

type Container = { [key: string]: JsonValue } | JsonValue[];

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

function walk(root: JsonValue, path: string[]): Container | null {
  let node: JsonValue | undefined = root;
  for (const token of path) {
    if (!isContainer(node)) return null;
    node = Array.isArray(node) ? node[Number(token)] : node[token];
  }
  return isContainer(node) ? node : null;
}

/** Apply mask operations to `input` (modified in place); returns the pointers that took effect. */
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
    const last = path[path.length - 1] as string;
    if (parent === null || Array.isArray(parent)) continue;
    if (upsert !== undefined) {
      parent[last] = upsert;
      applied.push(pointer);
    } else if (last in parent) {
      delete parent[last];
      applied.push(pointer);
    }
  }
  return applied;
}
