# Tests of the Semgrep evaluator (lib.peers.semgrep) through broker/decision, with a small rule
# set in the compiled form `rego-broker import semgrep` writes.
package lib.peers.semgrep_test

import data.fixtures

ruleset := {
	"peer": "semgrep", "format": 1, "name": "s", "source": "test",
	"rules": [
		{"id": "imported.s.0001", "url": "https://ghe.example.com/api/v3/repos/:owner/:repo", "methods": ["GET", "POST"], "regex": `^/api/v3/repos(?:/(?:[^/]+?))(?:/(?:[^/]+?))$`},
		{"id": "imported.s.0002", "url": "https://ghe.example.com/api/v3/*", "methods": ["HEAD"], "regex": `^/api/v3(?:/(?:.*))$`},
	],
	"index": {"https://ghe.example.com:443": {
		"GET": {"api": {"": [0]}},
		"POST": {"api": {"": [0]}},
		"HEAD": {"api": {"": [1]}},
	}},
}

req(c) := object.union(fixtures.request(c), {
	"integration": {"type": "plain", "flags": {"rulesets": ["s"]}},
	"request": object.get(c, "override", {}),
})

cases := [
	{"segments": ["repos", "a", "b"], "allow": true},
	{"segments": ["repos", "a", "b"], "method": "POST", "allow": true},
	{"segments": ["repos", "a", "b"], "method": "PUT", "allow": false},
	{"segments": ["repos", "a"], "allow": false},
	{"segments": ["repos", "a", "b", "c"], "allow": false},
	{"segments": ["repos", "a", "b"], "override": {"host": "evil.example.com"}, "allow": false},
	{"segments": ["repos", "a", "b"], "override": {"scheme": "http", "port": 80}, "allow": false},
	{"segments": ["repos", "a", "b"], "override": {"port": 8443}, "allow": false},
	{"segments": ["x", "y", "z"], "method": "HEAD", "allow": true},
	{"segments": ["x"], "method": "GET", "allow": false},
]

test_cases if {
	every c in cases {
		d := data.broker.decision with input as req(c) with data.imported as {"s": ruleset}
		d.allow == c.allow
	}
}

test_allow_names_the_imported_rule if {
	d := data.broker.decision with input as req({"segments": ["repos", "a", "b"]}) with data.imported as {"s": ruleset}
	d.rule == "imported.s.0001"
}
