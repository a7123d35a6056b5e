# GitLab: query parameters each rule accepts, the naming grammars of its placeholders, and HEAD.
# Each allow is next to the near-misses an attacker would try: `sudo` (impersonation) and
# `private_token` (a credential) in the query of a read and of a write, a repeated parameter,
# ";params", spaces, "%2F" where a name has no "/", dot components.
package integrations.gitlab_test

import data.fixtures

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

query_cases := {
	"projects filtered": {
		"segments": ["projects"], "rule": "gitlab.projects.list",
		"query": {"membership": ["true"], "simple": ["true"], "archived": ["false"], "per_page": ["100"], "page": ["2"]},
	},
	"projects keyset": {
		"segments": ["projects"], "rule": "gitlab.projects.list",
		"query": {"pagination": ["keyset"], "order_by": ["id"], "sort": ["asc"], "id_after": ["42"]},
	},
	"projects sudo": {"segments": ["projects"], "query": {"sudo": ["root"]}, "rule": qdeny},
	"projects private_token": {"segments": ["projects"], "query": {"private_token": ["x"]}, "rule": qdeny},
	"projects repeated per_page": {"segments": ["projects"], "query": {"per_page": ["20", "100"]}, "rule": qdeny},
	"projects with_custom_attributes": {"segments": ["projects"], "query": {"with_custom_attributes": ["true"]}, "rule": qdeny},
	"group projects": {"segments": ["groups", "acme", "projects"], "query": {"include_subgroups": ["true"]}, "rule": "gitlab.groups.projects"},
	"group projects access_token": {"segments": ["groups", "acme", "projects"], "query": {"access_token": ["x"]}, "rule": qdeny},
	"user sudo": {"segments": ["user"], "query": {"sudo": ["1"]}, "rule": qdeny},
	"project statistics": {"segments": p([]), "query": {"statistics": ["true"]}, "rule": "gitlab.project.metadata"},
	"branches search": {"segments": p(["repository", "branches"]), "query": {"search": ["^fix"]}, "rule": "gitlab.project.refs"},
	"mrs opened": {"segments": p(["merge_requests"]), "query": {"state": ["opened"], "target_branch": ["main"]}, "rule": "gitlab.mrs.read"},
	"mrs iids": {"segments": p(["merge_requests"]), "query": {"iids[]": ["1", "2"]}, "rule": "gitlab.mrs.read"},
	"mrs job_token": {"segments": p(["merge_requests"]), "query": {"job_token": ["x"]}, "rule": qdeny},
	"manifest ref": {"segments": file("package.json", ["raw"]), "query": {"ref": ["main"]}, "rule": "gitlab.files.manifest"},
	"manifest ref sudo": {"segments": file("package.json", ["raw"]), "query": {"ref": ["main"], "sudo": ["root"]}, "rule": qdeny},
	"manifest two refs": {"segments": file("package.json", ["raw"]), "query": {"ref": ["main", "evil"]}, "rule": qdeny},
	"note sudo": {"method": "POST", "segments": p(["merge_requests", "7", "notes"]), "body": {"body": "x"}, "query": {"sudo": ["root"]}, "rule": qdeny},
	"tree with code": {"segments": p(["repository", "tree"]), "query": {"path": ["src"], "ref": ["main"], "recursive": ["true"]}, "code": true, "rule": "gitlab.code.repository"},
	"tree private_token with code": {"segments": p(["repository", "tree"]), "query": {"private_token": ["x"]}, "code": true, "rule": qdeny},
	"hooks page": {"segments": p(["hooks"]), "query": {"page": ["2"]}, "flags": hooks, "rule": "gitlab.hooks.read"},
	"hook delete sudo": {"method": "DELETE", "segments": p(["hooks", "3"]), "query": {"sudo": ["root"]}, "flags": hooks, "rule": qdeny},
	"refs extra parameter": {
		"surface": "git", "segments": ["group", "app.git", "info", "refs"], "flags": clone,
		"query": {"service": ["git-upload-pack"], "private_token": ["x"]}, "rule": qdeny,
	},
}

test_query_reason_names_parameter if {
	c := {"type": "gitlab", "segments": ["projects"], "query": {"sudo": ["root"], "per_page": ["100"]}}
	got := data.broker.decision with input as fixtures.request(c)
	got.rule == qdeny
	got.reasons == [`query parameter "sudo" is not accepted by rule gitlab.projects.list (it accepts: archived, id_after, id_before, last_activity_after, last_activity_before, membership, min_access_level, order_by, owned, page, pagination, per_page, search, search_namespaces, simple, sort, starred, topic, updated_after, updated_before, visibility, with_issues_enabled, with_merge_requests_enabled, with_programming_language)`]
	w := data.broker.decision with input as fixtures.request({
		"type": "gitlab", "method": "POST", "segments": p(["merge_requests", "7", "notes"]),
		"body": {"body": "x"}, "query": {"sudo": ["root"]},
	})
	w.reasons == [`query parameter "sudo" is not accepted by rule gitlab.notes.create (it accepts: no query parameters)`]
	r := data.broker.decision with input as fixtures.request({"type": "gitlab", "segments": ["projects"], "query": {"page": ["1", "2"]}})
	r.reasons == [`query parameter "page" is given more than once`]
}

name_cases := {
	"project by id": {"segments": ["projects", "42"], "rule": "gitlab.project.metadata"},
	"project deep path": {"segments": ["projects", "a/b/c/d_e.f-g"], "rule": "gitlab.project.metadata"},
	"project path starting with dot": {"segments": ["projects", "group/.hidden"], "rule": "gitlab.project.metadata"},
	"project ;params": {"segments": ["projects", "group/app;x=1"], "rule": deny},
	"project space": {"segments": ["projects", "group/app x"], "rule": deny},
	"project percent": {"segments": ["projects", "group%2Fapp"], "rule": deny},
	"project leading slash": {"segments": ["projects", "/group/app"], "rule": deny},
	"project trailing slash": {"segments": ["projects", "group/app/"], "rule": deny},
	"project empty component": {"segments": ["projects", "group//app"], "rule": deny},
	"project dot-dot": {"segments": ["projects", "group/../app"], "rule": deny},
	"project dash first": {"segments": ["projects", "group/-app"], "rule": deny},
	"project .git": {"segments": ["projects", "group/app.git"], "rule": deny},
	"project .atom": {"segments": ["projects", "group/app.atom"], "rule": deny},
	"project too long": {"segments": ["projects", concat("/", [x | some _ in numbers.range(1, 210); x := "abcd"])], "rule": deny},
	"group nested": {"segments": ["groups", "acme/platform", "projects"], "rule": "gitlab.groups.projects"},
	"group ;params": {"segments": ["groups", "acme;x", "projects"], "rule": deny},
	"group dot-dot": {"segments": ["groups", "acme/..", "projects"], "rule": deny},
	"mr iid leading zero": {"segments": p(["merge_requests", "07"]), "rule": deny},
	"mr iid slash": {"segments": p(["merge_requests", "7/notes"]), "rule": deny},
	"mr iid sign": {"segments": p(["merge_requests", "+7"]), "rule": deny},
	"note id ;params": {"method": "PUT", "segments": p(["merge_requests", "7", "notes", "9;x"]), "body": {"body": "x"}, "rule": deny},
	"branch slash": {"segments": p(["repository", "branches", "release/1.2"]), "rule": "gitlab.project.refs"},
	"branch ;params": {"segments": p(["repository", "branches", "main;x=1"]), "rule": deny},
	"branch space": {"segments": p(["repository", "branches", "main x"]), "rule": deny},
	"branch dot-dot": {"segments": p(["repository", "branches", "a..b"]), "rule": deny},
	"branch .lock": {"segments": p(["repository", "branches", "main.lock"]), "rule": deny},
	"branch dot component": {"segments": p(["repository", "branches", "fix/.x"]), "rule": deny},
	"branch dash first": {"segments": p(["repository", "branches", "-x"]), "rule": deny},
	"branch reflog": {"segments": p(["repository", "branches", "main@{1}"]), "rule": deny},
	"statuses sha slash": {"segments": p(["repository", "commits", "abc/def", "statuses"]), "rule": deny},
	"statuses sha upper": {"segments": p(["repository", "commits", "ABCDEF", "statuses"]), "rule": deny},
	"manifest space in directory": {"segments": file("my app/package.json", []), "rule": "gitlab.files.manifest"},
	"manifest ;params": {"segments": file("package.json;x", []), "rule": deny},
	"manifest backslash": {"segments": file("a\\package.json", []), "rule": deny},
	"source file with dot-dot with code": {"segments": file("a/../b.go", ["raw"]), "code": true, "rule": deny},
	"commit by branch with code": {"segments": p(["repository", "commits", "feature/x"]), "code": true, "rule": "gitlab.code.repository"},
	"commit diff with code": {"segments": p(["repository", "commits", sha, "diff"]), "code": true, "rule": "gitlab.code.repository"},
	"commit cherry_pick GET with code": {"segments": p(["repository", "commits", sha, "cherry_pick"]), "code": true, "rule": deny},
	"commit ;params with code": {"segments": p(["repository", "commits", "main;x"]), "code": true, "rule": deny},
	"blob by branch with code": {"segments": p(["repository", "blobs", "main", "raw"]), "code": true, "rule": deny},
	"archive look-alike with code": {"segments": p(["repository", "archive.exe"]), "code": true, "rule": deny},
	"hook id ;params": {"segments": p(["hooks", "3;x"]), "flags": hooks, "rule": deny},
	"branch create bad name": {
		"method": "POST", "segments": p(["repository", "branches"]), "flags": writes,
		"body": {"branch": "fix/../x", "ref": "main"}, "rule": deny,
	},
	"clone ;params": {"surface": "git", "segments": ["group;x", "app.git", "info", "refs"], "query": upload_pack, "flags": clone, "rule": deny},
	"clone %2F": {"surface": "git", "segments": ["group/sub", "app.git", "info", "refs"], "query": upload_pack, "flags": clone, "rule": deny},
	"clone dot-dot": {"surface": "git", "segments": ["group", "...git", "info", "refs"], "query": upload_pack, "flags": clone, "rule": deny},
	"clone .git.git": {"surface": "git", "method": "POST", "segments": ["group", "app.git.git", "git-upload-pack"], "flags": clone, "rule": deny},
}

head_cases := {
	"project HEAD": {"method": "HEAD", "segments": p([]), "rule": "gitlab.project.metadata"},
	"manifest HEAD": {"method": "HEAD", "segments": file("package.json", ["raw"]), "query": {"ref": ["main"]}, "rule": "gitlab.files.manifest"},
	"source file HEAD": {"method": "HEAD", "segments": file("src/main.go", ["raw"]), "rule": deny},
	"variables HEAD": {"method": "HEAD", "segments": p(["variables"]), "rule": deny},
	"projects HEAD sudo": {"method": "HEAD", "segments": ["projects"], "query": {"sudo": ["root"]}, "rule": qdeny},
}
