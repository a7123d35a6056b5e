# Builders for outbound test inputs: a relayed webhook's input document as the relay builds it
# (gateway/src/relay/input.ts), with only the fields a case cares about given.
package outbound.tests.fixtures

# webhook(c): fields of c (all optional): type (integration type, default "github"), event
# (the SCM event type), action, files (changed file paths; listed = true when given),
# listed (files_listed), flags (relay flags), body.
webhook(c) := {
	"version": "rego-broker/v1",
	"direction": "outbound",
	"decision_id": "00000000-0000-4000-8000-000000000000",
	"integration": {
		"name": "ghe",
		"type": object.get(c, "type", "github"),
		"surface": "webhook",
		"base_url": "https://ghe.example.com/api/v3",
		"flags": {"allow_code_access": false},
	},
	"relay": {"name": "scanner", "flags": object.get(c, "flags", {})},
	"event": {
		"type": object.get(c, "event", null),
		"action": object.get(c, "action", null),
		"delivery_id": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
		"changed_files": object.get(c, "files", []),
		"files_listed": object.get(c, "listed", "files" in object.keys(c)),
	},
	"request": {
		"method": "POST",
		"scheme": "http",
		"host": "10.0.0.5",
		"port": 8081,
		"path": "/relay/scanner",
		"route": "/relay/scanner",
		"segments": ["relay", "scanner"],
		"segments_folded": ["relay", "scanner"],
		"query": {},
		"headers": {"content-type": "application/json"},
		"body": object.get(c, "body", {}),
		"body_size": 0,
		"body_truncated": false,
		"content_type": "application/json",
		"graphql": null,
	},
	"source": {"address": "10.0.0.9"},
}
