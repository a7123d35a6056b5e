# Outbound rules for GitLab webhooks (X-Gitlab-Event): pushes that change a manifest and merge
# request activity a scanner acts on. GitLab has no ping event (its "Test" button sends a push).
package outbound.types.gitlab

import data.outbound.files

# outbound.gitlab.push.manifest: dependencies may have changed; the SaaS rescans the branch.
allowed_by contains "outbound.gitlab.push.manifest" if {
	input.event.type == "Push Hook"
	files.manifest_changed
}

# outbound.gitlab.merge_request: opened, updated with new commits, reopened, closed or merged.
allowed_by contains "outbound.gitlab.merge_request" if {
	input.event.type == "Merge Request Hook"
	merge_request_actions[input.event.action]
}

merge_request_actions := {"open": true, "update": true, "reopen": true, "close": true, "merge": true}

hints contains files.push_hint if input.event.type == "Push Hook"

hints contains "this merge request action is not relayed (open, update, reopen, close, merge are)" if {
	input.event.type == "Merge Request Hook"
	not merge_request_actions[input.event.action]
}
