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
# Azure DevOps REST reference: https://learn.microsoft.com/rest/api/azure/devops/git/
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

hints contains "pushing (git-receive-pack) is never allowed through the broker" if git.push(input.request)

segments := input.request.segments

request_body := input.request.body

# api_version: the first api-version value is `<major>.<minor>` with an optional `-preview` or
# `-preview.<n>` ("7.1", "7.1-preview.1"): what `^[1-9][0-9]*\.[0-9]+(?:-preview(?:\.[0-9]+)?)?$`
# matches, checked without a regex (compiled on every evaluation in WASM).
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

api_version_only if {
	api_version
	count(input.request.query["api-version"]) == 1
}

api_get if {
	input.integration.surface == "api"
	input.request.method == "GET"
	api_version_only
}

api_send(method) if {
	input.integration.surface == "api"
	input.request.method == method
	api_version_only
	http.complete_body(input.request)
}

# Both spellings the documentation uses; the server compares path words case-insensitively.
pull_words := {"pullrequests", "pullRequests"}

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
	some word in pull_words
	repo([word])
}

rules contains "azure.pulls.read" if {
	api_get
	some word in pull_words
	repo([word, ":id"])
	match.positive_integer(match.last(segments))
}

# Query parameters of the items API that select one item and how it is returned; anything
# else (scopePath, recursionLevel, ...) lists or walks the tree.
item_parameters := {
	"api-version", "path", "includeContent", "$format", "download", "resolveLfs",
	"versionDescriptor.version", "versionDescriptor.versionType", "versionDescriptor.versionOptions",
}

# azure.items.manifest: one manifest or lock file at any depth, ?path=/dir/package.json.
# https://learn.microsoft.com/rest/api/azure/devops/git/items/get
rules contains "azure.items.manifest" if {
	api_get
	repo(["items"])
	count(object.keys(input.request.query) - item_parameters) == 0
	[path] := input.request.query.path
	files.manifest_path(path)
}

# azure.threads.create: scan results as a pull request thread (general or on a file):
# {"comments": [{"content", "commentType"?, "parentCommentId"?}], "status"?, "threadContext"?}.
# https://learn.microsoft.com/rest/api/azure/devops/git/pull-request-threads/create
rules contains "azure.threads.create" if {
	api_send("POST")
	some word in pull_words
	repo([word, ":id", "threads"])
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
	some word in pull_words
	repo([word, ":id", "threads", ":thread", "comments"])
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
	count(segments[count(segments) - 2]) == 40
	status(request_body)
}

rules contains "azure.statuses.create" if {
	api_send("POST")
	some word in pull_words
	repo([word, ":id", "statuses"])
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

# ---------------------------------------------------------------------------------------------
# Only with allow_code_access=true.
# ---------------------------------------------------------------------------------------------

# azure.code.git: any item or item list, trees, blobs, commits with changes, diffs.
code_rules contains "azure.code.git" if {
	api_get
	some kind in ["items", "trees", "blobs", "commits", "diffs"]
	repo_or_below(kind)
}

repo_or_below(kind) if {
	segments[1] == "_apis"
	match.path_or_below(segments, [":project", "_apis", "git", "repositories", ":repo", kind])
}

repo_or_below(kind) if {
	segments[0] == "_apis"
	match.path_or_below(segments, ["_apis", "git", "repositories", ":repo", kind])
}

# ---------------------------------------------------------------------------------------------
# With allow_git_clone=true or allow_code_access=true: /:project/_git/:repo (no .git suffix).
# ---------------------------------------------------------------------------------------------

# azure.clone.refs: the ref advertisement of the fetch service.
clone_rules contains "azure.clone.refs" if {
	input.integration.surface in {"api", "git"}
	git.refs(input.request, [":project", "_git", ":repo"])
}

# azure.clone.pack: the pack download.
clone_rules contains "azure.clone.pack" if {
	input.integration.surface in {"api", "git"}
	git.upload_pack(input.request, [":project", "_git", ":repo"])
}

# ---------------------------------------------------------------------------------------------
# Only with allow_writes=true: the fix pull request flow.
# ---------------------------------------------------------------------------------------------

# azure.writes.push: one push through the REST API that creates or updates a branch with
# commits that only add or edit manifest files. (This is the pushes API, not git-receive-pack.)
# https://learn.microsoft.com/rest/api/azure/devops/git/pushes/create
write_rules contains "azure.writes.push" if {
	api_send("POST")
	repo(["pushes"])
	body.fields_within(request_body, {"refUpdates", "commits"})
	[update] := request_body.refUpdates
	body.fields_within(update, {"name", "oldObjectId"})
	body.strings(update, {"name", "oldObjectId"})
	startswith(update.name, "refs/heads/")
	count(request_body.commits) > 0
	every commit in request_body.commits {
		manifest_commit(commit)
	}
}

manifest_commit(commit) if {
	body.fields_within(commit, {"comment", "changes"})
	body.strings(commit, {"comment"})
	count(commit.changes) > 0
	every change in commit.changes {
		body.fields_within(change, {"changeType", "item", "newContent"})
		body.one_of(change, "changeType", {"add", "edit"})
		body.fields_within(change.item, {"path"})
		files.manifest_path(change.item.path)
		body.fields_within(change.newContent, {"content", "contentType"})
		body.strings(change.newContent, {"content"})
		body.one_of(change.newContent, "contentType", {"rawtext", "base64encoded"})
	}
}

# azure.writes.pull: open the fix pull request.
write_rules contains "azure.writes.pull" if {
	api_send("POST")
	some word in pull_words
	repo([word])
	body.fields_within(request_body, {"sourceRefName", "targetRefName", "title", "description", "isDraft"})
	body.strings(request_body, {"sourceRefName", "targetRefName", "title"})
	body.optional_strings(request_body, {"description"})
}

# ---------------------------------------------------------------------------------------------
# Only with allow_webhooks=true: service hook subscriptions (Web Hooks consumer only).
# ---------------------------------------------------------------------------------------------

# azure.hooks.read: list the subscriptions or read one.
webhook_rules contains "azure.hooks.read" if {
	api_get
	some pattern in [["_apis", "hooks", "subscriptions"], ["_apis", "hooks", "subscriptions", ":id"]]
	match.path(segments, pattern)
}

# azure.hooks.create: subscribe the Web Hooks consumer (httpRequest) at an allowed URL to a
# Team Foundation Server event. https://learn.microsoft.com/azure/devops/service-hooks/services/webhooks
webhook_rules contains "azure.hooks.create" if {
	api_send("POST")
	match.path(segments, ["_apis", "hooks", "subscriptions"])
	subscription(request_body)
}

# azure.hooks.update: replace such a subscription; the URL must again be allowed.
webhook_rules contains "azure.hooks.update" if {
	api_send("PUT")
	match.path(segments, ["_apis", "hooks", "subscriptions", ":id"])
	subscription(request_body)
}

# azure.hooks.delete: remove a subscription when the scanner is disconnected.
webhook_rules contains "azure.hooks.delete" if {
	input.integration.surface == "api"
	input.request.method == "DELETE"
	api_version_only
	match.path(segments, ["_apis", "hooks", "subscriptions", ":id"])
}

subscription(s) if {
	body.fields_within(s, {"publisherId", "eventType", "resourceVersion", "consumerId", "consumerActionId", "publisherInputs", "consumerInputs"})
	s.publisherId == "tfs"
	s.consumerId == "webHooks"
	s.consumerActionId == "httpRequest"
	body.strings(s, {"eventType"})
	body.optional_strings(s, {"resourceVersion"})
	is_object(object.get(s, "publisherInputs", {}))
	body.fields_within(s.consumerInputs, {"url", "httpHeaders", "resourceDetailsToSend", "messagesToSend", "detailedMessagesToSend"})
	flags.webhook_url(s.consumerInputs.url)
}
