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
#            An object or array 12 levels deep is replaced whole.
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

# Words that make a header, query parameter or body key look secret, and names that carry a
# secret but contain none of them ("sig", "code", "jwt", "value"): the keys of "words" and
# "names" in secrets/data.json (data.system.log.secrets), each with examples of what it
# catches. Names such as "accept", "content-type" or "ref" contain none of them and stay in the
# log. They are data, looked up by key: a set written here would be rebuilt on every evaluation
# in WASM.
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

# Body and GraphQL fields at any depth: the rule for depth d iterates down to depth d
# (d "some" lines) and judges the keys found there; array indices are never secret_key. No
# rule allocates anything for a node it passes through, so the work is the document's size
# times at most 13. (The walk builtin, and lists of paths built level by level, allocate per
# node; their WASM evaluation grew faster than linearly, to seconds for a 1 MiB body, and ran
# out of the default 64 MiB of policy memory.) Keys are judged down to depth 12, and an object or
# array at depth 12 is replaced whole (the last rule), so nothing below it is logged unjudged;
# erasing too much is harmless. To judge deeper, add a rule with one more line and move the
# last one down.
roots[field] := value if {
	some field in ["body", "graphql"]
	value := input.input.request[field]
	composite(value)
}

secret_key(key) if {
	is_string(key)
	secret_name(key)
}

composite(value) if is_object(value)

composite(value) if is_array(value)

mask contains upsert([field, k1]) if {
	some field, v0 in roots
	some k1, _ in v0
	secret_key(k1)
}

mask contains upsert([field, k1, k2]) if {
	some field, v0 in roots
	some k1, v1 in v0
	some k2, _ in v1
	secret_key(k2)
}

mask contains upsert([field, k1, k2, k3]) if {
	some field, v0 in roots
	some k1, v1 in v0
	some k2, v2 in v1
	some k3, _ in v2
	secret_key(k3)
}

mask contains upsert([field, k1, k2, k3, k4]) if {
	some field, v0 in roots
	some k1, v1 in v0
	some k2, v2 in v1
	some k3, v3 in v2
	some k4, _ in v3
	secret_key(k4)
}

mask contains upsert([field, k1, k2, k3, k4, k5]) if {
	some field, v0 in roots
	some k1, v1 in v0
	some k2, v2 in v1
	some k3, v3 in v2
	some k4, v4 in v3
	some k5, _ in v4
	secret_key(k5)
}

mask contains upsert([field, k1, k2, k3, k4, k5, k6]) if {
	some field, v0 in roots
	some k1, v1 in v0
	some k2, v2 in v1
	some k3, v3 in v2
	some k4, v4 in v3
	some k5, v5 in v4
	some k6, _ in v5
	secret_key(k6)
}

mask contains upsert([field, k1, k2, k3, k4, k5, k6, k7]) if {
	some field, v0 in roots
	some k1, v1 in v0
	some k2, v2 in v1
	some k3, v3 in v2
	some k4, v4 in v3
	some k5, v5 in v4
	some k6, v6 in v5
	some k7, _ in v6
	secret_key(k7)
}

mask contains upsert([field, k1, k2, k3, k4, k5, k6, k7, k8]) if {
	some field, v0 in roots
	some k1, v1 in v0
	some k2, v2 in v1
	some k3, v3 in v2
	some k4, v4 in v3
	some k5, v5 in v4
	some k6, v6 in v5
	some k7, v7 in v6
	some k8, _ in v7
	secret_key(k8)
}

mask contains upsert([field, k1, k2, k3, k4, k5, k6, k7, k8, k9]) if {
	some field, v0 in roots
	some k1, v1 in v0
	some k2, v2 in v1
	some k3, v3 in v2
	some k4, v4 in v3
	some k5, v5 in v4
	some k6, v6 in v5
	some k7, v7 in v6
	some k8, v8 in v7
	some k9, _ in v8
	secret_key(k9)
}

mask contains upsert([field, k1, k2, k3, k4, k5, k6, k7, k8, k9, k10]) if {
	some field, v0 in roots
	some k1, v1 in v0
	some k2, v2 in v1
	some k3, v3 in v2
	some k4, v4 in v3
	some k5, v5 in v4
	some k6, v6 in v5
	some k7, v7 in v6
	some k8, v8 in v7
	some k9, v9 in v8
	some k10, _ in v9
	secret_key(k10)
}

mask contains upsert([field, k1, k2, k3, k4, k5, k6, k7, k8, k9, k10, k11]) if {
	some field, v0 in roots
	some k1, v1 in v0
	some k2, v2 in v1
	some k3, v3 in v2
	some k4, v4 in v3
	some k5, v5 in v4
	some k6, v6 in v5
	some k7, v7 in v6
	some k8, v8 in v7
	some k9, v9 in v8
	some k10, v10 in v9
	some k11, _ in v10
	secret_key(k11)
}

mask contains upsert([field, k1, k2, k3, k4, k5, k6, k7, k8, k9, k10, k11, k12]) if {
	some field, v0 in roots
	some k1, v1 in v0
	some k2, v2 in v1
	some k3, v3 in v2
	some k4, v4 in v3
	some k5, v5 in v4
	some k6, v6 in v5
	some k7, v7 in v6
	some k8, v8 in v7
	some k9, v9 in v8
	some k10, v10 in v9
	some k11, v11 in v10
	some k12, _ in v11
	secret_key(k12)
}

# An object or array at depth 12: what is in it is not judged, it is replaced whole.
mask contains upsert([field, k1, k2, k3, k4, k5, k6, k7, k8, k9, k10, k11, k12]) if {
	some field, v0 in roots
	some k1, v1 in v0
	some k2, v2 in v1
	some k3, v3 in v2
	some k4, v4 in v3
	some k5, v5 in v4
	some k6, v6 in v5
	some k7, v7 in v6
	some k8, v8 in v7
	some k9, v9 in v8
	some k10, v10 in v9
	some k11, v11 in v10
	some k12, v12 in v11
	composite(v12)
}

upsert(tokens) := {"op": "upsert", "path": pointer(tokens), "value": redacted}

# pointer(tokens): the JSON pointer /input/request/<tokens...>, each token escaped per RFC 6901
# (array indices written in decimal).
pointer(tokens) := concat("/", array.concat(["", "input", "request"], [escape(t) | some t in tokens]))

escape(token) := format_int(token, 10) if is_number(token)

escape(token) := replace(replace(token, "~", "~0"), "/", "~1") if is_string(token)
