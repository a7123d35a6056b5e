# Outbound rules for Azure DevOps Server service hooks (eventType in the body). Its git.push
# event lists commits without their files, so a push is relayed only when the relay opts in
# with the flag relay_unlisted_pushes; pull request activity is relayed.
package outbound.types["azure-repos"]

import data.outbound.files

# outbound.azure-repos.push.unlisted: a push, relayed only by the relay's choice (no file list).
allowed_by contains "outbound.azure-repos.push.unlisted" if {
	input.event.type == "git.push"
	files.unlisted_push_allowed
}

# outbound.azure-repos.pull_request: created, updated (new commits, status) or merged.
allowed_by contains "outbound.azure-repos.pull_request" if pull_request_events[input.event.type]

pull_request_events := {"git.pullrequest.created": true, "git.pullrequest.updated": true, "git.pullrequest.merged": true}

hints contains files.push_hint if input.event.type == "git.push"
