# Tests of the broker/decision entrypoint itself: shape, version and direction checks,
# dispatch on integration type, integration-level denies. The GitHub rules are tested in
# integrations/github_test.rego.
package broker.decision_test

import data.fixtures

allowed := fixtures.request({"segments": ["repos", "acme", "app"]})

denied := fixtures.request({"segments": ["repos", "acme", "app", "collaborators"]})

test_allow_shape if {
	got := data.broker.decision with input as allowed
	got == {"allow": true, "rule": "github.repo.metadata", "reasons": ["allowed by github.repo.metadata"]}
}

test_deny_shape if {
	got := data.broker.decision with input as denied
	object.keys(got) == {"allow", "rule", "reasons", "status"}
	got.allow == false
	got.rule == "broker.deny.no_matching_rule"
	got.status == 403
	got.reasons == ["no rule of integration github allows GET /repos/acme/app/collaborators on surface api"]
}

test_wrong_version if {
	got := data.broker.decision with input as object.union(allowed, {"version": "rego-broker/v2"})
	got.allow == false
	got.rule == "broker.deny.input_version"
	got.reasons == ["input version rego-broker/v2 is not supported; this policy reads rego-broker/v1"]
}

test_missing_version if {
	got := data.broker.decision with input as object.remove(allowed, {"version"})
	got.rule == "broker.deny.input_version"
	got.reasons == ["input version null is not supported; this policy reads rego-broker/v1"]
}

test_non_string_version if {
	got := data.broker.decision with input as object.union(allowed, {"version": 1})
	got.rule == "broker.deny.input_version"
	got.reasons == ["input version 1 is not supported; this policy reads rego-broker/v1"]
}

test_empty_input if {
	got := data.broker.decision with input as {}
	got.allow == false
	got.rule == "broker.deny.input_version"
}

test_outbound_direction if {
	got := data.broker.decision with input as object.union(allowed, {"direction": "outbound"})
	got.allow == false
	got.rule == "broker.deny.direction"
	got.reasons == ["broker/decision judges inbound requests only, not direction outbound"]
}

test_unknown_integration_type if {
	got := data.broker.decision with input as fixtures.request({"type": "gerrit", "segments": ["projects"]})
	got.allow == false
	got.rule == "broker.deny.unknown_integration_type"
	got.reasons == ["integration type gerrit has no policy package (data.integrations.<type>.allowed_by is not defined)"]
}

test_missing_integration_type if {
	got := data.broker.decision with input as json.remove(allowed, ["integration/type"])
	got.rule == "broker.deny.unknown_integration_type"
	got.reasons == ["integration type null has no policy package (data.integrations.<type>.allowed_by is not defined)"]
}

test_non_string_integration_type if {
	got := data.broker.decision with input as fixtures.request({"type": ["github"], "segments": ["user"]})
	got.rule == "broker.deny.unknown_integration_type"
}

# A type whose package exists but has no allowed_by is unknown too: nothing could allow.
test_integration_package_without_allowed_by if {
	got := data.broker.decision with input as fixtures.request({"type": "custom", "segments": ["x"]})
		with data.integrations.custom as {"hints": {"x"}}
	got.rule == "broker.deny.unknown_integration_type"
}

# Customer packages plug in by type: an allowed_by set is all they need.
test_customer_integration_type if {
	got := data.broker.decision with input as fixtures.request({"type": "custom", "segments": ["x"]})
		with data.integrations.custom.allowed_by as {"custom.b", "custom.a"}
	got == {
		"allow": true,
		"rule": "custom.a",
		"reasons": ["allowed by custom.a", "allowed by custom.b"],
	}
}

# An integration's `deny` wins over any allow.
test_integration_deny_overrides_allow if {
	got := data.broker.decision with input as allowed
		with data.integrations.github.deny as {"repository acme/app is frozen"}
	got.allow == false
	got.rule == "broker.deny.integration_deny"
	got.reasons == ["repository acme/app is frozen"]
	got.status == 403
}

# A request with no method or route still gets a reason that can be read.
test_reason_with_missing_fields if {
	got := data.broker.decision with input as json.remove(denied, ["request/method", "request/route"])
	got.reasons == ["no rule of integration github allows null null on surface api"]
}

# Whatever the input, exactly one decision object with a boolean allow.
test_always_one_decision[name] if {
	some name, doc in {
		"allowed": allowed,
		"denied": denied,
		"empty": {},
		"no request": object.remove(allowed, {"request"}),
		"no integration": object.remove(allowed, {"integration"}),
		"request is a string": object.union(allowed, {"request": "GET /"}),
		"segments is a string": json.patch(allowed, [{"op": "replace", "path": "/request/segments", "value": "repos"}]),
	}
	got := data.broker.decision with input as doc
	is_boolean(got.allow)
	is_string(got.rule)
	is_array(got.reasons)
}

# Without a usable input nothing allows; only the default can answer.
test_default_decision if {
	got := data.broker.decision with input as "not an object"
	got.rule == "broker.deny.default"
	got.allow == false
}

# Query parameters: a rule allows only those listed for it (data.types.<type>.query_params).
manifest := fixtures.request({"segments": ["repos", "acme", "app", "contents", "package.json"], "query": {"ref": ["main"]}})

params := {"github.contents.manifest": {"ref": "why", "tags[]": "why"}}

test_query_parameter_listed if {
	got := data.broker.decision with input as manifest with data.types.github.query_params as params
	got.allow == true
}

test_query_parameter_unknown if {
	got := data.broker.decision with input as json.patch(manifest, [{"op": "add", "path": "/request/query/sudo", "value": ["root"]}])
		with data.types.github.query_params as params
	got.allow == false
	got.rule == "broker.deny.query_parameter"
	got.reasons == [`query parameter "sudo" is not accepted by rule github.contents.manifest (it accepts: ref, tags[])`]
}

test_query_parameter_repeated if {
	got := data.broker.decision with input as json.patch(manifest, [{"op": "replace", "path": "/request/query/ref", "value": ["main", "evil"]}])
		with data.types.github.query_params as params
	got.rule == "broker.deny.query_parameter"
	got.reasons == [`query parameter "ref" is given more than once`]
}

test_query_parameter_list_name_may_repeat if {
	got := data.broker.decision with input as json.patch(manifest, [{"op": "add", "path": "/request/query/tags[]", "value": ["a", "b"]}])
		with data.types.github.query_params as params
	got.allow == true
}

test_query_parameter_rule_without_entry if {
	got := data.broker.decision with input as manifest with data.lib.query.params as {}
	got.reasons == [`query parameter "ref" is not accepted by rule github.contents.manifest (it accepts: no query parameters)`]
}

# HEAD: allowed wherever GET is, denied wherever GET is.
test_head_allowed_where_get_is if {
	got := data.broker.decision with input as json.patch(allowed, [{"op": "replace", "path": "/request/method", "value": "HEAD"}])
	got.allow == true
	got.rule == "github.repo.metadata"
}

test_head_denied_where_get_is if {
	got := data.broker.decision with input as json.patch(denied, [{"op": "replace", "path": "/request/method", "value": "HEAD"}])
	got.allow == false
}

test_head_denied_by_an_integration_deny if {
	got := data.broker.decision with input as json.patch(allowed, [{"op": "replace", "path": "/request/method", "value": "HEAD"}])
		with data.integrations.github.deny as {"frozen"}
	got.allow == false
}

# Any type with a package of its own is judged by it (the gateway accepts any type the bundle
# has a package for); its deny wins over its allow, as for the shipped types.
inventory := fixtures.request({"type": "inventory", "segments": ["items", "srv-1"]})

test_customer_type_allowed if {
	got := data.broker.decision with input as inventory with data.integrations.inventory.allowed_by as {"inventory.items.read"}
	got.allow == true
	got.rule == "inventory.items.read"
}

test_customer_type_deny_wins if {
	got := data.broker.decision with input as inventory
		with data.integrations.inventory.allowed_by as {"inventory.items.read"}
		with data.integrations.inventory.deny as {"inventory: not today"}
	got.allow == false
	got.rule == "broker.deny.integration_deny"
}
