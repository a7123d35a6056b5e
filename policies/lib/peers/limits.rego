# How imported rules combine with the integration's own package, and the limits they never
# pass (docs/importers.md "Limits"). Configured per integration:
#   rulesetMode   union (default): the own rules and the admitted imported rules each allow;
#                 intersect: a request is allowed only when an own rule AND an imported rule
#                 allow it (imported rules can only narrow);
#                 replace: only imported rules allow, within the limits below.
#                 The policy sees it as flags.ruleset_mode, a one-element list.
#   disabledRules imported rule ids switched off (flags.disabled_rules).
#
# When the type has a package of its own, an imported rule is admitted (union, replace) only:
#   - for GET and HEAD when no tier flag that is off would be needed: if the own package would
#     allow the request with allow_code_access, allow_git_clone, allow_writes and allow_webhooks
#     on, but does not with the configured flags, the request belongs to a tier that is off;
#   - for any other method only when an own rule allows the request too, so writes, webhooks
#     and their URLs stay under the package's flags.
# The package's deny (and a customer's deny in it) is judged before any allow, imported or own.
package lib.peers

modes := {"union", "intersect", "replace"}

# An unknown mode (the configuration refuses one) is judged as the narrowest.
mode := "union" if {
	not input.integration.flags.ruleset_mode
} else := m if {
	[m] := input.integration.flags.ruleset_mode
	m in modes
} else := "intersect"

disabled contains id if {
	some id in input.integration.flags.disabled_rules
	is_string(id)
}

# Imported ids that allow the request, without the switched-off ones.
enabled_allowed_by := {id | some id in allowed_by; not id in disabled}

# The type has a package of its own, whose limits bind imported rules.
own_package if {
	is_string(input.integration.type)
	_ := data.integrations[input.integration.type].allowed_by
}

# Ids of the own rules whose path, method and body match (before the query is judged).
own_ids := {id | some id in data.integrations[input.integration.type].allowed_by}

tiers_on := {"allow_code_access": true, "allow_git_clone": true, "allow_writes": true, "allow_webhooks": true}

# The own package allows the request only with a tier flag that is off.
gated if {
	count(own_ids) == 0
	flags := object.union(object.get(input, ["integration", "flags"], {}), tiers_on)
	ids := data.integrations[input.integration.type].allowed_by with input.integration.flags as flags
	count(ids) > 0
}

safe_method if input.request.method in {"GET", "HEAD"}

# admitted(own): the imported ids that may allow, given the own ids that allow.
admitted(own) := enabled_allowed_by if {
	not own_package
} else := enabled_allowed_by if {
	safe_method
	not gated
} else := enabled_allowed_by if {
	count(own) > 0
} else := set()

# combined(own): the ids that allow the request, own and imported, in the configured mode.
combined(own) := own | admitted(own) if {
	mode == "union"
} else := own | enabled_allowed_by if {
	mode == "intersect"
	count(own) > 0
	count(enabled_allowed_by) > 0
} else := admitted(own) if {
	mode == "replace"
} else := set()
