# What GitHub rules accept beyond the path's shape, through broker/decision: the query
# parameters of each rule (data.types.github.query_params), the naming grammar of each
# placeholder (data.types.github.names), HEAD judged as GET, and names that GitHub compares
# case-insensitively.
package integrations.github_names_test

import data.fixtures

deny := "broker.deny.no_matching_rule"

query_deny := "broker.deny.query_parameter"

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

decides(c) if {
	got := data.broker.decision with input as fixtures.request(c)
	got.rule == c.rule
	got.allow == allows(c.rule)
}

allows(rule) := false if startswith(rule, "broker.deny.")

else := true

repo(rest) := array.concat(["repos", "acme", "app"], rest)

manifest := repo(["contents", "package.json"])

sha := "0123456789abcdef0123456789abcdef01234567"

query_cases := {
	"manifest at a ref": {"segments": manifest, "query": {"ref": ["main"]}, "rule": "github.contents.manifest"},
	"manifest with an access token": {"segments": manifest, "query": {"ref": ["main"], "access_token": ["x"]}, "rule": query_deny},
	"manifest with sudo": {"segments": manifest, "query": {"sudo": ["admin"]}, "rule": query_deny},
	"manifest ref twice": {"segments": manifest, "query": {"ref": ["main", "evil"]}, "rule": query_deny},
	"file at a ref with code": {"segments": repo(["contents", "src", "a.go"]), "code": true, "query": {"ref": ["v1"]}, "rule": "github.code.contents"},
	"repo without parameters": {"segments": repo([]), "query": {"per_page": ["1"]}, "rule": query_deny},
	"pulls filtered": {
		"segments": repo(["pulls"]),
		"query": {
			"state": ["open"], "head": ["acme:fix"], "base": ["main"], "sort": ["updated"],
			"direction": ["desc"], "per_page": ["100"], "page": ["2"],
		},
		"rule": "github.pulls.list",
	},
	"pulls state twice": {"segments": repo(["pulls"]), "query": {"state": ["open", "closed"]}, "rule": query_deny},
	"pulls with q": {"segments": repo(["pulls"]), "query": {"q": ["is:open"]}, "rule": query_deny},
	"pull with page": {"segments": repo(["pulls", "3"]), "query": {"page": ["1"]}, "rule": query_deny},
	"user repos filtered": {
		"segments": ["user", "repos"],
		"query": {"visibility": ["private"], "affiliation": ["owner,organization_member"], "sort": ["pushed"], "per_page": ["100"]},
		"rule": "github.user.repos",
	},
	"org repos by type": {"segments": ["orgs", "acme", "repos"], "query": {"type": ["sources"], "page": ["3"]}, "rule": "github.org.repos"},
	"installation repos paged": {"segments": ["installation", "repositories"], "query": {"per_page": ["100"]}, "rule": "github.installation.repos"},
	"protected branches": {"segments": repo(["branches"]), "query": {"protected": ["true"]}, "rule": "github.repo.branches"},
	"tags paged": {"segments": repo(["tags"]), "query": {"page": ["2"]}, "rule": "github.repo.tags"},
	"languages with page": {"segments": repo(["languages"]), "query": {"page": ["2"]}, "rule": query_deny},
	"statuses paged": {"segments": repo(["commits", "main", "statuses"]), "query": {"per_page": ["100"]}, "rule": "github.statuses.list"},
	"commits of a path with code": {
		"segments": repo(["commits"]), "code": true,
		"query": {"sha": ["main"], "path": ["package.json"], "since": ["2026-01-01T00:00:00Z"]},
		"rule": "github.code.commits",
	},
	"recursive tree with code": {"segments": repo(["git", "trees", sha]), "code": true, "query": {"recursive": ["1"]}, "rule": "github.code.git_data"},
	"archive with a parameter": {"segments": repo(["tarball", "main"]), "code": true, "query": {"ref": ["x"]}, "rule": query_deny},
	"raw manifest with a token": {"surface": "raw", "segments": ["acme", "app", "main", "package.json"], "query": {"token": ["x"]}, "rule": query_deny},
	"comment with a query parameter": {
		"method": "POST", "segments": repo(["issues", "12", "comments"]),
		"body": {"body": "x"}, "query": {"body": ["y"]}, "rule": query_deny,
	},
	"upload-pack with service": {
		"surface": "git", "method": "POST", "code": true, "segments": ["acme", "app.git", "git-upload-pack"],
		"query": {"service": ["git-upload-pack"]}, "rule": query_deny,
	},
	"clone refs with another parameter": {
		"surface": "git", "code": true, "segments": ["acme", "app.git", "info", "refs"],
		"query": {"service": ["git-upload-pack"], "x": ["1"]}, "rule": query_deny,
	},
}

a39 := "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

r100 := concat("", [a39, a39, "aaaaaaaaaaaaaaaaaaaaaa"])

name_cases := {
	"owner of 39": {"segments": ["repos", a39, "app"], "rule": "github.repo.metadata"},
	"owner of 40": {"segments": ["repos", concat("", [a39, "a"]), "app"], "rule": deny},
	"owner with a hyphen": {"segments": ["repos", "acme-corp", "app"], "rule": "github.repo.metadata"},
	"managed user owner": {"segments": ["repos", "octocat_acme", "app"], "rule": "github.repo.metadata"},
	"owner starting with a hyphen": {"segments": ["repos", "-acme", "app"], "rule": deny},
	"owner with a slash": {"segments": ["repos", "acme/other", "app"], "rule": deny},
	"owner with a dot": {"segments": ["repos", "acme.corp", "app"], "rule": deny},
	"owner with a space": {"segments": ["repos", "ac me", "app"], "rule": deny},
	"org with a slash": {"segments": ["orgs", "acme/other", "repos"], "rule": deny},
	"repo of 100": {"segments": ["repos", "acme", r100], "rule": "github.repo.metadata"},
	"repo of 101": {"segments": ["repos", "acme", concat("", [r100, "a"])], "rule": deny},
	"repo .github": {"segments": ["repos", "acme", ".github"], "rule": "github.repo.metadata"},
	"repo with dots and underscores": {"segments": ["repos", "acme", "my_app.js"], "rule": "github.repo.metadata"},
	"repo with a slash": {"segments": ["repos", "acme", "app/hooks"], "rule": deny},
	"repo with matrix parameter": {"segments": ["repos", "acme", "app;x=1"], "rule": deny},
	"repo with a space": {"segments": ["repos", "acme", "app x"], "rule": deny},
	"repo with a percent": {"segments": ["repos", "acme", "app%2F"], "rule": deny},
	"manifest of another owner's repo": {"segments": ["repos", "acme/other", "app", "contents", "package.json"], "rule": deny},
	"branch with slashes": {"segments": repo(["branches", "feature/x/y"]), "rule": "github.repo.branch"},
	"branch with a hash": {"segments": repo(["branches", "fix#12"]), "rule": "github.repo.branch"},
	"branch with dot-dot": {"segments": repo(["branches", "a..b"]), "rule": deny},
	"branch climbing out": {"segments": repo(["branches", "a/../../hooks"]), "rule": deny},
	"branch with a hidden component": {"segments": repo(["branches", "a/.b"]), "rule": deny},
	"branch ending in .lock": {"segments": repo(["branches", "main.lock"]), "rule": deny},
	"branch ending in a dot": {"segments": repo(["branches", "main."]), "rule": deny},
	"branch with an empty component": {"segments": repo(["branches", "a//b"]), "rule": deny},
	"branch ending in a slash": {"segments": repo(["branches", "a/"]), "rule": deny},
	"branch with a space": {"segments": repo(["branches", "a b"]), "rule": deny},
	"branch with a tilde": {"segments": repo(["branches", "main~1"]), "rule": deny},
	"branch with a caret": {"segments": repo(["branches", "main^"]), "rule": deny},
	"branch with a colon": {"segments": repo(["branches", "a:b"]), "rule": deny},
	"branch with a star": {"segments": repo(["branches", "a*"]), "rule": deny},
	"branch with a bracket": {"segments": repo(["branches", "a[1]"]), "rule": deny},
	"branch with a question mark": {"segments": repo(["branches", "a?"]), "rule": deny},
	"branch with a backslash": {"segments": repo(["branches", "a\\b"]), "rule": deny},
	"branch starting with a hyphen": {"segments": repo(["branches", "-f"]), "rule": deny},
	"status of a tag": {"segments": repo(["commits", "v1.2.3", "status"]), "rule": "github.repo.commit_status"},
	"status of a sha": {"segments": repo(["commits", sha, "status"]), "rule": "github.repo.commit_status"},
	"status of a ref climbing out": {"segments": repo(["commits", "../../hooks", "status"]), "rule": deny},
	"statuses of a ref with a semicolon": {"segments": repo(["commits", "main;x", "statuses"]), "rule": deny},
	"pull number with a sign": {"segments": repo(["pulls", "+3"]), "rule": deny},
	"pull number too long": {"segments": repo(["pulls", "12345678901234567890"]), "rule": deny},
	"hook id with a semicolon": {"segments": repo(["hooks", "5;x"]), "flags": {"allow_webhooks": true}, "rule": deny},
	"status on an upper-case sha": {
		"method": "POST", "segments": repo(["statuses", upper(sha)]),
		"body": {"state": "success"}, "rule": deny,
	},
	"manifest below a climbing directory": {"segments": repo(["contents", "../../../other/app/contents", "package.json"]), "rule": deny},
	"manifest below an encoded slash": {"segments": repo(["contents", "web/app", "package.json"]), "rule": deny},
	"file below an encoded slash with code": {"segments": repo(["contents", "src/a", "b.go"]), "code": true, "rule": deny},
	"raw manifest on a branch with a slash": {"surface": "raw", "segments": ["acme", "app", "feature/x", "package.json"], "rule": "github.raw.manifest"},
	"raw manifest on a climbing ref": {"surface": "raw", "segments": ["acme", "app", "../other", "package.json"], "rule": deny},
	"raw manifest below an encoded slash": {"surface": "raw", "segments": ["acme", "app", "main", "a/b", "package.json"], "rule": deny},
	"raw manifest of another owner": {"surface": "raw", "segments": ["acme/x", "app", "main", "package.json"], "rule": deny},
	"clone refs of another owner": {
		"surface": "git", "code": true, "segments": ["acme/other", "app.git", "info", "refs"],
		"query": {"service": ["git-upload-pack"]}, "rule": deny,
	},
	"clone of a 100 character repo": {
		"surface": "git", "method": "POST", "code": true,
		"segments": ["acme", concat("", [r100, ".git"]), "git-upload-pack"], "rule": "github.clone.pack",
	},
	"clone with matrix parameter": {
		"surface": "git", "method": "POST", "code": true,
		"segments": ["acme", "app.git;x", "git-upload-pack"], "rule": deny,
	},
}

head_cases := {
	"HEAD manifest": {"method": "HEAD", "segments": manifest, "rule": "github.contents.manifest"},
	"HEAD source file": {"method": "HEAD", "segments": repo(["contents", "src", "a.go"]), "rule": deny},
	"HEAD source file with code": {"method": "HEAD", "segments": repo(["contents", "src", "a.go"]), "code": true, "rule": "github.code.contents"},
	"HEAD pulls": {"method": "HEAD", "segments": repo(["pulls"]), "query": {"state": ["open"]}, "rule": "github.pulls.list"},
	"HEAD manifest with a token": {"method": "HEAD", "segments": manifest, "query": {"access_token": ["x"]}, "rule": query_deny},
	"HEAD secrets": {"method": "HEAD", "segments": repo(["actions", "secrets"]), "rule": deny},
	"HEAD clone refs with code": {
		"method": "HEAD", "surface": "git", "code": true, "segments": ["acme", "app.git", "info", "refs"],
		"query": {"service": ["git-upload-pack"]}, "rule": "github.clone.refs",
	},
}

# The reason of a query parameter deny names the parameter and the rule.
test_reason_unknown_parameter if {
	got := data.broker.decision with input as fixtures.request(query_cases["manifest with an access token"])
	got.reasons == ["query parameter \"access_token\" is not accepted by rule github.contents.manifest (it accepts: ref)"]
}

test_reason_repeated_parameter if {
	got := data.broker.decision with input as fixtures.request(query_cases["pulls state twice"])
	got.reasons == ["query parameter \"state\" is given more than once"]
}

test_reason_rule_without_parameters if {
	got := data.broker.decision with input as fixtures.request(query_cases["repo without parameters"])
	got.reasons == ["query parameter \"per_page\" is not accepted by rule github.repo.metadata (it accepts: no query parameters)"]
}

# Every rule id the github package can produce has its query allowlist entry or none on
# purpose: a write rule, or a read that GitHub documents without parameters.
test_query_params_name_real_rules if {
	every id, _ in data.types.github.query_params {
		startswith(id, "github.")
	}
}

# GitHub compares owner and repository names case-insensitively: "Acme/Secret" is
# "acme/secret". A deny by name (a customer excluding a repository, say) must therefore read
# segments_folded; one on segments would let "Acme/Secret" through.
customer_deny(request) := {"repository acme/secret is excluded" |
	request.segments_folded[0] == "repos"
	request.segments_folded[1] == "acme"
	request.segments_folded[2] == "secret"
}

naive_deny(request) := {"repository acme/secret is excluded" |
	request.segments[1] == "acme"
	request.segments[2] == "secret"
}

# with_customer_deny(segments) and with_naive_deny(segments): the decision for a GET of
# `segments` when the github package had the deny above.
with_customer_deny(segments) := got if {
	i := fixtures.request({"segments": segments})
	got := data.broker.decision with input as i with data.integrations.github.deny as customer_deny(i.request)
}

with_naive_deny(segments) := got if {
	i := fixtures.request({"segments": segments})
	got := data.broker.decision with input as i with data.integrations.github.deny as naive_deny(i.request)
}

test_folded_deny_applies_to_any_case if {
	every segments in [
		["repos", "acme", "secret"], ["repos", "Acme", "Secret"], ["repos", "ACME", "secret", "contents", "package.json"],
	] {
		got := with_customer_deny(segments)
		got.rule == "broker.deny.integration_deny"
		got.reasons == ["repository acme/secret is excluded"]
	}
}

test_folded_deny_leaves_other_repositories if {
	got := with_customer_deny(["repos", "Acme", "App"])
	got.rule == "github.repo.metadata"
}

test_unfolded_deny_misses_other_case if {
	with_naive_deny(["repos", "acme", "secret"]).allow == false
	with_naive_deny(["repos", "Acme", "Secret"]).allow == true
}

test_segments_folded_given if {
	i := fixtures.request({"segments": ["repos", "Acme", "App"]})
	i.request.segments_folded == ["repos", "acme", "app"]
}
