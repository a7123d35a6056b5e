# GitHub's write and webhook tiers (package integrations.github; see github.rego for the
# package's conventions, its helpers and the other tiers).
package integrations.github

import data.lib.body
import data.lib.files
import data.lib.flags
import data.lib.match

# ---------------------------------------------------------------------------------------------
# Only with allow_writes=true: the fix pull request flow. A branch, manifest or lock file
# changes on that branch, a pull request. Files other than dependency manifests (workflows
# above all: .github/workflows runs with the repository's secrets) cannot be written.
# ---------------------------------------------------------------------------------------------

# github.writes.branch: create the fix branch, {"ref": "refs/heads/<name>", "sha": "<commit>"}.
# Only branches: a tag or any other ref namespace is refused.
# https://docs.github.com/en/rest/git/refs#create-a-reference
write_rules contains "github.writes.branch" if {
	route == "api POST repos git"
	api_send("POST")
	match.path(segments, ["repos", ":owner", ":repo", "git", "refs"])
	body.fields_within(request_body, {"ref", "sha"})
	body.strings(request_body, {"ref", "sha"})
	startswith(request_body.ref, "refs/heads/")
	count(request_body.ref) > count("refs/heads/")
	commit_sha(request_body.sha)
}

# github.writes.contents: create or update one manifest or lock file on a named branch (the
# branch is required, so the default branch is never written implicitly).
# https://docs.github.com/en/rest/repos/contents#create-or-update-file-contents
write_rules contains "github.writes.contents" if {
	route == "api PUT repos contents"
	api_send("PUT")
	match.path_below(segments, ["repos", ":owner", ":repo", "contents"])
	file_path(4)
	files.dependency_manifest(match.last(segments))
	body.fields_within(request_body, {"message", "content", "sha", "branch", "committer", "author"})
	body.strings(request_body, {"message", "content", "branch"})
	body.optional_strings(request_body, {"sha"})
	person(object.get(request_body, "committer", {}))
	person(object.get(request_body, "author", {}))
}

# github.writes.pull: open the fix pull request from the fix branch.
# https://docs.github.com/en/rest/pulls/pulls#create-a-pull-request
write_rules contains "github.writes.pull" if {
	route == "api POST repos pulls"
	api_send("POST")
	match.path(segments, ["repos", ":owner", ":repo", "pulls"])
	body.fields_within(request_body, {"title", "head", "base", "body", "draft", "maintainer_can_modify"})
	body.strings(request_body, {"title", "head", "base"})
	body.optional_strings(request_body, {"body"})
}

person(p) if {
	body.fields_within(p, {"name", "email", "date"})
	body.optional_strings(p, {"name", "email", "date"})
}

# ---------------------------------------------------------------------------------------------
# Only with allow_webhooks=true: repository and organization webhooks, for push and pull
# request events, pointing only at callback URLs listed in allowed_webhook_urls.
# ---------------------------------------------------------------------------------------------

# hooks_path(rest): /repos/:owner/:repo/hooks<rest> or /orgs/:org/hooks<rest>.
hooks_path(rest) if {
	segments[0] == "repos"
	segments[3] == "hooks"
	match.path(segments, array.concat(["repos", ":owner", ":repo", "hooks"], rest))
}

hooks_path(rest) if {
	segments[0] == "orgs"
	segments[2] == "hooks"
	match.path(segments, array.concat(["orgs", ":org", "hooks"], rest))
}

# github.hooks.read: list the hooks, or read one, to find the scanner's own.
webhook_rules contains "github.hooks.read" if {
	api_get
	hooks_path([])
}

webhook_rules contains "github.hooks.read" if {
	api_get
	hooks_path([":hook_id"])
	match.positive_integer(match.last(segments))
}

# github.hooks.create: create a hook whose config.url is an allowed callback URL, verified over
# TLS (insecure_ssl, when given, must be "0").
# https://docs.github.com/en/rest/repos/webhooks#create-a-repository-webhook
webhook_rules contains "github.hooks.create" if {
	api_send("POST")
	hooks_path([])
	body.fields_within(request_body, {"name", "config", "events", "active"})
	object.get(request_body, "name", "web") == "web"
	hook_config(request_body.config)
	hook_events(request_body)
}

# github.hooks.update: change such a hook; the new config must again name an allowed URL.
webhook_rules contains "github.hooks.update" if {
	api_send("PATCH")
	hooks_path([":hook_id"])
	match.positive_integer(match.last(segments))
	body.fields_within(request_body, {"config", "events", "add_events", "remove_events", "active"})
	hook_config(request_body.config)
	hook_events(request_body)
}

# github.hooks.delete: remove a hook when the customer disconnects the scanner.
webhook_rules contains "github.hooks.delete" if {
	surface_method == "api DELETE"
	hooks_path([":hook_id"])
	match.positive_integer(match.last(segments))
}

hook_config(config) if {
	body.fields_within(config, {"url", "content_type", "secret", "insecure_ssl"})
	flags.webhook_url(config.url)
	body.optional_strings(config, {"content_type", "secret"})
	object.get(config, "insecure_ssl", "0") == "0"
}

hook_events(b) if {
	every field in {"events", "add_events", "remove_events"} {
		body.string_list(object.get(b, field, []))
	}
	is_boolean(object.get(b, "active", true))
}
