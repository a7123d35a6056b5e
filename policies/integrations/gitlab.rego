# Rules for GitLab (self-managed or gitlab.com; integration type "gitlab").
#
# Surfaces: api (<root>/api/v4, REST), graphql (<root>/api/graphql), git (<root>/, clone).
# A project is addressed by its numeric id or its full path, which the client sends with
# "%2F" between the groups: the gateway decodes it inside one segment, so
# /projects/group%2Fsub%2Fapp/repository/files/src%2Fpackage.json/raw arrives as
# ["projects", "group/sub/app", "repository", "files", "src/package.json", "raw"].
#
#   rules          always on: metadata, manifest and lock files, merge request notes, commit
#                  statuses, GraphQL metadata queries, the createNote mutation
#   code_rules     allow_code_access: any file, trees, blobs, commits, diffs, archives
#   clone_rules    allow_git_clone or allow_code_access: git clone (git-upload-pack only)
#   write_rules    allow_writes: fix merge requests (branch, commit of manifest files, MR)
#   webhook_rules  allow_webhooks: project hooks whose URL is in allowed_webhook_urls
#
# GitLab reads parameters from the query string and the body alike, so every rule that judges
# a body also requires an empty query string. Never allowed: pushing (git-receive-pack),
# CI/CD variables, deploy keys and tokens, members, project or group settings.
#
# GitLab REST API reference: https://docs.gitlab.com/api/rest/
package integrations.gitlab

import data.lib.body
import data.lib.files
import data.lib.flags
import data.lib.git
import data.lib.graphql
import data.lib.http
import data.lib.match

allowed_by contains id if some id in rules

allowed_by contains id if {
	flags.code_access
	some id in code_rules
}

allowed_by contains id if {
	flags.clone
	some id in clone_rules
}

allowed_by contains id if {
	flags.writes
	some id in write_rules
}

allowed_by contains id if {
	flags.webhooks
	some id in webhook_rules
}

hints contains msg if {
	not flags.code_access
	some id in code_rules
	msg := concat("", ["rule ", id, " would allow this request with allow_code_access=true"])
}

hints contains msg if {
	not flags.clone
	some id in clone_rules
	msg := concat("", ["rule ", id, " would allow this request with allow_git_clone=true or allow_code_access=true"])
}

hints contains msg if {
	not flags.writes
	some id in write_rules
	msg := concat("", ["rule ", id, " would allow this request with allow_writes=true"])
}

hints contains msg if {
	not flags.webhooks
	some id in webhook_rules
	msg := concat("", ["rule ", id, " would allow this request with allow_webhooks=true"])
}

hints contains graphql.reason(request_body) if {
	graphql_post
	not gql
}

hints contains "pushing (git-receive-pack) is never allowed through the broker" if {
	input.integration.surface == "git"
	git.push(input.request)
}

segments := input.request.segments

request_body := input.request.body

api_get if {
	input.integration.surface == "api"
	input.request.method == "GET"
}

# api_send(method): a complete JSON body, and no query parameters that GitLab would merge in.
api_send(method) if {
	input.integration.surface == "api"
	input.request.method == method
	http.complete_body(input.request)
	count(input.request.query) == 0
}

# project(rest): /projects/:id<rest>, where :id is a numeric id or a decoded full path.
project(rest) if {
	segments[0] == "projects"
	match.path(segments, array.concat(["projects", ":id"], rest))
}

# ---------------------------------------------------------------------------------------------
# Always on: metadata, manifests, notes, statuses.
# ---------------------------------------------------------------------------------------------

# gitlab.meta.user: the authenticated identity, to verify the configured token works.
rules contains "gitlab.meta.user" if {
	api_get
	match.path(segments, ["user"])
}

# gitlab.meta.version: the GitLab version, to know which API features exist.
rules contains "gitlab.meta.version" if {
	api_get
	match.path(segments, ["version"])
}

# gitlab.projects.list: the projects the token can see, to import them.
rules contains "gitlab.projects.list" if {
	api_get
	match.path(segments, ["projects"])
}

# gitlab.groups.projects: the projects of one group, to import them.
rules contains "gitlab.groups.projects" if {
	api_get
	match.path(segments, ["groups", ":id", "projects"])
}

# gitlab.project.metadata: name, visibility and default branch of one project.
rules contains "gitlab.project.metadata" if {
	api_get
	project([])
}

# gitlab.project.refs: branches and tags (names and head commits), listed or one by one.
rules contains "gitlab.project.refs" if {
	api_get
	some kind in ["branches", "tags"]
	project(["repository", kind])
}

rules contains "gitlab.project.refs" if {
	api_get
	some kind in ["branches", "tags"]
	project(["repository", kind, ":name"])
}

# gitlab.project.languages: percentage per language, to choose which ecosystems to scan.
rules contains "gitlab.project.languages" if {
	api_get
	project(["languages"])
}

# gitlab.mrs.read: open merge requests and one merge request (metadata, no diff).
rules contains "gitlab.mrs.read" if {
	api_get
	project(["merge_requests"])
}

rules contains "gitlab.mrs.read" if {
	api_get
	project(["merge_requests", ":iid"])
	match.positive_integer(segments[3])
}

# gitlab.statuses.list: the statuses of a commit, to update the scanner's own.
rules contains "gitlab.statuses.list" if {
	api_get
	project(["repository", "commits", ":sha", "statuses"])
}

# gitlab.files.manifest: a manifest or lock file at any depth, as JSON or raw. The file path is
# one decoded segment; its last component must be a manifest name.
# https://docs.gitlab.com/api/repository_files/
rules contains "gitlab.files.manifest" if {
	api_get
	project(["repository", "files", ":file_path"])
	files.manifest_path(segments[4])
}

rules contains "gitlab.files.manifest" if {
	api_get
	project(["repository", "files", ":file_path", "raw"])
	files.manifest_path(segments[4])
}

# gitlab.notes.create: post scan results as a merge request note. Only {"body": "<text>"}.
# https://docs.gitlab.com/api/notes/#create-new-merge-request-note
rules contains "gitlab.notes.create" if {
	api_send("POST")
	project(["merge_requests", ":iid", "notes"])
	match.positive_integer(segments[3])
	body.only_string_field(request_body, "body")
}

# gitlab.notes.update: update such a note on a rescan. Only {"body"}.
rules contains "gitlab.notes.update" if {
	api_send("PUT")
	project(["merge_requests", ":iid", "notes", ":note_id"])
	match.positive_integer(segments[3])
	match.positive_integer(segments[5])
	body.only_string_field(request_body, "body")
}

# gitlab.statuses.create: report the scan as a commit status. Only the documented fields,
# state one of the six GitLab states.
# https://docs.gitlab.com/api/commits/#set-the-pipeline-status-of-a-commit
rules contains "gitlab.statuses.create" if {
	api_send("POST")
	project(["statuses", ":sha"])
	match.commit_id(segments[3])
	body.fields_within(request_body, {"state", "ref", "name", "context", "target_url", "description", "coverage", "pipeline_id"})
	body.one_of(request_body, "state", {"pending", "running", "success", "failed", "canceled", "skipped"})
	body.optional_strings(request_body, {"ref", "name", "context", "target_url", "description"})
	body.optional_numbers(request_body, {"coverage", "pipeline_id"})
}

# ---------------------------------------------------------------------------------------------
# GraphQL (surface graphql): only the query shapes named here. See lib/graphql.rego.
# ---------------------------------------------------------------------------------------------

graphql_post if {
	input.integration.surface == "graphql"
	input.request.method == "POST"
	count(segments) == 0
}

gql := graphql.document(request_body) if {
	graphql_post
	http.complete_body(input.request)
}

graphql_read_roots := {"currentUser", "project", "projects", "group", "metadata"}

# Names that reach file contents or diffs: Repository.blobs and .tree, Blob raw and rendered
# data, merge request diffs.
graphql_code_names := {"blobs", "rawBlob", "rawTextBlob", "plainData", "richData", "tree", "paginatedTree", "diffs"}

# gitlab.graphql.read: one query over the current user, projects and groups, without file
# contents.
rules contains "gitlab.graphql.read" if {
	gql.operation == "query"
	count(gql.root_fields - graphql_read_roots) == 0
	count(gql.names & graphql_code_names) == 0
}

# gitlab.code.graphql_read: the same queries including file contents.
code_rules contains "gitlab.code.graphql_read" if {
	gql.operation == "query"
	count(gql.root_fields - graphql_read_roots) == 0
}

# gitlab.graphql.create_note: the GraphQL form of a note, the only mutation allowed:
# createNote(input: $var) with {noteableId, body[, clientMutationId]}.
rules contains "gitlab.graphql.create_note" if {
	var := graphql.mutation_input(gql, "createNote")
	note := request_body.variables[var]
	body.fields_within(note, {"noteableId", "body", "clientMutationId"})
	body.strings(note, {"noteableId", "body"})
	body.optional_strings(note, {"clientMutationId"})
	count(gql.names & graphql_code_names) == 0
}

# ---------------------------------------------------------------------------------------------
# Only with allow_code_access=true.
# ---------------------------------------------------------------------------------------------

# gitlab.code.files: any file, as JSON, raw or blame.
code_rules contains "gitlab.code.files" if {
	api_get
	some rest in [[], ["raw"], ["blame"]]
	project(array.concat(["repository", "files", ":file_path"], rest))
}

# gitlab.code.repository: the file tree, blobs, commits (with diffs), comparisons, archives.
code_rules contains "gitlab.code.repository" if {
	api_get
	some kind in ["tree", "blobs", "commits", "compare"]
	segments[0] == "projects"
	match.path_or_below(segments, ["projects", ":id", "repository", kind])
}

code_rules contains "gitlab.code.repository" if {
	api_get
	project(["repository", ":archive"])
	startswith(segments[3], "archive")
}

# gitlab.code.mr_diffs: the changes of a merge request (source lines).
code_rules contains "gitlab.code.mr_diffs" if {
	api_get
	some kind in ["changes", "diffs"]
	project(["merge_requests", ":iid", kind])
	match.positive_integer(segments[3])
}

# ---------------------------------------------------------------------------------------------
# With allow_git_clone=true or allow_code_access=true: clone, <namespace…>/<project>.git.
# ---------------------------------------------------------------------------------------------

# gitlab.clone.refs: the ref advertisement of the fetch service; groups may nest, so the
# repository is every segment before info/refs, at least a namespace and "<project>.git".
clone_rules contains "gitlab.clone.refs" if {
	input.integration.surface == "git"
	count(segments) >= 4
	repository := array.slice(segments, 0, count(segments) - 2)
	git.refs(input.request, repository)
	git.repository_name(match.last(repository))
}

# gitlab.clone.pack: the pack download, POST <namespace…>/<project>.git/git-upload-pack.
clone_rules contains "gitlab.clone.pack" if {
	input.integration.surface == "git"
	count(segments) >= 3
	repository := array.slice(segments, 0, count(segments) - 1)
	git.upload_pack(input.request, repository)
	git.repository_name(match.last(repository))
}

# ---------------------------------------------------------------------------------------------
# Only with allow_writes=true: the fix merge request flow. Commits may only create or update
# dependency manifests (never .gitlab-ci.yml or other files CI runs).
# ---------------------------------------------------------------------------------------------

# gitlab.writes.branch: create the fix branch from a ref.
# https://docs.gitlab.com/api/branches/#create-repository-branch
write_rules contains "gitlab.writes.branch" if {
	api_send("POST")
	project(["repository", "branches"])
	body.fields_within(request_body, {"branch", "ref"})
	body.strings(request_body, {"branch", "ref"})
}

# gitlab.writes.commit: one commit on a named branch that creates or updates manifest files.
# https://docs.gitlab.com/api/commits/#create-a-commit-with-multiple-files-and-actions
write_rules contains "gitlab.writes.commit" if {
	api_send("POST")
	project(["repository", "commits"])
	body.fields_within(request_body, {"branch", "commit_message", "actions", "start_branch", "author_email", "author_name"})
	body.strings(request_body, {"branch", "commit_message"})
	body.optional_strings(request_body, {"start_branch", "author_email", "author_name"})
	count(request_body.actions) > 0
	every action in request_body.actions {
		manifest_action(action)
	}
}

manifest_action(action) if {
	body.fields_within(action, {"action", "file_path", "content", "encoding", "last_commit_id"})
	body.one_of(action, "action", {"create", "update"})
	files.manifest_path(action.file_path)
	body.strings(action, {"content"})
	body.optional_strings(action, {"encoding", "last_commit_id"})
}

# gitlab.writes.mr: open the fix merge request.
# https://docs.gitlab.com/api/merge_requests/#create-mr
write_rules contains "gitlab.writes.mr" if {
	api_send("POST")
	project(["merge_requests"])
	body.fields_within(request_body, {"source_branch", "target_branch", "title", "description", "remove_source_branch", "squash", "labels"})
	body.strings(request_body, {"source_branch", "target_branch", "title"})
	body.optional_strings(request_body, {"description", "labels"})
}

# ---------------------------------------------------------------------------------------------
# Only with allow_webhooks=true: project hooks pointing at allowed callback URLs, with TLS
# verification on.
# ---------------------------------------------------------------------------------------------

# gitlab.hooks.read: list the hooks or read one, to find the scanner's own.
webhook_rules contains "gitlab.hooks.read" if {
	api_get
	project(["hooks"])
}

webhook_rules contains "gitlab.hooks.read" if {
	api_get
	project(["hooks", ":hook_id"])
	match.positive_integer(segments[3])
}

# gitlab.hooks.create: add a hook for push, merge request, tag and note events.
# https://docs.gitlab.com/api/project_webhooks/#add-a-webhook-to-a-project
webhook_rules contains "gitlab.hooks.create" if {
	api_send("POST")
	project(["hooks"])
	hook(request_body)
}

# gitlab.hooks.update: change such a hook; the URL must again be allowed.
webhook_rules contains "gitlab.hooks.update" if {
	api_send("PUT")
	project(["hooks", ":hook_id"])
	match.positive_integer(segments[3])
	hook(request_body)
}

# gitlab.hooks.delete: remove a hook when the scanner is disconnected.
webhook_rules contains "gitlab.hooks.delete" if {
	input.integration.surface == "api"
	input.request.method == "DELETE"
	project(["hooks", ":hook_id"])
	match.positive_integer(segments[3])
}

hook_booleans := {"push_events", "merge_requests_events", "tag_push_events", "note_events"}

hook(b) if {
	body.fields_within(b, hook_booleans | {"url", "token", "enable_ssl_verification", "push_events_branch_filter", "name", "description"})
	flags.webhook_url(b.url)
	object.get(b, "enable_ssl_verification", true) == true
	body.optional_strings(b, {"token", "push_events_branch_filter", "name", "description"})
	every field in hook_booleans {
		is_boolean(object.get(b, field, false))
	}
}
