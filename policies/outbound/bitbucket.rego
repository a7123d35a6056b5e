# Outbound rules for Bitbucket Data Center webhooks (X-Event-Key). Its push event
# (repo:refs_changed) lists no changed files, so a push is relayed only when the relay opts in
# with the flag relay_unlisted_pushes; pull request activity and the test ping are relayed.
package outbound.types.bitbucket

import data.outbound.files

# outbound.bitbucket.ping: sent by "Test connection" in the webhook settings.
allowed_by contains "outbound.bitbucket.ping" if input.event.type == "diagnostics:ping"

# outbound.bitbucket.push.unlisted: a push, relayed only by the relay's choice (no file list).
allowed_by contains "outbound.bitbucket.push.unlisted" if {
	input.event.type == "repo:refs_changed"
	files.unlisted_push_allowed
}

# outbound.bitbucket.pull_request: opened, new commits on the source branch, merged, declined.
allowed_by contains "outbound.bitbucket.pull_request" if pull_request_events[input.event.type]

pull_request_events := {"pr:opened": true, "pr:from_ref_updated": true, "pr:merged": true, "pr:declined": true}

hints contains files.push_hint if input.event.type == "repo:refs_changed"
