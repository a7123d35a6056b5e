# Builders for test inputs: a v1 input document as the gateway would build it, with only
# the fields a case cares about given. Hand-written from ARCHITECTURE.md's example document.
package fixtures

# request(c): an input document for case c. Fields of c (all optional except segments):
#   surface (default "api"), method (default "GET"), segments, query, headers, body,
#   body_truncated, code (allow_code_access, default false), type (default "github"),
#   content_type, flags (more integration flags, e.g. {"allow_writes": true}; merged over code),
#   graphql (the parsed document as the gateway gives it, see lib/graphql.rego; default null).
# segments_folded is derived from segments as the gateway does (ASCII letters lower-cased).
request(c) := {
	"version": "rego-broker/v1",
	"direction": "inbound",
	"decision_id": "00000000-0000-4000-8000-000000000000",
	"integration": {
		"name": "ghe",
		"type": object.get(c, "type", "github"),
		"surface": object.get(c, "surface", "api"),
		"base_url": "https://ghe.example.com/api/v3",
		"flags": object.union({"allow_code_access": object.get(c, "code", false)}, object.get(c, "flags", {})),
	},
	"request": {
		"method": object.get(c, "method", "GET"),
		"scheme": "https",
		"host": "ghe.example.com",
		"port": 443,
		"path": concat("", ["/api/v3", route(c.segments)]),
		"route": route(c.segments),
		"segments": c.segments,
		"segments_folded": [lower(s) | some s in c.segments],
		"query": object.get(c, "query", {}),
		"headers": object.get(c, "headers", {"accept": "application/vnd.github+json"}),
		"body": object.get(c, "body", null),
		"body_size": 0,
		"body_truncated": object.get(c, "body_truncated", false),
		"content_type": object.get(c, "content_type", null),
		"graphql": object.get(c, "graphql", null),
	},
	"source": {"address": "fdf0:59dc:33cf:9be9::1"},
}

# Not percent-encoded: good enough for the reasons the tests read.
route(segments) := concat("", ["/", concat("/", segments)])
