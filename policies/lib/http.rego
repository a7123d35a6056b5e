# Helpers about the HTTP request (`input.request`) beyond its path.
package lib.http

# complete_body(request): the policy saw the whole body (it was not truncated).
complete_body(request) if request.body_truncated == false

# asks_for_diff(request): the Accept header asks GitHub for a diff or patch media type
# (application/vnd.github.diff, application/vnd.github.v3.patch, ...). Those responses carry
# source lines, so metadata rules must not answer them.
asks_for_diff(request) if {
	accept := lower(request.headers.accept)
	some word in ["diff", "patch"]
	contains(accept, word)
}

# query_is(request, name, values): the query parameter `name` was given exactly with these
# values, in this order (each parameter is a list of its decoded values).
query_is(request, name, values) if request.query[name] == values
