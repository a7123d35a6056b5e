# Evaluates a Snyk accept.json imported by `rego-broker import snyk` (data.imported.NAME with
# peer "snyk"), with the peer's matching semantics where they are sound (docs/importers.md):
#
#   - method equal, or the rule's method is "any" ("*");
#   - the path (a path-to-regexp 1.x pattern, compiled to an anchored RE2 regex at import
#     time) matches input.request.route on the rule's surface, case-sensitively;
#   - if the rule has body or query entries, one of them holds: a body {path, value} entry
#     whose value is equal (the peer compares only with "*" in the path; we always do), a body
#     regex entry, or all query entries (each value one of the entry's globs);
#   - every header entry holds (the header equals one of its values).
#
# Rules are looked up by surface, method, literal first/last segment and segment count, and
# matched segment by segment when their pattern allows; only the rest run a regex.
package lib.peers.snyk

import data.lib.peers

# allowed(rs): ids of the rules of rule set rs that allow the request.
allowed(rs) := {rule.id |
	some i in peers.candidates(rs.index[input.integration.surface], input.request.method, peers.route_segments)
	rule := rs.rules[i]
	peers.path_matches(rule, input.request.route, peers.route_segments)
	entries_hold(rule)
	every h in rule.headers {
		header_holds(h)
	}
}

entries_hold(rule) if not rule.filtered

entries_hold(rule) if {
	some e in rule.body_values
	body_value_holds(e)
}

entries_hold(rule) if {
	some e in rule.body_regexes
	body_regex_holds(e)
}

entries_hold(rule) if {
	count(rule.queries) > 0
	every q in rule.queries {
		query_holds(q)
	}
}

# The body values at a dotted path; "*" stands for any key or index.
body_at(path) := {v |
	not input.request.body_truncated
	walk(input.request.body, [p, v])
	count(p) == count(path)
	every k, want in path {
		key_matches(want, p[k])
	}
}

key_matches("*", _)

key_matches(want, key) if want == key

key_matches(want, key) if {
	is_number(key)
	want == format_int(key, 10)
}

body_value_holds(e) if {
	e.has_value
	e.value in body_at(e.path)
}

# Without a value, any truthy value passes (as the peer does).
body_value_holds(e) if {
	not e.has_value
	some v in body_at(e.path)
	not v in {null, false, "", 0}
}

body_regex_holds(e) if {
	some v in body_at(e.path)
	is_string(v)
	regex.match(e.regex, v)
}

# One value, without a "." or ".." path segment, matching one of the globs. A repeated
# parameter never holds (the peer throws on it and denies).
query_holds(q) if {
	[v] := input.request.query[q.name]
	not regex.match(`(^|/)\.\.?(/|$)`, v)
	regex.match(q.regex, v)
}

header_holds(h) if input.request.headers[h.name] in h.values
