# Table-driven tests of the GitHub REST rules through the real entrypoint, broker/decision.
# GraphQL: github_graphql_test.rego; query parameters, placeholder grammars, HEAD and
# case-folded names: github_names_test.rego.
#
# Each case gives a request (see data.fixtures.request) and the decision's expected `rule`:
# the id of the allowing rule, or "deny" for broker.deny.no_matching_rule. Every allow rule has
# near-misses next to it: wrong method, wrong surface, missing or extra segment, a file name
# that only resembles a manifest, flag off versus on, a body with an extra or non-string field.
package integrations.github_test

import data.fixtures

deny := "broker.deny.no_matching_rule"

# One test per table and one sub-test per case: `opa test -v` lists them by name.
test_metadata[name] if {
	some name, c in metadata_cases
	decides(c)
}

test_pull[name] if {
	some name, c in pull_cases
	decides(c)
}

test_manifest[name] if {
	some name, c in manifest_cases
	decides(c)
}

test_raw[name] if {
	some name, c in raw_cases
	decides(c)
}

test_comment[name] if {
	some name, c in comment_cases
	decides(c)
}

test_code[name] if {
	some name, c in code_cases
	decides(c)
}

test_git[name] if {
	some name, c in git_cases
	decides(c)
}

test_other_surface[name] if {
	some name, c in other_surface_cases
	decides(c)
}

test_status[name] if {
	some name, c in status_cases
	decides(c)
}

test_review[name] if {
	some name, c in review_cases
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
	got := data.broker.decision with input as fixtures.request(c)
	got.rule == c.rule
	got.allow == c.rule != deny
}

manifest(path) := array.concat(["repos", "acme", "app", "contents"], path)

repo(rest) := array.concat(["repos", "acme", "app"], rest)

metadata_cases := {
	"rate_limit": {"segments": ["rate_limit"], "rule": "github.meta.rate_limit"},
	"rate_limit POST": {"method": "POST", "segments": ["rate_limit"], "rule": deny},
	"rate_limit extra segment": {"segments": ["rate_limit", "x"], "rule": deny},
	"user": {"segments": ["user"], "rule": "github.meta.user"},
	"user PATCH": {"method": "PATCH", "segments": ["user"], "rule": deny},
	"user emails": {"segments": ["user", "emails"], "rule": deny},
	"user repos": {"segments": ["user", "repos"], "rule": "github.user.repos"},
	"user repos POST": {"method": "POST", "segments": ["user", "repos"], "rule": deny},
	"installation repos": {"segments": ["installation", "repositories"], "rule": "github.installation.repos"},
	"installation token": {"method": "POST", "segments": ["installation", "token"], "rule": deny},
	"org repos": {"segments": ["orgs", "acme", "repos"], "rule": "github.org.repos"},
	"org repos missing org": {"segments": ["orgs", "repos"], "rule": deny},
	"org repos POST": {"method": "POST", "segments": ["orgs", "acme", "repos"], "rule": deny},
	"org members": {"segments": ["orgs", "acme", "members"], "rule": deny},
	"repo": {"segments": repo([]), "rule": "github.repo.metadata"},
	"repo missing repo": {"segments": ["repos", "acme"], "rule": deny},
	"repo PATCH": {"method": "PATCH", "segments": repo([]), "rule": deny},
	"repo DELETE": {"method": "DELETE", "segments": repo([]), "rule": deny},
	"repo upper-case Repos": {"segments": ["Repos", "acme", "app"], "rule": deny},
	"repo HEAD": {"method": "HEAD", "segments": repo([]), "rule": "github.repo.metadata"},
	"branches": {"segments": repo(["branches"]), "rule": "github.repo.branches"},
	"branch": {"segments": repo(["branches", "feature/x"]), "rule": "github.repo.branch"},
	"branch protection": {"segments": repo(["branches", "main", "protection"]), "rule": deny},
	"branch rename POST": {"method": "POST", "segments": repo(["branches", "main", "rename"]), "rule": deny},
	"tags": {"segments": repo(["tags"]), "rule": "github.repo.tags"},
	"tags extra segment": {"segments": repo(["tags", "v1"]), "rule": deny},
	"languages": {"segments": repo(["languages"]), "rule": "github.repo.languages"},
	"commit status": {"segments": repo(["commits", "main", "status"]), "rule": "github.repo.commit_status"},
	"commit statuses list": {"segments": repo(["commits", "main", "statuses"]), "rule": "github.statuses.list"},
	"commit status POST": {"method": "POST", "segments": repo(["statuses", "abc"]), "rule": deny},
	"hooks": {"segments": repo(["hooks"]), "rule": deny},
	"collaborators": {"segments": repo(["collaborators"]), "rule": deny},
}

pull_cases := {
	"pulls": {"segments": repo(["pulls"]), "rule": "github.pulls.list"},
	"pulls POST": {"method": "POST", "segments": repo(["pulls"]), "rule": deny},
	"pull": {"segments": repo(["pulls", "3"]), "rule": "github.pulls.get"},
	"pull not a number": {"segments": repo(["pulls", "abc"]), "rule": deny},
	"pull leading zero": {"segments": repo(["pulls", "03"]), "rule": deny},
	"pull PATCH": {"method": "PATCH", "segments": repo(["pulls", "3"]), "rule": deny},
	"pull merge PUT": {"method": "PUT", "segments": repo(["pulls", "3", "merge"]), "rule": deny},
	"pull as diff": {
		"segments": repo(["pulls", "3"]),
		"headers": {"accept": "application/vnd.github.diff"}, "rule": deny,
	},
	"pull as patch": {
		"segments": repo(["pulls", "3"]),
		"headers": {"accept": "application/vnd.github.v3.PATCH"}, "rule": deny,
	},
	"pull as diff with code": {
		"segments": repo(["pulls", "3"]), "code": true,
		"headers": {"accept": "application/vnd.github.diff"}, "rule": "github.code.pull_diff",
	},
	"pull without accept header": {"segments": repo(["pulls", "3"]), "headers": {}, "rule": "github.pulls.get"},
	"pull files": {"segments": repo(["pulls", "3", "files"]), "rule": deny},
	"pull files with code": {"segments": repo(["pulls", "3", "files"]), "code": true, "rule": "github.code.pull_files"},
	"pull files not a number": {"segments": repo(["pulls", "x", "files"]), "code": true, "rule": deny},
}

manifest_cases := {
	"package.json": {"segments": manifest(["package.json"]), "rule": "github.contents.manifest"},
	"deep go.mod": {"segments": manifest(["services", "api", "go.mod"]), "rule": "github.contents.manifest"},
	"deep yarn.lock": {"segments": manifest(["a", "b", "c", "d", "yarn.lock"]), "rule": "github.contents.manifest"},
	"Pipfile.lock": {"segments": manifest(["Pipfile.lock"]), "rule": "github.contents.manifest"},
	"build.gradle.kts": {"segments": manifest(["app", "build.gradle.kts"]), "rule": "github.contents.manifest"},
	"csproj": {"segments": manifest(["src", "App.csproj"]), "rule": "github.contents.manifest"},
	"bare .csproj": {"segments": manifest([".csproj"]), "rule": deny},
	"csproj as prefix": {"segments": manifest(["App.csproj.bak"]), "rule": deny},
	"manifest as prefix": {"segments": manifest(["package.json.evil"]), "rule": deny},
	"manifest with suffix": {"segments": manifest(["package.jsonx"]), "rule": deny},
	"manifest as suffix": {"segments": manifest(["notpackage.json"]), "rule": deny},
	"manifest other case": {"segments": manifest(["Package.json"]), "rule": deny},
	"manifest as directory": {"segments": manifest(["package.json", "index.js"]), "rule": deny},
	"manifest PUT": {"method": "PUT", "segments": manifest(["package.json"]), "rule": deny},
	"manifest PUT with code": {"method": "PUT", "segments": manifest(["package.json"]), "code": true, "rule": deny},
	"manifest DELETE": {"method": "DELETE", "segments": manifest(["package.json"]), "rule": deny},
	"manifest POST": {"method": "POST", "segments": manifest(["package.json"]), "rule": deny},
	"manifest missing owner": {"segments": ["repos", "app", "contents", "package.json"], "rule": deny},
	"manifest without contents": {"segments": repo(["package.json"]), "rule": deny},
	"manifest under readme": {"segments": repo(["readme", "package.json"]), "rule": deny},
	"manifest on raw surface path": {"segments": ["acme", "app", "main", "package.json"], "rule": deny},
	"source file": {"segments": manifest(["src", "main.go"]), "rule": deny},
	"contents root": {"segments": repo(["contents"]), "rule": deny},
	"manifest with code": {"segments": manifest(["package.json"]), "code": true, "rule": "github.code.contents"},
}

raw_cases := {
	"raw manifest": {"surface": "raw", "segments": ["acme", "app", "main", "package.json"], "rule": "github.raw.manifest"},
	"raw deep manifest": {"surface": "raw", "segments": ["acme", "app", "main", "a", "b", "Cargo.lock"], "rule": "github.raw.manifest"},
	"raw missing ref": {"surface": "raw", "segments": ["acme", "app", "package.json"], "rule": deny},
	"raw near-miss name": {"surface": "raw", "segments": ["acme", "app", "main", "go.mod.orig"], "rule": deny},
	"raw POST": {"surface": "raw", "method": "POST", "segments": ["acme", "app", "main", "package.json"], "rule": deny},
	"raw source file": {"surface": "raw", "segments": ["acme", "app", "main", "src", "main.go"], "rule": deny},
	"raw source file with code": {
		"surface": "raw", "code": true,
		"segments": ["acme", "app", "main", "src", "main.go"], "rule": "github.code.raw",
	},
	"raw repo root with code": {"surface": "raw", "code": true, "segments": ["acme", "app", "main"], "rule": deny},
}

comment_cases := {
	"comment": {
		"method": "POST", "segments": repo(["issues", "12", "comments"]),
		"body": {"body": "2 vulnerable dependencies"}, "rule": "github.issues.comment.create",
	},
	"comment empty text": {
		"method": "POST", "segments": repo(["issues", "12", "comments"]),
		"body": {"body": ""}, "rule": "github.issues.comment.create",
	},
	"comment extra field": {
		"method": "POST", "segments": repo(["issues", "12", "comments"]),
		"body": {"body": "x", "path": "src/a.js"}, "rule": deny,
	},
	"comment number body": {
		"method": "POST", "segments": repo(["issues", "12", "comments"]),
		"body": {"body": 42}, "rule": deny,
	},
	"comment null body": {"method": "POST", "segments": repo(["issues", "12", "comments"]), "rule": deny},
	"comment string body": {
		"method": "POST", "segments": repo(["issues", "12", "comments"]),
		"body": "x", "rule": deny,
	},
	"comment empty object": {
		"method": "POST", "segments": repo(["issues", "12", "comments"]),
		"body": {}, "rule": deny,
	},
	"comment truncated body": {
		"method": "POST", "segments": repo(["issues", "12", "comments"]),
		"body": {"body": "x"}, "body_truncated": true, "rule": deny,
	},
	"comment with code still needs shape": {
		"method": "POST", "segments": repo(["issues", "12", "comments"]), "code": true,
		"body": {"body": "x", "extra": true}, "rule": deny,
	},
	"comment GET": {"segments": repo(["issues", "12", "comments"]), "rule": deny},
	"comment PUT": {
		"method": "PUT", "segments": repo(["issues", "12", "comments"]),
		"body": {"body": "x"}, "rule": deny,
	},
	"comment not a number": {
		"method": "POST", "segments": repo(["issues", "x", "comments"]),
		"body": {"body": "x"}, "rule": deny,
	},
	"comment missing owner": {
		"method": "POST", "segments": ["repos", "app", "issues", "12", "comments"],
		"body": {"body": "x"}, "rule": deny,
	},
	"pull review comment": {
		"method": "POST", "segments": repo(["pulls", "12", "comments"]),
		"body": {"body": "x"}, "rule": "github.pulls.comment.create",
	},
	"issue create": {"method": "POST", "segments": repo(["issues"]), "body": {"body": "x"}, "rule": deny},
	"comment update": {
		"method": "PATCH", "segments": repo(["issues", "comments", "99"]),
		"body": {"body": "rescanned"}, "rule": "github.issues.comment.update",
	},
	"comment update extra field": {
		"method": "PATCH", "segments": repo(["issues", "comments", "99"]),
		"body": {"body": "x", "state": "closed"}, "rule": deny,
	},
	"comment update non-string": {
		"method": "PATCH", "segments": repo(["issues", "comments", "99"]),
		"body": {"body": ["x"]}, "rule": deny,
	},
	"comment update truncated": {
		"method": "PATCH", "segments": repo(["issues", "comments", "99"]),
		"body": {"body": "x"}, "body_truncated": true, "rule": deny,
	},
	"comment update POST": {
		"method": "POST", "segments": repo(["issues", "comments", "99"]),
		"body": {"body": "x"}, "rule": deny,
	},
	"comment DELETE": {"method": "DELETE", "segments": repo(["issues", "comments", "99"]), "rule": deny},
	"comment update not a number": {
		"method": "PATCH", "segments": repo(["issues", "comments", "x"]),
		"body": {"body": "x"}, "rule": deny,
	},
}

code_cases := {
	"contents file": {"segments": manifest(["src", "main.go"]), "code": true, "rule": "github.code.contents"},
	"contents root with code": {"segments": repo(["contents"]), "code": true, "rule": "github.code.contents"},
	"contents DELETE with code": {"method": "DELETE", "segments": manifest(["src", "main.go"]), "code": true, "rule": deny},
	"code flag as string": {"segments": manifest(["src", "main.go"]), "code": "true", "rule": deny},
	"tree": {"segments": repo(["git", "trees", "abc123"]), "rule": deny},
	"tree with code": {"segments": repo(["git", "trees", "abc123"]), "code": true, "rule": "github.code.git_data"},
	"tree without sha": {"segments": repo(["git", "trees"]), "code": true, "rule": deny},
	"blob with code": {"segments": repo(["git", "blobs", "abc123"]), "code": true, "rule": "github.code.git_data"},
	"git commit with code": {"segments": repo(["git", "commits", "abc123"]), "code": true, "rule": "github.code.git_data"},
	"refs with code": {"segments": repo(["git", "refs"]), "code": true, "rule": "github.code.git_data"},
	"ref with code": {"segments": repo(["git", "refs", "heads", "main"]), "code": true, "rule": "github.code.git_data"},
	"ref create with code": {"method": "POST", "segments": repo(["git", "refs"]), "code": true, "rule": deny},
	"ref update with code": {"method": "PATCH", "segments": repo(["git", "refs", "heads", "main"]), "code": true, "rule": deny},
	"git tags with code": {"segments": repo(["git", "tags", "abc"]), "code": true, "rule": deny},
	"commits": {"segments": repo(["commits"]), "rule": deny},
	"commits with code": {"segments": repo(["commits"]), "code": true, "rule": "github.code.commits"},
	"commit": {"segments": repo(["commits", "abc123"]), "rule": deny},
	"commit with code": {"segments": repo(["commits", "abc123"]), "code": true, "rule": "github.code.commits"},
	"commit status with code": {"segments": repo(["commits", "main", "status"]), "code": true, "rule": "github.code.commits"},
	"compare": {"segments": repo(["compare", "main...dev"]), "rule": deny},
	"compare with code": {"segments": repo(["compare", "main...dev"]), "code": true, "rule": "github.code.compare"},
	"compare without range": {"segments": repo(["compare"]), "code": true, "rule": deny},
	"tarball": {"segments": repo(["tarball", "main"]), "rule": deny},
	"tarball with code": {"segments": repo(["tarball", "main"]), "code": true, "rule": "github.code.archive"},
	"zipball default branch with code": {"segments": repo(["zipball"]), "code": true, "rule": "github.code.archive"},
	"tarball POST with code": {"method": "POST", "segments": repo(["tarball"]), "code": true, "rule": deny},
	"pull with code": {"segments": repo(["pulls", "3"]), "code": true, "rule": "github.code.pull_diff"},
}

upload_pack := {"service": ["git-upload-pack"]}

git_cases := {
	"clone refs": {
		"surface": "git", "segments": ["acme", "app.git", "info", "refs"], "query": upload_pack,
		"rule": deny,
	},
	"clone refs with code": {
		"surface": "git", "code": true, "segments": ["acme", "app.git", "info", "refs"],
		"query": upload_pack, "rule": "github.clone.refs",
	},
	"clone refs without .git": {
		"surface": "git", "code": true, "segments": ["acme", "app", "info", "refs"],
		"query": upload_pack, "rule": deny,
	},
	"clone refs repo named .git": {
		"surface": "git", "code": true, "segments": ["acme", ".git", "info", "refs"],
		"query": upload_pack, "rule": deny,
	},
	"clone refs missing owner": {
		"surface": "git", "code": true, "segments": ["app.git", "info", "refs"],
		"query": upload_pack, "rule": deny,
	},
	"clone refs without service": {
		"surface": "git", "code": true, "segments": ["acme", "app.git", "info", "refs"],
		"rule": deny,
	},
	"clone refs receive-pack": {
		"surface": "git", "code": true, "segments": ["acme", "app.git", "info", "refs"],
		"query": {"service": ["git-receive-pack"]}, "rule": deny,
	},
	"clone refs both services": {
		"surface": "git", "code": true, "segments": ["acme", "app.git", "info", "refs"],
		"query": {"service": ["git-upload-pack", "git-receive-pack"]}, "rule": deny,
	},
	"clone refs POST": {
		"surface": "git", "code": true, "method": "POST", "segments": ["acme", "app.git", "info", "refs"],
		"query": upload_pack, "rule": deny,
	},
	"clone refs on api surface": {
		"code": true, "segments": ["acme", "app.git", "info", "refs"],
		"query": upload_pack, "rule": deny,
	},
	"upload-pack": {"surface": "git", "method": "POST", "segments": ["acme", "app.git", "git-upload-pack"], "rule": deny},
	"upload-pack with code": {
		"surface": "git", "code": true, "method": "POST",
		"segments": ["acme", "app.git", "git-upload-pack"], "rule": "github.clone.pack",
	},
	"upload-pack GET": {
		"surface": "git", "code": true,
		"segments": ["acme", "app.git", "git-upload-pack"], "rule": deny,
	},
	"upload-pack without .git": {
		"surface": "git", "code": true, "method": "POST",
		"segments": ["acme", "app", "git-upload-pack"], "rule": deny,
	},
	"receive-pack": {
		"surface": "git", "code": true, "method": "POST",
		"segments": ["acme", "app.git", "git-receive-pack"], "rule": deny,
	},
	"web page on git surface": {"surface": "git", "code": true, "segments": ["acme", "app", "blob", "main", "a.go"], "rule": deny},
}

other_surface_cases := {"unknown surface": {"surface": "uploads", "segments": repo([]), "rule": deny}}

# The reasons say which flag is missing, by rule id.
test_reason_names_code_rule if {
	got := data.broker.decision with input as fixtures.request({"segments": manifest(["src", "main.go"])})
	got.reasons == [
		"no rule of integration github allows GET /repos/acme/app/contents/src/main.go on surface api",
		"rule github.code.contents would allow this request with allow_code_access=true",
	]
}

test_reason_diff_needs_code if {
	c := {"segments": repo(["pulls", "3"]), "headers": {"accept": "application/vnd.github.diff"}}
	got := data.broker.decision with input as fixtures.request(c)
	"rule github.code.pull_diff would allow this request with allow_code_access=true" in got.reasons
}

test_reason_no_hint_with_code_on if {
	c := {"segments": repo(["collaborators"]), "code": true}
	got := data.broker.decision with input as fixtures.request(c)
	got.reasons == ["no rule of integration github allows GET /repos/acme/app/collaborators on surface api"]
}

test_reason_comment_shape if {
	c := {"method": "POST", "segments": repo(["issues", "1", "comments"]), "body": {"body": "x", "y": 1}}
	got := data.broker.decision with input as fixtures.request(c)
	"a comment request body must be a JSON object whose only field is \"body\", a string" in got.reasons
}

test_reason_receive_pack_in_path if {
	c := {"surface": "git", "method": "POST", "code": true, "segments": ["acme", "app.git", "git-receive-pack"]}
	got := data.broker.decision with input as fixtures.request(c)
	"pushing (git-receive-pack) is never allowed through the broker" in got.reasons
}

test_reason_receive_pack_in_query if {
	c := {
		"surface": "git", "code": true, "segments": ["acme", "app.git", "info", "refs"],
		"query": {"service": ["git-receive-pack"]},
	}
	got := data.broker.decision with input as fixtures.request(c)
	"pushing (git-receive-pack) is never allowed through the broker" in got.reasons
}

test_reason_flag_hints if {
	w := data.broker.decision with input as fixtures.request({"method": "POST", "segments": repo(["pulls"]), "body": pull})
	"rule github.writes.pull would allow this request with allow_writes=true" in w.reasons
	h := data.broker.decision with input as fixtures.request({"segments": repo(["hooks"])})
	"rule github.hooks.read would allow this request with allow_webhooks=true" in h.reasons
	g := data.broker.decision with input as fixtures.request({
		"surface": "git", "segments": ["acme", "app.git", "git-upload-pack"],
		"method": "POST",
	})
	"rule github.clone.pack would allow this request with allow_git_clone=true or allow_code_access=true" in g.reasons
}

# A request two rules allow names the first in sorted order and lists both.
test_two_rules_allow if {
	c := {"segments": manifest(["package.json"]), "code": true}
	got := data.broker.decision with input as fixtures.request(c)
	got == {
		"allow": true,
		"rule": "github.code.contents",
		"reasons": ["allowed by github.code.contents", "allowed by github.contents.manifest"],
	}
}

# A missing flags object means no code access.
test_flags_absent_means_no_code_access if {
	i := json.remove(fixtures.request({"segments": manifest(["src", "main.go"])}), ["integration/flags"])
	got := data.broker.decision with input as i
	got.allow == false
}

sha := "0123456789abcdef0123456789abcdef01234567"

status := {"state": "failure", "target_url": "https://scanner.example/r/1", "description": "2 issues", "context": "scanner"}

status_cases := {
	"status": {"method": "POST", "segments": repo(["statuses", sha]), "body": status, "rule": "github.statuses.create"},
	"status state only": {"method": "POST", "segments": repo(["statuses", sha]), "body": {"state": "success"}, "rule": "github.statuses.create"},
	"status unknown state": {"method": "POST", "segments": repo(["statuses", sha]), "body": {"state": "ok"}, "rule": deny},
	"status without state": {"method": "POST", "segments": repo(["statuses", sha]), "body": {"context": "x"}, "rule": deny},
	"status extra field": {
		"method": "POST", "segments": repo(["statuses", sha]),
		"body": object.union(status, {"avatar_url": "x"}), "rule": deny,
	},
	"status numeric description": {
		"method": "POST", "segments": repo(["statuses", sha]),
		"body": {"state": "success", "description": 1}, "rule": deny,
	},
	"status short sha": {"method": "POST", "segments": repo(["statuses", "main"]), "body": status, "rule": deny},
	"status truncated": {"method": "POST", "segments": repo(["statuses", sha]), "body": status, "body_truncated": true, "rule": deny},
	"status PUT": {"method": "PUT", "segments": repo(["statuses", sha]), "body": status, "rule": deny},
	"statuses list": {"segments": repo(["commits", "main", "statuses"]), "rule": "github.statuses.list"},
	"statuses list POST": {"method": "POST", "segments": repo(["commits", "main", "statuses"]), "body": status, "rule": deny},
}

review := {"body": "lodash 4.17.20 is vulnerable", "commit_id": sha, "path": "package.json", "line": 12, "side": "RIGHT"}

review_cases := {
	"review comment": {"method": "POST", "segments": repo(["pulls", "3", "comments"]), "body": review, "rule": "github.pulls.comment.create"},
	"review comment body only": {"method": "POST", "segments": repo(["pulls", "3", "comments"]), "body": {"body": "x"}, "rule": "github.pulls.comment.create"},
	"review comment without body": {
		"method": "POST", "segments": repo(["pulls", "3", "comments"]),
		"body": object.remove(review, {"body"}), "rule": deny,
	},
	"review comment extra field": {
		"method": "POST", "segments": repo(["pulls", "3", "comments"]),
		"body": object.union(review, {"state": "APPROVED"}), "rule": deny,
	},
	"review comment line as string": {
		"method": "POST", "segments": repo(["pulls", "3", "comments"]),
		"body": object.union(review, {"line": "12"}), "rule": deny,
	},
	"review comment path as number": {
		"method": "POST", "segments": repo(["pulls", "3", "comments"]),
		"body": object.union(review, {"path": 1}), "rule": deny,
	},
	"review comment not a number": {"method": "POST", "segments": repo(["pulls", "x", "comments"]), "body": review, "rule": deny},
	"review approve": {"method": "POST", "segments": repo(["pulls", "3", "reviews"]), "body": {"event": "APPROVE"}, "rule": deny},
	"review comment update": {
		"method": "PATCH", "segments": repo(["pulls", "comments", "7"]),
		"body": {"body": "x"}, "rule": "github.pulls.comment.update",
	},
	"review comment update extra": {
		"method": "PATCH", "segments": repo(["pulls", "comments", "7"]),
		"body": {"body": "x", "path": "a"}, "rule": deny,
	},
	"review comment update bad id": {
		"method": "PATCH", "segments": repo(["pulls", "comments", "07"]),
		"body": {"body": "x"}, "rule": deny,
	},
}

writes := {"allow_writes": true}

ref := {"ref": "refs/heads/fix/lodash", "sha": sha}

contents := {"message": "Upgrade lodash", "content": "e30=", "branch": "fix/lodash", "sha": "abc"}

pull := {"title": "Upgrade lodash", "head": "fix/lodash", "base": "main", "body": "Fixes 2 issues"}

write_cases := {
	"create ref": {"method": "POST", "segments": repo(["git", "refs"]), "body": ref, "flags": writes, "rule": "github.writes.branch"},
	"create ref without writes": {"method": "POST", "segments": repo(["git", "refs"]), "body": ref, "rule": deny},
	"create tag ref": {
		"method": "POST", "segments": repo(["git", "refs"]), "flags": writes,
		"body": {"ref": "refs/tags/v1", "sha": sha}, "rule": deny,
	},
	"create empty branch name": {
		"method": "POST", "segments": repo(["git", "refs"]), "flags": writes,
		"body": {"ref": "refs/heads/", "sha": sha}, "rule": deny,
	},
	"create ref extra field": {
		"method": "POST", "segments": repo(["git", "refs"]), "flags": writes,
		"body": object.union(ref, {"force": true}), "rule": deny,
	},
	"update ref": {"method": "PATCH", "segments": repo(["git", "refs", "heads", "main"]), "flags": writes, "body": {"sha": sha, "force": true}, "rule": deny},
	"write manifest": {"method": "PUT", "segments": manifest(["package.json"]), "body": contents, "flags": writes, "rule": "github.writes.contents"},
	"write deep lock file": {"method": "PUT", "segments": manifest(["web", "yarn.lock"]), "body": contents, "flags": writes, "rule": "github.writes.contents"},
	"write manifest without writes": {"method": "PUT", "segments": manifest(["package.json"]), "body": contents, "rule": deny},
	"write manifest with code only": {"method": "PUT", "segments": manifest(["package.json"]), "body": contents, "code": true, "rule": deny},
	"write workflow": {
		"method": "PUT", "segments": manifest([".github", "workflows", "ci.yml"]),
		"body": contents, "flags": writes, "rule": deny,
	},
	"write manifest without branch": {
		"method": "PUT", "segments": manifest(["package.json"]), "flags": writes,
		"body": object.remove(contents, {"branch"}), "rule": deny,
	},
	"write manifest extra field": {
		"method": "PUT", "segments": manifest(["package.json"]), "flags": writes,
		"body": object.union(contents, {"x": 1}), "rule": deny,
	},
	"write manifest with committer": {
		"method": "PUT", "segments": manifest(["package.json"]), "flags": writes,
		"body": object.union(contents, {"committer": {"name": "bot", "email": "bot@example.com"}}), "rule": "github.writes.contents",
	},
	"write manifest bad committer": {
		"method": "PUT", "segments": manifest(["package.json"]), "flags": writes,
		"body": object.union(contents, {"committer": {"name": "bot", "signature": "x"}}), "rule": deny,
	},
	"delete manifest": {"method": "DELETE", "segments": manifest(["package.json"]), "body": contents, "flags": writes, "rule": deny},
	"create pull": {"method": "POST", "segments": repo(["pulls"]), "body": pull, "flags": writes, "rule": "github.writes.pull"},
	"create pull without title": {"method": "POST", "segments": repo(["pulls"]), "body": object.remove(pull, {"title"}), "flags": writes, "rule": deny},
	"create pull from issue": {
		"method": "POST", "segments": repo(["pulls"]), "flags": writes,
		"body": {"issue": 1, "head": "a", "base": "main"}, "rule": deny,
	},
	"merge pull with writes": {"method": "PUT", "segments": repo(["pulls", "3", "merge"]), "body": {}, "flags": writes, "rule": deny},
	"actions secret with writes": {"method": "PUT", "segments": repo(["actions", "secrets", "X"]), "body": {}, "flags": writes, "rule": deny},
	"deploy key with writes": {"method": "POST", "segments": repo(["keys"]), "body": {"key": "ssh-rsa"}, "flags": writes, "rule": deny},
	"repo admin with writes": {"method": "PATCH", "segments": repo([]), "body": {"private": false}, "flags": writes, "rule": deny},
	"receive-pack with every flag": {
		"surface": "git", "method": "POST", "segments": ["acme", "app.git", "git-receive-pack"], "code": true,
		"flags": {"allow_writes": true, "allow_git_clone": true}, "rule": deny,
	},
	"upload-pack with clone flag": {
		"surface": "git", "method": "POST", "segments": ["acme", "app.git", "git-upload-pack"],
		"flags": {"allow_git_clone": true}, "rule": "github.clone.pack",
	},
	"clone refs with clone flag": {
		"surface": "git", "segments": ["acme", "app.git", "info", "refs"], "query": upload_pack,
		"flags": {"allow_git_clone": true}, "rule": "github.clone.refs",
	},
	"contents with clone flag only": {"segments": manifest(["src", "main.go"]), "flags": {"allow_git_clone": true}, "rule": deny},
}

hooks := {"allow_webhooks": true, "allowed_webhook_urls": ["https://scanner.example/hook"]}

hook := {"name": "web", "config": {"url": "https://scanner.example/hook", "content_type": "json", "secret": "s"}, "events": ["push", "pull_request"], "active": true}

hook_cases := {
	"hooks list": {"segments": repo(["hooks"]), "flags": hooks, "rule": "github.hooks.read"},
	"org hooks list": {"segments": ["orgs", "acme", "hooks"], "flags": hooks, "rule": "github.hooks.read"},
	"hook get": {"segments": repo(["hooks", "5"]), "flags": hooks, "rule": "github.hooks.read"},
	"hook get bad id": {"segments": repo(["hooks", "x"]), "flags": hooks, "rule": deny},
	"hook deliveries": {"segments": repo(["hooks", "5", "deliveries"]), "flags": hooks, "rule": deny},
	"hooks list without flag": {"segments": repo(["hooks"]), "rule": deny},
	"hook create": {"method": "POST", "segments": repo(["hooks"]), "body": hook, "flags": hooks, "rule": "github.hooks.create"},
	"org hook create": {"method": "POST", "segments": ["orgs", "acme", "hooks"], "body": hook, "flags": hooks, "rule": "github.hooks.create"},
	"hook create other url": {
		"method": "POST", "segments": repo(["hooks"]), "flags": hooks,
		"body": object.union(hook, {"config": {"url": "https://evil.example/hook"}}), "rule": deny,
	},
	"hook create url prefix": {
		"method": "POST", "segments": repo(["hooks"]), "flags": hooks,
		"body": object.union(hook, {"config": {"url": "https://scanner.example/hook/x"}}), "rule": deny,
	},
	"hook create insecure": {
		"method": "POST", "segments": repo(["hooks"]), "flags": hooks,
		"body": object.union(hook, {"config": {"url": "https://scanner.example/hook", "insecure_ssl": "1"}}), "rule": deny,
	},
	"hook create no url list": {"method": "POST", "segments": repo(["hooks"]), "body": hook, "flags": {"allow_webhooks": true}, "rule": deny},
	"hook create url list without flag": {
		"method": "POST", "segments": repo(["hooks"]), "body": hook,
		"flags": {"allowed_webhook_urls": ["https://scanner.example/hook"]}, "rule": deny,
	},
	"hook create extra field": {"method": "POST", "segments": repo(["hooks"]), "body": object.union(hook, {"x": 1}), "flags": hooks, "rule": deny},
	"hook create other name": {"method": "POST", "segments": repo(["hooks"]), "body": object.union(hook, {"name": "jenkins"}), "flags": hooks, "rule": deny},
	"hook create bad events": {"method": "POST", "segments": repo(["hooks"]), "body": object.union(hook, {"events": "push"}), "flags": hooks, "rule": deny},
	"hook update": {
		"method": "PATCH", "segments": repo(["hooks", "5"]), "flags": hooks,
		"body": {"config": {"url": "https://scanner.example/hook"}, "add_events": ["push"]}, "rule": "github.hooks.update",
	},
	"hook update without config": {"method": "PATCH", "segments": repo(["hooks", "5"]), "flags": hooks, "body": {"active": false}, "rule": deny},
	"hook update active not boolean": {
		"method": "PATCH", "segments": repo(["hooks", "5"]), "flags": hooks,
		"body": {"config": {"url": "https://scanner.example/hook"}, "active": "no"}, "rule": deny,
	},
	"hook delete": {"method": "DELETE", "segments": repo(["hooks", "5"]), "flags": hooks, "rule": "github.hooks.delete"},
	"hook delete list": {"method": "DELETE", "segments": repo(["hooks"]), "flags": hooks, "rule": deny},
	"hook delete without flag": {"method": "DELETE", "segments": repo(["hooks", "5"]), "rule": deny},
}
