# Tests of the broker/outbound entrypoint (relayed webhooks): the mechanism (version,
# direction, dispatch on type, customer rules, deny wins, hints). What each type relays is in
# policy-tests/outbound/.
package broker.outbound_test

import data.outbound.tests.fixtures

webhook := fixtures.webhook({"event": "issues", "action": "opened"})

test_nothing_relays_an_issue_event if {
	got := data.broker.outbound with input as webhook
	got.allow == false
	got.rule == "broker.outbound.deny.no_matching_rule"
	got.status == 403
	got.reasons == ["no outbound rule of integration type github relays event issues of relay scanner"]
}

test_allowed_by_customer_outbound_rule if {
	got := data.broker.outbound with input as webhook
		with data.outbound.allowed_by as {"outbound.scanner.issues"}
	got == {
		"allow": true,
		"rule": "outbound.scanner.issues",
		"reasons": ["allowed by outbound.scanner.issues"],
	}
}

test_customer_deny_wins if {
	got := data.broker.outbound with input as fixtures.webhook({"event": "ping"})
		with data.outbound.deny as {"no pings from this relay"}
	got.allow == false
	got.rule == "broker.outbound.deny.relay_deny"
	got.reasons == ["no pings from this relay"]
}

test_unknown_type_relays_nothing if {
	got := data.broker.outbound with input as fixtures.webhook({"type": "jira", "event": "ping"})
	got.allow == false
	got.rule == "broker.outbound.deny.no_matching_rule"
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

test_default_when_input_unusable if {
	got := data.broker.outbound with input as {"version": "rego-broker/v1", "direction": "outbound", "integration": {"type": "github"}}
	got.allow == false
}

# An allow names the body fields the customer's rules and the type's package want removed.
test_allow_names_fields_to_remove if {
	got := data.broker.outbound with input as webhook
		with data.outbound.allowed_by as {"outbound.scanner.pull_request"}
		with data.outbound.remove as {"pull_request.body", "sender.login"}
	got.allow == true
	got.remove == ["pull_request.body", "sender.login"]
}

test_allow_without_removals_has_no_remove if {
	got := data.broker.outbound with input as webhook
		with data.outbound.allowed_by as {"outbound.scanner.pull_request"}
	not got.remove
}
