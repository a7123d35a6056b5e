# Tests of the Snyk evaluator (lib.peers.snyk) through broker/decision, with a small rule set in
# the compiled form `rego-broker import snyk` writes (gateway/src/importers/types.ts).
package lib.peers.snyk_test

import data.fixtures

ruleset := {
	"peer": "snyk", "format": 1, "name": "t", "source": "test", "list": "private",
	"rules": [
		rule("imported.t.0001", "GET", `^/repos/(?:[^/]+)/(?:[^/]+)/contents(?:/(?:[^/]+)(?:/(?:[^/]+))*)?/package\.json/?$`, {}),
		rule("imported.t.0002", "POST", `^/webhook/?$`, {"filtered": true, "body_values": [
			{"path": ["pull_request", "state"], "has_value": true, "value": "open"},
			{"path": ["commits", "*", "modified", "*"], "has_value": true, "value": "package.json"},
			{"path": ["items", "1"], "has_value": true, "value": "b"},
		]}),
		rule("imported.t.0003", "GET", `^/q/?$`, {
			"filtered": true,
			"queries": [{"name": "filePath", "regex": `^.*\.json$`}],
			"headers": [{"name": "accept", "values": ["x"]}],
		}),
		rule("imported.t.0004", "*", `^/any/(?:.*)/?$`, {}),
		rule("imported.t.0005", "POST", `^/graphql/?$`, {"filtered": true, "body_regexes": [{"path": ["query"], "regex": `^\{ ?repo`}], "body_values": [{"path": ["flag"], "has_value": false, "value": null}]}),
	],
	"index": {"api": {
		"GET": {"repos": {"package.json": {"*": [0]}}, "q": {"q": {"1": [2]}}},
		"POST": {"webhook": {"webhook": {"1": [1]}}, "graphql": {"graphql": {"1": [4]}}},
		"*": {"any": {"": {"*": [3]}}},
	}},
}

rule(id, method, re, extra) := object.union(
	{"id": id, "method": method, "surface": "api", "path": "", "regex": re, "skeleton": null, "prefix": "/", "suffix": "", "filtered": false, "body_values": [], "body_regexes": [], "queries": [], "headers": []},
	extra,
)

# req(c): a request of an integration with no package of its own that uses rule set "t".
req(c) := object.union(fixtures.request(c), {"integration": {"type": "plain", "flags": {"rulesets": object.get(c, "rulesets", ["t"])}}})

cases := [
	{"segments": ["repos", "a", "b", "contents", "package.json"], "allow": true},
	{"segments": ["repos", "a", "b", "contents", "x", "y", "package.json"], "allow": true},
	{"segments": ["repos", "a", "b", "contents", "package.jsonx"], "allow": false},
	{"segments": ["repos", "a", "b", "contents", "Package.json"], "allow": false},
	{"segments": ["repos", "a", "contents", "package.json"], "allow": false},
	{"segments": ["repos", "a", "b", "contents", "package.json"], "method": "POST", "allow": false},
	{"segments": ["repos", "a", "b", "contents", "package.json"], "surface": "raw", "allow": false},
	{"segments": ["webhook"], "method": "POST", "body": {"pull_request": {"state": "open"}}, "allow": true},
	{"segments": ["webhook"], "method": "POST", "body": {"pull_request": {"state": "closed"}}, "allow": false},
	{"segments": ["webhook"], "method": "POST", "body": {"commits": [{"modified": ["a", "package.json"]}]}, "allow": true},
	{"segments": ["webhook"], "method": "POST", "body": {"commits": [{"modified": ["a"]}]}, "allow": false},
	{"segments": ["webhook"], "method": "POST", "body": {"items": ["a", "b"]}, "allow": true},
	{"segments": ["webhook"], "method": "POST", "body": {"items": ["b", "a"]}, "allow": false},
	{"segments": ["webhook"], "method": "POST", "body": {"pull_request": {"state": "open"}}, "body_truncated": true, "allow": false},
	{"segments": ["webhook"], "method": "POST", "allow": false},
	{"segments": ["q"], "query": {"filePath": ["a.json"]}, "headers": {"accept": "x"}, "allow": true},
	{"segments": ["q"], "query": {"filePath": ["a.json"]}, "headers": {"accept": "y"}, "allow": false},
	{"segments": ["q"], "query": {"filePath": ["a.json"]}, "headers": {}, "allow": false},
	{"segments": ["q"], "query": {"filePath": ["a.json", "b.json"]}, "headers": {"accept": "x"}, "allow": false},
	{"segments": ["q"], "query": {"filePath": ["../a.json"]}, "headers": {"accept": "x"}, "allow": false},
	{"segments": ["q"], "query": {"filePath": ["a/./b.json"]}, "headers": {"accept": "x"}, "allow": false},
	{"segments": ["q"], "query": {"filePath": ["a.txt"]}, "headers": {"accept": "x"}, "allow": false},
	{"segments": ["q"], "headers": {"accept": "x"}, "allow": false},
	{"segments": ["any", "x"], "method": "DELETE", "allow": true},
	{"segments": ["any"], "method": "DELETE", "allow": false},
	{"segments": ["graphql"], "method": "POST", "body": {"query": "{ repo(x)"}, "allow": true},
	{"segments": ["graphql"], "method": "POST", "body": {"query": "{ user"}, "allow": false},
	{"segments": ["graphql"], "method": "POST", "body": {"query": 1}, "allow": false},
	{"segments": ["graphql"], "method": "POST", "body": {"flag": true}, "allow": true},
	{"segments": ["graphql"], "method": "POST", "body": {"flag": 0}, "allow": false},
	{"segments": ["graphql"], "method": "POST", "body": {"flag": null}, "allow": false},
	{"segments": [], "allow": false},
	{"segments": ["repos", "a", "b", "contents", "package.json"], "rulesets": [], "allow": false},
	{"segments": ["repos", "a", "b", "contents", "package.json"], "rulesets": ["other"], "allow": false},
]

test_cases if {
	every c in cases {
		d := data.broker.decision with input as req(c) with data.imported as {"t": ruleset}
		d.allow == c.allow
	}
}

test_allow_names_the_imported_rule if {
	d := data.broker.decision with input as req({"segments": ["any", "x"]}) with data.imported as {"t": ruleset}
	d.rule == "imported.t.0004"
}

test_without_rulesets_the_type_is_unknown if {
	d := data.broker.decision with input as req({"segments": ["any", "x"], "rulesets": []}) with data.imported as {"t": ruleset}
	d.rule == "broker.deny.unknown_integration_type"
}

test_a_package_deny_wins if {
	c := {"segments": ["any", "x"]}
	d := data.broker.decision with input as req(c)
		with data.imported as {"t": ruleset}
		with data.integrations.plain as {"allowed_by": set(), "deny": {"no writes here"}}
	d.rule == "broker.deny.integration_deny"
}

test_imported_allows_add_to_the_package if {
	d := data.broker.decision with input as req({"segments": ["any", "x"]})
		with data.imported as {"t": ruleset}
		with data.integrations.plain as {"allowed_by": {"plain.x"}}
	d.reasons == ["allowed by imported.t.0004", "allowed by plain.x"]
}

test_missing_ruleset_is_named if {
	d := data.broker.decision with input as req({"segments": ["any", "x"], "rulesets": ["gone"]}) with data.imported as {"t": ruleset}
	"imported rule set gone is not in the policy bundle" in d.reasons
}

test_other_format_is_named if {
	d := data.broker.decision with input as req({"segments": ["any", "x"]}) with data.imported as {"t": object.union(ruleset, {"format": 2})}
	d.allow == false
	"imported rule set t has an unsupported format; import it again" in d.reasons
}
