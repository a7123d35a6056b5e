# GitLab rules that change the upstream: the fix merge request flow (allow_writes) and project
# hooks (allow_webhooks). Part of package integrations.gitlab (see gitlab.rego, which has the
# helpers api_get, api_send, project and ref_name). No rule here that sends a body accepts a
# query parameter (data.types.gitlab.query_params has no entry for them): GitLab merges the
# query string into the body.
package integrations.gitlab

import data.lib.body
import data.lib.files
import data.lib.flags
import data.lib.match

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
	branch_name(request_body.branch)
	branch_name(request_body.ref)
}

# branch_name(s): a string that is a valid branch or tag name (":ref" grammar and ref_name).
branch_name(s) if {
	match.name(s, ":ref")
	ref_name(s)
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
	hook(request_body)
}

# gitlab.hooks.delete: remove a hook when the scanner is disconnected.
webhook_rules contains "gitlab.hooks.delete" if {
	input.integration.surface == "api"
	input.request.method == "DELETE"
	project(["hooks", ":hook_id"])
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
