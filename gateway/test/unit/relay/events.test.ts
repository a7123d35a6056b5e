/** Event facts per SCM: type, action, delivery id and changed files where the payload lists them. */
import type { IncomingHttpHeaders } from 'node:http';
import type { JsonValue } from '../../../src/policy/types';
import { readEvent } from '../../../src/relay/events';

const cases: Array<[string, string, IncomingHttpHeaders, JsonValue, ReturnType<typeof readEvent>]> = [
  [
    'github push: files of every commit, distinct and sorted',
    'github',
    { 'x-github-event': 'push', 'x-github-delivery': 'd1' },
    { commits: [{ added: ['b.txt'], modified: ['package.json'], removed: [] }, { added: [], modified: ['package.json', 'a/go.mod'], removed: ['old.lock'] }] },
    { type: 'push', action: null, delivery_id: 'd1', changed_files: ['a/go.mod', 'b.txt', 'old.lock', 'package.json'], files_listed: true },
  ],
  [
    'github push without commits: nothing listed',
    'github',
    { 'x-github-event': 'push' },
    { ref: 'refs/tags/v1' },
    { type: 'push', action: null, delivery_id: null, changed_files: [], files_listed: false },
  ],
  [
    'github pull_request: the action, no files',
    'github',
    { 'x-github-event': 'pull_request' },
    { action: 'opened', commits: 3 },
    { type: 'pull_request', action: 'opened', delivery_id: null, changed_files: [], files_listed: false },
  ],
  [
    'github: non-string paths ignored',
    'github',
    { 'x-github-event': 'push' },
    { commits: [{ added: [1, null, 'x.py'], modified: 'package.json' }, 'junk'] },
    { type: 'push', action: null, delivery_id: null, changed_files: ['x.py'], files_listed: true },
  ],
  [
    'gitlab push',
    'gitlab',
    { 'x-gitlab-event': 'Push Hook', 'x-gitlab-event-uuid': 'u1' },
    { commits: [{ added: ['pom.xml'], modified: [], removed: [] }] },
    { type: 'Push Hook', action: null, delivery_id: 'u1', changed_files: ['pom.xml'], files_listed: true },
  ],
  [
    'gitlab merge request: object_attributes.action',
    'gitlab',
    { 'x-gitlab-event': 'Merge Request Hook' },
    { object_attributes: { action: 'update' } },
    { type: 'Merge Request Hook', action: 'update', delivery_id: null, changed_files: [], files_listed: false },
  ],
  [
    'bitbucket: X-Event-Key, no file list',
    'bitbucket',
    { 'x-event-key': 'repo:refs_changed', 'x-request-id': 'r1' },
    { changes: [] },
    { type: 'repo:refs_changed', action: null, delivery_id: 'r1', changed_files: [], files_listed: false },
  ],
  [
    'azure: eventType and id in the body',
    'azure-repos',
    {},
    { id: 'a1', eventType: 'git.push', resource: { commits: [{ commitId: 'x' }] } },
    { type: 'git.push', action: null, delivery_id: 'a1', changed_files: [], files_listed: false },
  ],
];

test.each(cases)('%s', (_name, type, headers, body, expected) => {
  expect(readEvent(type, headers, body)).toEqual(expected);
});
