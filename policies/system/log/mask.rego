# Entrypoint system/log/mask: what the decision log erases.
#
# Why this exists: the decision log keeps every request's input for audit, allowed or denied,
# and it must not become a store of secrets. The gateway strips the credential headers it knows
# before building the input, but a client can still send secrets the gateway does not know about:
# a vendor key header (x-jfrog-art-api, private-token), a token in the query
# (?access_token=...), or one inside a JSON body (a webhook's config.secret). This policy names
# them so the log drops them:
#
#   headers  only the values of the headers in secrets/data.json "logged_headers" are kept;
#            every other header keeps its name (auditors see it was sent) and its value is
#            replaced by "[REDACTED]". Vendor key headers are covered because they are not
#            listed, whatever they are called.
#   query    parameters whose name looks secret (secret_name below) are removed.
#   body     every field, at any depth and inside arrays, whose key looks secret has its value
#            replaced by "[REDACTED]"; array positions and the shape of the body stay. The same
#            goes for input.request.graphql (the parsed document's variables and arguments).
#
# Shape: OPA's decision-log masking (https://www.openpolicyagent.org/docs/management-decision-logs#masking-sensitive-data).
# The gateway evaluates it with input {"input": <policy input>, "result": <decision>} and
# applies every entry of `mask` to the logged input: a JSON pointer (RFC 6901, "~" written "~0"
# and "/" written "~1") is removed, an {"op": "upsert", "path", "value"} has its value replaced.
# Erasing too much is harmless; erasing too little leaks, so names are matched by substring,
# case-insensitively.
package system.log

# What a redacted value is replaced with.
redacted := "[REDACTED]"

# Words that make a header, query parameter or body key look secret, and short names that carry
# a secret but contain none of them ("sig", "code", "jwt"): the keys of "words" and "names" in
# secrets/data.json (data.system.log.secrets), each with examples of what it catches. Names such
# as "accept", "content-type" or "ref" contain none of them and stay in the log. They are data,
# looked up by key: a set written here would be rebuilt on every evaluation in WASM.
secret_name(name) if {
	lowered := lower(name)
	some word, _ in data.system.log.secrets.words
	contains(lowered, word)
}

secret_name(name) if data.system.log.secrets.names[lower(name)]

# Headers by allowlist: a header not in "logged_headers" is logged without its value.
mask contains upsert(["headers", name]) if {
	some name, _ in input.input.request.headers
	not data.system.log.secrets.logged_headers[lower(name)]
}

mask contains pointer(["query", name]) if {
	some name, _ in input.input.request.query
	secret_name(name)
}

# Body and GraphQL fields at any depth. walk visits each node once, so this is linear in the
# document's size (times its depth, for the path of each node). Only object keys are judged:
# an array element's path ends in a number. A secret field below another secret field gets its
# own entry too, which is harmless (the outer replacement wins).
mask contains upsert(array.concat([field], path)) if {
	some field in ["body", "graphql"]
	walk(input.input.request[field], [path, _])
	count(path) > 0
	key := path[count(path) - 1]
	is_string(key)
	secret_name(key)
}

upsert(tokens) := {"op": "upsert", "path": pointer(tokens), "value": redacted}

# pointer(tokens): the JSON pointer /input/request/<tokens...>, each token escaped per RFC 6901
# (array indices written in decimal).
pointer(tokens) := concat("/", array.concat(["", "input", "request"], [escape(t) | some t in tokens]))

escape(token) := format_int(token, 10) if is_number(token)

escape(token) := replace(replace(token, "~", "~0"), "/", "~1") if is_string(token)
