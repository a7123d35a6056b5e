# Tests of system/log/mask: header values by allowlist, secret-looking query parameters, and
# secret-looking body fields at any depth are erased from the decision log; ordinary ones are
# kept, allowed or denied.
package system.log.mask_test

import data.fixtures

allowed := {"allow": true, "rule": "github.repo.metadata", "reasons": []}

denied := {"allow": false, "rule": null, "reasons": ["no rule allows POST /repos/acme/app/hooks"]}

log_input(request_fields, result) := {
	"input": object.union(
		fixtures.request({"segments": ["repos", "acme", "app"]}),
		{"request": object.union(fixtures.request({"segments": ["x"]}).request, request_fields)},
	),
	"result": result,
}

mask_of(request_fields) := result if {
	result := data.system.log.mask with input as log_input(request_fields, allowed)
}

redact(path) := {"op": "upsert", "path": path, "value": "[REDACTED]"}

test_headers_off_the_allowlist_redacted if {
	got := mask_of({"headers": {
		"accept": "application/json",
		"content-type": "application/json",
		"user-agent": "scanner/1.0",
		"x-api-key": "k",
		"private-token": "t",
		"x-hub-signature-256": "sha256=...",
		"x-session-id": "s",
		"cookie": "a=b",
		"x-db-password": "p",
		"x-client-secret": "c",
		"authorization": "Bearer t",
		"x-request-id": "r",
	}})
	got == {
		redact("/input/request/headers/x-api-key"),
		redact("/input/request/headers/private-token"),
		redact("/input/request/headers/x-hub-signature-256"),
		redact("/input/request/headers/x-session-id"),
		redact("/input/request/headers/cookie"),
		redact("/input/request/headers/x-db-password"),
		redact("/input/request/headers/x-client-secret"),
		redact("/input/request/headers/authorization"),
		redact("/input/request/headers/x-request-id"),
	}
}

# Vendor key headers carry no secret-looking word in some cases (x-jfrog-art-api, x-github-otp);
# the allowlist covers them because they are not on it.
test_vendor_key_headers_redacted if {
	got := mask_of({"headers": {
		"x-jfrog-art-api": "a",
		"x-github-otp": "b",
		"private-token": "c",
		"Private-Token": "d",
		"private_token": "e",
		"x-gitlab-token": "f",
		"x-api-key": "g",
		"x-jfrog-art-api-key": "h",
	}})
	got == {
		redact("/input/request/headers/x-jfrog-art-api"),
		redact("/input/request/headers/x-github-otp"),
		redact("/input/request/headers/private-token"),
		redact("/input/request/headers/Private-Token"),
		redact("/input/request/headers/private_token"),
		redact("/input/request/headers/x-gitlab-token"),
		redact("/input/request/headers/x-api-key"),
		redact("/input/request/headers/x-jfrog-art-api-key"),
	}
}

# Every allowlisted header keeps its value, x-atlassian-token ("no-check") included although
# its name contains "token".
test_allowlisted_headers_kept if {
	headers := {name: "v" | some name, _ in data.system.log.secrets.logged_headers}
	count(headers) == 14
	got := mask_of({"headers": headers})
	got == set()
}

test_allowlist_case_insensitive if {
	got := mask_of({"headers": {"Accept": "x", "User-Agent": "y"}})
	got == set()
}

test_secret_query_parameters_masked if {
	got := mask_of({"query": {
		"ref": ["main"],
		"per_page": ["100"],
		"access_token": ["a"],
		"private_token": ["b"],
		"token": ["c"],
		"sig": ["d"],
		"X-Amz-Signature": ["e"],
		"X-Amz-Credential": ["f"],
		"client_secret": ["g"],
		"api_key": ["h"],
		"code": ["i"],
	}})
	got == {
		"/input/request/query/access_token",
		"/input/request/query/private_token",
		"/input/request/query/token",
		"/input/request/query/sig",
		"/input/request/query/X-Amz-Signature",
		"/input/request/query/X-Amz-Credential",
		"/input/request/query/client_secret",
		"/input/request/query/api_key",
		"/input/request/query/code",
	}
}

test_case_insensitive if {
	got := mask_of({"query": {"Access_Token": ["a"], "SIG": ["b"]}})
	got == {"/input/request/query/Access_Token", "/input/request/query/SIG"}
}

# Names become JSON pointer tokens (RFC 6901): "~" is written "~0" and "/" is written "~1".
test_pointer_escaping if {
	got := mask_of({"query": {"a/b~token": ["x"]}, "body": {"c/d~secret": 1}})
	got == {"/input/request/query/a~1b~0token", redact("/input/request/body/c~1d~0secret")}
}

# A GitHub webhook create (POST /repos/{owner}/{repo}/hooks): config.secret signs deliveries.
test_webhook_secret_in_body_redacted if {
	got := mask_of({"body": {
		"name": "web",
		"active": true,
		"events": ["push"],
		"config": {"url": "https://ci.example.com/hook", "content_type": "json", "secret": "s", "insecure_ssl": "0"},
	}})
	got == {redact("/input/request/body/config/secret")}
}

test_body_arrays_and_depth if {
	got := mask_of({"body": {
		"items": [{"name": "a", "token": "t0"}, {"name": "b"}, {"name": "c", "Token": "t2"}],
		"a": {"b": {"c": [[{"password": "p"}]]}},
		"tags": ["token", "secret"],
	}})
	got == {
		redact("/input/request/body/items/0/token"),
		redact("/input/request/body/items/2/Token"),
		redact("/input/request/body/a/b/c/0/0/password"),
	}
}

# A secret-named object is replaced whole; the entries below it are harmless extras.
test_body_secret_object if {
	got := mask_of({"body": {"credentials": {"user": "u", "password": "p"}}})
	got == {redact("/input/request/body/credentials"), redact("/input/request/body/credentials/password")}
}

test_body_top_level_array if {
	got := mask_of({"body": [{"api_key": "k"}, "plain"]})
	got == {redact("/input/request/body/0/api_key")}
}

# CI/CD variable APIs put the secret under "value", next to a name (GitLab: POST
# /projects/:id/variables; GitHub: POST /repos/{owner}/{repo}/actions/variables).
test_variable_values_redacted if {
	mask_of({"body": {"key": "DEPLOY_TOKEN", "value": "v", "protected": true}}) == {
		redact("/input/request/body/key"),
		redact("/input/request/body/value"),
	}
	mask_of({"body": {"name": "NPM", "value": "v"}}) == {redact("/input/request/body/value")}
	mask_of({"body": {"encrypted_value": "e", "key_id": "k"}}) == {
		redact("/input/request/body/encrypted_value"),
		redact("/input/request/body/key_id"),
	}
}

# nested(n, leaf): the body {"a": {"a": ... leaf}} with n "a" keys; a_path(n): their pointer.
nested(n, leaf) := json.unmarshal(concat("", array.concat(
	array.concat([`{"a":` | some _ in numbers.range(1, n)], [leaf]),
	["}" | some _ in numbers.range(1, n)],
)))

a_path(n) := concat("", ["/input/request/body", concat("", ["/a" | some _ in numbers.range(1, n)])])

# Keys are judged down to depth 12; an object or array at depth 12 is replaced whole, so a key
# below it is never logged unjudged.
test_body_depth_limit if {
	mask_of({"body": nested(11, `{"token": "t", "b": 1}`)}) == {redact(concat("", [a_path(11), "/token"]))}
	mask_of({"body": nested(11, `{"b": 1}`)}) == set()
	mask_of({"body": nested(12, `{"b": 1}`)}) == {redact(a_path(12))}
	mask_of({"body": nested(12, `{"token": "t"}`)}) == {redact(a_path(12))}
	mask_of({"body": nested(12, "[]")}) == {redact(a_path(12))}
	mask_of({"body": nested(40, `{"token": "t"}`)}) == {redact(a_path(12))}
}

test_body_without_secrets if {
	every body in [null, "text", 3, [], {}, {"name": "x", "files": [{"path": "a"}]}] {
		mask_of({"body": body}) == set()
	}
}

test_graphql_variables_redacted if {
	got := mask_of({"graphql": {"operation": "mutation", "variables": {"input": {"clientSecret": "s"}}}})
	got == {redact("/input/request/graphql/variables/input/clientSecret")}
}

# Denies are masked the same way: the mask does not look at the result.
test_deny_masked_too if {
	fields := {"headers": {"x-jfrog-art-api": "a"}, "query": {"private_token": ["b"]}, "body": {"hooks": [{"config": {"secret": "c"}}]}}
	got := data.system.log.mask with input as log_input(fields, denied)
	got == mask_of(fields)
	got == {
		redact("/input/request/headers/x-jfrog-art-api"),
		"/input/request/query/private_token",
		redact("/input/request/body/hooks/0/config/secret"),
	}
}

test_nothing_to_mask if {
	got := mask_of({"headers": {}, "query": {}})
	got == set()
}

test_no_request if {
	got := data.system.log.mask with input as {"input": {}, "result": {}}
	got == set()
}
