# Entrypoint system/log/mask: what the decision log erases.
#
# Why this exists: the decision log keeps every request's input for audit, and it must not
# become a store of secrets. The gateway already strips credential headers before building the
# input, but a client can still send secrets the gateway does not know about (x-api-key,
# private-token, ?access_token=...). This policy names them so the log drops them.
#
# Shape: OPA's decision-log masking (https://www.openpolicyagent.org/docs/management-decision-logs#masking-sensitive-data).
# The gateway evaluates it with input {"input": <policy input>, "result": <decision>} and
# removes every JSON pointer (RFC 6901, "~" written "~0" and "/" written "~1") in `mask` from
# the logged input. Erasing too much is harmless; erasing too little leaks, so names are
# matched by substring, case-insensitively.
package system.log

# Words that make a header or query parameter name look secret, and short query parameter
# names that carry a secret but contain none of them ("sig", "code", "jwt"): the keys of
# "words" and "names" in secrets/data.json (data.system.log.secrets), each with examples of
# what it catches. Names such as "accept", "content-type" or "ref" contain none of them and
# stay in the log. They are data, looked up by key: a set written here would be rebuilt on
# every evaluation in WASM.
secret_name(name) if {
	lowered := lower(name)
	some word, _ in data.system.log.secrets.words
	contains(lowered, word)
}

secret_name(name) if data.system.log.secrets.names[lower(name)]

mask contains pointer("headers", name) if {
	some name, _ in input.input.request.headers
	secret_name(name)
}

mask contains pointer("query", name) if {
	some name, _ in input.input.request.query
	secret_name(name)
}

# pointer(field, name): the JSON pointer /input/request/<field>/<name>, escaped per RFC 6901.
pointer(field, name) := concat("/", ["", "input", "request", field, escape(name)])

escape(name) := replace(replace(name, "~", "~0"), "/", "~1")
