/**
 * Reads what a webhook is about, per SCM: the event type (GitHub `X-GitHub-Event`, GitLab
 * `X-Gitlab-Event`, Bitbucket Data Center `X-Event-Key`, Azure DevOps `eventType` in the body),
 * its action, the delivery id, and the changed file paths where the payload lists them. Pure.
 *
 * Push payloads of GitHub and GitLab list `commits[].added/modified/removed`; pull and merge
 * request events, Bitbucket Data Center and Azure DevOps payloads list no files, which is told
 * apart from "no files changed" by `files_listed: false`.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { JsonValue } from '../policy/types';

/** What the outbound policy is told about the event. */
export interface WebhookEvent {
  /** The SCM's own event name (`push`, `Merge Request Hook`, `repo:refs_changed`, `git.push`), or null. */
  type: string | null;
  /** The action inside the event (`opened`, `synchronize`, `open`, `update`), or null. */
  action: string | null;
  /** The SCM's delivery id, or null when it sends none. */
  delivery_id: string | null;
  /** Changed file paths (added, modified, removed), sorted and distinct; empty when not listed. */
  changed_files: string[];
  /** True when the payload lists its changed files (a push of GitHub or GitLab). */
  files_listed: boolean;
}

type JsonObject = { [key: string]: JsonValue };

function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function header(headers: IncomingHttpHeaders, name: string): string | null {
  const v = headers[name];
  return typeof v === 'string' && v !== '' ? v : null;
}

function stringAt(body: JsonValue, ...path: string[]): string | null {
  let node: JsonValue | undefined = body;
  for (const key of path) {
    if (!isObject(node)) return null;
    node = Object.prototype.hasOwnProperty.call(node, key) ? node[key] : undefined;
  }
  return typeof node === 'string' ? node : null;
}

/** Paths in `commits[].added/modified/removed`; null when the payload has no `commits` list. */
function commitFiles(body: JsonValue): string[] | null {
  if (!isObject(body) || !Array.isArray(body.commits)) return null;
  const files = new Set<string>();
  for (const commit of body.commits) {
    if (!isObject(commit)) continue;
    for (const key of ['added', 'modified', 'removed']) {
      const list = commit[key];
      if (!Array.isArray(list)) continue;
      for (const path of list) if (typeof path === 'string') files.add(path);
    }
  }
  return [...files].sort();
}

/** The event facts of one webhook of an integration of type `type`. */
export function readEvent(type: string, headers: IncomingHttpHeaders, body: JsonValue): WebhookEvent {
  let eventType: string | null = null;
  let action: string | null = null;
  let delivery: string | null = null;
  let files: string[] | null = null;
  switch (type) {
    case 'github':
      eventType = header(headers, 'x-github-event');
      action = stringAt(body, 'action');
      delivery = header(headers, 'x-github-delivery');
      if (eventType === 'push') files = commitFiles(body);
      break;
    case 'gitlab':
      eventType = header(headers, 'x-gitlab-event');
      action = stringAt(body, 'object_attributes', 'action');
      delivery = header(headers, 'x-gitlab-event-uuid') ?? header(headers, 'x-gitlab-webhook-uuid');
      if (eventType === 'Push Hook') files = commitFiles(body);
      break;
    case 'bitbucket':
      eventType = header(headers, 'x-event-key');
      delivery = header(headers, 'x-request-id');
      break;
    case 'azure-repos':
      eventType = stringAt(body, 'eventType');
      delivery = stringAt(body, 'id');
      break;
  }
  return { type: eventType, action, delivery_id: delivery, changed_files: files ?? [], files_listed: files !== null };
}

/** Headers the outbound input shows the policy (event metadata; never a secret or signature). */
export const EVENT_HEADERS: readonly string[] = [
  'content-type',
  'user-agent',
  'x-github-event',
  'x-github-delivery',
  'x-github-hook-id',
  'x-github-hook-installation-target-type',
  'x-gitlab-event',
  'x-gitlab-event-uuid',
  'x-gitlab-instance',
  'x-event-key',
  'x-request-id',
];
