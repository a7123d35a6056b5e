# Rules for Bitbucket Data Center and Server (integration type "bitbucket").
#
# Surfaces: api (the baseUrl, <root>/rest/api/1.0), rest (<root>/rest, for the build-status
# and branch-utils plugins' APIs), git (<root>/scm, clone).
#
#   rules          always on: metadata, manifest and lock files (browse and raw), pull request
#                  comments, build statuses
#   code_rules     allow_code_access: any file, file lists, commits, diffs, archives
#   clone_rules    allow_git_clone or allow_code_access: git clone (git-upload-pack only)
#   write_rules    allow_writes: fix pull requests (branch, manifest file edit, pull request)
#   webhook_rules  allow_webhooks: repository webhooks whose URL is in allowed_webhook_urls
#
# Never allowed: pushing (git-receive-pack), access keys and tokens, permissions, repository
# settings, admin endpoints.
#
# Bitbucket Data Center REST reference: https://developer.atlassian.com/server/bitbucket/rest/
#
# policies/types/bitbucket/data.json holds, per rule id, the query parameters it accepts
# (lib/query.rego; write rules accept none), and the grammar of each placeholder
# (lib/match.rego): project keys (a letter, then letters, digits and "_"), personal project
# keys ("~" and a user slug), repository slugs, numeric ids and commit ids. Bitbucket runs on
# Tomcat, which strips ";params" from path segments: no grammar has ";" or "/".
package integrations.bitbucket

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

send(surface, method) if {
	input.integration.surface == surface
	input.request.method == method
	http.complete_body(input.request)
}

# owner(s): the placeholder for a project key segment: ":user" for a personal project
# ("~jdoe"), ":key" for any other; each has its own grammar in data.json.
owner(s) := ":user" if startswith(s, "~")

else := ":key"

# The placeholder for segments[1] of /projects/<key>/..., once per request.
project := owner(segments[1]) if segments[0] == "projects"

# repo(rest): /projects/:key/repos/:slug<rest> (a personal project key is "~user").
repo(rest) if match.path(segments, array.concat(["projects", project, "repos", ":slug"], rest))

repo_below(rest) if match.path_below(segments, array.concat(["projects", project, "repos", ":slug"], rest))

# ---------------------------------------------------------------------------------------------
# Always on.
# ---------------------------------------------------------------------------------------------

# bitbucket.meta.properties: the server version, to know which APIs exist.
rules contains "bitbucket.meta.properties" if {
	api_get
	match.path(segments, ["application-properties"])
}

# bitbucket.repos.list: repositories the token can see, globally or per project, to import.
rules contains "bitbucket.repos.list" if {
	api_get
	match.path(segments, ["repos"])
}

rules contains "bitbucket.repos.list" if {
	api_get
	match.path(segments, ["projects"])
}

rules contains "bitbucket.repos.list" if {
	api_get
	some pattern in [["projects", project], ["projects", project, "repos"]]
	match.path(segments, pattern)
}

# bitbucket.repo.metadata: one repository, its branches, tags and default branch.
rules contains "bitbucket.repo.metadata" if {
	api_get
	some rest in [[], ["branches"], ["tags"], ["default-branch"]]
	repo(rest)
}

# bitbucket.pulls.read: open pull requests and one pull request (metadata, no diff).
rules contains "bitbucket.pulls.read" if {
	api_get
	repo(["pull-requests"])
}

rules contains "bitbucket.pulls.read" if {
	api_get
	repo(["pull-requests", ":id"])
	match.positive_integer(segments[5])
}

# bitbucket.files.manifest: a manifest or lock file at any depth, through browse (JSON lines)
# or raw. https://developer.atlassian.com/server/bitbucket/rest/v906/api-group-repository/
rules contains "bitbucket.files.manifest" if {
	api_get
	some kind in ["browse", "raw"]
	repo_below([kind])
	files.dependency_manifest(match.last(segments))
}

# bitbucket.pulls.comment.create: scan results as a pull request comment, general or anchored
# to a file line: {"text", "anchor"?}.
rules contains "bitbucket.pulls.comment.create" if {
	send("api", "POST")
	repo(["pull-requests", ":id", "comments"])
	match.positive_integer(segments[5])
	body.fields_within(request_body, {"text", "anchor"})
	body.strings(request_body, {"text"})
	anchor(object.get(request_body, "anchor", {}))
}

anchor(a) if {
	body.fields_within(a, {"path", "line", "lineType", "fileType", "diffType", "srcPath", "fromHash", "toHash"})
	body.optional_strings(a, {"path", "lineType", "fileType", "diffType", "srcPath", "fromHash", "toHash"})
	body.optional_numbers(a, {"line"})
}

# bitbucket.pulls.comment.update: edit such a comment on a rescan: {"text", "version"}.
rules contains "bitbucket.pulls.comment.update" if {
	send("api", "PUT")
	repo(["pull-requests", ":id", "comments", ":comment_id"])
	match.positive_integer(segments[5])
	match.positive_integer(segments[7])
	body.fields_within(request_body, {"text", "version"})
	body.strings(request_body, {"text"})
	is_number(request_body.version)
}

build_states := {"SUCCESSFUL", "FAILED", "INPROGRESS"}

# bitbucket.builds.create: report the scan as a build status of a commit, through the
# build-status API on the rest surface: {state, key, url, name?, description?}.
# https://developer.atlassian.com/server/bitbucket/how-tos/updating-build-status-for-commits/
rules contains "bitbucket.builds.create" if {
	send("rest", "POST")
	match.path(segments, ["build-status", "1.0", "commits", ":sha"])
	commit_id(segments[3])
	build_status(request_body)
}

# bitbucket.builds.create: the same through the repository-scoped API (Data Center 7.4+).
rules contains "bitbucket.builds.create" if {
	send("api", "POST")
	repo(["commits", ":sha", "builds"])
	commit_id(segments[5])
	build_status(request_body)
}

build_status(b) if {
	body.fields_within(b, {"state", "key", "url", "name", "description", "buildNumber", "duration", "parent", "ref"})
	body.one_of(b, "state", build_states)
	body.strings(b, {"key", "url"})
	body.optional_strings(b, {"name", "description", "buildNumber", "parent", "ref"})
	body.optional_numbers(b, {"duration"})
}

commit_id(s) if match.commit_id(s)

# ---------------------------------------------------------------------------------------------
# Only with allow_code_access=true.
# ---------------------------------------------------------------------------------------------

# bitbucket.code.files: any file (browse, raw), the file list, commits with diffs, diffs,
# comparisons and pull request diffs.
code_rules contains "bitbucket.code.files" if {
	api_get
	some kind in ["browse", "raw", "files", "commits", "diff", "compare"]
	match.path_or_below(segments, ["projects", project, "repos", ":slug", kind])
}

code_rules contains "bitbucket.code.files" if {
	api_get
	repo(["pull-requests", ":id", "diff"])
	match.positive_integer(segments[5])
}

# bitbucket.code.archive: the repository as a zip or tar at a commit.
code_rules contains "bitbucket.code.archive" if {
	api_get
	repo(["archive"])
}

# ---------------------------------------------------------------------------------------------
# With allow_git_clone=true or allow_code_access=true: clone, /scm/<project>/<repo>.git.
# ---------------------------------------------------------------------------------------------

# bitbucket.clone.refs: the ref advertisement of the fetch service.
clone_rules contains "bitbucket.clone.refs" if {
	input.integration.surface == "git"
	git.refs(input.request, [owner(segments[0]), ":repo"])
	git.repository_name(segments[1])
}

# bitbucket.clone.pack: the pack download.
clone_rules contains "bitbucket.clone.pack" if {
	input.integration.surface == "git"
	git.upload_pack(input.request, [owner(segments[0]), ":repo"])
	git.repository_name(segments[1])
}

# ---------------------------------------------------------------------------------------------
# Only with allow_writes=true: the fix pull request flow.
# ---------------------------------------------------------------------------------------------

# bitbucket.writes.branch: create the fix branch (branch-utils API on the rest surface).
write_rules contains "bitbucket.writes.branch" if {
	send("rest", "POST")
	match.path(segments, ["branch-utils", "1.0", "projects", owner(segments[3]), "repos", ":slug", "branches"])
	body.fields_within(request_body, {"name", "startPoint", "message"})
	body.strings(request_body, {"name", "startPoint"})
	body.optional_strings(request_body, {"message"})
}

# bitbucket.writes.file: edit one manifest or lock file (PUT browse/<path>). The body is
# multipart/form-data (branch, content, message, sourceCommitId), which the policy cannot
# read: the rule therefore limits the path to a manifest name and the media type.
write_rules contains "bitbucket.writes.file" if {
	input.integration.surface == "api"
	input.request.method == "PUT"
	repo_below(["browse"])
	files.dependency_manifest(match.last(segments))
	input.request.content_type == "multipart/form-data"
}

# bitbucket.writes.pull: open the fix pull request.
write_rules contains "bitbucket.writes.pull" if {
	send("api", "POST")
	repo(["pull-requests"])
	body.fields_within(request_body, {"title", "description", "fromRef", "toRef", "draft"})
	body.strings(request_body, {"title"})
	body.optional_strings(request_body, {"description"})
	is_object(request_body.fromRef)
	is_object(request_body.toRef)
}

# ---------------------------------------------------------------------------------------------
# Only with allow_webhooks=true: repository webhooks with allowed URLs.
# ---------------------------------------------------------------------------------------------

# bitbucket.hooks.read: list the webhooks or read one.
webhook_rules contains "bitbucket.hooks.read" if {
	api_get
	repo(["webhooks"])
}

webhook_rules contains "bitbucket.hooks.read" if {
	api_get
	repo(["webhooks", ":id"])
	match.positive_integer(segments[5])
}

# bitbucket.hooks.create: create a webhook whose url is allowed.
webhook_rules contains "bitbucket.hooks.create" if {
	send("api", "POST")
	repo(["webhooks"])
	webhook(request_body)
}

# bitbucket.hooks.update: change such a webhook; the url must again be allowed.
webhook_rules contains "bitbucket.hooks.update" if {
	send("api", "PUT")
	repo(["webhooks", ":id"])
	match.positive_integer(segments[5])
	webhook(request_body)
}

# bitbucket.hooks.delete: remove a webhook when the scanner is disconnected.
webhook_rules contains "bitbucket.hooks.delete" if {
	input.integration.surface == "api"
	input.request.method == "DELETE"
	repo(["webhooks", ":id"])
	match.positive_integer(segments[5])
}

webhook(b) if {
	body.fields_within(b, {"name", "url", "events", "active", "configuration", "sslVerificationRequired"})
	flags.webhook_url(b.url)
	body.optional_strings(b, {"name"})
	body.string_list(object.get(b, "events", []))
	is_boolean(object.get(b, "active", true))
	object.get(b, "sslVerificationRequired", true) == true
	body.fields_within(object.get(b, "configuration", {}), {"secret"})
}
