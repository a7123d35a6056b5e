# Rules for Azure DevOps Server (integration type "azure-repos"): the flagged tiers. The
# package, its helpers (segments, repo, api_get, api_send) and the always-on rules are in
# azure-repos.rego, which also explains the case-folded matching these rules share.
package integrations["azure-repos"]

import data.lib.body
import data.lib.files
import data.lib.flags
import data.lib.git
import data.lib.match

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

# The request with its case-folded segments, for the git helpers (IIS serves /_GIT/ too).
folded_request := {"method": input.request.method, "segments": segments, "query": input.request.query}

# azure.clone.refs: the ref advertisement of the fetch service.
clone_rules contains "azure.clone.refs" if {
	input.integration.surface in {"api", "git"}
	git.refs(folded_request, [":project", "_git", ":repo"])
}

# azure.clone.pack: the pack download.
clone_rules contains "azure.clone.pack" if {
	input.integration.surface in {"api", "git"}
	git.upload_pack(folded_request, [":project", "_git", ":repo"])
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
	repo(["pullrequests"])
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
	some pattern in [["_apis", "hooks", "subscriptions"], ["_apis", "hooks", "subscriptions", ":subscription"]]
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
	match.path(segments, ["_apis", "hooks", "subscriptions", ":subscription"])
	subscription(request_body)
}

# azure.hooks.delete: remove a subscription when the scanner is disconnected.
webhook_rules contains "azure.hooks.delete" if {
	input.integration.surface == "api"
	input.request.method == "DELETE"
	api_version
	match.path(segments, ["_apis", "hooks", "subscriptions", ":subscription"])
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
