# Unit tests of the shared helpers in policies/lib.
package lib_test

import data.lib.body
import data.lib.files
import data.lib.http
import data.lib.match
import data.lib.text

test_path_exact if {
	match.path(["repos", "acme", "app"], ["repos", ":owner", ":repo"])
	not match.path(["repos", "acme"], ["repos", ":owner", ":repo"])
	not match.path(["repos", "acme", "app", "x"], ["repos", ":owner", ":repo"])
	not match.path(["Repos", "acme", "app"], ["repos", ":owner", ":repo"])
	not match.path(["repos ", "acme", "app"], ["repos", ":owner", ":repo"])
}

test_path_below if {
	match.path_below(["repos", "a", "b", "contents", "x"], ["repos", ":o", ":r", "contents"])
	not match.path_below(["repos", "a", "b", "contents"], ["repos", ":o", ":r", "contents"])
	not match.path_below(["repos", "a", "b", "content", "x"], ["repos", ":o", ":r", "contents"])
}

test_path_or_below if {
	match.path_or_below(["repos", "a", "b", "commits"], ["repos", ":o", ":r", "commits"])
	match.path_or_below(["repos", "a", "b", "commits", "x", "y"], ["repos", ":o", ":r", "commits"])
	not match.path_or_below(["repos", "a", "b"], ["repos", ":o", ":r", "commits"])
}

# A placeholder matches a valid name only: without a grammar for the type, default_name.
test_placeholder_matches_names_only if {
	match.path(["acme"], [":owner"])
	match.path(["a.b_c-1"], [":owner"])
	not match.path([":literal"], [":owner"])
	not match.path(["*"], [":owner"])
	not match.path(["acme/other"], [":owner"])
	not match.path(["app;x=1"], [":owner"])
	not match.path(["a b"], [":owner"])
	not match.path([".hidden"], [":owner"])
	not match.path([concat("", [x | some _ in numbers.range(1, 256); x := "a"])], [":owner"])
}

# A type's own grammar replaces default_name for the placeholders it lists.
test_placeholder_grammar_of_the_type if {
	match.path(["a/b"], [":path"]) with input.integration.type as "t"
		with data.types.t.names as {":path": {"first": "ab", "rest": "ab/", "max": 3}}
	not match.path(["a/bb"], [":path"]) with input.integration.type as "t"
		with data.types.t.names as {":path": {"first": "ab", "rest": "ab/", "max": 3}}
}

test_last if {
	match.last(["a", "b", "c"]) == "c"
}

test_positive_integer if {
	match.positive_integer("1")
	match.positive_integer("1024")
	not match.positive_integer("0")
	not match.positive_integer("01")
	not match.positive_integer("-1")
	not match.positive_integer("1.0")
	not match.positive_integer("1a")
	not match.positive_integer("")
}

test_dependency_manifest if {
	every name in ["package.json", "go.sum", "Gemfile.lock", "pnpm-lock.yaml", "Web.fsproj"] {
		files.dependency_manifest(name)
	}
	every name in ["package.json.evil", "package.jsonx", "notpackage.json", "PACKAGE.JSON", ".csproj", "main.go", ""] {
		not files.dependency_manifest(name)
	}
}

test_only_string_field if {
	body.only_string_field({"body": "x"}, "body")
	not body.only_string_field({"body": "x", "extra": "y"}, "body")
	not body.only_string_field({"body": null}, "body")
	not body.only_string_field({"text": "x"}, "body")
	not body.only_string_field(["body"], "body")
	not body.only_string_field(null, "body")
}

test_asks_for_diff if {
	http.asks_for_diff({"headers": {"accept": "application/vnd.github.v3.diff"}})
	http.asks_for_diff({"headers": {"accept": "application/vnd.github.patch"}})
	not http.asks_for_diff({"headers": {"accept": "application/vnd.github+json"}})
	not http.asks_for_diff({"headers": {}})
}

test_query_is if {
	http.query_is({"query": {"service": ["git-upload-pack"]}}, "service", ["git-upload-pack"])
	not http.query_is({"query": {"service": ["git-upload-pack", "x"]}}, "service", ["git-upload-pack"])
	not http.query_is({"query": {}}, "service", ["git-upload-pack"])
}

test_complete_body if {
	http.complete_body({"body_truncated": false})
	not http.complete_body({"body_truncated": true})
	not http.complete_body({})
}

test_show if {
	text.show("x") == "x"
	text.show(null) == "null"
	text.show(["a"]) == `["a"]`
}

gql := {
	"operation": "query",
	"paths": ["__typename", "repository", "repository.name", "repository.owner", "repository.owner.login", "repository.refs.nodes.__typename"],
	"fields": [
		{"path": "repository", "args": {"name": "app"}},
		{"path": "repository.name", "args": {}},
		{"path": "repository", "args": {"name": "other"}},
	],
}

test_graphql_paths if {
	data.lib.graphql.paths_within(gql, {"repository": "", "repository.name": "", "repository.owner.*": "", "repository.owner": "", "repository.refs.nodes": ""})
	not data.lib.graphql.paths_within(gql, {"repository": "", "repository.name": ""})
	data.lib.graphql.unknown_paths(gql, {"repository": "", "repository.name": ""}) == {"repository.owner", "repository.owner.login"}
	data.lib.graphql.paths_reason(gql, {"repository": ""}) == "the GraphQL query selects fields no rule allows: repository.name, repository.owner, repository.owner.login"
	data.lib.graphql.root_fields(gql) == {"repository"}
	count(data.lib.graphql.calls(gql, "repository")) == 2
}
