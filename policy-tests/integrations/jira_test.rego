# Table-driven tests of the Jira Server/DC rules through broker/decision. Each case names the
# expected rule, or `deny`; every allow rule has near-misses next to it.
package integrations.jira_test

import data.fixtures

deny := "broker.deny.no_matching_rule"

projects := {"allowed_projects": ["SEC", "APP"]}

decides(c) if {
	got := data.broker.decision with input as fixtures.request(object.union({"type": "jira", "flags": projects}, c))
	got.rule == c.rule
	got.allow == c.rule != deny
}

test_jira[name] if {
	some name, c in cases
	decides(c)
}

a(rest) := array.concat(["rest", "api", "2"], rest)

issue := {"fields": {
	"project": {"key": "SEC"}, "summary": "lodash 4.17.20: prototype pollution",
	"issuetype": {"name": "Bug"}, "labels": ["security"], "customfield_10010": "x",
}}

cases := {
	"myself": {"segments": a(["myself"]), "rule": "jira.meta.identity"},
	"server info latest": {"segments": ["rest", "api", "latest", "serverInfo"], "rule": "jira.meta.identity"},
	"server info v3": {"segments": ["rest", "api", "3", "serverInfo"], "rule": deny},
	"myself PUT": {"method": "PUT", "segments": a(["myself"]), "body": {}, "rule": deny},
	"projects": {"segments": a(["project"]), "rule": "jira.projects.read"},
	"project": {"segments": a(["project", "SEC"]), "rule": "jira.projects.read"},
	"project roles": {"segments": a(["project", "SEC", "role"]), "rule": deny},
	"createmeta": {"segments": a(["issue", "createmeta"]), "rule": "jira.projects.read"},
	"createmeta issuetypes": {"segments": a(["issue", "createmeta", "SEC", "issuetypes"]), "rule": "jira.projects.read"},
	"issue": {"segments": a(["issue", "SEC-12"]), "rule": "jira.issues.read"},
	"issue comments": {"segments": a(["issue", "SEC-12", "comment"]), "rule": "jira.issues.read"},
	"issue lower-case key": {"segments": a(["issue", "sec-12"]), "rule": deny},
	"issue DELETE": {"method": "DELETE", "segments": a(["issue", "SEC-12"]), "rule": deny},
	"issue edit": {"method": "PUT", "segments": a(["issue", "SEC-12"]), "body": {"fields": {}}, "rule": deny},
	"issue transition": {"method": "POST", "segments": a(["issue", "SEC-12", "transitions"]), "body": {}, "rule": deny},
	"issue attachment": {"method": "POST", "segments": a(["issue", "SEC-12", "attachments"]), "rule": deny},
	"search": {"segments": a(["search"]), "query": {"jql": ["project = SEC"]}, "rule": "jira.issues.search"},
	"search POST": {"method": "POST", "segments": a(["search"]), "body": {"jql": "project = SEC", "maxResults": 50}, "rule": "jira.issues.search"},
	"search POST extra": {"method": "POST", "segments": a(["search"]), "body": {"jql": "x", "x": 1}, "rule": deny},
	"search POST without jql": {"method": "POST", "segments": a(["search"]), "body": {"maxResults": 1}, "rule": deny},
	"create": {"method": "POST", "segments": a(["issue"]), "body": issue, "rule": "jira.issues.create"},
	"create other project": {
		"method": "POST", "segments": a(["issue"]),
		"body": {"fields": object.union(issue.fields, {"project": {"key": "HR"}})}, "rule": deny,
	},
	"create project by id": {
		"method": "POST", "segments": a(["issue"]),
		"body": {"fields": object.union(issue.fields, {"project": {"id": "10000"}})}, "rule": deny,
	},
	"create project key and id": {
		"method": "POST", "segments": a(["issue"]),
		"body": {"fields": object.union(issue.fields, {"project": {"key": "SEC", "id": "10001"}})}, "rule": deny,
	},
	"create without projects configured": {"method": "POST", "segments": a(["issue"]), "body": issue, "flags": {"allowed_projects": []}, "rule": deny},
	"create unknown field": {
		"method": "POST", "segments": a(["issue"]),
		"body": {"fields": object.union(issue.fields, {"reporter": {"name": "admin"}})}, "rule": deny,
	},
	"create with update": {"method": "POST", "segments": a(["issue"]), "body": object.union(issue, {"update": {}}), "rule": deny},
	"create without summary": {
		"method": "POST", "segments": a(["issue"]),
		"body": {"fields": object.remove(issue.fields, {"summary"})}, "rule": deny,
	},
	"create truncated": {"method": "POST", "segments": a(["issue"]), "body": issue, "body_truncated": true, "rule": deny},
	"create bulk": {"method": "POST", "segments": a(["issue", "bulk"]), "body": {"issueUpdates": [issue]}, "rule": deny},
	"comment": {"method": "POST", "segments": a(["issue", "APP-7", "comment"]), "body": {"body": "fixed in 1.2.3"}, "rule": "jira.issues.comment"},
	"comment other project": {"method": "POST", "segments": a(["issue", "HR-7", "comment"]), "body": {"body": "x"}, "rule": deny},
	"comment by issue id": {"method": "POST", "segments": a(["issue", "10001", "comment"]), "body": {"body": "x"}, "rule": deny},
	"comment with visibility": {
		"method": "POST", "segments": a(["issue", "APP-7", "comment"]),
		"body": {"body": "x", "visibility": {"type": "role", "value": "Administrators"}}, "rule": deny,
	},
	"webhooks": {"segments": ["rest", "webhooks", "1.0", "webhook"], "rule": deny},
	"users": {"segments": a(["user"]), "query": {"username": ["admin"]}, "rule": deny},
}

test_reason_project if {
	c := {"type": "jira", "flags": projects, "method": "POST", "segments": a(["issue", "HR-7", "comment"]), "body": {"body": "x"}}
	got := data.broker.decision with input as fixtures.request(c)
	"issues can only be created in, and commented on in, the projects listed in allowed_projects" in got.reasons
	d := {"type": "jira", "flags": projects, "method": "POST", "segments": a(["issue"]), "body": {"fields": {"project": {"key": "HR"}}}}
	got2 := data.broker.decision with input as fixtures.request(d)
	"issues can only be created in, and commented on in, the projects listed in allowed_projects" in got2.reasons
}
