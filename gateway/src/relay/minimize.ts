/**
 * Why this exists: a webhook carries more about people than a scanner needs — commit messages,
 * author and committer names and e-mail addresses, diff and compare URLs. What the SaaS does
 * not need does not leave the customer's network: these fields are removed before the body is
 * signed and queued. Each SCM type has a default list (on unless a relay sets
 * `minimize: false`); a relay adds its own with `removeFields`.
 *
 * Paths are dot-separated keys; `*` stands for every element of an array or every value of an
 * object (`commits.*.author`).
 */
import type { JsonValue } from '../policy/types';

/** Default fields removed per integration type. */
export const DEFAULT_REMOVED: Readonly<Record<string, readonly string[]>> = Object.freeze({
  github: [
    'commits.*.message', 'commits.*.author', 'commits.*.committer', 'commits.*.url',
    'head_commit.message', 'head_commit.author', 'head_commit.committer', 'head_commit.url',
    'pusher', 'compare',
    'pull_request.diff_url', 'pull_request.patch_url', 'pull_request.body',
    'pull_request.user.email', 'pull_request.user.name',
  ],
  gitlab: [
    'commits.*.message', 'commits.*.title', 'commits.*.author', 'commits.*.url',
    'user_name', 'user_email', 'user_username', 'user_avatar', 'user',
    'object_attributes.description', 'object_attributes.last_commit.message',
    'object_attributes.last_commit.title', 'object_attributes.last_commit.author',
  ],
  bitbucket: [
    'actor.emailAddress', 'actor.displayName',
    'pullRequest.description', 'pullRequest.author.user.emailAddress', 'pullRequest.author.user.displayName',
    'pullRequest.reviewers.*.user.emailAddress', 'pullRequest.reviewers.*.user.displayName',
    'commits.*.message', 'commits.*.author', 'commits.*.committer',
  ],
  'azure-repos': [
    'message', 'detailedMessage',
    'resource.commits.*.comment', 'resource.commits.*.author', 'resource.commits.*.committer', 'resource.commits.*.url',
    'resource.pushedBy.displayName', 'resource.pushedBy.uniqueName',
    'resource.createdBy.displayName', 'resource.createdBy.uniqueName', 'resource.description',
    'resource.lastMergeCommit.comment', 'resource.lastMergeCommit.author', 'resource.lastMergeCommit.committer',
  ],
});

type JsonObject = { [key: string]: JsonValue };

function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Remove `path` (split) below `node`; pushes each removed path onto `removed`. */
function remove(node: JsonValue, path: readonly string[], at: string, removed: string[]): void {
  const [key, ...rest] = path;
  if (key === undefined) return;
  if (key === '*') {
    const entries: Array<[string, JsonValue]> = Array.isArray(node) ? node.map((v, i) => [String(i), v]) : isObject(node) ? Object.entries(node) : [];
    if (rest.length === 0) {
      if (isObject(node)) for (const [k] of entries) removeKey(node, k, `${at}${k}`, removed);
      // Array elements are not deleted (that would shift the others); name the field under them.
      return;
    }
    for (const [k, v] of entries) remove(v, rest, `${at}${k}.`, removed);
    return;
  }
  if (!isObject(node) || !Object.prototype.hasOwnProperty.call(node, key)) return;
  if (rest.length === 0) removeKey(node, key, `${at}${key}`, removed);
  else remove(node[key] as JsonValue, rest, `${at}${key}.`, removed);
}

function removeKey(node: JsonObject, key: string, where: string, removed: string[]): void {
  delete node[key];
  removed.push(where);
}

/**
 * A copy of `body` without the fields at `paths`, and the concrete paths that were removed
 * (`commits.0.message`).
 */
export function minimize(body: JsonValue, paths: readonly string[]): { body: JsonValue; removed: string[] } {
  if (paths.length === 0) return { body, removed: [] };
  const copy = JSON.parse(JSON.stringify(body)) as JsonValue;
  const removed: string[] = [];
  for (const path of paths) remove(copy, path.split('.'), '', removed);
  return { body: copy, removed };
}

/**
 * The fields a relay removes: its type's defaults (unless turned off), its own, and those the
 * outbound policy's allow names (`remove`).
 */
export function removedFields(type: string, minimizeDefaults: boolean, extra: readonly string[], byPolicy: readonly string[] = []): string[] {
  return [...new Set([...(minimizeDefaults ? (DEFAULT_REMOVED[type] ?? []) : []), ...extra, ...byPolicy])];
}
