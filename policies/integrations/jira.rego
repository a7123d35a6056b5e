# Rules for Jira Server and Data Center (integration type "jira"), REST API version 2 (or its
# alias "latest") under <baseUrl>/rest/api/.
#
#   rules  always on: identity and server info, projects, issue types and create metadata,
#          issue reads and JQL search; creating issues in, and commenting on issues of, the
#          projects listed in allowed_projects (Jira project keys; empty means none)
#
# Jira is where a scanner files its findings, so creating issues is the comment tier and needs
# no flag, but it is limited to configured projects. Never allowed: editing, transitioning or
# deleting issues, attachments, users, permissions, admin and webhook endpoints.
#
# Jira Server REST reference: https://docs.atlassian.com/software/jira/docs/api/REST/latest/
#
# policies/types/jira/data.json holds, per rule id, the query parameters it accepts
# (lib/query.rego; the write rules accept none), the grammar of each placeholder
# (lib/match.rego: project keys or ids, issue keys; Jira runs on Tomcat, which strips ";params"
# from path segments, so no grammar has ";" or "/"), and under `expand` the values each kind
# of read may expand. `expand` is checked value by value: it adds data to the answer, and the
# lists keep it to field names, schemas, rendered text and project details (no changelog,
# transitions, edit metadata or operations).
package integrations.jira

import data.lib.body
import data.lib.flags
import data.lib.http
import data.lib.match

allowed_by contains id if some id in rules

hints contains "issues can only be created in, and commented on in, the projects listed in allowed_projects" if {
	issue_write
	not allowed_project
}

segments := input.request.segments

request_body := input.request.body

# api(rest): /rest/api/{2,latest}<rest>.
api(rest) if {
	segments[0] == "rest"
	segments[2] in {"2", "latest"}
	match.path(segments, array.concat(["rest", "api", ":version"], rest))
}

# expand_within(kind): the expand parameter, when given, names only values listed for `kind`
# in data.json (a comma-separated list, as Jira reads it).
expand_within(_) if not input.request.query.expand

expand_within(kind) if {
	every value in split(input.request.query.expand[0], ",") {
		data.types.jira.expand[kind][trim_space(value)]
	}
}

api_get if {
	input.integration.surface == "api"
	input.request.method == "GET"
}

api_post if {
	input.integration.surface == "api"
	input.request.method == "POST"
	http.complete_body(input.request)
}

# issue_key(key): a Jira issue key, PROJECT-123.
issue_key(key) if {
	# `^[A-Z][A-Z0-9_]*-[1-9][0-9]*$` without a regex (compiled on every evaluation in WASM):
	# the project part has no "-", so the key splits into exactly two parts.
	[project, number] := split(key, "-")
	match.word(project, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", concat("", [match.upper_digits, "_"]))
	match.positive_integer(number)
}

# key_project(key): the project key of an issue key.
key_project(key) := substring(key, 0, indexof(key, "-"))

issue_write if {
	input.request.method == "POST"
	api(["issue"])
}

issue_write if {
	input.request.method == "POST"
	api(["issue", ":issue", "comment"])
}

allowed_project if flags.project(object.get(request_body, ["fields", "project", "key"], null))

allowed_project if flags.project(key_project(segments[4]))

# jira.meta.identity: the authenticated user and the server version, to verify the token.
rules contains "jira.meta.identity" if {
	api_get
	some rest in [["myself"], ["serverInfo"]]
	api(rest)
}

# jira.projects.read: projects, one project, and the issue types and fields needed to create
# issues (createmeta).
rules contains "jira.projects.read" if {
	api_get
	some rest in [["project"], ["project", ":project"]]
	api(rest)
	expand_within("project")
}

rules contains "jira.projects.read" if {
	api_get
	some rest in [["issuetype"], ["priority"], ["issue", "createmeta", ":project", "issuetypes"]]
	api(rest)
	not input.request.query.expand
}

rules contains "jira.projects.read" if {
	api_get
	api(["issue", "createmeta"])
	expand_within("createmeta")
}

# jira.issues.read: one issue (and its comments), to see whether a finding is already filed.
rules contains "jira.issues.read" if {
	api_get
	api(["issue", ":issue"])
	issue_key(segments[4])
	expand_within("issue")
}

rules contains "jira.issues.read" if {
	api_get
	api(["issue", ":issue", "comment"])
	issue_key(segments[4])
	expand_within("comment")
}

# jira.issues.search: JQL search, as GET with query parameters or POST with the documented
# body fields. The POST takes no query parameter: the allowlist (shared by both forms, one
# rule id) lists the GET's, and a POST must not carry a second jql that a filter in front of
# Jira could read instead of the body's.
rules contains "jira.issues.search" if {
	api_get
	api(["search"])
	expand_within("issue")
}

rules contains "jira.issues.search" if {
	api_post
	api(["search"])
	count(input.request.query) == 0
	body.fields_within(request_body, {"jql", "startAt", "maxResults", "fields", "expand", "validateQuery"})
	body.strings(request_body, {"jql"})
	every value in object.get(request_body, "expand", []) {
		data.types.jira.expand.issue[value]
	}
}

# Fields a created issue may set; custom fields ("customfield_10010") too.
issue_fields := {
	"project", "summary", "description", "issuetype", "labels", "priority", "components",
	"versions", "fixVersions", "duedate", "environment",
}

# jira.issues.create: file a finding as an issue, only in an allowed project named by key:
# {"fields": {"project": {"key": "SEC"}, "summary": ..., "issuetype": ..., ...}}.
rules contains "jira.issues.create" if {
	api_post
	api(["issue"])
	body.fields_within(request_body, {"fields"})
	fields := request_body.fields
	is_object(fields)
	every name, _ in fields {
		issue_field(name)
	}
	body.fields_within(fields.project, {"key"})
	flags.project(fields.project.key)
	is_string(fields.summary)
}

issue_field(name) if name in issue_fields

issue_field(name) if {
	startswith(name, "customfield_") # ^customfield_[0-9]+$
	match.digits(substring(name, count("customfield_"), -1))
}

# jira.issues.comment: comment on an issue of an allowed project: {"body": "<text>"}.
rules contains "jira.issues.comment" if {
	api_post
	api(["issue", ":issue", "comment"])
	issue_key(segments[4])
	flags.project(key_project(segments[4]))
	body.only_string_field(request_body, "body")
}
