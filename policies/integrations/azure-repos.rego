# Rules for Azure DevOps Server and Azure Repos (integration type "azure-repos").
#
# The api surface is the collection URL (https://ado.example.com/tfs/DefaultCollection); the
# git surface shares it, so clone requests also arrive on "api". Repository APIs are
# /:project/_apis/git/repositories/:repo/..., or /_apis/git/repositories/:repo/... with a
# repository id. Every /_apis request must name its API version in `api-version` (one value
# such as 7.1 or 7.1-preview.1), as the server requires; clone requests have none.
#
#   rules          always on: projects, repositories, refs, pull requests, manifest and lock
#                  files (items?path=), pull request threads and comments, statuses
#   code_rules     allow_code_access: any item, trees, blobs, commits, diffs
#   clone_rules    allow_git_clone or allow_code_access: git clone (git-upload-pack only)
#   write_rules    allow_writes: fix pull requests (a push that adds or edits manifests, PR)
#   webhook_rules  allow_webhooks: service hook subscriptions with allowed URLs
#
# Never allowed: pushing over git (git-receive-pack), policy, permissions, security and
# service endpoints (credentials).
#
# The flagged tiers (code, clone, writes, webhooks) are in azure-repos-flagged.rego, the same
# package.
#
# Azure DevOps REST reference: https://learn.microsoft.com/rest/api/azure/devops/git/
#
# Case: the server runs on IIS and compares path words and names case-insensitively
# ("_APIS/GIT/Repositories/App/PullRequests" is the same resource as
# "_apis/git/repositories/app/pullrequests"). The rules therefore match the case-folded view
# input.request.segments_folded against lower-case patterns: they accept every spelling the
# server accepts, and since no rule denies by a name, folding cannot let a request past a
# deny. Query parameter names are not folded: an unlisted spelling ("PATH", "Api-Version") is
# refused by the allowlist, so a second value that ASP.NET would merge is never accepted.
#
# policies/types/azure-repos/data.json holds, per rule id, the query parameters it accepts
# (lib/query.rego; every /_apis rule lists api-version, whose value the rules check); the
# grammar of each placeholder (lib/match.rego): project and repository names per Azure
# DevOps' naming restrictions, ASCII only (letters, digits, spaces and a few punctuation
# marks; never "/", a backslash, ";", "%", or a leading "_" or "."), numeric ids, commit ids
# and subscription GUIDs; and item_formats, the $format values azure.items.manifest accepts.
package integrations["azure-repos"]

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

hints contains "requests to /_apis need exactly one api-version query parameter, e.g. api-version=7.1" if {
	"_apis" in segments
	not api_version
}

hints contains "pushing (git-receive-pack) is never allowed through the broker" if git.push(folded_request)

# The case-folded segments (see "Case" above); patterns below are lower-case.
segments := input.request.segments_folded

request_body := input.request.body

# api_version: the first api-version value is `<major>.<minor>` with an optional `-preview` or
# `-preview.<n>` ("7.1", "7.1-preview.1"): what `^[1-9][0-9]*\.[0-9]+(?:-preview(?:\.[0-9]+)?)?$`
# matches, checked without a regex (compiled on every evaluation in WASM). That it is given
# only once is checked with every other parameter by lib/query.rego (a repeat is refused).
api_version if {
	parts := split(input.request.query["api-version"][0], "-")
	[major, minor] := split(parts[0], ".")
	match.positive_integer(major)
	match.digits(minor)
	api_version_label(array.slice(parts, 1, count(parts)))
}

api_version_label([])

api_version_label(["preview"])

api_version_label([label]) if {
	startswith(label, "preview.")
	match.digits(substring(label, count("preview."), -1))
}

api_get if {
	input.integration.surface == "api"
	input.request.method == "GET"
	api_version
}

api_send(method) if {
	input.integration.surface == "api"
	input.request.method == method
	api_version
	http.complete_body(input.request)
}

# repo(rest): /:project/_apis/git/repositories/:repo<rest> or the collection-level form.
repo(rest) if {
	segments[1] == "_apis"
	match.path(segments, array.concat([":project", "_apis", "git", "repositories", ":repo"], rest))
}

repo(rest) if {
	segments[0] == "_apis"
	match.path(segments, array.concat(["_apis", "git", "repositories", ":repo"], rest))
}

# ---------------------------------------------------------------------------------------------
# Always on.
# ---------------------------------------------------------------------------------------------

# azure.projects.read: the collection's projects, to import them.
rules contains "azure.projects.read" if {
	api_get
	some pattern in [["_apis", "projects"], ["_apis", "projects", ":project"]]
	match.path(segments, pattern)
}

# azure.repos.read: repositories of a project or the collection, one repository, its refs
# (branches and tags with their head commits).
rules contains "azure.repos.read" if {
	api_get
	some pattern in [["_apis", "git", "repositories"], [":project", "_apis", "git", "repositories"]]
	match.path(segments, pattern)
}

rules contains "azure.repos.read" if {
	api_get
	some rest in [[], ["refs"]]
	repo(rest)
}

# azure.pulls.read: pull requests of a repository and one pull request (metadata, no diff).
rules contains "azure.pulls.read" if {
	api_get
	repo(["pullrequests"])
}

rules contains "azure.pulls.read" if {
	api_get
	repo(["pullrequests", ":id"])
	match.positive_integer(match.last(segments))
}

# azure.items.manifest: one manifest or lock file at any depth, ?path=/dir/package.json.
# Its query allowlist (data.json) has only the parameters that select one item and how it is
# returned; scopePath, recursionLevel and the like list or walk the tree. $format=zip would
# pack a folder (a folder may be named package.json), so only json, text and octetStream.
# https://learn.microsoft.com/rest/api/azure/devops/git/items/get
rules contains "azure.items.manifest" if {
	api_get
	repo(["items"])
	[path] := input.request.query.path
	files.manifest_path(path)
	item_format
}

item_format if not input.request.query["$format"]

item_format if data.types["azure-repos"].item_formats[lower(input.request.query["$format"][0])]

# azure.threads.create: scan results as a pull request thread (general or on a file):
# {"comments": [{"content", "commentType"?, "parentCommentId"?}], "status"?, "threadContext"?}.
# https://learn.microsoft.com/rest/api/azure/devops/git/pull-request-threads/create
rules contains "azure.threads.create" if {
	api_send("POST")
	repo(["pullrequests", ":id", "threads"])
	match.positive_integer(segments[count(segments) - 2])
	body.fields_within(request_body, {"comments", "status", "threadContext"})
	count(request_body.comments) > 0
	every c in request_body.comments {
		thread_comment(c)
	}
	body.optional_strings(request_body, {"status"})
	thread_context(object.get(request_body, "threadContext", {}))
}

thread_context(c) if {
	body.fields_within(c, {"filePath", "rightFileStart", "rightFileEnd", "leftFileStart", "leftFileEnd"})
	body.optional_strings(c, {"filePath"})
}

# azure.threads.comment: a reply in such a thread: {"content", "parentCommentId"?,
# "commentType"?}.
rules contains "azure.threads.comment" if {
	api_send("POST")
	repo(["pullrequests", ":id", "threads", ":thread", "comments"])
	match.positive_integer(segments[count(segments) - 2])
	thread_comment(request_body)
}

thread_comment(c) if {
	body.fields_within(c, {"content", "parentCommentId", "commentType"})
	body.strings(c, {"content"})
	body.optional_numbers(c, {"parentCommentId"})
	body.optional_strings(c, {"commentType"})
}

status_states := {"error", "failed", "notApplicable", "notSet", "pending", "succeeded"}

# azure.statuses.create: the scan result as a status on a commit or a pull request:
# {"state", "description"?, "targetUrl"?, "context": {"name", "genre"?}}.
# https://learn.microsoft.com/rest/api/azure/devops/git/statuses/create
rules contains "azure.statuses.create" if {
	api_send("POST")
	repo(["commits", ":sha", "statuses"])
	match.commit_id(segments[count(segments) - 2])
	status(request_body)
}

rules contains "azure.statuses.create" if {
	api_send("POST")
	repo(["pullrequests", ":id", "statuses"])
	match.positive_integer(segments[count(segments) - 2])
	status(request_body)
}

status(s) if {
	body.fields_within(s, {"state", "description", "targetUrl", "context"})
	body.one_of(s, "state", status_states)
	body.optional_strings(s, {"description", "targetUrl"})
	body.fields_within(s.context, {"name", "genre"})
	body.strings(s.context, {"name"})
	body.optional_strings(s.context, {"genre"})
}
