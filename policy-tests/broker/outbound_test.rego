# Tests of the broker/outbound entrypoint (relayed webhooks).
package broker.outbound_test

import data.fixtures

webhook := object.union(
	fixtures.request({"method": "POST", "segments": ["relay", "scanner"], "body": {"action": "opened"}}),
	{"direction": "outbound"},
)

test_default_deny if {
	got := data.broker.outbound with input as webhook
	got == {"allow": false, "rule": "broker.outbound.deny.default", "reasons": ["no outbound rule"], "status": 403}
}

test_allowed_by_outbound_rule if {
	got := data.broker.outbound with input as webhook
		with data.outbound.allowed_by as {"outbound.scanner.pull_request"}
	got == {
		"allow": true,
		"rule": "outbound.scanner.pull_request",
		"reasons": ["allowed by outbound.scanner.pull_request"],
	}
}

test_inbound_direction_denied if {
	got := data.broker.outbound with input as object.union(webhook, {"direction": "inbound"})
		with data.outbound.allowed_by as {"outbound.any"}
	got.allow == false
	got.rule == "broker.outbound.deny.direction"
	got.reasons == ["broker/outbound judges relayed webhooks only, not direction inbound"]
}

test_wrong_version_denied if {
	got := data.broker.outbound with input as object.union(webhook, {"version": "v0"})
		with data.outbound.allowed_by as {"outbound.any"}
	got.allow == false
	got.rule == "broker.outbound.deny.input_version"
}
