# GitLab GraphQL: documents as the gateway gives them (input.request.graphql), judged by the
# field-path allowlists in policies/types/gitlab/data.json. Each allow is next to the
# near-misses an attacker would try: an alias or a fragment reaching CI/CD variables, file
# contents without code access, a second root field, an extra input field, a mutation on GET.
package integrations.gitlab_test

import data.fixtures

test_graphql[name] if {
	some name, c in graphql_cases
	decides(c)
}

# doc(operation, paths): a document selecting `paths`, each field without alias or arguments.
doc(operation, paths) := {
	"source": "body", "operation": operation, "name": null, "paths": sort(paths),
	"fields": [field(x, {}) | some x in paths],
	"variables": {}, "depth": 4, "nodes": count(paths), "directives": [],
}

# directed(d, names): document d with the directives `names` on its last field.
directed(d, names) := object.union(d, {"fields": array.concat(
	array.slice(d.fields, 0, count(d.fields) - 1),
	[object.union(d.fields[count(d.fields) - 1], {"directives": names})],
)})

field(path, args) := {"path": path, "alias": null, "args": args, "on": [], "directives": []}

# gpost(d): a POST of document d in the body; gget(d): a GET with it in ?query=.
gpost(d) := {"surface": "graphql", "method": "POST", "segments": [], "body": {"query": "(text)"}, "graphql": d}

gget(d) := {
	"surface": "graphql", "method": "GET", "segments": [], "query": {"query": ["(text)"]},
	"graphql": object.union(d, {"source": "query"}),
}

with_rule(c, rule) := object.union(c, {"rule": rule})

read := "gitlab.graphql.read"

user := doc("query", ["currentUser", "currentUser.id", "currentUser.username"])

mrs := doc("query", [
	"project", "project.fullPath", "project.visibility", "project.repository", "project.repository.rootRef",
	"project.mergeRequests", "project.mergeRequests.pageInfo", "project.mergeRequests.pageInfo.endCursor",
	"project.mergeRequests.nodes", "project.mergeRequests.nodes.iid", "project.mergeRequests.nodes.diffHeadSha",
	"project.mergeRequests.nodes.author", "project.mergeRequests.nodes.author.username",
	"project.mergeRequests.nodes.__typename",
])

projects := doc("query", [
	"projects", "projects.count", "projects.edges", "projects.edges.cursor", "projects.edges.node",
	"projects.edges.node.fullPath", "projects.edges.node.languages", "projects.edges.node.languages.name",
])

ci_variables := ["project", "project.ciVariables", "project.ciVariables.nodes", "project.ciVariables.nodes.value"]

blobs := [
	"project", "project.repository", "project.repository.blobs", "project.repository.blobs.nodes",
	"project.repository.blobs.nodes.path", "project.repository.blobs.nodes.rawTextBlob",
]

tree := [
	"project", "project.repository", "project.repository.tree", "project.repository.tree.blobs",
	"project.repository.tree.blobs.nodes", "project.repository.tree.blobs.nodes.path",
]

# The alias is resolved by the gateway: `name: ciVariables { ... }` is the path project.ciVariables.
aliased := object.union(doc("query", ci_variables), {"fields": [
	field("project", {"fullPath": "g/a"}),
	object.union(field("project.ciVariables", {}), {"alias": "name"}),
	field("project.ciVariables.nodes", {}),
	field("project.ciVariables.nodes.value", {}),
]})

# `project { ...F } fragment F on Project { ciVariables { nodes { value } } }`, expanded.
fragment := object.union(doc("query", array.concat(["project.name"], ci_variables)), {"fields": [
	field("project", {"fullPath": "g/a"}),
	field("project.name", {}),
	object.union(field("project.ciVariables", {}), {"on": ["Project"]}),
	object.union(field("project.ciVariables.nodes", {}), {"on": ["Project"]}),
	object.union(field("project.ciVariables.nodes.value", {}), {"on": ["Project"]}),
]})

note_paths := ["createNote", "createNote.errors", "createNote.note", "createNote.note.id"]

note_input := {"noteableId": "gid://gitlab/MergeRequest/12", "body": "2 vulnerable dependencies"}

# note(args, paths): a createNote mutation with these arguments selecting these paths.
note(args, paths) := object.union(doc("mutation", paths), {"fields": array.concat(
	[field("createNote", args)],
	[field(x, {}) | some x in paths; x != "createNote"],
)})

graphql_cases := {
	"current user": with_rule(gpost(user), read),
	"merge requests": with_rule(gpost(mrs), read),
	"projects by edges": with_rule(gpost(projects), read),
	"typename": with_rule(gpost(doc("query", ["__typename"])), read),
	"GET query": with_rule(gget(user), read),
	"include and skip directives": with_rule(gpost(directed(user, ["include", "skip"])), read),
	"include directive on GET": with_rule(gget(directed(user, ["include"])), read),
	"other field directive": with_rule(gpost(directed(user, ["include", "gl_introduced"])), deny),
	"directive on the operation": with_rule(gpost(object.union(user, {"directives": ["cached"]})), deny),
	"directive on the operation on GET": with_rule(gget(object.union(user, {"directives": ["cached"]})), deny),
	"no directives listed": with_rule(gpost(object.remove(user, {"directives"})), deny),
	"GET query with variables": object.union(gget(user), {"query": {"query": ["(text)"], "variables": ["{}"]}, "rule": read}),
	"GET query sudo": object.union(gget(user), {"query": {"query": ["(text)"], "sudo": ["root"]}, "rule": qdeny}),
	"HEAD query": object.union(gget(user), {"method": "HEAD", "rule": read}),
	"POST with query string": object.union(gpost(user), {"query": {"sudo": ["root"]}, "rule": deny}),
	"POST document from query string": with_rule(object.union(gpost(user), {"graphql": object.union(user, {"source": "query"})}), deny),
	"POST truncated": object.union(gpost(user), {"body_truncated": true, "rule": deny}),
	"no document": with_rule(gpost(null), deny),
	"on api surface": object.union(gpost(user), {"surface": "api", "rule": deny}),
	"user emails": with_rule(gpost(doc("query", ["currentUser", "currentUser.emails", "currentUser.emails.nodes", "currentUser.emails.nodes.email"])), deny),
	"user publicEmail": with_rule(gpost(doc("query", ["currentUser", "currentUser.publicEmail"])), deny),
	"ci variables": with_rule(gpost(doc("query", ci_variables)), deny),
	"ci variables with code": object.union(gpost(doc("query", ci_variables)), {"code": true, "rule": deny}),
	"group ci variables": with_rule(gpost(doc("query", ["group", "group.ciVariables", "group.ciVariables.nodes", "group.ciVariables.nodes.value"])), deny),
	"alias hiding ci variables": with_rule(gpost(aliased), deny),
	"fragment reaching ci variables": with_rule(gpost(fragment), deny),
	"fragment reaching ci variables with code": object.union(gpost(fragment), {"code": true, "rule": deny}),
	"deploy keys": with_rule(gpost(doc("query", ["project", "project.deployKeys", "project.deployKeys.nodes", "project.deployKeys.nodes.key"])), deny),
	"saml provider": with_rule(gpost(doc("query", ["group", "group.samlProvider", "group.samlProvider.id"])), deny),
	"mr diffs": with_rule(gpost(doc("query", ["project", "project.mergeRequest", "project.mergeRequest.diffs", "project.mergeRequest.diffs.diff"])), deny),
	"blobs": with_rule(gpost(doc("query", blobs)), deny),
	"blobs with code": object.union(gpost(doc("query", blobs)), {"code": true, "rule": "gitlab.code.graphql_read"}),
	"blobs and metadata with code": object.union(gpost(doc("query", array.concat(blobs, ["project.fullPath", "currentUser", "currentUser.username"]))), {"code": true, "rule": "gitlab.code.graphql_read"}),
	"raw blob with code": object.union(gpost(doc("query", ["project", "project.repository", "project.repository.blobs", "project.repository.blobs.nodes", "project.repository.blobs.nodes.rawBlob"])), {"code": true, "rule": deny}),
	"tree with code": object.union(gpost(doc("query", tree)), {"code": true, "rule": "gitlab.code.graphql_read"}),
	"tree": with_rule(gpost(doc("query", tree)), deny),
	"other root": with_rule(gpost(doc("query", ["runners", "runners.nodes", "runners.nodes.token"])), deny),
	"subscription": with_rule(gpost(doc("subscription", ["mergeRequestMergeStatusUpdated", "mergeRequestMergeStatusUpdated.id"])), deny),
	"read paths as a mutation": with_rule(gpost(doc("mutation", ["currentUser", "currentUser.username"])), deny),
	"create note": with_rule(gpost(note({"input": note_input}, note_paths)), "gitlab.graphql.create_note"),
	"create note with client id": with_rule(
		gpost(note({"input": object.union(note_input, {"clientMutationId": "s1"})}, array.concat(note_paths, ["createNote.clientMutationId"]))),
		"gitlab.graphql.create_note",
	),
	"create note extra input field": with_rule(gpost(note({"input": object.union(note_input, {"internal": true})}, note_paths)), deny),
	"create note extra argument": with_rule(gpost(note({"input": note_input, "x": 1}, note_paths)), deny),
	"create note body not a string": with_rule(gpost(note({"input": object.union(note_input, {"body": 1})}, note_paths)), deny),
	"create note on an issue": with_rule(gpost(note({"input": object.union(note_input, {"noteableId": "gid://gitlab/Issue/3"})}, note_paths)), deny),
	"create note selecting the author": with_rule(gpost(note({"input": note_input}, array.concat(note_paths, ["createNote.note.author", "createNote.note.author.username"]))), deny),
	"create note twice": with_rule(
		gpost(object.union(note({"input": note_input}, note_paths), {"fields": [field("createNote", {"input": note_input}), field("createNote", {"input": note_input})]})),
		deny,
	),
	"create note and another root": with_rule(
		gpost(object.union(
			note({"input": note_input}, array.concat(note_paths, ["destroyNote", "destroyNote.errors"])),
			{"fields": [field("createNote", {"input": note_input}), field("destroyNote", {"input": {"id": "gid://gitlab/Note/1"}})]},
		)),
		deny,
	),
	"other mutation": with_rule(gpost(object.union(doc("mutation", ["destroyNote", "destroyNote.errors"]), {"fields": [field("destroyNote", {"input": {"id": "gid://gitlab/Note/1"}})]})), deny),
	"create note on GET": with_rule(gget(note({"input": note_input}, note_paths)), deny),
	"create note with a directive on the operation": with_rule(gpost(object.union(note({"input": note_input}, note_paths), {"directives": ["cached"]})), deny),
	"create note with query string": object.union(gpost(note({"input": note_input}, note_paths)), {"query": {"sudo": ["root"]}, "rule": deny}),
}

test_graphql_reasons if {
	got := data.broker.decision with input as fixtures.request(object.union({"type": "gitlab"}, gpost(doc("query", ci_variables))))
	"the GraphQL query selects fields no rule allows: project.ciVariables, project.ciVariables.nodes, project.ciVariables.nodes.value" in got.reasons
	b := data.broker.decision with input as fixtures.request(object.union({"type": "gitlab"}, gpost(doc("query", blobs))))
	"rule gitlab.code.graphql_read would allow this request with allow_code_access=true" in b.reasons
	"the GraphQL query selects fields no rule allows: project.repository.blobs, project.repository.blobs.nodes, project.repository.blobs.nodes.path, project.repository.blobs.nodes.rawTextBlob" in b.reasons
	raw := ["project", "project.repository", "project.repository.blobs", "project.repository.blobs.nodes", "project.repository.blobs.nodes.rawBlob"]
	c := data.broker.decision with input as fixtures.request(object.union({"type": "gitlab", "code": true}, gpost(doc("query", raw))))
	c.reasons == [
		"no rule of integration gitlab allows POST / on surface graphql",
		"the GraphQL query selects fields no rule allows: project.repository.blobs.nodes.rawBlob",
	]
	s := data.broker.decision with input as fixtures.request(object.union({"type": "gitlab"}, gpost(doc("subscription", ["x"]))))
	"GraphQL subscriptions are never allowed through the broker" in s.reasons
	m := data.broker.decision with input as fixtures.request(object.union({"type": "gitlab"}, gget(note({"input": note_input}, note_paths))))
	"a GraphQL mutation must be sent with POST, its document in the body" in m.reasons
	n := data.broker.decision with input as fixtures.request(object.union({"type": "gitlab"}, gpost(null)))
	"the request carries no GraphQL document" in n.reasons
	o := data.broker.decision with input as fixtures.request(object.union({"type": "gitlab"}, gpost(object.union(user, {"directives": ["cached"]}))))
	"only the GraphQL directives @include and @skip are accepted" in o.reasons
	not "only the GraphQL directives @include and @skip are accepted" in got.reasons
}
