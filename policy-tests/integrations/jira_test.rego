# Table-driven tests of the Jira Server/DC rules through broker/decision. Each case names the
# expected rule, or `deny`; every allow rule has near-misses next to it.
package integrations.jira_test

import data.fixtures

deny := "broker.deny.no_matching_rule"

query_deny := "broker.deny.query_parameter"

projects := {"allowed_projects": ["SEC", "APP"]}

decides(c) if {
	got := data.broker.decision with input as fixtures.request(object.union({"type": "jira", "flags": projects}, c))
	got.rule == c.rule
	got.allow == allows(c.rule)
}

allows(rule) := false if rule in {deny, query_deny}

else := true

test_jira[name] if {
	some name, c in cases
	decides(c)
}

test_query[name] if {
	some name, c in query_cases
	decides(c)
}

test_names[name] if {
	some name, c in name_cases
	decides(c)
}

test_head[name] if {
	some name, c in head_cases
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

# Query parameters (policies/types/jira/data.json) and expand values.
query_cases := {
	"search paged": {"segments": a(["search"]), "query": {"jql": ["project = SEC"], "startAt": ["50"], "maxResults": ["50"], "fields": ["summary,status"]}, "rule": "jira.issues.search"},
	"search expand names": {"segments": a(["search"]), "query": {"jql": ["x"], "expand": ["names,schema"]}, "rule": "jira.issues.search"},
	"search expand changelog": {"segments": a(["search"]), "query": {"jql": ["x"], "expand": ["names,changelog"]}, "rule": deny},
	"search expand transitions": {"segments": a(["search"]), "query": {"expand": ["transitions"]}, "rule": deny},
	"search unknown parameter": {"segments": a(["search"]), "query": {"jql": ["x"], "os_authType": ["basic"]}, "rule": query_deny},
	"search jql twice": {"segments": a(["search"]), "query": {"jql": ["project = SEC", "project = HR"]}, "rule": query_deny},
	"search POST expand": {"method": "POST", "segments": a(["search"]), "body": {"jql": "x", "expand": ["renderedFields"]}, "rule": "jira.issues.search"},
	"search POST expand changelog": {"method": "POST", "segments": a(["search"]), "body": {"jql": "x", "expand": ["changelog"]}, "rule": deny},
	"search POST with a parameter": {"method": "POST", "segments": a(["search"]), "body": {"jql": "x"}, "query": {"jql": ["y"]}, "rule": deny},
	"issue fields": {"segments": a(["issue", "SEC-12"]), "query": {"fields": ["summary"], "expand": ["renderedFields"]}, "rule": "jira.issues.read"},
	"issue expand editmeta": {"segments": a(["issue", "SEC-12"]), "query": {"expand": ["editmeta"]}, "rule": deny},
	"issue properties": {"segments": a(["issue", "SEC-12"]), "query": {"properties": ["*all"]}, "rule": query_deny},
	"comments paged": {"segments": a(["issue", "SEC-12", "comment"]), "query": {"startAt": ["0"], "expand": ["renderedBody"]}, "rule": "jira.issues.read"},
	"comments expand names": {"segments": a(["issue", "SEC-12", "comment"]), "query": {"expand": ["names"]}, "rule": deny},
	"projects expand": {"segments": a(["project"]), "query": {"expand": ["description,lead"]}, "rule": "jira.projects.read"},
	"projects expand unknown": {"segments": a(["project"]), "query": {"expand": ["permissions"]}, "rule": deny},
	"createmeta expand": {"segments": a(["issue", "createmeta"]), "query": {"projectKeys": ["SEC"], "expand": ["projects.issuetypes.fields"]}, "rule": "jira.projects.read"},
	"issuetypes expand": {"segments": a(["issuetype"]), "query": {"expand": ["names"]}, "rule": deny},
	"myself with a parameter": {"segments": a(["myself"]), "query": {"expand": ["groups"]}, "rule": query_deny},
	"create with a parameter": {"method": "POST", "segments": a(["issue"]), "body": issue, "query": {"updateHistory": ["true"]}, "rule": query_deny},
	"comment with a parameter": {"method": "POST", "segments": a(["issue", "APP-7", "comment"]), "body": {"body": "x"}, "query": {"expand": ["renderedBody"]}, "rule": query_deny},
}

long_key := concat("", ["A" | some _ in numbers.range(1, 256)])

# Placeholder grammars: project keys or ids, issue keys.
name_cases := {
	"project by id": {"segments": a(["project", "10000"]), "rule": "jira.projects.read"},
	"project decoded slash": {"segments": a(["project", "SEC/role"]), "rule": deny},
	"project path parameter": {"segments": a(["project", "SEC;x"]), "rule": deny},
	"project space": {"segments": a(["project", "S EC"]), "rule": deny},
	"project too long": {"segments": a(["project", long_key]), "rule": deny},
	"project at limit": {"segments": a(["project", substring(long_key, 0, 255)]), "rule": "jira.projects.read"},
	"issue path parameter": {"segments": a(["issue", "SEC-12;x"]), "rule": deny},
	"issue decoded slash": {"segments": a(["issue", "SEC-12/comment"]), "rule": deny},
	"comment issue path parameter": {"method": "POST", "segments": a(["issue", "APP-7;x", "comment"]), "body": {"body": "x"}, "rule": deny},
	"createmeta project path parameter": {"segments": a(["issue", "createmeta", "SEC;x", "issuetypes"]), "rule": deny},
	"version path parameter": {"segments": ["rest", "api", "2;x", "myself"], "rule": deny},
}

# HEAD is judged as GET.
head_cases := {
	"issue": {"method": "HEAD", "segments": a(["issue", "SEC-12"]), "rule": "jira.issues.read"},
	"search": {"method": "HEAD", "segments": a(["search"]), "query": {"jql": ["x"]}, "rule": "jira.issues.search"},
	"users": {"method": "HEAD", "segments": a(["user"]), "rule": deny},
	"issue unknown parameter": {"method": "HEAD", "segments": a(["issue", "SEC-12"]), "query": {"x": ["1"]}, "rule": query_deny},
}
