# Tests of the Semgrep evaluator (lib.peers.semgrep) through broker/decision, with a small rule
# set in the compiled form `rego-broker import semgrep` writes.
package lib.peers.semgrep_test

import data.fixtures

ruleset := {
	"peer": "semgrep", "format": 1, "name": "s", "source": "test",
	"rules": [
		{"id": "imported.s.0001", "url": "https://ghe.example.com/api/v3/repos/:owner/:repo", "methods": ["GET", "POST"], "regex": "", "prefix": "", "suffix": "", "skeleton": {"head": ["api", "v3", "repos", null, null], "tail": [], "rest": null}},
		{"id": "imported.s.0002", "url": "https://ghe.example.com/api/v3/*", "methods": ["HEAD"], "regex": "", "prefix": "", "suffix": "", "skeleton": {"head": ["api", "v3"], "tail": [], "rest": 1}},
		{"id": "imported.s.0003", "url": "https://ghe.example.com/api/v3/*/refs/:x", "methods": ["GET"], "regex": "", "prefix": "", "suffix": "", "skeleton": {"head": ["api", "v3"], "tail": ["refs", null], "rest": 1}},
		{"id": "imported.s.0004", "url": "https://ghe.example.com/api/v3/x*y", "methods": ["GET"], "regex": `^/api/v3/x(?:.*)y$`, "prefix": "/api/v3/x", "suffix": "y", "skeleton": null},
	],
	"index": {"https://ghe.example.com:443": {
		"GET": {"api": {"": {"5": [0], "*": [2, 3]}}},
		"POST": {"api": {"": {"5": [0]}}},
		"HEAD": {"api": {"": {"*": [1]}}},
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
	{"segments": ["a", "refs", "b"], "allow": true},
	{"segments": ["a", "b", "refs", "c"], "allow": true},
	{"segments": ["refs", "b"], "allow": false},
	{"segments": ["a", "refs", "b", "c"], "allow": false},
	{"segments": ["xay"], "allow": true},
	{"segments": ["x", "y"], "allow": true},
	{"segments": ["xa"], "allow": false},
	{"segments": ["ay"], "allow": false},
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
