# What the shipped GitLab, Bitbucket Data Center and Azure DevOps Server outbound rules relay.
package outbound.tests.scm

import data.outbound.tests.fixtures

decide(c) := d if {
	d := data.broker.outbound with input as fixtures.webhook(c)
}

test_gitlab_push_with_manifest_relayed if {
	decide({"type": "gitlab", "event": "Push Hook", "files": ["pom.xml"]}).rule == "outbound.gitlab.push.manifest"
}

test_gitlab_push_without_manifest_dropped if {
	got := decide({"type": "gitlab", "event": "Push Hook", "files": ["lib/a.rb"]})
	got.allow == false
	"the push changes no dependency manifest, lock file or .snyk policy file" in got.reasons
}

test_gitlab_merge_request_actions if {
	every action in ["open", "update", "reopen", "close", "merge"] {
		decide({"type": "gitlab", "event": "Merge Request Hook", "action": action}).allow
	}
	got := decide({"type": "gitlab", "event": "Merge Request Hook", "action": "approved"})
	got.allow == false
	"this merge request action is not relayed (open, update, reopen, close, merge are)" in got.reasons
}

test_gitlab_other_events_dropped if not decide({"type": "gitlab", "event": "Issue Hook"}).allow

test_bitbucket_ping_and_pull_requests if {
	decide({"type": "bitbucket", "event": "diagnostics:ping"}).rule == "outbound.bitbucket.ping"
	every event in ["pr:opened", "pr:from_ref_updated", "pr:merged", "pr:declined"] {
		decide({"type": "bitbucket", "event": event}).rule == "outbound.bitbucket.pull_request"
	}
}

test_bitbucket_push_needs_opt_in if {
	got := decide({"type": "bitbucket", "event": "repo:refs_changed", "listed": false})
	got.allow == false
	"the payload lists no changed files (set the relay flag relay_unlisted_pushes to relay such pushes)" in got.reasons
	decide({"type": "bitbucket", "event": "repo:refs_changed", "listed": false, "flags": {"relay_unlisted_pushes": true}}).rule == "outbound.bitbucket.push.unlisted"
}

test_bitbucket_other_events_dropped if not decide({"type": "bitbucket", "event": "pr:comment:added"}).allow

test_azure_pull_requests if {
	every event in ["git.pullrequest.created", "git.pullrequest.updated", "git.pullrequest.merged"] {
		decide({"type": "azure-repos", "event": event}).rule == "outbound.azure-repos.pull_request"
	}
}

test_azure_push_needs_opt_in if {
	not decide({"type": "azure-repos", "event": "git.push", "listed": false}).allow
	decide({"type": "azure-repos", "event": "git.push", "listed": false, "flags": {"relay_unlisted_pushes": true}}).allow
}

test_azure_other_events_dropped if not decide({"type": "azure-repos", "event": "workitem.created"}).allow

# The opt-in is for payloads without a file list only: a listed push is judged on its files.
test_opt_in_does_not_relay_listed_pushes if {
	not decide({"type": "github", "event": "push", "files": ["src/a.c"], "flags": {"relay_unlisted_pushes": true}}).allow
}
