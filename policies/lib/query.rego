# Query parameters each rule accepts.
#
# Why this exists: upstreams act on the query string as much as on the path and the body.
# Rails-based systems (GitLab) merge query and body parameters, and read `sudo` and
# `private_token` from the query on any call; GraphQL servers read a whole document from
# `?query=`. So every rule allows only the query parameters listed for it, and nothing else:
#
#   data.types.<type>.query_params = {"<rule id>": {"<name>": "<why it is accepted>"}}
#
# (policies/types/<type>/data.json). A rule without an entry accepts no parameter. A
# parameter given more than once is refused unless its name ends in "[]" (servers disagree on
# which value wins). broker/decision applies this to every rule of every type.
package lib.query

params := object.get(data.types, [input.integration.type, "query_params"], {})

# accepted(id): every query parameter of the request is accepted by rule `id`.
accepted(id) if {
	every name, values in input.request.query {
		params[id][name]
		single(name, values)
	}
}

# rejects(id): why rule `id` does not accept this query, one reason per parameter.
rejects(id) := {reject(id, name, values) |
	some name, values in input.request.query
	not ok(id, name, values)
}

ok(id, name, values) if {
	params[id][name]
	single(name, values)
}

single(_, values) if count(values) == 1

single(name, _) if endswith(name, "[]")

reject(id, name, _) := concat("", [
	"query parameter ", json.marshal(name), " is not accepted by rule ", id,
	" (it accepts: ", accepts(id), ")",
]) if {
	not params[id][name]
} else := concat("", ["query parameter ", json.marshal(name), " is given more than once"])

accepts(id) := "no query parameters" if {
	count(object.get(params, id, {})) == 0
} else := concat(", ", sort([name | some name, _ in params[id]]))
