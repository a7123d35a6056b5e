# GitHub GraphQL (surface graphql): the rules judge the document the gateway parsed,
# input.request.graphql (see lib/graphql.rego), field path by field path against allowlists in
# data.types.github.graphql (policies/types/github/data.json):
#
#   metadata     what a dependency scanner reads without code access: viewer, user and
#                organization identity and repository lists, repository metadata, refs, pull
#                requests, issues, dependency graph manifests, languages, rateLimit
#   code         added with allow_code_access: file contents (repository.object, Blob.text,
#                Tree.entries, two directory levels)
#   add_comment  the result fields an addComment mutation may select
#
# Not in any list, so refused: deployKeys, environments, secrets and variables, SAML identity
# providers and external identities, e-mail addresses, review diff hunks, node(s) by id, search,
# and every other mutation. Where the document is read is checked too: a POST carries it in a
# JSON body of query, variables and operationName only, with no query parameter (GitHub reads
# none, and one the policy did not judge must not ride along); a GET carries only a query
# operation in ?query=. Subscriptions are never allowed.
#
# https://docs.github.com/en/graphql/reference
package integrations.github

import data.lib.body
import data.lib.flags
import data.lib.graphql
import data.lib.http

# graphql_request: a request to the GraphQL endpoint with a parsed document, judged as a
# whole by graphql_sent. False (not undefined) otherwise, so it is evaluated once per request
# and every GraphQL rule and hint stops at its first line.
default graphql_request := false

graphql_request if {
	input.integration.surface == "graphql"
	count(segments) == 0
	is_object(input.request.graphql)
}

gql := input.request.graphql

lists := data.types.github.graphql

# graphql_sent: the document came the one way GitHub reads it for this method, and uses no
# directive but @include and @skip, anywhere (a field they drop is still judged).
default graphql_sent := false

graphql_sent if {
	graphql_request
	graphql_transport
	graphql.directives_within(gql, data.types.github.graphql_directives)
}

# POST: a complete JSON body with only query, variables and operationName (operationName, if
# given, naming the operation the gateway parsed), and no query parameter at all.
graphql_transport if {
	input.request.method == "POST"
	gql.source == "body"
	http.complete_body(input.request)
	is_object(request_body)
	every key, _ in request_body {
		data.types.github.graphql_body_fields[key]
	}
	operation_name(object.get(request_body, "operationName", null))
	count(input.request.query) == 0
}

# GET (and HEAD, judged as GET): a query operation in ?query=; the parameters it may come
# with are the rules' query allowlists.
graphql_transport if {
	input.request.method == "GET"
	gql.source == "query"
	gql.operation == "query"
}

# operation_name(name): the body's operationName names nothing (null, or "" as some clients
# send; a document holds one operation, which the gateway checked) or the parsed operation.
operation_name(null)

operation_name("")

operation_name(name) if name == gql.name

# github.graphql.read: a query over identity, repository lists and repository metadata
# (names, visibility, default branch, refs, pull requests, issues, dependency graph manifests,
# languages) whose every field path is in the metadata allowlist: no file contents.
rules contains "github.graphql.read" if {
	graphql_request
	gql.operation == "query"
	graphql_sent
	graphql.paths_within(gql, lists.metadata)
}

# github.code.graphql_read: the same queries, and also file contents and directory listings
# through repository.object (the GraphQL form of the contents API).
code_rules contains "github.code.graphql_read" if {
	graphql_request
	gql.operation == "query"
	graphql_sent
	every p in gql.paths {
		code_path(p)
	}
}

code_path(p) if graphql.path_allowed(p, lists.metadata)

code_path(p) if graphql.path_allowed(p, lists.code)

# github.graphql.add_comment: the GraphQL form of a plain comment on an issue or pull request,
# the only mutation allowed: exactly one addComment, whose only argument is input =
# {subjectId, body[, clientMutationId]}, all strings, selecting only the new comment's id and
# link. https://docs.github.com/en/graphql/reference/mutations#addcomment
rules contains "github.graphql.add_comment" if {
	graphql_request
	gql.operation == "mutation"
	graphql_sent
	graphql.paths_within(gql, lists.add_comment)
	[call] := graphql.calls(gql, "addComment")
	comment_input(call.args)
}

comment_input(args) if {
	count(args) == 1
	body.fields_within(args.input, {"subjectId", "body", "clientMutationId"})
	body.strings(args.input, {"subjectId", "body"})
	body.optional_strings(args.input, {"clientMutationId"})
}

# Why a GraphQL request was denied, when nothing allowed it.
hints contains "a GraphQL request must carry one document: in the JSON body of a POST, or in ?query= of a GET" if {
	input.integration.surface == "graphql"
	not is_object(input.request.graphql)
}

hints contains "a GraphQL POST carries its document in a JSON body with only query, variables and operationName, and no query parameter; a GET carries only a query operation in ?query=; only the directives @include and @skip are accepted" if {
	graphql_request
	not graphql_sent
}

hints contains "GraphQL subscriptions are never allowed through the broker" if {
	graphql_request
	gql.operation == "subscription"
}

hints contains graphql.paths_reason(gql, lists.metadata) if {
	graphql_request
	gql.operation == "query"
	not flags.code_access
	count(graphql.unknown_paths(gql, lists.metadata)) > 0
}

hints contains graphql.paths_reason(gql, object.union(lists.metadata, lists.code)) if {
	graphql_request
	gql.operation == "query"
	flags.code_access
	count(graphql.unknown_paths(gql, object.union(lists.metadata, lists.code))) > 0
}

hints contains "a GraphQL mutation must be exactly one addComment(input: {subjectId, body[, clientMutationId]}) selecting only clientMutationId, commentEdge.node {id, databaseId, url, createdAt} and subject.id" if {
	graphql_request
	gql.operation == "mutation"
}

hints contains graphql.paths_reason(gql, lists.add_comment) if {
	graphql_request
	gql.operation == "mutation"
	count(graphql.unknown_paths(gql, lists.add_comment)) > 0
}
