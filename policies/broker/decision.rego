# Entrypoint broker/decision: judges one inbound request (input document v1, see
# ARCHITECTURE.md "Policy input document") and returns exactly one decision object:
#
#   {"allow": true,  "rule": "<id of the allowing rule>", "reasons": [...]}
#   {"allow": false, "rule": "<id of the deny>", "reasons": [...], "status": 403}
#
# Default deny. `decision` is one else-chain plus a default, so it has exactly one value for
# any input: never undefined, never in conflict (a conflict is a runtime error in WASM).
#
# It dispatches on input.integration.type to the package data.integrations.<type>, which
# provides:
#   allowed_by  set of ids of its rules that allow the request (required)
#   deny        set of reasons that deny the request even when a rule allows it (optional)
#   hints       set of reasons added when nothing allows the request (optional)
#
# An integration may also opt into imported peer rules (flag `rulesets`, see
# policies/lib/peers/imported.rego): their ids join allowed_by as its rulesetMode says, never
# past the package's tier flags (lib/peers/limits.rego); the package's deny still wins.
#
# Two things are judged here for every type, so no rule can forget them:
#   - query parameters: a rule allows only when every query parameter is one it accepts, as
#     listed in data.types.<type>.query_params[<rule id>] (see lib/query.rego); an
#     unknown or repeated parameter is a deny whose reason names it;
#   - HEAD is judged as GET: it returns the same headers without the body.
package broker

import data.lib.peers
import data.lib.query
import data.lib.text

supported_version := "rego-broker/v1"

# HEAD is allowed wherever GET is (judged as GET by every rule and deny alike): its answer is
# the GET answer without the body. A rule written for HEAD itself (an imported one) still
# applies; otherwise a HEAD gets the GET decision and its reasons.
decision := verdict if {
	not input.request.method == "HEAD"
} else := verdict if {
	verdict.allow == true
} else := as_get

as_get := d if {
	d := verdict with input.request.method as "GET"
}

# Reached only if the input is so malformed that no branch below can even build its reasons.
default verdict := {
	"allow": false,
	"rule": "broker.deny.default",
	"reasons": ["no decision was reached for this input"],
	"status": 403,
}

verdict := deny("broker.deny.input_version", [version_reason]) if {
	not version_supported
} else := deny("broker.deny.direction", [direction_reason]) if {
	not inbound
} else := deny("broker.deny.unknown_integration_type", [unknown_type_reason]) if {
	not integration_known
} else := deny("broker.deny.integration_deny", sort(integration_denies)) if {
	count(integration_denies) > 0
} else := allow(sort(integration_allowed_by)) if {
	count(integration_allowed_by) > 0
} else := deny("broker.deny.query_parameter", sort(query_rejects)) if {
	count(query_rejects) > 0
} else := deny("broker.deny.no_matching_rule", array.concat([no_rule_reason], sort(integration_hints)))

# The gateway and the policy must agree on the input document's shape.
version_supported if input.version == supported_version

# Relayed webhooks (direction "outbound") are judged by broker/outbound, never here.
inbound if input.direction == "inbound"

# The type has a policy package that defines allowed_by (possibly empty for this request).
integration_known if {
	is_string(input.integration.type)
	_ := data.integrations[input.integration.type].allowed_by
}

# Or the integration is judged by imported rule sets (a type without a package of its own).
integration_known if peers.in_use

# The type's own ids that accept this request's query, combined with the imported rules' only
# when the integration uses them, in its rulesetMode and within the package's limits
# (lib/peers/limits.rego); the rule set lookups are skipped for the common case.
integration_allowed_by := own_accepted if {
	not peers.in_use
} else := peers.combined(own_accepted)

own_accepted := {id | some id in own_allowed_by; query.accepted(id)}

# The ids whose path, method and body match, before the query is judged.
own_allowed_by := {id | some id in data.integrations[input.integration.type].allowed_by}

# Why rules that match otherwise do not allow: each names the parameter and the rule.
query_rejects := {reason | some id in own_allowed_by; some reason in query.rejects(id)}

integration_denies := {r | some r in data.integrations[input.integration.type].deny}

integration_hints := own_hints if {
	not peers.in_use
} else := own_hints | peers.hints

own_hints := {r | some r in data.integrations[input.integration.type].hints}

# allow(ids): the first matching rule id (in sorted order) names the decision; the reasons
# list every rule that matched.
allow(ids) := {
	"allow": true,
	"rule": ids[0],
	"reasons": [concat("", ["allowed by ", id]) | some id in ids],
}

deny(rule, reasons) := {
	"allow": false,
	"rule": rule,
	"reasons": reasons,
	"status": 403,
}

version_reason := concat("", [
	"input version ", text.show(object.get(input, "version", null)),
	" is not supported; this policy reads ", supported_version,
])

direction_reason := concat("", [
	"broker/decision judges inbound requests only, not direction ",
	text.show(object.get(input, "direction", null)),
])

unknown_type_reason := concat("", [
	"integration type ", text.show(object.get(input, ["integration", "type"], null)),
	" has no policy package (data.integrations.<type>.allowed_by is not defined)",
])

no_rule_reason := concat("", [
	"no rule of integration ", text.show(object.get(input, ["integration", "type"], null)),
	" allows ", text.show(object.get(input, ["request", "method"], null)),
	" ", text.show(object.get(input, ["request", "route"], null)),
	" on surface ", text.show(object.get(input, ["integration", "surface"], null)),
])
