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

# The integration uses imported rules: it is judged even if its type has no package.
in_use if count(rulesets) > 0

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

# The route's first and last segment, canonically encoded ("" for the base itself).
edges(path) := [parts[1], parts[count(parts) - 1]] if {
	parts := split(path, "/")
	count(parts) > 1
}

# candidates(index, method, path): positions of rules whose method and literal first/last
# segment admit the request; "*" and "" are the rules for which that key varies.
candidates(index, method, path) := {i |
	[first, last] := edges(path)
	some m in {method, "*"}
	some f in {first, ""}
	some l in {last, ""}
	some i in index[m][f][l]
}
