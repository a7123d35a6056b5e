# Rules for GitHub and GitHub Enterprise Server (integration type "github").
#
# A rule is an entry of one tier, named by its id and preceded by a comment saying why it
# exists. Paths are matched on decoded segments below the surface's base URL, exactly.
#
#   rules          always on: metadata, dependency manifests and lock files, issue and pull
#                  request comments, commit statuses, GraphQL reads of metadata, addComment
#   code_rules     allow_code_access: any file, the git object database, diffs, archives
#   clone_rules    allow_git_clone or allow_code_access: git clone (git-upload-pack only)
#   write_rules    allow_writes: the fix pull request flow (branch, manifest file, pull request)
#   webhook_rules  allow_webhooks: repository and organization hooks whose callback URL is in
#                  allowed_webhook_urls
#
# Never allowed, by any tier: pushing (git-receive-pack), secrets (actions, dependabot,
# codespaces), deploy keys, collaborators and other administration endpoints, and GraphQL
# documents other than the shapes in github_graphql.rego. The code and clone tiers are in
# github_code.rego, the write and webhook tiers in github_writes.rego.
#
# What each rule accepts beyond its path is data, in policies/types/github/data.json
# (data.types.github): the query parameters per rule id (lib/query.rego), the naming grammar
# of each placeholder (lib/match.rego; ":branch" and ":ref" are further checked by ref_name
# below) and the GraphQL field-path allowlists (github_graphql.rego).
#
# GitHub compares owner and repository names case-insensitively ("Acme/App" is "acme/app").
# No rule here denies by name; a deny that does (a customer's) must compare
# input.request.segments_folded, never segments.
#
# GitHub REST API reference: https://docs.github.com/en/rest
# GitHub GraphQL API reference: https://docs.github.com/en/graphql
package integrations.github

import data.lib.body
import data.lib.files
import data.lib.flags
import data.lib.git
import data.lib.http
import data.lib.match

# The interface broker/decision reads (see policies/README.md):
#   allowed_by  ids of the rules that allow this request
#   hints       extra reasons given when nothing allows it

allowed_by contains id if some id in rules

allowed_by contains id if {
	flags.code_access
	some id in code_rules
}

allowed_by contains id if {
	flags.clone
	some id in clone_rules
}

allowed_by contains id if {
	flags.writes
	some id in write_rules
}

allowed_by contains id if {
	flags.webhooks
	some id in webhook_rules
}

# Name the rules of a flagged tier that would have allowed the request, so a denied scanner
# (or the customer reading the log) sees which flag is missing.
hints contains msg if {
	not flags.code_access
	some id in code_rules
	msg := concat("", ["rule ", id, " would allow this request with allow_code_access=true"])
}

hints contains msg if {
	not flags.clone
	some id in clone_rules
	msg := concat("", ["rule ", id, " would allow this request with allow_git_clone=true or allow_code_access=true"])
}

hints contains msg if {
	not flags.writes
	some id in write_rules
	msg := concat("", ["rule ", id, " would allow this request with allow_writes=true"])
}

hints contains msg if {
	not flags.webhooks
	some id in webhook_rules
	msg := concat("", ["rule ", id, " would allow this request with allow_webhooks=true"])
}

hints contains "a comment request body must be a JSON object whose only field is \"body\", a string" if {
	comment_endpoint
	not body.only_string_field(input.request.body, "body")
}

hints contains "pushing (git-receive-pack) is never allowed through the broker" if {
	input.integration.surface == "git"
	git.push(input.request)
}

segments := input.request.segments

request_body := input.request.body

# route: "<surface> <method> <first segment>", e.g. "api GET user", and below a repository
# (/repos/:owner/:repo/<area>/...) also the area: "api GET repos contents" for
# GET /repos/acme/app/contents/package.json, "api GET repos" for /repos/acme/app itself.
# Built once per request (undefined when there are no segments). surface_method:
# "<surface> <method>", e.g. "raw GET". Each rule starts by comparing one of them, so a
# request runs past the first line of only the rules of its kind: WASM has no rule indexing
# and evaluates every rule body of a set on every request.
route := concat(" ", [input.integration.surface, input.request.method, "repos", segments[3]]) if {
	segments[0] == "repos"
	count(segments) > 3
} else := concat(" ", [input.integration.surface, input.request.method, segments[0]])

surface_method := concat(" ", [input.integration.surface, input.request.method])

api_get if {
	input.integration.surface == "api"
	input.request.method == "GET"
}

# api_send(method): a request with a complete JSON body on the api surface.
api_send(method) if {
	input.integration.surface == "api"
	input.request.method == method
	http.complete_body(input.request)
}

# ---------------------------------------------------------------------------------------------
# Always on: metadata, dependency manifests, comments.
# ---------------------------------------------------------------------------------------------

# github.meta.rate_limit: clients check their remaining quota before a scan; no repository data.
rules contains "github.meta.rate_limit" if {
	route == "api GET rate_limit"
	match.path(segments, ["rate_limit"])
}

# github.meta.user: the authenticated identity, used to verify the configured token works.
rules contains "github.meta.user" if {
	route == "api GET user"
	match.path(segments, ["user"])
}

# github.user.repos: lists the repositories the configured token can see, to import projects.
rules contains "github.user.repos" if {
	route == "api GET user"
	match.path(segments, ["user", "repos"])
}

# github.installation.repos: the same list when the credential is a GitHub App installation.
rules contains "github.installation.repos" if {
	route == "api GET installation"
	match.path(segments, ["installation", "repositories"])
}

# github.org.repos: lists an organization's repositories, to import projects.
rules contains "github.org.repos" if {
	route == "api GET orgs"
	match.path(segments, ["orgs", ":org", "repos"])
}

# github.repo.metadata: name, visibility and default branch of one repository.
rules contains "github.repo.metadata" if {
	route == "api GET repos"
	match.path(segments, ["repos", ":owner", ":repo"])
}

# github.repo.branches: branch names and head commit ids, to pick what to scan.
rules contains "github.repo.branches" if {
	route == "api GET repos branches"
	match.path(segments, ["repos", ":owner", ":repo", "branches"])
}

# github.repo.branch: one branch and its head commit (a branch name with "/" is sent as %2F).
rules contains "github.repo.branch" if {
	route == "api GET repos branches"
	match.path(segments, ["repos", ":owner", ":repo", "branches", ":branch"])
	ref_name(segments[4])
}

# github.repo.tags: tag names and commit ids, to scan releases.
rules contains "github.repo.tags" if {
	route == "api GET repos tags"
	match.path(segments, ["repos", ":owner", ":repo", "tags"])
}

# github.repo.languages: bytes per language, to choose which ecosystems to scan.
rules contains "github.repo.languages" if {
	route == "api GET repos languages"
	match.path(segments, ["repos", ":owner", ":repo", "languages"])
}

# github.repo.commit_status: the combined CI status of a commit; states and links, no code.
rules contains "github.repo.commit_status" if {
	route == "api GET repos commits"
	match.path(segments, ["repos", ":owner", ":repo", "commits", ":ref", "status"])
	ref_name(segments[4])
}

# github.pulls.list: open pull requests (titles, branches, head commits), to scan them.
rules contains "github.pulls.list" if {
	route == "api GET repos pulls"
	match.path(segments, ["repos", ":owner", ":repo", "pulls"])
}

# github.pulls.get: one pull request as JSON. Asking for the diff or patch media type returns
# source lines, so that needs code access (github.code.pull_diff).
rules contains "github.pulls.get" if {
	route == "api GET repos pulls"
	match.path(segments, ["repos", ":owner", ":repo", "pulls", ":number"])
	match.positive_integer(segments[4])
	not http.asks_for_diff(input.request)
}

# github.contents.manifest: a dependency manifest or lock file at any depth of the repository,
# which is what dependency scanning reads. The file name must be a manifest name exactly.
rules contains "github.contents.manifest" if {
	route == "api GET repos contents"
	match.path_below(segments, ["repos", ":owner", ":repo", "contents"])
	file_path(4)
	files.dependency_manifest(match.last(segments))
}

# github.raw.manifest: the same files from the raw host, /:owner/:repo/:ref/<path>/<manifest>.
rules contains "github.raw.manifest" if {
	surface_method == "raw GET"
	match.path_below(segments, [":owner", ":repo", ":ref"])
	ref_name(segments[2])
	file_path(3)
	files.dependency_manifest(match.last(segments))
}

# github.issues.comment.create: post scan results as a comment on an issue or pull request
# (pull requests are issues for this endpoint). Only {"body": "<text>"}: no other field.
rules contains "github.issues.comment.create" if {
	route == "api POST repos issues"
	match.path(segments, ["repos", ":owner", ":repo", "issues", ":number", "comments"])
	match.positive_integer(segments[4])
	http.complete_body(input.request)
	body.only_string_field(input.request.body, "body")
}

# github.issues.comment.update: update such a comment in place on a rescan. Only {"body"}.
rules contains "github.issues.comment.update" if {
	route == "api PATCH repos issues"
	match.path(segments, ["repos", ":owner", ":repo", "issues", "comments", ":comment_id"])
	match.positive_integer(segments[5])
	http.complete_body(input.request)
	body.only_string_field(input.request.body, "body")
}

# ---------------------------------------------------------------------------------------------
# Always on: commit statuses and pull request review comments.
# ---------------------------------------------------------------------------------------------

# github.statuses.create: report the scan result as a commit status (the check next to a pull
# request). Only the fields GitHub documents: state (one of four), target_url, description,
# context. https://docs.github.com/en/rest/commits/statuses#create-a-commit-status
rules contains "github.statuses.create" if {
	route == "api POST repos statuses"
	api_send("POST")
	match.path(segments, ["repos", ":owner", ":repo", "statuses", ":sha"])
	commit_sha(segments[4])
	body.fields_within(request_body, {"state", "target_url", "description", "context"})
	body.one_of(request_body, "state", {"error", "failure", "pending", "success"})
	body.optional_strings(request_body, {"target_url", "description", "context"})
}

# github.statuses.list: the statuses of a commit, to update the scanner's own status.
rules contains "github.statuses.list" if {
	route == "api GET repos commits"
	match.path(segments, ["repos", ":owner", ":repo", "commits", ":ref", "statuses"])
	ref_name(segments[4])
}

# github.pulls.comment.create: an inline review comment on a pull request line (where a
# vulnerable dependency is declared). Only the documented fields, body required.
# https://docs.github.com/en/rest/pulls/comments#create-a-review-comment-for-a-pull-request
rules contains "github.pulls.comment.create" if {
	route == "api POST repos pulls"
	api_send("POST")
	match.path(segments, ["repos", ":owner", ":repo", "pulls", ":number", "comments"])
	match.positive_integer(segments[4])
	body.fields_within(request_body, review_comment_fields)
	is_string(request_body.body)
	body.optional_strings(request_body, {"commit_id", "path", "side", "start_side", "subject_type"})
	body.optional_numbers(request_body, {"line", "start_line", "position", "in_reply_to"})
}

# github.pulls.comment.update: update such a review comment on a rescan. Only {"body"}.
rules contains "github.pulls.comment.update" if {
	route == "api PATCH repos pulls"
	api_send("PATCH")
	match.path(segments, ["repos", ":owner", ":repo", "pulls", "comments", ":comment_id"])
	match.positive_integer(segments[5])
	body.only_string_field(request_body, "body")
}

review_comment_fields := {
	"body", "commit_id", "path", "line", "side", "start_line", "start_side",
	"subject_type", "in_reply_to", "position",
}

# ref_name(s): a branch, tag or commit name as git accepts it (git check-ref-format), beyond
# the characters data.types.github.names[":ref"] allows: no ".." anywhere, no empty
# component ("a//b", a trailing "/"), no component starting with "." or ending in ".lock",
# no trailing ".". "/" is allowed because clients send "feature/x" as one %2F segment; these
# checks keep such a segment from naming another path ("a/../../hooks") if the upstream reads
# it as one.
ref_name(s) if {
	not contains(s, "..")
	not endswith(s, ".")
	every part in split(s, "/") {
		part != ""
		not startswith(part, ".")
		not endswith(part, ".lock")
	}
}

# file_path(n): the segments from index n on are file and directory names, one each: none
# holds a "/" (a decoded %2F), which GitHub would read as a separator, so that the path the
# policy judged ("..%2F..%2Fother") could name another one.
file_path(n) if {
	every s in array.slice(segments, n, count(segments)) {
		not contains(s, "/")
	}
}

# commit_sha(s): a full commit id (SHA-1, or SHA-256 for repositories that use it).
commit_sha(s) if match.commit_id(s)
