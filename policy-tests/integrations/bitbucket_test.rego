# Table-driven tests of the Bitbucket Data Center rules through broker/decision. Each case
# names the expected rule, or `deny`; every allow rule has near-misses next to it.
package integrations.bitbucket_test

import data.fixtures

deny := "broker.deny.no_matching_rule"

query_deny := "broker.deny.query_parameter"

decides(c) if {
	got := data.broker.decision with input as fixtures.request(object.union({"type": "bitbucket"}, c))
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

r(rest) := array.concat(["projects", "ACME", "repos", "app"], rest)

sha := "0123456789abcdef0123456789abcdef01234567"

read_cases := {
	"properties": {"segments": ["application-properties"], "rule": "bitbucket.meta.properties"},
	"repos": {"segments": ["repos"], "rule": "bitbucket.repos.list"},
	"projects": {"segments": ["projects"], "rule": "bitbucket.repos.list"},
	"project repos": {"segments": ["projects", "ACME", "repos"], "rule": "bitbucket.repos.list"},
	"project repos POST": {"method": "POST", "segments": ["projects", "ACME", "repos"], "body": {}, "rule": deny},
	"project permissions": {"segments": ["projects", "ACME", "permissions", "users"], "rule": deny},
	"admin": {"segments": ["admin", "users"], "code": true, "rule": deny},
	"repo": {"segments": r([]), "rule": "bitbucket.repo.metadata"},
	"repo DELETE": {"method": "DELETE", "segments": r([]), "rule": deny},
	"branches": {"segments": r(["branches"]), "rule": "bitbucket.repo.metadata"},
	"default branch": {"segments": r(["default-branch"]), "rule": "bitbucket.repo.metadata"},
	"default branch PUT": {"method": "PUT", "segments": r(["default-branch"]), "body": {}, "rule": deny},
	"repo permissions": {"segments": r(["permissions", "users"]), "rule": deny},
	"prs": {"segments": r(["pull-requests"]), "rule": "bitbucket.pulls.read"},
	"pr": {"segments": r(["pull-requests", "4"]), "rule": "bitbucket.pulls.read"},
	"pr bad id": {"segments": r(["pull-requests", "x"]), "rule": deny},
	"pr merge": {"method": "POST", "segments": r(["pull-requests", "4", "merge"]), "body": {}, "rule": deny},
	"browse manifest": {"segments": r(["browse", "package.json"]), "rule": "bitbucket.files.manifest"},
	"raw deep manifest": {"segments": r(["raw", "svc", "a", "pom.xml"]), "rule": "bitbucket.files.manifest"},
	"raw look-alike": {"segments": r(["raw", "pom.xml.bak"]), "rule": deny},
	"raw source": {"segments": r(["raw", "src", "Main.java"]), "rule": deny},
	"browse root": {"segments": r(["browse"]), "rule": deny},
	"manifest on rest surface": {"surface": "rest", "segments": r(["raw", "package.json"]), "rule": deny},
	"access keys": {"segments": ["keys", "1.0", "projects", "ACME", "repos", "app", "ssh"], "surface": "rest", "rule": deny},
}

comment := {"text": "2 vulnerable dependencies", "anchor": {"path": "package.json", "line": 3, "lineType": "ADDED", "fileType": "TO"}}

build := {"state": "FAILED", "key": "scanner", "url": "https://scanner.example/r/1", "name": "Scanner"}

comment_cases := {
	"comment": {"method": "POST", "segments": r(["pull-requests", "4", "comments"]), "body": comment, "rule": "bitbucket.pulls.comment.create"},
	"comment text only": {"method": "POST", "segments": r(["pull-requests", "4", "comments"]), "body": {"text": "x"}, "rule": "bitbucket.pulls.comment.create"},
	"comment without text": {"method": "POST", "segments": r(["pull-requests", "4", "comments"]), "body": {"anchor": {}}, "rule": deny},
	"comment extra field": {"method": "POST", "segments": r(["pull-requests", "4", "comments"]), "body": {"text": "x", "severity": "BLOCKER"}, "rule": deny},
	"comment anchor extra": {"method": "POST", "segments": r(["pull-requests", "4", "comments"]), "body": {"text": "x", "anchor": {"x": 1}}, "rule": deny},
	"comment anchor line string": {"method": "POST", "segments": r(["pull-requests", "4", "comments"]), "body": {"text": "x", "anchor": {"line": "3"}}, "rule": deny},
	"comment truncated": {"method": "POST", "segments": r(["pull-requests", "4", "comments"]), "body": {"text": "x"}, "body_truncated": true, "rule": deny},
	"comment update": {"method": "PUT", "segments": r(["pull-requests", "4", "comments", "9"]), "body": {"text": "x", "version": 0}, "rule": "bitbucket.pulls.comment.update"},
	"comment update without version": {"method": "PUT", "segments": r(["pull-requests", "4", "comments", "9"]), "body": {"text": "x"}, "rule": deny},
	"comment delete": {"method": "DELETE", "segments": r(["pull-requests", "4", "comments", "9"]), "rule": deny},
	"build": {"surface": "rest", "method": "POST", "segments": ["build-status", "1.0", "commits", sha], "body": build, "rule": "bitbucket.builds.create"},
	"build repo scoped": {"method": "POST", "segments": r(["commits", sha, "builds"]), "body": build, "rule": "bitbucket.builds.create"},
	"build bad state": {"surface": "rest", "method": "POST", "segments": ["build-status", "1.0", "commits", sha], "body": object.union(build, {"state": "failed"}), "rule": deny},
	"build without key": {"surface": "rest", "method": "POST", "segments": ["build-status", "1.0", "commits", sha], "body": object.remove(build, {"key"}), "rule": deny},
	"build extra": {"surface": "rest", "method": "POST", "segments": ["build-status", "1.0", "commits", sha], "body": object.union(build, {"x": 1}), "rule": deny},
	"build on api surface": {"method": "POST", "segments": ["build-status", "1.0", "commits", sha], "body": build, "rule": deny},
	"build branch name": {"surface": "rest", "method": "POST", "segments": ["build-status", "1.0", "commits", "main"], "body": build, "rule": deny},
}

upload_pack := {"service": ["git-upload-pack"]}

writes := {"allow_writes": true}

hooks := {"allow_webhooks": true, "allowed_webhook_urls": ["https://scanner.example/hook"]}

hook := {"name": "scanner", "url": "https://scanner.example/hook", "events": ["repo:refs_changed", "pr:opened"], "active": true, "configuration": {"secret": "s"}}

pr := {"title": "Upgrade lodash", "fromRef": {"id": "refs/heads/fix"}, "toRef": {"id": "refs/heads/main"}}

flagged_cases := {
	"browse source": {"segments": r(["browse", "src", "Main.java"]), "rule": deny},
	"browse source with code": {"segments": r(["browse", "src", "Main.java"]), "code": true, "rule": "bitbucket.code.files"},
	"files with code": {"segments": r(["files"]), "code": true, "rule": "bitbucket.code.files"},
	"pr diff with code": {"segments": r(["pull-requests", "4", "diff"]), "code": true, "rule": "bitbucket.code.files"},
	"pr diff": {"segments": r(["pull-requests", "4", "diff"]), "rule": deny},
	"archive with code": {"segments": r(["archive"]), "code": true, "rule": "bitbucket.code.archive"},
	"archive": {"segments": r(["archive"]), "rule": deny},
	"refs": {"surface": "git", "segments": ["acme", "app.git", "info", "refs"], "query": upload_pack, "flags": {"allow_git_clone": true}, "rule": "bitbucket.clone.refs"},
	"refs without flag": {"surface": "git", "segments": ["acme", "app.git", "info", "refs"], "query": upload_pack, "rule": deny},
	"refs receive-pack": {"surface": "git", "segments": ["acme", "app.git", "info", "refs"], "query": {"service": ["git-receive-pack"]}, "code": true, "rule": deny},
	"pack": {"surface": "git", "method": "POST", "segments": ["~jdoe", "app.git", "git-upload-pack"], "code": true, "rule": "bitbucket.clone.pack"},
	"pack without .git": {"surface": "git", "method": "POST", "segments": ["acme", "app", "git-upload-pack"], "code": true, "rule": deny},
	"receive-pack": {"surface": "git", "method": "POST", "segments": ["acme", "app.git", "git-receive-pack"], "code": true, "flags": writes, "rule": deny},
	"branch": {
		"surface": "rest", "method": "POST", "segments": ["branch-utils", "1.0", "projects", "ACME", "repos", "app", "branches"],
		"body": {"name": "fix/lodash", "startPoint": "refs/heads/main"}, "flags": writes, "rule": "bitbucket.writes.branch",
	},
	"branch without writes": {
		"surface": "rest", "method": "POST", "segments": ["branch-utils", "1.0", "projects", "ACME", "repos", "app", "branches"],
		"body": {"name": "fix/lodash", "startPoint": "refs/heads/main"}, "rule": deny,
	},
	"branch delete": {
		"surface": "rest", "method": "DELETE", "segments": ["branch-utils", "1.0", "projects", "ACME", "repos", "app", "branches"],
		"body": {"name": "main"}, "flags": writes, "rule": deny,
	},
	"file edit": {"method": "PUT", "segments": r(["browse", "package.json"]), "content_type": "multipart/form-data", "flags": writes, "rule": "bitbucket.writes.file"},
	"file edit source": {"method": "PUT", "segments": r(["browse", "Jenkinsfile"]), "content_type": "multipart/form-data", "flags": writes, "rule": deny},
	"file edit json": {"method": "PUT", "segments": r(["browse", "package.json"]), "content_type": "application/json", "flags": writes, "rule": deny},
	"pr create": {"method": "POST", "segments": r(["pull-requests"]), "body": pr, "flags": writes, "rule": "bitbucket.writes.pull"},
	"pr create without toRef": {"method": "POST", "segments": r(["pull-requests"]), "body": object.remove(pr, {"toRef"}), "flags": writes, "rule": deny},
	"pr create with reviewers": {"method": "POST", "segments": r(["pull-requests"]), "body": object.union(pr, {"reviewers": []}), "flags": writes, "rule": deny},
	"hooks": {"segments": r(["webhooks"]), "flags": hooks, "rule": "bitbucket.hooks.read"},
	"hook": {"segments": r(["webhooks", "2"]), "flags": hooks, "rule": "bitbucket.hooks.read"},
	"hooks without flag": {"segments": r(["webhooks"]), "rule": deny},
	"hook create": {"method": "POST", "segments": r(["webhooks"]), "body": hook, "flags": hooks, "rule": "bitbucket.hooks.create"},
	"hook create other url": {"method": "POST", "segments": r(["webhooks"]), "body": object.union(hook, {"url": "https://evil.example/"}), "flags": hooks, "rule": deny},
	"hook create no tls": {"method": "POST", "segments": r(["webhooks"]), "body": object.union(hook, {"sslVerificationRequired": false}), "flags": hooks, "rule": deny},
	"hook create extra config": {"method": "POST", "segments": r(["webhooks"]), "body": object.union(hook, {"configuration": {"secret": "s", "createdBy": "x"}}), "flags": hooks, "rule": deny},
	"hook update": {"method": "PUT", "segments": r(["webhooks", "2"]), "body": hook, "flags": hooks, "rule": "bitbucket.hooks.update"},
	"hook update bad id": {"method": "PUT", "segments": r(["webhooks", "x"]), "body": hook, "flags": hooks, "rule": deny},
	"hook delete": {"method": "DELETE", "segments": r(["webhooks", "2"]), "flags": hooks, "rule": "bitbucket.hooks.delete"},
	"hook delete without flag": {"method": "DELETE", "segments": r(["webhooks", "2"]), "rule": deny},
}

test_reason_hints if {
	every c in [
		[{"segments": r(["archive"])}, "rule bitbucket.code.archive would allow this request with allow_code_access=true"],
		[{"segments": r(["webhooks"])}, "rule bitbucket.hooks.read would allow this request with allow_webhooks=true"],
		[{"method": "POST", "segments": r(["pull-requests"]), "body": pr}, "rule bitbucket.writes.pull would allow this request with allow_writes=true"],
		[
			{"surface": "git", "method": "POST", "segments": ["a", "b.git", "git-upload-pack"]},
			"rule bitbucket.clone.pack would allow this request with allow_git_clone=true or allow_code_access=true",
		],
		[{"surface": "git", "method": "POST", "segments": ["a", "b.git", "git-receive-pack"]}, "pushing (git-receive-pack) is never allowed through the broker"],
	] {
		got := data.broker.decision with input as fixtures.request(object.union({"type": "bitbucket"}, c[0]))
		c[1] in got.reasons
	}
}

# Query parameters: each rule accepts only those listed in policies/types/bitbucket/data.json.
query_cases := {
	"repos paged": {"segments": ["repos"], "query": {"start": ["25"], "limit": ["25"], "permission": ["REPO_READ"]}, "rule": "bitbucket.repos.list"},
	"repos unknown parameter": {"segments": ["repos"], "query": {"start": ["0"], "user": ["admin"]}, "rule": query_deny},
	"repos start twice": {"segments": ["repos"], "query": {"start": ["0", "25"]}, "rule": query_deny},
	"properties with a parameter": {"segments": ["application-properties"], "query": {"limit": ["1"]}, "rule": query_deny},
	"branches filtered": {"segments": r(["branches"]), "query": {"filterText": ["main"], "details": ["true"]}, "rule": "bitbucket.repo.metadata"},
	"repo with at": {"segments": r([]), "query": {"at": ["main"]}, "rule": query_deny},
	"prs open": {"segments": r(["pull-requests"]), "query": {"state": ["OPEN"], "at": ["refs/heads/main"], "limit": ["50"]}, "rule": "bitbucket.pulls.read"},
	"prs by user": {"segments": r(["pull-requests"]), "query": {"username.1": ["admin"]}, "rule": query_deny},
	"manifest at ref": {"segments": r(["raw", "package.json"]), "query": {"at": ["refs/heads/main"]}, "rule": "bitbucket.files.manifest"},
	"manifest markup": {"segments": r(["raw", "package.json"]), "query": {"markup": ["true"]}, "rule": query_deny},
	"manifest at twice": {"segments": r(["raw", "package.json"]), "query": {"at": ["main", "other"]}, "rule": query_deny},
	"comment with a parameter": {"method": "POST", "segments": r(["pull-requests", "4", "comments"]), "body": {"text": "x"}, "query": {"diffType": ["EFFECTIVE"]}, "rule": query_deny},
	"build with a parameter": {"surface": "rest", "method": "POST", "segments": ["build-status", "1.0", "commits", sha], "body": build, "query": {"x": ["1"]}, "rule": query_deny},
	"compare with code": {"segments": r(["compare", "commits"]), "query": {"from": ["a"], "to": ["b"]}, "code": true, "rule": "bitbucket.code.files"},
	"compare other repository": {"segments": r(["compare", "commits"]), "query": {"from": ["a"], "fromRepo": ["OTHER/secret"]}, "code": true, "rule": query_deny},
	"archive zip": {"segments": r(["archive"]), "query": {"at": ["main"], "format": ["zip"]}, "code": true, "rule": "bitbucket.code.archive"},
	"refs with extra parameter": {"surface": "git", "segments": ["acme", "app.git", "info", "refs"], "query": {"service": ["git-upload-pack"], "x": ["1"]}, "code": true, "rule": query_deny},
	"hook list by event": {"segments": r(["webhooks"]), "query": {"event": ["repo:refs_changed"]}, "flags": hooks, "rule": "bitbucket.hooks.read"},
	"hook delete with a parameter": {"method": "DELETE", "segments": r(["webhooks", "2"]), "query": {"x": ["1"]}, "flags": hooks, "rule": query_deny},
}

test_query_reason if {
	got := data.broker.decision with input as fixtures.request({"type": "bitbucket", "segments": ["repos"], "query": {"user": ["admin"]}})
	got.reasons == ["query parameter \"user\" is not accepted by rule bitbucket.repos.list (it accepts: archived, limit, name, permission, projectname, start, state, visibility)"]
}

long_key := concat("", ["A" | some _ in numbers.range(1, 129)])

# Placeholder grammars: project keys, personal keys, slugs, ids (policies/types/bitbucket/data.json).
name_cases := {
	"personal project repo": {"segments": ["projects", "~jdoe", "repos", "app"], "rule": "bitbucket.repo.metadata"},
	"personal project": {"segments": ["projects", "~j.doe"], "rule": "bitbucket.repos.list"},
	"project key with digits": {"segments": ["projects", "A1_B", "repos", "my.app-2"], "rule": "bitbucket.repo.metadata"},
	"project key decoded slash": {"segments": ["projects", "ACME/repos/other", "repos", "app"], "rule": deny},
	"project key path parameter": {"segments": ["projects", "ACME;x=1", "repos", "app"], "rule": deny},
	"project key space": {"segments": ["projects", "AC ME", "repos", "app"], "rule": deny},
	"project key digit first": {"segments": ["projects", "1ACME", "repos", "app"], "rule": deny},
	"project key too long": {"segments": ["projects", long_key, "repos", "app"], "rule": deny},
	"project key at limit": {"segments": ["projects", substring(long_key, 0, 128), "repos", "app"], "rule": "bitbucket.repo.metadata"},
	"slug with slash": {"segments": ["projects", "ACME", "repos", "app/browse"], "rule": deny},
	"slug path parameter": {"segments": ["projects", "ACME", "repos", "app;jsessionid=1", "raw", "package.json"], "rule": deny},
	"slug space": {"segments": ["projects", "ACME", "repos", "my app"], "rule": deny},
	"personal key slash": {"segments": ["projects", "~jdoe/x", "repos", "app"], "rule": deny},
	"personal key path parameter": {"segments": ["projects", "~jdoe;x", "repos", "app"], "rule": deny},
	"pr id path parameter": {"segments": r(["pull-requests", "4;x"]), "rule": deny},
	"comment id path parameter": {"method": "PUT", "segments": r(["pull-requests", "4", "comments", "9;x"]), "body": {"text": "x", "version": 0}, "rule": deny},
	"build sha upper case": {"surface": "rest", "method": "POST", "segments": ["build-status", "1.0", "commits", upper(sha)], "body": build, "rule": deny},
	"clone personal": {"surface": "git", "segments": ["~jdoe", "app.git", "info", "refs"], "query": upload_pack, "code": true, "rule": "bitbucket.clone.refs"},
	"clone project path parameter": {"surface": "git", "segments": ["acme;x", "app.git", "info", "refs"], "query": upload_pack, "code": true, "rule": deny},
	"clone repo slash": {"surface": "git", "segments": ["acme", "other/app.git", "info", "refs"], "query": upload_pack, "code": true, "rule": deny},
	"branch personal": {
		"surface": "rest", "method": "POST", "segments": ["branch-utils", "1.0", "projects", "~jdoe", "repos", "app", "branches"],
		"body": {"name": "fix/lodash", "startPoint": "refs/heads/main"}, "flags": writes, "rule": "bitbucket.writes.branch",
	},
	"branch key path parameter": {
		"surface": "rest", "method": "POST", "segments": ["branch-utils", "1.0", "projects", "ACME;x", "repos", "app", "branches"],
		"body": {"name": "fix/lodash", "startPoint": "refs/heads/main"}, "flags": writes, "rule": deny,
	},
}

# HEAD is judged as GET.
head_cases := {
	"repo": {"method": "HEAD", "segments": r([]), "rule": "bitbucket.repo.metadata"},
	"manifest": {"method": "HEAD", "segments": r(["raw", "package.json"]), "query": {"at": ["main"]}, "rule": "bitbucket.files.manifest"},
	"source": {"method": "HEAD", "segments": r(["raw", "src", "Main.java"]), "rule": deny},
	"permissions": {"method": "HEAD", "segments": r(["permissions", "users"]), "rule": deny},
	"unknown parameter": {"method": "HEAD", "segments": r([]), "query": {"x": ["1"]}, "rule": query_deny},
}
