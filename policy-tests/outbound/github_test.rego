# What the shipped GitHub outbound rules relay: pushes changing a manifest, lock or .snyk
# file, pull request activity, ping. Cases follow GitHub's webhook payloads
# (docs.github.com "Webhook events and payloads").
package outbound.tests.github

import data.outbound.tests.fixtures

decide(c) := d if {
	d := data.broker.outbound with input as fixtures.webhook(c)
}

test_push_with_manifest_relayed if {
	got := decide({"event": "push", "files": ["src/app.js", "package.json"]})
	got.allow == true
	got.rule == "outbound.github.push.manifest"
}

test_push_with_nested_lock_file_relayed if decide({"event": "push", "files": ["services/api/go.sum"]}).allow

test_push_with_snyk_policy_relayed if decide({"event": "push", "files": [".snyk"]}).allow

test_push_with_source_only_dropped if {
	got := decide({"event": "push", "files": ["src/app.js", "README.md"]})
	got.allow == false
	got.rule == "broker.outbound.deny.no_matching_rule"
	"the push changes no dependency manifest, lock file or .snyk policy file" in got.reasons
}

test_push_with_lookalike_names_dropped if {
	not decide({"event": "push", "files": ["package.json.bak", "notpackage.json", "Package.json"]}).allow
}

test_push_with_no_files_dropped if not decide({"event": "push", "files": []}).allow

test_ping_relayed if decide({"event": "ping"}).rule == "outbound.github.ping"

test_pull_request_actions_relayed if {
	every action in ["opened", "synchronize", "reopened", "closed"] {
		decide({"event": "pull_request", "action": action}).rule == "outbound.github.pull_request"
	}
}

test_pull_request_other_actions_dropped if {
	got := decide({"event": "pull_request", "action": "labeled"})
	got.allow == false
	"pull_request action labeled is not relayed (opened, synchronize, reopened, closed are)" in got.reasons
}

test_other_events_dropped if {
	every event in ["issues", "release", "repository", "member", "deployment"] {
		not decide({"event": event, "action": "created"}).allow
	}
}
