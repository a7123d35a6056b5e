# Entrypoint broker/outbound: judges one relayed webhook (input document v1 with direction
# "outbound", sent from the customer's network to a SaaS through POST /relay/<name>).
#
# Same decision shape as broker/decision. Default deny: a webhook is relayed only when a rule
# in the package data.outbound adds its id to the set data.outbound.allowed_by (none ship
# with the broker yet; see policies/README.md).
package broker

import data.lib.text

default outbound := {
	"allow": false,
	"rule": "broker.outbound.deny.default",
	"reasons": ["no outbound rule"],
	"status": 403,
}

outbound := deny("broker.outbound.deny.input_version", [version_reason]) if {
	not version_supported
} else := deny("broker.outbound.deny.direction", [outbound_direction_reason]) if {
	not outbound_direction
} else := allow(sort(outbound_allowed_by)) if {
	count(outbound_allowed_by) > 0
}

outbound_direction if input.direction == "outbound"

outbound_allowed_by := {id | some id in data.outbound.allowed_by}

outbound_direction_reason := concat("", [
	"broker/outbound judges relayed webhooks only, not direction ",
	text.show(object.get(input, "direction", null)),
])
