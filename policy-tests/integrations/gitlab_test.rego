# Table-driven tests of the GitLab rules through broker/decision. Each case names the expected
# rule, or `deny`; every allow rule has near-misses next to it.
package integrations.gitlab_test

import data.fixtures

deny := "broker.deny.no_matching_rule"

qdeny := "broker.deny.query_parameter"

# One test per table and one sub-test per case: `opa test -v` lists them by name.
test_read[name] if {
	some name, c in read_cases
	decides(c)
}

test_file[name] if {
	some name, c in file_cases
	decides(c)
}

test_note[name] if {
	some name, c in note_cases
	decides(c)
}

test_code[name] if {
	some name, c in code_cases
	decides(c)
}

test_clone[name] if {
	some name, c in clone_cases
	decides(c)
}

test_write[name] if {
	some name, c in write_cases
	decides(c)
}

test_hook[name] if {
	some name, c in hook_cases
	decides(c)
}

decides(c) if {
	got := data.broker.decision with input as fixtures.request(object.union({"type": "gitlab"}, c))
	got.rule == c.rule
	got.allow == not_deny(c.rule)
}

not_deny(rule) := false if {
	rule in {deny, qdeny}
} else := true

p(rest) := array.concat(["projects", "group/sub/app"], rest)

file(path, rest) := p(array.concat(["repository", "files", path], rest))

sha := "0123456789abcdef0123456789abcdef01234567"

read_cases := {
	"user": {"segments": ["user"], "rule": "gitlab.meta.user"},
	"user keys": {"segments": ["user", "keys"], "rule": deny},
	"version": {"segments": ["version"], "rule": "gitlab.meta.version"},
	"version POST": {"method": "POST", "segments": ["version"], "rule": deny},
	"projects": {"segments": ["projects"], "rule": "gitlab.projects.list"},
	"projects POST": {"method": "POST", "segments": ["projects"], "rule": deny},
	"group projects": {"segments": ["groups", "acme", "projects"], "rule": "gitlab.groups.projects"},
	"group members": {"segments": ["groups", "acme", "members"], "rule": deny},
	"project": {"segments": p([]), "rule": "gitlab.project.metadata"},
	"project by id": {"segments": ["projects", "42"], "rule": "gitlab.project.metadata"},
	"project PUT": {"method": "PUT", "segments": p([]), "rule": deny},
	"project DELETE": {"method": "DELETE", "segments": p([]), "rule": deny},
	"project on graphql surface": {"surface": "graphql", "segments": p([]), "rule": deny},
	"branches": {"segments": p(["repository", "branches"]), "rule": "gitlab.project.refs"},
	"branch": {"segments": p(["repository", "branches", "feature/x"]), "rule": "gitlab.project.refs"},
	"tags": {"segments": p(["repository", "tags"]), "rule": "gitlab.project.refs"},
	"branch protect": {"method": "POST", "segments": p(["repository", "branches", "main", "protect"]), "rule": deny},
	"languages": {"segments": p(["languages"]), "rule": "gitlab.project.languages"},
	"mrs": {"segments": p(["merge_requests"]), "rule": "gitlab.mrs.read"},
	"mr": {"segments": p(["merge_requests", "7"]), "rule": "gitlab.mrs.read"},
	"mr bad iid": {"segments": p(["merge_requests", "x"]), "rule": deny},
	"mr merge": {"method": "PUT", "segments": p(["merge_requests", "7", "merge"]), "rule": deny},
	"statuses": {"segments": p(["repository", "commits", sha, "statuses"]), "rule": "gitlab.statuses.list"},
	"variables": {"segments": p(["variables"]), "rule": deny},
	"variables with code": {"segments": p(["variables"]), "code": true, "rule": deny},
	"deploy keys": {"segments": p(["deploy_keys"]), "code": true, "rule": deny},
	"members": {"segments": p(["members"]), "rule": deny},
}

file_cases := {
	"manifest": {"segments": file("package.json", []), "rule": "gitlab.files.manifest"},
	"deep manifest raw": {"segments": file("services/api/go.mod", ["raw"]), "rule": "gitlab.files.manifest"},
	"manifest leading slash": {"segments": file("/pom.xml", ["raw"]), "rule": "gitlab.files.manifest"},
	"manifest look-alike": {"segments": file("src/package.json.bak", []), "rule": deny},
	"source file": {"segments": file("src/main.go", ["raw"]), "rule": deny},
	"manifest with dot-dot": {"segments": file("a/../package.json", []), "rule": deny},
	"manifest with empty part": {"segments": file("a//package.json", []), "rule": deny},
	"manifest with percent": {"segments": file("a%2Fpackage.json", []), "rule": deny},
	"manifest blame": {"segments": file("package.json", ["blame"]), "rule": deny},
	"manifest PUT": {"method": "PUT", "segments": file("package.json", []), "body": {}, "rule": deny},
	"manifest split path": {"segments": p(["repository", "files", "src", "package.json"]), "rule": deny},
	"manifest with code": {"segments": file("package.json", []), "code": true, "rule": "gitlab.code.files"},
}

status := {"state": "failed", "name": "scanner", "target_url": "https://scanner.example/r/1", "description": "2 issues"}

note_cases := {
	"note": {"method": "POST", "segments": p(["merge_requests", "7", "notes"]), "body": {"body": "2 issues"}, "rule": "gitlab.notes.create"},
	"note extra field": {"method": "POST", "segments": p(["merge_requests", "7", "notes"]), "body": {"body": "x", "internal": true}, "rule": deny},
	"note with query": {
		"method": "POST", "segments": p(["merge_requests", "7", "notes"]), "body": {"body": "x"},
		"query": {"confidential": ["true"]}, "rule": qdeny,
	},
	"note truncated": {"method": "POST", "segments": p(["merge_requests", "7", "notes"]), "body": {"body": "x"}, "body_truncated": true, "rule": deny},
	"note on issue": {"method": "POST", "segments": p(["issues", "7", "notes"]), "body": {"body": "x"}, "rule": deny},
	"note update": {"method": "PUT", "segments": p(["merge_requests", "7", "notes", "9"]), "body": {"body": "x"}, "rule": "gitlab.notes.update"},
	"note update bad id": {"method": "PUT", "segments": p(["merge_requests", "7", "notes", "x"]), "body": {"body": "x"}, "rule": deny},
	"note delete": {"method": "DELETE", "segments": p(["merge_requests", "7", "notes", "9"]), "rule": deny},
	"status": {"method": "POST", "segments": p(["statuses", sha]), "body": status, "rule": "gitlab.statuses.create"},
	"status coverage": {"method": "POST", "segments": p(["statuses", sha]), "body": {"state": "success", "coverage": 80.5}, "rule": "gitlab.statuses.create"},
	"status bad state": {"method": "POST", "segments": p(["statuses", sha]), "body": {"state": "error"}, "rule": deny},
	"status extra field": {"method": "POST", "segments": p(["statuses", sha]), "body": object.union(status, {"x": 1}), "rule": deny},
	"status coverage as string": {"method": "POST", "segments": p(["statuses", sha]), "body": {"state": "success", "coverage": "80"}, "rule": deny},
	"status by branch": {"method": "POST", "segments": p(["statuses", "main"]), "body": status, "rule": deny},
	"status state in query": {
		"method": "POST", "segments": p(["statuses", sha]), "body": status,
		"query": {"state": ["success"]}, "rule": qdeny,
	},
}

code_cases := {
	"tree": {"segments": p(["repository", "tree"]), "rule": deny},
	"tree with code": {"segments": p(["repository", "tree"]), "code": true, "rule": "gitlab.code.repository"},
	"blob raw with code": {"segments": p(["repository", "blobs", sha, "raw"]), "code": true, "rule": "gitlab.code.repository"},
	"commit diff with code": {"segments": p(["repository", "commits", sha, "diff"]), "code": true, "rule": "gitlab.code.repository"},
	"archive with code": {"segments": p(["repository", "archive.tar.gz"]), "code": true, "rule": "gitlab.code.repository"},
	"archive": {"segments": p(["repository", "archive.zip"]), "rule": deny},
	"source file with code": {"segments": file("src/main.go", ["raw"]), "code": true, "rule": "gitlab.code.files"},
	"tree POST with code": {"method": "POST", "segments": p(["repository", "tree"]), "code": true, "rule": deny},
	"mr changes": {"segments": p(["merge_requests", "7", "changes"]), "rule": deny},
	"mr diffs with code": {"segments": p(["merge_requests", "7", "diffs"]), "code": true, "rule": "gitlab.code.mr_diffs"},
	"mr approvals with code": {"segments": p(["merge_requests", "7", "approvals"]), "code": true, "rule": deny},
}

upload_pack := {"service": ["git-upload-pack"]}

clone := {"allow_git_clone": true}

clone_cases := {
	"refs": {"surface": "git", "segments": ["group", "sub", "app.git", "info", "refs"], "query": upload_pack, "flags": clone, "rule": "gitlab.clone.refs"},
	"refs without flag": {"surface": "git", "segments": ["group", "sub", "app.git", "info", "refs"], "query": upload_pack, "rule": deny},
	"refs with code": {"surface": "git", "segments": ["group", "app.git", "info", "refs"], "query": upload_pack, "code": true, "rule": "gitlab.clone.refs"},
	"refs without namespace": {"surface": "git", "segments": ["app.git", "info", "refs"], "query": upload_pack, "flags": clone, "rule": deny},
	"refs without .git": {"surface": "git", "segments": ["group", "app", "info", "refs"], "query": upload_pack, "flags": clone, "rule": deny},
	"refs receive-pack": {"surface": "git", "segments": ["group", "app.git", "info", "refs"], "query": {"service": ["git-receive-pack"]}, "flags": clone, "rule": deny},
	"pack": {"surface": "git", "method": "POST", "segments": ["group", "sub", "app.git", "git-upload-pack"], "flags": clone, "rule": "gitlab.clone.pack"},
	"pack GET": {"surface": "git", "segments": ["group", "app.git", "git-upload-pack"], "flags": clone, "rule": deny},
	"pack on api": {"method": "POST", "segments": ["group", "app.git", "git-upload-pack"], "flags": clone, "rule": deny},
	"receive-pack": {"surface": "git", "method": "POST", "segments": ["group", "app.git", "git-receive-pack"], "flags": clone, "code": true, "rule": deny},
}

writes := {"allow_writes": true}

commit := {
	"branch": "fix/lodash", "commit_message": "Upgrade lodash",
	"actions": [{"action": "update", "file_path": "web/package.json", "content": "{}"}],
}

mr := {"source_branch": "fix/lodash", "target_branch": "main", "title": "Upgrade lodash"}

write_cases := {
	"branch": {"method": "POST", "segments": p(["repository", "branches"]), "body": {"branch": "fix/x", "ref": "main"}, "flags": writes, "rule": "gitlab.writes.branch"},
	"branch without writes": {"method": "POST", "segments": p(["repository", "branches"]), "body": {"branch": "fix/x", "ref": "main"}, "rule": deny},
	"branch in query": {
		"method": "POST", "segments": p(["repository", "branches"]), "body": {"branch": "fix/x", "ref": "main"},
		"query": {"branch": ["main"]}, "flags": writes, "rule": qdeny,
	},
	"branch missing ref": {"method": "POST", "segments": p(["repository", "branches"]), "body": {"branch": "fix/x"}, "flags": writes, "rule": deny},
	"commit": {"method": "POST", "segments": p(["repository", "commits"]), "body": commit, "flags": writes, "rule": "gitlab.writes.commit"},
	"commit ci file": {
		"method": "POST", "segments": p(["repository", "commits"]), "flags": writes,
		"body": object.union(commit, {"actions": [{"action": "update", "file_path": ".gitlab-ci.yml", "content": "x"}]}), "rule": deny,
	},
	"commit delete action": {
		"method": "POST", "segments": p(["repository", "commits"]), "flags": writes,
		"body": object.union(commit, {"actions": [{"action": "delete", "file_path": "package.json"}]}), "rule": deny,
	},
	"commit no actions": {"method": "POST", "segments": p(["repository", "commits"]), "flags": writes, "body": object.union(commit, {"actions": []}), "rule": deny},
	"commit extra field": {"method": "POST", "segments": p(["repository", "commits"]), "flags": writes, "body": object.union(commit, {"force": true}), "rule": deny},
	"mr create": {"method": "POST", "segments": p(["merge_requests"]), "body": mr, "flags": writes, "rule": "gitlab.writes.mr"},
	"mr create without title": {"method": "POST", "segments": p(["merge_requests"]), "body": object.remove(mr, {"title"}), "flags": writes, "rule": deny},
	"mr create extra": {"method": "POST", "segments": p(["merge_requests"]), "body": object.union(mr, {"assignee_id": 1}), "flags": writes, "rule": deny},
	"file write": {"method": "PUT", "segments": file("package.json", []), "body": {"branch": "x", "content": "x", "commit_message": "x"}, "flags": writes, "rule": deny},
}

hooks := {"allow_webhooks": true, "allowed_webhook_urls": ["https://scanner.example/hook"]}

hook := {"url": "https://scanner.example/hook", "token": "t", "push_events": true, "merge_requests_events": true}

hook_cases := {
	"hooks": {"segments": p(["hooks"]), "flags": hooks, "rule": "gitlab.hooks.read"},
	"hook": {"segments": p(["hooks", "3"]), "flags": hooks, "rule": "gitlab.hooks.read"},
	"hooks without flag": {"segments": p(["hooks"]), "rule": deny},
	"hook bad id": {"segments": p(["hooks", "x"]), "flags": hooks, "rule": deny},
	"hook create": {"method": "POST", "segments": p(["hooks"]), "body": hook, "flags": hooks, "rule": "gitlab.hooks.create"},
	"hook create other url": {"method": "POST", "segments": p(["hooks"]), "body": object.union(hook, {"url": "https://evil.example/"}), "flags": hooks, "rule": deny},
	"hook create no tls": {"method": "POST", "segments": p(["hooks"]), "body": object.union(hook, {"enable_ssl_verification": false}), "flags": hooks, "rule": deny},
	"hook create event not boolean": {"method": "POST", "segments": p(["hooks"]), "body": object.union(hook, {"push_events": "yes"}), "flags": hooks, "rule": deny},
	"hook create extra": {"method": "POST", "segments": p(["hooks"]), "body": object.union(hook, {"job_events": true}), "flags": hooks, "rule": deny},
	"hook create url in query": {"method": "POST", "segments": p(["hooks"]), "body": hook, "query": {"url": ["https://evil.example/"]}, "flags": hooks, "rule": qdeny},
	"hook update": {"method": "PUT", "segments": p(["hooks", "3"]), "body": hook, "flags": hooks, "rule": "gitlab.hooks.update"},
	"hook update other url": {"method": "PUT", "segments": p(["hooks", "3"]), "body": {"url": "https://evil.example/"}, "flags": hooks, "rule": deny},
	"hook delete": {"method": "DELETE", "segments": p(["hooks", "3"]), "flags": hooks, "rule": "gitlab.hooks.delete"},
	"hook delete without flag": {"method": "DELETE", "segments": p(["hooks", "3"]), "rule": deny},
	"group hook": {"method": "POST", "segments": ["groups", "acme", "hooks"], "body": hook, "flags": hooks, "rule": deny},
}

test_reason_hints if {
	c := {"type": "gitlab", "segments": p(["repository", "tree"])}
	got := data.broker.decision with input as fixtures.request(c)
	"rule gitlab.code.repository would allow this request with allow_code_access=true" in got.reasons
	g := data.broker.decision with input as fixtures.request({"type": "gitlab", "surface": "git", "method": "POST", "segments": ["g", "a.git", "git-receive-pack"]})
	"pushing (git-receive-pack) is never allowed through the broker" in g.reasons
	w := data.broker.decision with input as fixtures.request({"type": "gitlab", "method": "POST", "segments": p(["merge_requests"]), "body": mr})
	"rule gitlab.writes.mr would allow this request with allow_writes=true" in w.reasons
	h := data.broker.decision with input as fixtures.request({"type": "gitlab", "segments": p(["hooks"])})
	"rule gitlab.hooks.read would allow this request with allow_webhooks=true" in h.reasons
	k := data.broker.decision with input as fixtures.request({"type": "gitlab", "surface": "git", "method": "POST", "segments": ["g", "a.git", "git-upload-pack"]})
	"rule gitlab.clone.pack would allow this request with allow_git_clone=true or allow_code_access=true" in k.reasons
}
