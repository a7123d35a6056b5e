# GitLab GraphQL (surface graphql, <root>/api/graphql): the rules of package
# integrations.gitlab that judge GraphQL documents. See lib/graphql.rego.
#
# GitLab's GraphqlController reads `query`, `variables` and `operationName` from the JSON body
# or from the query string, and runs only queries on GET
# (https://docs.gitlab.com/api/graphql/). The gateway parses the document wherever it is,
# refuses a request that carries it in two places, and gives the policy input.request.graphql.
# A POST must carry its document in the body and nothing in the query string; a GET may only
# run a query, whose `query`, `variables` and `operationName` parameters are then the ones the
# gateway parsed (data.types.gitlab.query_params lists them for the two read rules only).
#
# What a document may select is data: data.types.gitlab.graphql (policies/types/gitlab/
# data.json) maps each allowed field path to why it is allowed:
#   read         metadata: the current user's id and username, projects, groups, merge
#                requests, branch names, languages, the version; never CI/CD variables, deploy
#                keys or tokens, file contents, diffs, emails or identities
#   code         with allow_code_access, also: repository blobs (rawTextBlob) and the tree
#   create_note  what the createNote mutation may select in its result
package integrations.gitlab

import data.lib.body
import data.lib.flags
import data.lib.graphql
import data.lib.http
import data.lib.match

gql_allowed := data.types.gitlab.graphql

gql := input.request.graphql if {
	input.integration.surface == "graphql"
	count(segments) == 0
	is_object(input.request.graphql)
}

# gql_query: a query operation, sent in a complete POST body with an empty query string, or on
# GET in the query string.
default gql_query := false

gql_query if {
	gql.operation == "query"
	gql_transport
}

gql_transport if {
	input.request.method == "POST"
	gql.source == "body"
	http.complete_body(input.request)
	count(input.request.query) == 0
	gql_directives
}

gql_transport if {
	input.request.method == "GET"
	gql.source == "query"
	gql_directives
}

# gql_directives: no directive but @include and @skip, anywhere in the document (a field they
# drop is still judged; GitLab's own directives are not needed by a scanner).
gql_directives if graphql.directives_within(gql, data.types.gitlab.graphql_directives)

# gitlab.graphql.read: one query over metadata a scanner needs (the read allowlist).
rules contains "gitlab.graphql.read" if {
	gql_query
	graphql.paths_within(gql, gql_allowed.read)
}

# gitlab.code.graphql_read: the same queries, and file contents and the tree.
code_rules contains "gitlab.code.graphql_read" if {
	gql_query
	every p in gql.paths {
		code_path(p)
	}
}

code_path(p) if graphql.path_allowed(p, gql_allowed.read)

code_path(p) if graphql.path_allowed(p, gql_allowed.code)

# gitlab.graphql.create_note: the GraphQL form of gitlab.notes.create, the only mutation:
# exactly one root field, createNote(input: {noteableId, body[, clientMutationId]}) on a
# merge request, selecting only the note's id, errors and clientMutationId.
# https://docs.gitlab.com/api/graphql/reference/#mutationcreatenote
rules contains "gitlab.graphql.create_note" if {
	gql.operation == "mutation"
	input.request.method == "POST"
	gql.source == "body"
	http.complete_body(input.request)
	count(input.request.query) == 0
	gql_directives
	graphql.paths_within(gql, gql_allowed.create_note)
	[call] := graphql.calls(gql, "createNote")
	count(call.args) == 1
	note_input(call.args.input)
}

note_input(note) if {
	body.fields_within(note, {"noteableId", "body", "clientMutationId"})
	body.strings(note, {"noteableId", "body"})
	body.optional_strings(note, {"clientMutationId"})
	merge_request_gid(note.noteableId)
}

# merge_request_gid(s): "gid://gitlab/MergeRequest/<id>", as REST notes are on merge requests
# only.
merge_request_gid(s) if {
	startswith(s, "gid://gitlab/MergeRequest/")
	match.positive_integer(trim_prefix(s, "gid://gitlab/MergeRequest/"))
}

# Why a query was not allowed: the fields outside what this integration's flags allow.
hints contains graphql.paths_reason(gql, gql_readable) if {
	gql_query
	count(graphql.unknown_paths(gql, gql_readable)) > 0
}

gql_readable := gql_allowed.read if {
	not flags.code_access
} else := object.union(gql_allowed.read, gql_allowed.code)

hints contains "GraphQL subscriptions are never allowed through the broker" if {
	gql.operation == "subscription"
}

hints contains "a GraphQL mutation must be sent with POST, its document in the body" if {
	gql.operation == "mutation"
	gql.source != "body"
}

hints contains "only the GraphQL directives @include and @skip are accepted" if {
	is_object(gql)
	not gql_directives
}

hints contains "the request carries no GraphQL document" if {
	input.integration.surface == "graphql"
	not is_object(input.request.graphql)
}
