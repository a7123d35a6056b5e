# Entrypoint broker/outbound: judges one relayed webhook (input document v1 with direction
# "outbound", received on POST /relay/<name> from the customer's SCM after its signature was
# verified, and sent to a SaaS through the tunnel).
#
# Same decision shape as broker/decision. Default deny (the webhook is dropped, with reasons).
# It dispatches on input.integration.type to the package data.outbound.types.<type> (shipped in
# policies/outbound/, one per SCM), which provides:
#   allowed_by  set of ids of its rules that relay the webhook (required for a type to relay)
#   deny        set of reasons to drop it even when a rule relays it (optional)
#   hints       set of reasons added when nothing relays it (optional)
#   remove      set of body fields (dot paths) to remove before relaying (optional)
# Customers add rules of their own to the package data.outbound (allowed_by and deny, for any
# type) or to a type's package (data.outbound.types.<type>), in Rego next to ours.
#
# Besides the v1 fields the outbound input carries input.relay ({name, flags}) and
# input.event ({type, action, delivery_id, changed_files, files_listed}); see docs/relay.md.
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
} else := deny("broker.outbound.deny.relay_deny", sort(outbound_denies)) if {
	count(outbound_denies) > 0
} else := with_removals(allow(sort(outbound_allowed_by))) if {
	count(outbound_allowed_by) > 0
} else := deny("broker.outbound.deny.no_matching_rule", array.concat([outbound_no_rule_reason], sort(outbound_hints)))

outbound_direction if input.direction == "outbound"

# The customer's own rules (package outbound) and the type's (package outbound.<type>).
outbound_allowed_by := {id | some id in data.outbound.allowed_by} | {id | some id in outbound_type_package.allowed_by}

outbound_denies := {r | some r in data.outbound.deny} | {r | some r in outbound_type_package.deny}

outbound_hints := {r | some r in outbound_type_package.hints}

# Body fields (dot paths, e.g. "head_commit.message") that the customer's rules (package outbound)
# and the type's package name in a `remove` set: the allow names them and the relay removes them,
# with its own, before the webhook leaves.
outbound_removes := {p | some p in data.outbound.remove} | {p | some p in outbound_type_package.remove}

with_removals(d) := d if {
	count(outbound_removes) == 0
} else := object.union(d, {"remove": sort(outbound_removes)})

# The type's package, or an empty object for a type without one (nothing of it relays).
outbound_type_package := data.outbound.types[input.integration.type] if {
	is_string(input.integration.type)
	is_object(data.outbound.types[input.integration.type])
} else := {}

outbound_direction_reason := concat("", [
	"broker/outbound judges relayed webhooks only, not direction ",
	text.show(object.get(input, "direction", null)),
])

outbound_no_rule_reason := concat("", [
	"no outbound rule of integration type ", text.show(object.get(input.integration, "type", null)),
	" relays event ", text.show(object.get(object.get(input, "event", {}), "type", null)),
	" of relay ", text.show(object.get(object.get(input, "relay", {}), "name", null)),
])
