# GitHub GraphQL rules through broker/decision, on documents as the gateway parses them
# (input.request.graphql: aliases resolved, fragments expanded, variables substituted). Each
# case gives the field paths the document selects; the query text in the body is only there
# to show what such a document looks like. Every allow has near-misses next to it: a
# forbidden field behind an alias or a fragment, file contents without code access, a second
# mutation, an extra input field, the wrong transport.
package integrations.github_graphql_test

import data.fixtures

deny := "broker.deny.no_matching_rule"

test_graphql_read[name] if {
	some name, c in read_cases
	decides(c)
}

test_graphql_code[name] if {
	some name, c in code_cases
	decides(c)
}

test_graphql_transport[name] if {
	some name, c in transport_cases
	decides(c)
}

test_graphql_mutation[name] if {
	some name, c in mutation_cases
	decides(c)
}

decides(c) if {
	got := data.broker.decision with input as fixtures.request(c)
	got.rule == c.rule
	got.allow == not_denied(c.rule)
}

not_denied(rule) := false if startswith(rule, "broker.deny.")

else := true

# doc(operation, paths): a parsed document selecting `paths`, each field without arguments,
# alias, type condition or directive unless `fields` says otherwise (see docf).
doc(operation, paths) := docf(operation, paths, [field(p) | some p in paths])

docf(operation, paths, fields) := {
	"source": "body", "operation": operation, "name": null,
	"paths": sort(paths), "fields": fields, "variables": {},
	"depth": 4, "nodes": count(paths), "directives": [],
}

field(p) := {"path": p, "alias": null, "args": {}, "on": [], "directives": []}

# post(gql, c): a POST of the document, with more case fields from c.
post(gql, c) := object.union(
	{"surface": "graphql", "method": "POST", "segments": [], "body": {"query": "query { ... }"}, "graphql": gql},
	c,
)

# get(gql, c): the same document in ?query= of a GET.
get(gql, c) := object.union(
	{
		"surface": "graphql", "method": "GET", "segments": [], "query": {"query": ["{ ... }"]},
		"graphql": object.union(gql, {"source": "query"}),
	},
	c,
)

scan_paths := [
	"repository", "repository.nameWithOwner", "repository.isPrivate", "repository.visibility",
	"repository.defaultBranchRef", "repository.defaultBranchRef.name",
	"repository.defaultBranchRef.target", "repository.defaultBranchRef.target.oid",
	"repository.dependencyGraphManifests", "repository.dependencyGraphManifests.totalCount",
	"repository.dependencyGraphManifests.pageInfo", "repository.dependencyGraphManifests.pageInfo.endCursor",
	"repository.dependencyGraphManifests.nodes", "repository.dependencyGraphManifests.nodes.filename",
	"repository.dependencyGraphManifests.nodes.blobPath",
	"repository.dependencyGraphManifests.nodes.dependencies",
	"repository.dependencyGraphManifests.nodes.dependencies.nodes",
	"repository.dependencyGraphManifests.nodes.dependencies.nodes.packageName",
	"repository.dependencyGraphManifests.nodes.dependencies.nodes.requirements",
	"repository.dependencyGraphManifests.nodes.dependencies.nodes.packageManager",
	"repository.languages", "repository.languages.edges", "repository.languages.edges.size",
	"repository.languages.edges.node", "repository.languages.edges.node.name",
	"rateLimit", "rateLimit.remaining", "__typename", "repository.__typename",
]

pull_paths := [
	"repository", "repository.pullRequests", "repository.pullRequests.nodes",
	"repository.pullRequests.nodes.number", "repository.pullRequests.nodes.title",
	"repository.pullRequests.nodes.state", "repository.pullRequests.nodes.headRefName",
	"repository.pullRequests.nodes.baseRefName", "repository.pullRequests.nodes.headRefOid",
	"repository.pullRequests.nodes.url", "repository.pullRequests.nodes.author",
	"repository.pullRequests.nodes.author.login", "repository.issues",
	"repository.issues.nodes", "repository.issues.nodes.number", "repository.issues.nodes.title",
	"repository.refs", "repository.refs.nodes", "repository.refs.nodes.name",
	"repository.refs.nodes.target", "repository.refs.nodes.target.oid",
]

import_paths := [
	"viewer", "viewer.login", "viewer.repositories", "viewer.repositories.totalCount",
	"viewer.repositories.nodes", "viewer.repositories.nodes.nameWithOwner",
	"viewer.organizations", "viewer.organizations.nodes", "viewer.organizations.nodes.login",
	"organization", "organization.repositories", "organization.repositories.edges",
	"organization.repositories.edges.cursor", "organization.repositories.edges.node",
	"organization.repositories.edges.node.name", "organization.repositories.edges.node.isArchived",
	"organization.repositories.edges.node.defaultBranchRef",
	"organization.repositories.edges.node.defaultBranchRef.name",
	"user", "user.login", "user.repositories", "user.repositories.nodes", "user.repositories.nodes.url",
]

deploy_keys := ["repository", "repository.name", "repository.deployKeys", "repository.deployKeys.nodes", "repository.deployKeys.nodes.key"]

# `{ repository(owner: "acme", name: "app") { name: deployKeys(first: 5) { nodes { key } } } }`:
# the alias "name" is resolved, the path is the real field.
aliased_deploy_keys := docf("query", deploy_keys, [
	field("repository"), field("repository.name"),
	object.union(field("repository.deployKeys"), {"alias": "name"}),
	field("repository.deployKeys.nodes"), field("repository.deployKeys.nodes.key"),
])

# `{ repository(...) { ...Meta } } fragment Meta on Repository { name deployKeys { nodes { key } } }`
fragment_deploy_keys := docf("query", deploy_keys, [
	field("repository"),
	object.union(field("repository.name"), {"on": ["Repository"]}),
	object.union(field("repository.deployKeys"), {"on": ["Repository"]}),
	field("repository.deployKeys.nodes"), field("repository.deployKeys.nodes.key"),
])

blob_paths := ["repository", "repository.object", "repository.object.text", "repository.object.byteSize"]

tree_paths := [
	"repository", "repository.object", "repository.object.entries", "repository.object.entries.name",
	"repository.object.entries.type", "repository.object.entries.path", "repository.object.entries.object",
	"repository.object.entries.object.text",
]

read_cases := {
	"scan a repository": post(doc("query", scan_paths), {"rule": "github.graphql.read"}),
	"pull requests, issues and refs": post(doc("query", pull_paths), {"rule": "github.graphql.read"}),
	"import repositories": post(doc("query", import_paths), {"rule": "github.graphql.read"}),
	"named operation": post(
		object.union(doc("query", ["rateLimit", "rateLimit.remaining"]), {"name": "Q"}),
		{"body": {"query": "query Q { rateLimit { remaining } }", "operationName": "Q"}, "rule": "github.graphql.read"},
	),
	"include directive": post(
		docf("query", ["viewer", "viewer.login"], [field("viewer"), object.union(field("viewer.login"), {"directives": ["include"]})]),
		{"rule": "github.graphql.read"},
	),
	"deploy keys": post(doc("query", deploy_keys), {"rule": deny}),
	"deploy keys behind an alias": post(aliased_deploy_keys, {"rule": deny}),
	"deploy keys from a fragment": post(fragment_deploy_keys, {"rule": deny}),
	"deploy keys behind an alias with code": post(aliased_deploy_keys, {"code": true, "rule": deny}),
	"blob text": post(doc("query", blob_paths), {"rule": deny}),
	"tree entries": post(doc("query", tree_paths), {"rule": deny}),
	"review diff hunks": post(
		doc("query", array.concat(pull_paths, [
			"repository.pullRequests.nodes.reviewThreads", "repository.pullRequests.nodes.reviewThreads.nodes",
			"repository.pullRequests.nodes.reviewThreads.nodes.comments",
			"repository.pullRequests.nodes.reviewThreads.nodes.comments.nodes",
			"repository.pullRequests.nodes.reviewThreads.nodes.comments.nodes.diffHunk",
		])),
		{"rule": deny},
	),
	"environments": post(doc("query", ["repository", "repository.environments", "repository.environments.nodes", "repository.environments.nodes.name"]), {"rule": deny}),
	"saml identities": post(
		doc("query", [
			"organization", "organization.samlIdentityProvider",
			"organization.samlIdentityProvider.externalIdentities",
			"organization.samlIdentityProvider.externalIdentities.nodes",
			"organization.samlIdentityProvider.externalIdentities.nodes.guid",
		]),
		{"rule": deny},
	),
	"viewer email": post(doc("query", ["viewer", "viewer.login", "viewer.email"]), {"rule": deny}),
	"commit author email": post(
		doc("query", [
			"repository", "repository.defaultBranchRef", "repository.defaultBranchRef.target",
			"repository.defaultBranchRef.target.author", "repository.defaultBranchRef.target.author.email",
		]),
		{"rule": deny},
	),
	"node by id": post(doc("query", ["node", "node.id"]), {"rule": deny}),
	"search": post(doc("query", ["search", "search.repositoryCount"]), {"rule": deny}),
	"enterprise next to viewer": post(doc("query", ["viewer", "viewer.login", "enterprise", "enterprise.id"]), {"rule": deny}),
	"pageInfo of an unlisted connection": post(doc("query", ["repository", "repository.collaborators", "repository.collaborators.pageInfo"]), {"rule": deny}),
	"other directive": post(
		docf("query", ["viewer", "viewer.login"], [field("viewer"), object.union(field("viewer.login"), {"directives": ["defer"]})]),
		{"rule": deny},
	),
	"directive on the operation": post(object.union(doc("query", ["viewer", "viewer.login"]), {"directives": ["cached"]}), {"rule": deny}),
	"no directives listed": post(object.remove(doc("query", ["viewer", "viewer.login"]), {"directives"}), {"rule": deny}),
	"subscription": post(doc("subscription", ["viewer", "viewer.login"]), {"rule": deny}),
	"subscription with code": post(doc("subscription", ["viewer", "viewer.login"]), {"code": true, "rule": deny}),
}

code_cases := {
	"blob text with code": post(doc("query", blob_paths), {"code": true, "rule": "github.code.graphql_read"}),
	"tree entries with code": post(doc("query", tree_paths), {"code": true, "rule": "github.code.graphql_read"}),
	"metadata with code": post(doc("query", scan_paths), {"code": true, "rule": "github.code.graphql_read"}),
	"repository of a git object with code": post(
		doc("query", array.concat(blob_paths, [
			"repository.object.repository", "repository.object.repository.deployKeys",
			"repository.object.repository.deployKeys.nodes", "repository.object.repository.deployKeys.nodes.key",
		])),
		{"code": true, "rule": deny},
	),
	"three directory levels with code": post(
		doc("query", array.concat(tree_paths, [
			"repository.object.entries.object.entries", "repository.object.entries.object.entries.object",
			"repository.object.entries.object.entries.object.entries",
		])),
		{"code": true, "rule": deny},
	),
	"commit history with code": post(
		doc("query", [
			"repository", "repository.object", "repository.object.history",
			"repository.object.history.nodes", "repository.object.history.nodes.message",
		]),
		{"code": true, "rule": deny},
	),
	"blob text as GET with code": get(doc("query", blob_paths), {"code": true, "rule": "github.code.graphql_read"}),
}

transport_cases := {
	"GET query": get(doc("query", ["viewer", "viewer.login"]), {"rule": "github.graphql.read"}),
	"GET query with variables": get(
		doc("query", ["viewer", "viewer.login"]),
		{"query": {"query": ["query($n: Int) { viewer { login } }"], "variables": ["{\"n\": 1}"]}, "rule": "github.graphql.read"},
	),
	"HEAD query": get(doc("query", ["viewer", "viewer.login"]), {"method": "HEAD", "rule": "github.graphql.read"}),
	"HEAD deploy keys": get(doc("query", deploy_keys), {"method": "HEAD", "rule": deny}),
	"GET query with an access token": get(
		doc("query", ["viewer", "viewer.login"]),
		{"query": {"query": ["{ viewer { login } }"], "access_token": ["x"]}, "rule": "broker.deny.query_parameter"},
	),
	"GET query given twice": get(
		doc("query", ["viewer", "viewer.login"]),
		{"query": {"query": ["{ viewer { login } }", "{ viewer { email } }"]}, "rule": "broker.deny.query_parameter"},
	),
	"GET mutation": get(add_comment, {"rule": deny}),
	"GET with the document in the body": object.union(get(doc("query", ["viewer", "viewer.login"]), {"rule": deny}), {"graphql": doc("query", ["viewer", "viewer.login"])}),
	"POST with the document in the query": post(object.union(doc("query", ["viewer", "viewer.login"]), {"source": "query"}), {"rule": deny}),
	"POST with a query parameter": post(doc("query", ["viewer", "viewer.login"]), {"query": {"x": ["1"]}, "rule": deny}),
	"POST with extensions": post(
		doc("query", ["viewer", "viewer.login"]),
		{"body": {"query": "{ viewer { login } }", "extensions": {"persistedQuery": {}}}, "rule": deny},
	),
	"POST with an empty operationName": post(
		doc("query", ["viewer", "viewer.login"]),
		{"body": {"query": "{ viewer { login } }", "operationName": ""}, "rule": "github.graphql.read"},
	),
	"POST with another operationName": post(
		object.union(doc("query", ["viewer", "viewer.login"]), {"name": "A"}),
		{"body": {"query": "query A { viewer { login } }", "operationName": "B"}, "rule": deny},
	),
	"POST truncated": post(doc("query", ["viewer", "viewer.login"]), {"body_truncated": true, "rule": deny}),
	"POST body not an object": post(doc("query", ["viewer", "viewer.login"]), {"body": "{ viewer { login } }", "rule": deny}),
	"PUT": post(doc("query", ["viewer", "viewer.login"]), {"method": "PUT", "rule": deny}),
	"no document": {"surface": "graphql", "method": "POST", "segments": [], "body": {"query": "{ viewer { login } }"}, "rule": deny},
	"with a path": post(doc("query", ["viewer", "viewer.login"]), {"segments": ["x"], "rule": deny}),
	"on the api surface": post(doc("query", ["viewer", "viewer.login"]), {"surface": "api", "rule": deny}),
}

comment := {"subjectId": "PR_kwDOA", "body": "2 vulnerable dependencies"}

# add_comment_with(args, paths): `mutation($input: AddCommentInput!) { addComment(input: $input)
# { ... } }` with the arguments as substituted, selecting `paths`.
add_comment_with(args, paths) := docf("mutation", paths, array.concat(
	[object.union(field("addComment"), {"args": args})],
	[field(p) | some p in paths; p != "addComment"],
))

add_comment := add_comment_with({"input": comment}, ["addComment", "addComment.clientMutationId"])

comment_result := [
	"addComment", "addComment.clientMutationId", "addComment.commentEdge", "addComment.commentEdge.node",
	"addComment.commentEdge.node.id", "addComment.commentEdge.node.url", "addComment.subject", "addComment.subject.id",
]

mutation_cases := {
	"add comment": post(add_comment, {"rule": "github.graphql.add_comment"}),
	"add comment with clientMutationId and result": post(
		add_comment_with({"input": object.union(comment, {"clientMutationId": "scan-1"})}, comment_result),
		{"rule": "github.graphql.add_comment"},
	),
	"add comment with code": post(add_comment, {"code": true, "rule": "github.graphql.add_comment"}),
	"add comment without body": post(
		add_comment_with({"input": object.remove(comment, {"body"})}, ["addComment", "addComment.clientMutationId"]),
		{"rule": deny},
	),
	"add comment with an extra input field": post(
		add_comment_with({"input": object.union(comment, {"bodyHTML": "<b>x</b>"})}, ["addComment", "addComment.clientMutationId"]),
		{"rule": deny},
	),
	"add comment with a body that is not a string": post(
		add_comment_with({"input": object.union(comment, {"body": ["x"]})}, ["addComment", "addComment.clientMutationId"]),
		{"rule": deny},
	),
	"add comment with a second argument": post(
		add_comment_with({"input": comment, "x": 1}, ["addComment", "addComment.clientMutationId"]),
		{"rule": deny},
	),
	"add comment reading the subject's contents": post(
		add_comment_with({"input": comment}, ["addComment", "addComment.subject", "addComment.subject.body"]),
		{"rule": deny},
	),
	"add comment reaching deploy keys": post(
		add_comment_with({"input": comment}, [
			"addComment", "addComment.commentEdge", "addComment.commentEdge.node",
			"addComment.commentEdge.node.repository", "addComment.commentEdge.node.repository.deployKeys",
		]),
		{"rule": deny},
	),
	"add comment and merge": post(
		docf("mutation", ["addComment", "addComment.clientMutationId", "mergePullRequest", "mergePullRequest.clientMutationId"], [
			object.union(field("addComment"), {"args": {"input": comment}}), field("addComment.clientMutationId"),
			object.union(field("mergePullRequest"), {"args": {"input": {"pullRequestId": "PR_kwDOA"}}}),
			field("mergePullRequest.clientMutationId"),
		]),
		{"rule": deny},
	),
	# `a: addComment(...) { clientMutationId } b: addComment(...) { clientMutationId }`: one path, two calls.
	"add comment twice under aliases": post(
		docf("mutation", ["addComment", "addComment.clientMutationId"], [
			object.union(field("addComment"), {"alias": "a", "args": {"input": comment}}),
			object.union(field("addComment"), {"alias": "b", "args": {"input": comment}}),
			field("addComment.clientMutationId"),
		]),
		{"rule": deny},
	),
	"other mutation": post(
		docf("mutation", ["createRef", "createRef.clientMutationId"], [
			object.union(field("createRef"), {"args": {"input": {"name": "refs/heads/x"}}}),
			field("createRef.clientMutationId"),
		]),
		{"code": true, "flags": {"allow_writes": true}, "rule": deny},
	),
	"add comment as a query": post(
		docf("query", ["addComment", "addComment.clientMutationId"], add_comment.fields),
		{"rule": deny},
	),
}

# Why a GraphQL request was denied.
test_reason_unknown_paths if {
	got := data.broker.decision with input as fixtures.request(post(aliased_deploy_keys, {}))
	"the GraphQL query selects fields no rule allows: repository.deployKeys, repository.deployKeys.nodes, repository.deployKeys.nodes.key" in got.reasons
}

test_reason_code_access if {
	got := data.broker.decision with input as fixtures.request(post(doc("query", blob_paths), {}))
	"rule github.code.graphql_read would allow this request with allow_code_access=true" in got.reasons
	"the GraphQL query selects fields no rule allows: repository.object, repository.object.byteSize, repository.object.text" in got.reasons
}

test_reason_unknown_paths_with_code if {
	c := post(doc("query", ["repository", "repository.object", "repository.object.history"]), {"code": true})
	got := data.broker.decision with input as fixtures.request(c)
	"the GraphQL query selects fields no rule allows: repository.object.history" in got.reasons
}

test_reason_no_document if {
	got := data.broker.decision with input as fixtures.request(transport_cases["no document"])
	"a GraphQL request must carry one document: in the JSON body of a POST, or in ?query= of a GET" in got.reasons
}

test_reason_transport if {
	got := data.broker.decision with input as fixtures.request(transport_cases["POST with extensions"])
	some r in got.reasons
	startswith(r, "a GraphQL POST carries its document in a JSON body with only query, variables and operationName")
}

test_reason_subscription if {
	got := data.broker.decision with input as fixtures.request(read_cases.subscription)
	"GraphQL subscriptions are never allowed through the broker" in got.reasons
}

test_reason_mutation if {
	got := data.broker.decision with input as fixtures.request(mutation_cases["add comment and merge"])
	"the GraphQL mutation selects fields no rule allows: mergePullRequest, mergePullRequest.clientMutationId" in got.reasons
	some r in got.reasons
	startswith(r, "a GraphQL mutation must be exactly one addComment(input: {subjectId, body[, clientMutationId]})")
}

test_reason_query_parameter if {
	got := data.broker.decision with input as fixtures.request(transport_cases["GET query with an access token"])
	got.reasons == ["query parameter \"access_token\" is not accepted by rule github.graphql.read (it accepts: operationName, query, variables)"]
}
