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
# Query parameters: each rule accepts only those listed for it in data.types.gitlab.query_params
# (policies/types/gitlab/data.json, applied by broker/decision for every rule): the narrowing
# filters and pagination of GitLab's documentation, never `sudo` (impersonation) or
# `private_token`/`access_token`/`job_token` (credentials). GitLab (Rails) merges the query
# string into the body parameters, so no rule that sends a body accepts any query parameter.
#
# Placeholders (":project", ":group", ":iid", ":ref", ":file_path", ...) are checked against
# GitLab's naming grammars, data.types.gitlab.names in the same file (see lib/match.rego);
# project and group paths and file paths are also checked component by component here.
#
# Never allowed: pushing (git-receive-pack), CI/CD variables, deploy keys and tokens, members,
# project or group settings.
#
# GraphQL rules are in gitlab_graphql.rego, writes and webhooks in gitlab_writes.rego (same
# package).
#
# GitLab REST API reference: https://docs.gitlab.com/api/rest/
package integrations.gitlab

import data.lib.body
import data.lib.files
import data.lib.flags
import data.lib.git
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

# api_send(method): a complete JSON body. No query parameter is accepted either (GitLab would
# merge it into the body): the send rules have no entry in data.types.gitlab.query_params.
api_send(method) if {
	input.integration.surface == "api"
	input.request.method == method
	http.complete_body(input.request)
}

# project(rest): /projects/:project<rest>, where :project is a numeric id or a decoded full
# path "group/sub/app". The project segment is judged once per request (project_segment), so
# the pattern names it literally.
project(rest) if {
	segments[0] == "projects"
	project_segment
	match.path(segments, array.concat(["projects", segments[1]], rest))
}

default project_segment := false

project_segment if {
	match.name(segments[1], ":project")
	full_path(segments[1])
}

# full_path(s): a numeric id, or a namespace path: components separated by single "/", each a
# GitLab path (Gitlab::PathRegex, lib/gitlab/path_regex.rb: "can contain only letters,
# digits, '_', '-' and '.'. Cannot start with '-', end in '.git' or end in '.atom'"), and not
# "." or "..". The characters and the length are checked by the ":project" and ":group"
# grammars.
full_path(s) if {
	every part in split(s, "/") {
		path_component(part)
	}
}

path_component(part) if {
	part != ""
	part != "."
	part != ".."
	not startswith(part, "-")
	not endswith(part, ".git")
	not endswith(part, ".atom")
}

# ref_name(s): a branch or tag name as git-check-ref-format(1) allows it (the characters are
# checked by the ":ref" grammar): no "..", no component starting with ".", no "//", not ending
# in "/", "." or ".lock".
ref_name(s) if {
	not contains(s, "..")
	not contains(s, "/.")
	not contains(s, "//")
	not endswith(s, "/")
	not endswith(s, ".")
	not endswith(s, ".lock")
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

# gitlab.groups.projects: the projects of one group (by id or full path), to import them.
rules contains "gitlab.groups.projects" if {
	api_get
	match.path(segments, ["groups", ":group", "projects"])
	full_path(segments[1])
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
	project(["repository", kind, ":ref"])
	ref_name(segments[4])
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
	body.only_string_field(request_body, "body")
}

# gitlab.notes.update: update such a note on a rescan. Only {"body"}.
rules contains "gitlab.notes.update" if {
	api_send("PUT")
	project(["merge_requests", ":iid", "notes", ":note_id"])
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
# Only with allow_code_access=true.
# ---------------------------------------------------------------------------------------------

# gitlab.code.files: any file, as JSON, raw or blame.
code_rules contains "gitlab.code.files" if {
	api_get
	some rest in [[], ["raw"], ["blame"]]
	project(array.concat(["repository", "files", ":file_path"], rest))
	files.safe_path(segments[4])
}

# gitlab.code.repository: the file tree, blobs, commits (with diffs), comparisons, archives.
# https://docs.gitlab.com/api/repositories/ and https://docs.gitlab.com/api/commits/
code_rules contains "gitlab.code.repository" if {
	api_get
	some pattern in [["tree"], ["compare"], ["commits"], ["blobs", ":sha"], ["blobs", ":sha", "raw"]]
	project(array.concat(["repository"], pattern))
}

# A commit by id or by branch or tag name, and what hangs below it.
code_rules contains "gitlab.code.repository" if {
	api_get
	some rest in [[], ["diff"], ["refs"], ["comments"], ["merge_requests"], ["signature"], ["sequence"]]
	project(array.concat(["repository", "commits", ":ref"], rest))
	ref_name(segments[4])
}

# Archives: data.types.gitlab.archive_formats holds the file names GitLab serves
# ("archive", "archive.zip", "archive.tar.gz", ...).
code_rules contains "gitlab.code.repository" if {
	api_get
	project(["repository", ":archive"])
	data.types.gitlab.archive_formats[segments[3]]
}

# gitlab.code.mr_diffs: the changes of a merge request (source lines).
code_rules contains "gitlab.code.mr_diffs" if {
	api_get
	some kind in ["changes", "diffs"]
	project(["merge_requests", ":iid", kind])
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
	clone_repository(repository)
}

# gitlab.clone.pack: the pack download, POST <namespace…>/<project>.git/git-upload-pack.
clone_rules contains "gitlab.clone.pack" if {
	input.integration.surface == "git"
	count(segments) >= 3
	repository := array.slice(segments, 0, count(segments) - 1)
	git.upload_pack(input.request, repository)
	clone_repository(repository)
}

# clone_repository(repository): namespace segments and "<project>.git", each a GitLab path
# (one segment each: "/" inside a segment, from %2F, is not a clone path).
clone_repository(repository) if {
	git.repository_name(match.last(repository))
	every part in repository {
		clone_path(trim_suffix(part, ".git"))
	}
}

clone_path(part) if {
	not contains(part, "/")
	match.name(part, ":group")
	path_component(part)
}
