# Imported peer rules (docs/importers.md): an integration opts in with the flag
# `rulesets: [NAME, ...]`; each NAME is a rule set written by `rego-broker import` to
# data.imported.NAME. Their rules only ADD allows to broker/decision: the request was already
# normalized by the gateway, and a deny of the integration's own package still wins.
package lib.peers

import data.lib.peers.semgrep
import data.lib.peers.snyk

# The data layout these evaluators read (gateway/src/importers/types.ts RULESET_FORMAT).
format := 1

# Rule set names the integration asks for.
rulesets contains name if {
	some name in input.integration.flags.rulesets
	is_string(name)
}

# The integration uses imported rules: it is judged even if its type has no package. (Tested
# on the flag itself, so the set is built only when there is one.)
in_use if {
	some name in input.integration.flags.rulesets
	is_string(name)
}

# Ids of the imported rules that allow this request.
allowed_by contains id if {
	some name in rulesets
	rs := data.imported[name]
	rs.format == format
	rs.peer == "snyk"
	some id in snyk.allowed(rs)
}

allowed_by contains id if {
	some name in rulesets
	rs := data.imported[name]
	rs.format == format
	rs.peer == "semgrep"
	some id in semgrep.allowed(rs)
}

# A rule set that is missing or of another format allows nothing; say so when nothing allows.
hints contains concat("", ["imported rule set ", name, " is not in the policy bundle"]) if {
	some name in rulesets
	not data.imported[name]
}

hints contains concat("", ["imported rule set ", name, " has an unsupported format; import it again"]) if {
	some name in rulesets
	data.imported[name].format != format
}

# The canonically encoded segments of the route and of the whole path ([] for "/").
route_segments := segments_of(input.request.route)

path_segments := segments_of(input.request.path)

segments_of("/") := []

segments_of(path) := array.slice(parts, 1, count(parts)) if {
	path != "/"
	parts := split(path, "/")
}

# First and last segment ("" when there are none).
edges([]) := ["", ""]

edges(segs) := [segs[0], segs[count(segs) - 1]] if count(segs) > 0

# candidates(index, method, segs): positions of rules whose method, literal first/last segment
# and segment count admit the request; "*" and "" index the rules for which that key varies.
candidates(index, method, segs) := {i |
	[first, last] := edges(segs)
	some m in {method, "*"}
	some f in {first, ""}
	some l in {last, ""}
	some n in {format_int(count(segs), 10), "*"}
	some i in index[m][f][l][n]
}

# path_matches(rule, subject, segs): the rule's pattern matches; by its whole-segment skeleton
# when it has one (no regex), else by its regex over the encoded subject once its literal prefix
# and suffix are there (a regex is compiled on every evaluation, so it runs last).
path_matches(rule, subject, _) if {
	rule.skeleton == null
	startswith(subject, rule.prefix)
	endswith(subject, rule.suffix)
	regex.match(rule.regex, subject)
}

path_matches(rule, _, segs) if skeleton_matches(rule.skeleton, segs)

skeleton_matches(sk, segs) if {
	sk.rest == null
	count(segs) == count(sk.head)
	every i, want in sk.head {
		segment_matches(want, segs[i])
	}
}

skeleton_matches(sk, segs) if {
	is_number(sk.rest)
	n := count(segs)
	t := count(sk.tail)
	n >= (count(sk.head) + sk.rest) + t
	every i, want in sk.head {
		segment_matches(want, segs[i])
	}
	every j, want in sk.tail {
		segment_matches(want, segs[(n - t) + j])
	}
}

segment_matches(null, _)

segment_matches(want, seg) if want == seg
