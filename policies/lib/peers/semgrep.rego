# Evaluates a Semgrep Network Broker allowlist imported by `rego-broker import semgrep`
# (data.imported.NAME with peer "semgrep"), with the peer's matching semantics
# (docs/importers.md): scheme, host and port equal; the method in the rule's list; the URL
# Pattern's pathname (compiled to an anchored RE2 regex at import time) matching the request
# path. Query and fragment never take part, as at the peer.
#
# Rules are looked up by origin, method, literal first/last path segment and segment count,
# and matched segment by segment when their pattern allows; only the rest run a regex.
package lib.peers.semgrep

import data.lib.peers

# The request's origin as the importer writes it: scheme://host:port.
origin := concat("", [input.request.scheme, "://", input.request.host, ":", format_int(input.request.port, 10)])

# allowed(rs): ids of the rules of rule set rs that allow the request.
allowed(rs) := {rule.id |
	some i in peers.candidates(rs.index[origin], input.request.method, peers.path_segments)
	rule := rs.rules[i]
	peers.path_matches(rule, input.request.path, peers.path_segments)
}
