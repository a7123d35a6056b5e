# Tests of system/log/mask: secret-looking headers and query parameters are erased from the
# decision log, ordinary ones are kept.
package system.log.mask_test

import data.fixtures

log_input(request_fields) := {
	"input": object.union(
		fixtures.request({"segments": ["repos", "acme", "app"]}),
		{"request": object.union(fixtures.request({"segments": ["x"]}).request, request_fields)},
	),
	"result": {"allow": true, "rule": "github.repo.metadata", "reasons": []},
}

mask_of(request_fields) := result if {
	result := data.system.log.mask with input as log_input(request_fields)
}

test_secret_headers_masked if {
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
	}})
	got == {
		"/input/request/headers/x-api-key",
		"/input/request/headers/private-token",
		"/input/request/headers/x-hub-signature-256",
		"/input/request/headers/x-session-id",
		"/input/request/headers/cookie",
		"/input/request/headers/x-db-password",
		"/input/request/headers/x-client-secret",
		"/input/request/headers/authorization",
	}
}

test_ordinary_headers_kept if {
	got := mask_of({"headers": {"accept": "application/json", "content-type": "text/plain", "if-none-match": "x"}})
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
	got := mask_of({"query": {"a/b~token": ["x"]}})
	got == {"/input/request/query/a~1b~0token"}
}

test_nothing_to_mask if {
	got := mask_of({"headers": {}, "query": {}})
	got == set()
}

test_no_request if {
	got := data.system.log.mask with input as {"input": {}, "result": {}}
	got == set()
}
