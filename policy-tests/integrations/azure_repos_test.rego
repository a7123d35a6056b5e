# Table-driven tests of the Azure DevOps Server rules through broker/decision. Each case
# names the expected rule, or `deny`; every allow rule has near-misses next to it.
package integrations.azure_repos_test

import data.fixtures

deny := "broker.deny.no_matching_rule"

query_deny := "broker.deny.query_parameter"

v := {"api-version": ["7.1"]}

# Cases get api-version=7.1 unless they give their own query (object.union would merge them).
azure(c) := object.union(object.union({"type": "azure-repos"}, c), {"query": object.get(c, "query", v)})

decides(c) if {
	got := data.broker.decision with input as fixtures.request(azure(c))
	got.rule == c.rule
	got.allow == allows(c.rule)
}

allows(rule) := false if rule in {deny, query_deny}

else := true

test_read[name] if {
	some name, c in read_cases
	decides(c)
}

test_comment[name] if {
	some name, c in comment_cases
	decides(c)
}

test_flagged[name] if {
	some name, c in flagged_cases
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

r(rest) := array.concat(["Fabrikam", "_apis", "git", "repositories", "app"], rest)

sha := "0123456789abcdef0123456789abcdef01234567"

guid := "6e5d4c3b-2a19-4f8e-9d7c-6b5a4f3e2d1c"

read_cases := {
	"projects": {"segments": ["_apis", "projects"], "rule": "azure.projects.read"},
	"project": {"segments": ["_apis", "projects", "Fabrikam"], "rule": "azure.projects.read"},
	"projects without version": {"segments": ["_apis", "projects"], "query": {}, "rule": deny},
	"projects preview version": {"segments": ["_apis", "projects"], "query": {"api-version": ["7.1-preview.1"]}, "rule": "azure.projects.read"},
	"projects bad version": {"segments": ["_apis", "projects"], "query": {"api-version": ["latest"]}, "rule": deny},
	"projects two versions": {"segments": ["_apis", "projects"], "query": {"api-version": ["7.1", "5.0"]}, "rule": query_deny},
	"projects POST": {"method": "POST", "segments": ["_apis", "projects"], "body": {}, "rule": deny},
	"repos": {"segments": ["Fabrikam", "_apis", "git", "repositories"], "rule": "azure.repos.read"},
	"collection repos": {"segments": ["_apis", "git", "repositories"], "rule": "azure.repos.read"},
	"repo": {"segments": r([]), "rule": "azure.repos.read"},
	"repo by id": {"segments": ["_apis", "git", "repositories", "6e5d", "refs"], "rule": "azure.repos.read"},
	"repo DELETE": {"method": "DELETE", "segments": r([]), "rule": deny},
	"refs": {"segments": r(["refs"]), "rule": "azure.repos.read"},
	"refs POST": {"method": "POST", "segments": r(["refs"]), "body": [], "rule": deny},
	"prs": {"segments": r(["pullrequests"]), "rule": "azure.pulls.read"},
	"pr": {"segments": r(["pullRequests", "12"]), "rule": "azure.pulls.read"},
	"pr other case": {"segments": r(["PULLREQUESTS", "12"]), "rule": "azure.pulls.read"},
	"pr bad id": {"segments": r(["pullRequests", "x"]), "rule": deny},
	"manifest": {"segments": r(["items"]), "query": {"api-version": ["7.1"], "path": ["/web/package.json"], "$format": ["octetStream"]}, "rule": "azure.items.manifest"},
	"manifest at version": {
		"segments": r(["items"]),
		"query": {"api-version": ["7.1"], "path": ["pom.xml"], "versionDescriptor.version": ["main"], "versionDescriptor.versionType": ["branch"]},
		"rule": "azure.items.manifest",
	},
	"manifest two paths": {"segments": r(["items"]), "query": {"api-version": ["7.1"], "path": ["/package.json", "/a.go"]}, "rule": deny},
	"manifest look-alike": {"segments": r(["items"]), "query": {"api-version": ["7.1"], "path": ["/package.json.bak"]}, "rule": deny},
	"manifest dot-dot": {"segments": r(["items"]), "query": {"api-version": ["7.1"], "path": ["/a/../package.json"]}, "rule": deny},
	"manifest with recursion": {"segments": r(["items"]), "query": {"api-version": ["7.1"], "path": ["/package.json"], "recursionLevel": ["full"]}, "rule": query_deny},
	"manifest without version": {"segments": r(["items"]), "query": {"path": ["/package.json"]}, "rule": deny},
	"source item": {"segments": r(["items"]), "query": {"api-version": ["7.1"], "path": ["/src/a.cs"]}, "rule": deny},
	"policy configurations": {"segments": ["Fabrikam", "_apis", "policy", "configurations"], "code": true, "rule": deny},
	"service endpoints": {"segments": ["Fabrikam", "_apis", "serviceendpoint", "endpoints"], "code": true, "rule": deny},
}

thread := {"comments": [{"content": "2 vulnerable dependencies", "commentType": "text"}], "status": "active"}

status := {"state": "failed", "description": "2 issues", "targetUrl": "https://scanner.example/r/1", "context": {"name": "scanner", "genre": "security"}}

comment_cases := {
	"thread": {"method": "POST", "segments": r(["pullRequests", "12", "threads"]), "body": thread, "rule": "azure.threads.create"},
	"thread on file": {
		"method": "POST", "segments": r(["pullrequests", "12", "threads"]),
		"body": object.union(thread, {"threadContext": {"filePath": "/package.json", "rightFileStart": {"line": 3, "offset": 1}}}),
		"rule": "azure.threads.create",
	},
	"thread no comments": {"method": "POST", "segments": r(["pullRequests", "12", "threads"]), "body": {"comments": []}, "rule": deny},
	"thread extra field": {"method": "POST", "segments": r(["pullRequests", "12", "threads"]), "body": object.union(thread, {"properties": {}}), "rule": deny},
	"thread comment extra field": {"method": "POST", "segments": r(["pullRequests", "12", "threads"]), "body": {"comments": [{"content": "x", "author": {}}]}, "rule": deny},
	"thread without version": {"method": "POST", "segments": r(["pullRequests", "12", "threads"]), "body": thread, "query": {}, "rule": deny},
	"thread bad id": {"method": "POST", "segments": r(["pullRequests", "x", "threads"]), "body": thread, "rule": deny},
	"thread reply": {"method": "POST", "segments": r(["pullRequests", "12", "threads", "3", "comments"]), "body": {"content": "x", "parentCommentId": 1}, "rule": "azure.threads.comment"},
	"thread reply not string": {"method": "POST", "segments": r(["pullRequests", "12", "threads", "3", "comments"]), "body": {"content": 1}, "rule": deny},
	"commit status": {"method": "POST", "segments": r(["commits", sha, "statuses"]), "body": status, "rule": "azure.statuses.create"},
	"pr status": {"method": "POST", "segments": r(["pullRequests", "12", "statuses"]), "body": status, "rule": "azure.statuses.create"},
	"status bad state": {"method": "POST", "segments": r(["commits", sha, "statuses"]), "body": object.union(status, {"state": "failure"}), "rule": deny},
	"status without context": {"method": "POST", "segments": r(["commits", sha, "statuses"]), "body": object.remove(status, {"context"}), "rule": deny},
	"status extra": {"method": "POST", "segments": r(["commits", sha, "statuses"]), "body": object.union(status, {"iterationId": 1}), "rule": deny},
	"status by branch": {"method": "POST", "segments": r(["commits", "main", "statuses"]), "body": status, "rule": deny},
	"status truncated": {"method": "POST", "segments": r(["commits", sha, "statuses"]), "body": status, "body_truncated": true, "rule": deny},
}

upload_pack := {"service": ["git-upload-pack"]}

writes := {"allow_writes": true}

push := {
	"refUpdates": [{"name": "refs/heads/fix/lodash", "oldObjectId": "0000000000000000000000000000000000000000"}],
	"commits": [{"comment": "Upgrade lodash", "changes": [{"changeType": "edit", "item": {"path": "/package.json"}, "newContent": {"content": "{}", "contentType": "rawtext"}}]}],
}

pr := {"sourceRefName": "refs/heads/fix/lodash", "targetRefName": "refs/heads/main", "title": "Upgrade lodash"}

hooks := {"allow_webhooks": true, "allowed_webhook_urls": ["https://scanner.example/hook"]}

subscription := {
	"publisherId": "tfs", "eventType": "git.push", "resourceVersion": "1.0", "consumerId": "webHooks",
	"consumerActionId": "httpRequest", "publisherInputs": {"projectId": "p"},
	"consumerInputs": {"url": "https://scanner.example/hook"},
}

flagged_cases := {
	"tree": {"segments": r(["trees", sha]), "rule": deny},
	"tree with code": {"segments": r(["trees", sha]), "code": true, "rule": "azure.code.git"},
	"items with code": {"segments": r(["items"]), "query": {"api-version": ["7.1"], "scopePath": ["/"], "recursionLevel": ["full"]}, "code": true, "rule": "azure.code.git"},
	"commit changes with code": {"segments": ["_apis", "git", "repositories", "6e5d", "commits", sha, "changes"], "code": true, "rule": "azure.code.git"},
	"items with code no version": {"segments": r(["items"]), "query": {}, "code": true, "rule": deny},
	"refs": {"segments": ["Fabrikam", "_git", "app", "info", "refs"], "query": upload_pack, "flags": {"allow_git_clone": true}, "rule": "azure.clone.refs"},
	"refs without flag": {"segments": ["Fabrikam", "_git", "app", "info", "refs"], "query": upload_pack, "rule": deny},
	"refs receive-pack": {"segments": ["Fabrikam", "_git", "app", "info", "refs"], "query": {"service": ["git-receive-pack"]}, "code": true, "rule": deny},
	"pack": {"method": "POST", "segments": ["Fabrikam", "_git", "app", "git-upload-pack"], "query": {}, "code": true, "rule": "azure.clone.pack"},
	"pack on git surface": {"surface": "git", "method": "POST", "segments": ["Fabrikam", "_git", "app", "git-upload-pack"], "query": {}, "code": true, "rule": "azure.clone.pack"},
	"pack without _git": {"method": "POST", "segments": ["Fabrikam", "app", "git-upload-pack"], "query": {}, "code": true, "rule": deny},
	"receive-pack": {"method": "POST", "segments": ["Fabrikam", "_git", "app", "git-receive-pack"], "query": {}, "code": true, "flags": writes, "rule": deny},
	"push": {"method": "POST", "segments": r(["pushes"]), "body": push, "flags": writes, "rule": "azure.writes.push"},
	"push without writes": {"method": "POST", "segments": r(["pushes"]), "body": push, "rule": deny},
	"push pipeline file": {
		"method": "POST", "segments": r(["pushes"]), "flags": writes,
		"body": object.union(push, {"commits": [{"comment": "x", "changes": [{"changeType": "edit", "item": {"path": "/azure-pipelines.yml"}, "newContent": {"content": "x", "contentType": "rawtext"}}]}]}),
		"rule": deny,
	},
	"push delete": {
		"method": "POST", "segments": r(["pushes"]), "flags": writes,
		"body": object.union(push, {"commits": [{"comment": "x", "changes": [{"changeType": "delete", "item": {"path": "/package.json"}}]}]}),
		"rule": deny,
	},
	"push tag": {
		"method": "POST", "segments": r(["pushes"]), "flags": writes,
		"body": object.union(push, {"refUpdates": [{"name": "refs/tags/v1", "oldObjectId": "0"}]}), "rule": deny,
	},
	"push two refs": {
		"method": "POST", "segments": r(["pushes"]), "flags": writes,
		"body": object.union(push, {"refUpdates": [{"name": "refs/heads/a", "oldObjectId": "0"}, {"name": "refs/heads/b", "oldObjectId": "0"}]}), "rule": deny,
	},
	"pr create": {"method": "POST", "segments": r(["pullrequests"]), "body": pr, "flags": writes, "rule": "azure.writes.pull"},
	"pr create extra": {"method": "POST", "segments": r(["pullrequests"]), "body": object.union(pr, {"autoCompleteSetBy": {}}), "flags": writes, "rule": deny},
	"pr complete": {"method": "PATCH", "segments": r(["pullrequests", "12"]), "body": {"status": "completed"}, "flags": writes, "rule": deny},
	"hooks": {"segments": ["_apis", "hooks", "subscriptions"], "flags": hooks, "rule": "azure.hooks.read"},
	"hooks without flag": {"segments": ["_apis", "hooks", "subscriptions"], "rule": deny},
	"hook create": {"method": "POST", "segments": ["_apis", "hooks", "subscriptions"], "body": subscription, "flags": hooks, "rule": "azure.hooks.create"},
	"hook create other url": {
		"method": "POST", "segments": ["_apis", "hooks", "subscriptions"], "flags": hooks,
		"body": object.union(subscription, {"consumerInputs": {"url": "https://evil.example/"}}), "rule": deny,
	},
	"hook create other consumer": {
		"method": "POST", "segments": ["_apis", "hooks", "subscriptions"], "flags": hooks,
		"body": object.union(subscription, {"consumerId": "azureStorageQueue"}), "rule": deny,
	},
	"hook create untrusted certs": {
		"method": "POST", "segments": ["_apis", "hooks", "subscriptions"], "flags": hooks,
		"body": object.union(subscription, {"consumerInputs": {"url": "https://scanner.example/hook", "acceptUntrustedCerts": "true"}}), "rule": deny,
	},
	"hook update": {"method": "PUT", "segments": ["_apis", "hooks", "subscriptions", guid], "body": subscription, "flags": hooks, "rule": "azure.hooks.update"},
	"hook delete": {"method": "DELETE", "segments": ["_apis", "hooks", "subscriptions", guid], "flags": hooks, "rule": "azure.hooks.delete"},
	"hook delete without version": {"method": "DELETE", "segments": ["_apis", "hooks", "subscriptions", guid], "query": {}, "flags": hooks, "rule": deny},
}

test_reason_hints if {
	every c in [
		[{"segments": r(["trees", sha])}, "rule azure.code.git would allow this request with allow_code_access=true"],
		[{"segments": ["_apis", "hooks", "subscriptions"]}, "rule azure.hooks.read would allow this request with allow_webhooks=true"],
		[{"method": "POST", "segments": r(["pushes"]), "body": push}, "rule azure.writes.push would allow this request with allow_writes=true"],
		[
			{"method": "POST", "segments": ["P", "_git", "r", "git-upload-pack"], "query": {}},
			"rule azure.clone.pack would allow this request with allow_git_clone=true or allow_code_access=true",
		],
		[{"method": "POST", "segments": ["P", "_git", "r", "git-receive-pack"], "query": {}}, "pushing (git-receive-pack) is never allowed through the broker"],
		[{"segments": ["_apis", "projects"], "query": {}}, "requests to /_apis need exactly one api-version query parameter, e.g. api-version=7.1"],
	] {
		got := data.broker.decision with input as fixtures.request(azure(c[0]))
		c[1] in got.reasons
	}
}

item(q) := {"segments": r(["items"]), "query": object.union({"api-version": ["7.1"], "path": ["/package.json"]}, q)}

# Query parameters: each rule accepts only those listed in policies/types/azure-repos/data.json,
# and the rules check the values of api-version, path and $format.
query_cases := {
	"projects paged": {"segments": ["_apis", "projects"], "query": {"api-version": ["7.1"], "$top": ["100"], "continuationToken": ["x"]}, "rule": "azure.projects.read"},
	"projects preview without number": {"segments": ["_apis", "projects"], "query": {"api-version": ["7.1-preview"]}, "rule": "azure.projects.read"},
	"projects version with other label": {"segments": ["_apis", "projects"], "query": {"api-version": ["7.1-beta"]}, "rule": deny},
	"projects unknown parameter": {"segments": ["_apis", "projects"], "query": {"api-version": ["7.1"], "x": ["1"]}, "rule": query_deny},
	"projects api-version in upper case": {"segments": ["_apis", "projects"], "query": {"API-VERSION": ["7.1"]}, "rule": deny},
	"projects api-version and its upper case": {"segments": ["_apis", "projects"], "query": {"api-version": ["7.1"], "API-VERSION": ["5.0"]}, "rule": query_deny},
	"refs filtered": {"segments": r(["refs"]), "query": {"api-version": ["7.1"], "filter": ["heads/"], "peelTags": ["true"]}, "rule": "azure.repos.read"},
	"prs active": {"segments": r(["pullrequests"]), "query": {"api-version": ["7.1"], "searchCriteria.status": ["active"], "$top": ["50"]}, "rule": "azure.pulls.read"},
	"prs by creator": {"segments": r(["pullrequests"]), "query": {"api-version": ["7.1"], "searchCriteria.creatorId": ["x"]}, "rule": query_deny},
	"manifest download": {"segments": r(["items"]), "query": object.union(item({}).query, {"download": ["true"], "includeContent": ["true"]}), "rule": "azure.items.manifest"},
	"manifest json": object.union(item({"$format": ["json"]}), {"rule": "azure.items.manifest"}),
	"manifest octetstream folded": object.union(item({"$format": ["OctetStream"]}), {"rule": "azure.items.manifest"}),
	"manifest zip": object.union(item({"$format": ["zip"]}), {"rule": deny}),
	"manifest scopePath": object.union(item({"scopePath": ["/"]}), {"rule": query_deny}),
	"manifest path in upper case": object.union(item({"PATH": ["/src/a.cs"]}), {"rule": query_deny}),
	"manifest path twice": object.union(item({"path": ["/package.json", "/package.json"]}), {"rule": deny}),
	"manifest version twice": object.union(item({"versionDescriptor.version": ["main", "dev"]}), {"rule": query_deny}),
	"thread with a parameter": {"method": "POST", "segments": r(["pullrequests", "12", "threads"]), "body": thread, "query": {"api-version": ["7.1"], "x": ["1"]}, "rule": query_deny},
	"push with a parameter": {"method": "POST", "segments": r(["pushes"]), "body": push, "flags": writes, "query": {"api-version": ["7.1"], "x": ["1"]}, "rule": query_deny},
	"diffs with code": {
		"segments": r(["diffs", "commits"]), "code": true,
		"query": {"api-version": ["7.1"], "baseVersion": ["main"], "targetVersion": ["fix"]}, "rule": "azure.code.git",
	},
	"refs with extra parameter": {"segments": ["Fabrikam", "_git", "app", "info", "refs"], "query": {"service": ["git-upload-pack"], "api-version": ["7.1"]}, "code": true, "rule": query_deny},
	"hooks by event": {"segments": ["_apis", "hooks", "subscriptions"], "query": {"api-version": ["7.1"], "eventType": ["git.push"]}, "flags": hooks, "rule": "azure.hooks.read"},
	"hook delete with a parameter": {"method": "DELETE", "segments": ["_apis", "hooks", "subscriptions", guid], "query": {"api-version": ["7.1"], "x": ["1"]}, "flags": hooks, "rule": query_deny},
}

test_query_reason if {
	got := data.broker.decision with input as fixtures.request(azure(object.union(item({"scopePath": ["/"]}), {})))
	got.rule == query_deny
	startswith(got.reasons[0], "query parameter \"scopePath\" is not accepted by rule azure.items.manifest (it accepts: $format, api-version, download, ")
}

long_name := concat("", ["a" | some _ in numbers.range(1, 65)])

# Placeholder grammars and case: names as Azure DevOps allows them, compared case-folded.
name_cases := {
	"project with a space": {"segments": ["My Project", "_apis", "git", "repositories", "My Repo"], "rule": "azure.repos.read"},
	"project by id": {"segments": ["_apis", "projects", guid], "rule": "azure.projects.read"},
	"project decoded slash": {"segments": ["Fabrikam/x", "_apis", "git", "repositories", "app"], "rule": deny},
	"project path parameter": {"segments": ["Fabrikam;x", "_apis", "git", "repositories", "app"], "rule": deny},
	"project underscore first": {"segments": ["_x", "_apis", "git", "repositories", "app"], "rule": deny},
	"project too long": {"segments": [long_name, "_apis", "git", "repositories", "app"], "rule": deny},
	"project at limit": {"segments": [substring(long_name, 0, 64), "_apis", "git", "repositories", "app"], "rule": "azure.repos.read"},
	"repo with slash": {"segments": ["Fabrikam", "_apis", "git", "repositories", "app/refs"], "rule": deny},
	"repo path parameter": {"segments": ["Fabrikam", "_apis", "git", "repositories", "app;x"], "rule": deny},
	"repo percent": {"segments": ["Fabrikam", "_apis", "git", "repositories", "app%2F"], "rule": deny},
	"repo too long": {"segments": ["Fabrikam", "_apis", "git", "repositories", long_name], "rule": deny},
	"path words in other case": {"segments": ["Fabrikam", "_APIS", "Git", "Repositories", "App", "Refs"], "rule": "azure.repos.read"},
	"manifest in other case": object.union(item({}), {"segments": ["Fabrikam", "_Apis", "GIT", "repositories", "app", "Items"], "rule": "azure.items.manifest"}),
	"pr id path parameter": {"segments": r(["pullrequests", "12;x"]), "rule": deny},
	"pr id leading zero": {"segments": r(["pullrequests", "012"]), "rule": deny},
	"thread id path parameter": {"method": "POST", "segments": r(["pullrequests", "12", "threads", "3;x", "comments"]), "body": {"content": "x"}, "rule": deny},
	"status sha upper case": {"method": "POST", "segments": r(["commits", upper(sha), "statuses"]), "body": status, "rule": "azure.statuses.create"},
	"status sha-256": {"method": "POST", "segments": r(["commits", concat("", [sha, "012345678901234567890123"]), "statuses"]), "body": status, "rule": deny},
	"clone other case": {"segments": ["Fabrikam", "_GIT", "App", "info", "refs"], "query": upload_pack, "code": true, "rule": "azure.clone.refs"},
	"clone repo path parameter": {"segments": ["Fabrikam", "_git", "app;x", "info", "refs"], "query": upload_pack, "code": true, "rule": deny},
	"receive-pack other case": {"method": "POST", "segments": ["Fabrikam", "_git", "app", "GIT-RECEIVE-PACK"], "query": {}, "code": true, "flags": writes, "rule": deny},
	"subscription not a guid": {"method": "DELETE", "segments": ["_apis", "hooks", "subscriptions", "x;y"], "flags": hooks, "rule": deny},
}

# HEAD is judged as GET.
head_cases := {
	"projects": {"method": "HEAD", "segments": ["_apis", "projects"], "rule": "azure.projects.read"},
	"manifest": object.union(item({}), {"method": "HEAD", "rule": "azure.items.manifest"}),
	"source item": object.union(item({"path": ["/src/a.cs"]}), {"method": "HEAD", "rule": deny}),
	"tree": {"method": "HEAD", "segments": r(["trees", sha]), "rule": deny},
	"manifest scopePath": object.union(item({"scopePath": ["/"]}), {"method": "HEAD", "rule": query_deny}),
}

test_receive_pack_hint_folded if {
	c := {"method": "POST", "segments": ["P", "_git", "r", "GIT-RECEIVE-PACK"], "query": {}}
	got := data.broker.decision with input as fixtures.request(azure(c))
	"pushing (git-receive-pack) is never allowed through the broker" in got.reasons
}
