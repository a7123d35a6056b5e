# GraphQL requests, judged by the fields they select.
#
# Why this exists: a GraphQL endpoint is one URL for every read and write the API offers, and
# secrets sit next to harmless fields under the same roots (a project's CI/CD variables next to
# its name). So a rule judges what a document selects, field path by field path, against an
# allowlist, never against a list of banned names.
#
# The gateway parses the document with the reference parser (graphql-js), wherever the server
# would read it (JSON body, application/graphql body, the query string), rejects it when it is
# in two places, and gives the policy input.request.graphql (null when there is no document):
#
#   operation   "query", "mutation" or "subscription"; name: the operation's name or null
#   directives  names of the directives on the operation and on its variable definitions
#   paths       every selected field path from the root, aliases resolved, fragments and inline
#               fragments expanded, sorted and distinct: ["repository", "repository.name", ...]
#   fields      each selection: {"path", "alias", "args" (variables substituted), "on" (type
#               conditions on the way), "directives" (names)}
#   variables   the variables object ({} when none); depth and nodes: the document's size
#
# Allowlists are objects from path to why it is allowed. An entry "a.b.*" allows every path
# below a.b (not a.b itself); "__typename" is allowed anywhere.
package lib.graphql

# paths_within(gql, allowed): every path gql selects is allowed.
paths_within(gql, allowed) if {
	every p in gql.paths {
		path_allowed(p, allowed)
	}
}

# directives_within(gql, allowed): every directive of the document (on the operation, on its
# variable definitions, on each selection and the fragments it came through) is one of the
# names `allowed` lists (an object from name to why).
directives_within(gql, allowed) if {
	every d in gql.directives {
		allowed[d]
	}
	every f in gql.fields {
		every d in f.directives {
			allowed[d]
		}
	}
}

# unknown_paths(gql, allowed): the paths that are not allowed, for reasons.
unknown_paths(gql, allowed) := {p | some p in gql.paths; not path_allowed(p, allowed)}

path_allowed(p, allowed) if allowed[p]

path_allowed("__typename", _)

path_allowed(p, _) if endswith(p, ".__typename")

path_allowed(p, allowed) if {
	parts := split(p, ".")
	some i in numbers.range(1, count(parts) - 1)
	allowed[concat("", [concat(".", array.slice(parts, 0, i)), ".*"])]
}

# root_fields(gql): the names of the root fields.
root_fields(gql) := {f.path | some f in gql.fields; not contains(f.path, ".")}

# calls(gql, path): the selections of `path` (one per occurrence), e.g. for their arguments.
calls(gql, path) := [f | some f in gql.fields; f.path == path]

# paths_reason(gql, allowed): a deny reason naming the first few paths that are not allowed.
paths_reason(gql, allowed) := concat("", [
	"the GraphQL ", gql.operation, " selects fields no rule allows: ",
	concat(", ", array.slice(sort(unknown_paths(gql, allowed)), 0, 5)),
])
