# Imported rules never widen past the integration's own limits (lib/peers/limits.rego): an
# imported Snyk rule set on a github integration, judged through broker/decision in each
# rulesetMode, with tier flags off and on, a customer deny, and rules switched off by id.
package lib.peers.limits_test

import data.fixtures

rule(id, method, re) := {
	"id": id, "method": method, "surface": "api", "path": "", "regex": re, "skeleton": null, "prefix": "/", "suffix": "",
	"filtered": false, "body_values": [], "body_regexes": [], "queries": [], "headers": [],
}

# What a broad accept.json for GitHub holds: trees, any file, webhook creation, and an endpoint
# the github package does not know.
ruleset := {
	"peer": "snyk", "format": 1, "name": "s", "source": "test", "list": "private",
	"rules": [
		rule("imported.s.trees", "GET", `^/repos/[^/]+/[^/]+/git/trees/.*$`),
		rule("imported.s.hooks", "POST", `^/repos/[^/]+/[^/]+/hooks/?$`),
		rule("imported.s.contents", "GET", `^/repos/[^/]+/[^/]+/contents/.*$`),
		rule("imported.s.emojis", "GET", `^/emojis/?$`),
	],
	"index": {"api": {
		"GET": {"repos": {"": {"*": [0, 2]}}, "emojis": {"emojis": {"1": [3]}}},
		"POST": {"repos": {"hooks": {"4": [1]}}},
	}},
}

hook := {"name": "web", "config": {"url": "https://evil.example/hook", "content_type": "json", "secret": "s"}, "events": ["push"], "active": true}

scanner_hook := object.union(hook, {"config": {"url": "https://scanner.example/hook"}})

webhooks := {"allow_webhooks": true, "allowed_webhook_urls": ["https://scanner.example/hook"]}

trees := ["repos", "acme", "app", "git", "trees", "main"]

code := ["repos", "acme", "app", "contents", "src", "main.go"]

manifest := ["repos", "acme", "app", "contents", "package.json"]

# decide(c): the decision for case c on a github integration using rule set "s".
decide(c) := d if {
	flags := object.union({"rulesets": ["s"]}, object.get(c, "flags", {}))
	mode := object.get(c, "mode", null)
	f := object.union(flags, {k: v | some k, v in {"ruleset_mode": [mode]}; mode != null})
	inp := fixtures.request(object.union(object.remove(c, ["flags", "mode", "allow"]), {"flags": f}))
	d := data.broker.decision with input as inp with data.imported as {"s": ruleset}
}

cases := {
	"union: trees need allowCodeAccess": {"segments": trees, "allow": false},
	"union: trees with allowCodeAccess": {"segments": trees, "flags": {"allow_code_access": true}, "allow": true},
	"union: any file needs allowCodeAccess": {"segments": code, "allow": false},
	"union: a manifest the package allows": {"segments": manifest, "allow": true},
	"union: an endpoint the package does not know": {"segments": ["emojis"], "allow": true},
	"union: webhook creation without allowWebhooks": {"method": "POST", "segments": ["repos", "acme", "app", "hooks"], "body": scanner_hook, "allow": false},
	"union: webhook creation to an unlisted URL": {"method": "POST", "segments": ["repos", "acme", "app", "hooks"], "body": hook, "flags": webhooks, "allow": false},
	"union: webhook creation to the listed URL": {"method": "POST", "segments": ["repos", "acme", "app", "hooks"], "body": scanner_hook, "flags": webhooks, "allow": true},
	"union: a rule switched off": {"segments": ["emojis"], "flags": {"disabled_rules": ["imported.s.emojis"]}, "allow": false},
	"intersect: an endpoint the package does not know": {"segments": ["emojis"], "mode": "intersect", "allow": false},
	"intersect: own and imported allow": {"segments": manifest, "mode": "intersect", "allow": true},
	"intersect: own allows, no imported rule": {"segments": ["repos", "acme", "app"], "mode": "intersect", "allow": false},
	"intersect: the imported rule switched off": {"segments": manifest, "mode": "intersect", "flags": {"disabled_rules": ["imported.s.contents"]}, "allow": false},
	"replace: own allows, no imported rule": {"segments": ["repos", "acme", "app"], "mode": "replace", "allow": false},
	"replace: imported allows a manifest": {"segments": manifest, "mode": "replace", "allow": true},
	"replace: trees still need allowCodeAccess": {"segments": trees, "mode": "replace", "allow": false},
	"replace: webhook creation to an unlisted URL": {"method": "POST", "segments": ["repos", "acme", "app", "hooks"], "body": hook, "flags": webhooks, "mode": "replace", "allow": false},
	"unknown mode is judged as intersect": {"segments": ["emojis"], "mode": "widest", "allow": false},
}

test_limits[name] if {
	some name, c in cases
	decide(c).allow == c.allow
}

test_intersect_names_both_rules if {
	d := decide({"segments": manifest, "mode": "intersect"})
	d.reasons == ["allowed by github.contents.manifest", "allowed by imported.s.contents"]
}

# A customer's deny in the package wins over an imported allow.
test_customer_deny_wins if {
	inp := fixtures.request({"segments": ["emojis"], "flags": {"rulesets": ["s"]}})
	d := data.broker.decision with input as inp with data.imported as {"s": ruleset} with data.integrations.github.deny as {"customer: only acme"}
	d.allow == false
	d.rule == "broker.deny.integration_deny"
}
