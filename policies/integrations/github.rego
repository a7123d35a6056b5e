# Rules for GitHub and GitHub Enterprise Server (integration type "github").
#
# A rule is an entry of `rules` (always on) or `code_rules` (only with the integration flag
# allow_code_access=true), named by its id and preceded by a comment saying why it exists.
# Paths are matched on decoded segments below the surface's base URL, exactly.
#
# Without code access a scanner may read repository metadata and dependency manifests and
# lock files, and write plain issue and pull request comments. With code access it may also
# read any file, the git object database, diffs and archives, and clone. Pushing
# (git-receive-pack) is never allowed. GraphQL is denied until query-shape rules exist.
#
# GitHub REST API reference: https://docs.github.com/en/rest
package integrations.github

import data.lib.body
import data.lib.files
import data.lib.http
import data.lib.match

# The interface broker/decision reads (see policies/README.md):
#   allowed_by  ids of the rules that allow this request
#   hints       extra reasons given when nothing allows it

allowed_by contains id if some id in rules

allowed_by contains id if {
	code_access
	some id in code_rules
}

# Name the code rules that would have allowed the request, so a denied scanner (or the
# customer reading the log) sees that the missing piece is the allow_code_access flag.
hints contains msg if {
	not code_access
	some id in code_rules
	msg := concat("", ["rule ", id, " would allow this request with allow_code_access=true"])
}

hints contains "GraphQL requests are denied: no query-shape rules for the graphql surface exist yet" if {
	input.integration.surface == "graphql"
}

hints contains "a comment request body must be a JSON object whose only field is \"body\", a string" if {
	comment_endpoint
	not body.only_string_field(input.request.body, "body")
}

hints contains "pushing (git-receive-pack) is never allowed through the broker" if push

push if {
	input.integration.surface == "git"
	"git-receive-pack" in segments
}

push if {
	input.integration.surface == "git"
	"git-receive-pack" in input.request.query.service
}

code_access if input.integration.flags.allow_code_access == true

segments := input.request.segments

api_get if {
	input.integration.surface == "api"
	input.request.method == "GET"
}

# ---------------------------------------------------------------------------------------------
# Always on: metadata, dependency manifests, comments.
# ---------------------------------------------------------------------------------------------

# github.meta.rate_limit: clients check their remaining quota before a scan; no repository data.
rules contains "github.meta.rate_limit" if {
	api_get
	match.path(segments, ["rate_limit"])
}

# github.meta.user: the authenticated identity, used to verify the configured token works.
rules contains "github.meta.user" if {
	api_get
	match.path(segments, ["user"])
}

# github.user.repos: lists the repositories the configured token can see, to import projects.
rules contains "github.user.repos" if {
	api_get
	match.path(segments, ["user", "repos"])
}

# github.installation.repos: the same list when the credential is a GitHub App installation.
rules contains "github.installation.repos" if {
	api_get
	match.path(segments, ["installation", "repositories"])
}

# github.org.repos: lists an organization's repositories, to import projects.
rules contains "github.org.repos" if {
	api_get
	match.path(segments, ["orgs", ":org", "repos"])
}

# github.repo.metadata: name, visibility and default branch of one repository.
rules contains "github.repo.metadata" if {
	api_get
	match.path(segments, ["repos", ":owner", ":repo"])
}

# github.repo.branches: branch names and head commit ids, to pick what to scan.
rules contains "github.repo.branches" if {
	api_get
	match.path(segments, ["repos", ":owner", ":repo", "branches"])
}

# github.repo.branch: one branch and its head commit (a branch name with "/" is sent as %2F).
rules contains "github.repo.branch" if {
	api_get
	match.path(segments, ["repos", ":owner", ":repo", "branches", ":branch"])
}

# github.repo.tags: tag names and commit ids, to scan releases.
rules contains "github.repo.tags" if {
	api_get
	match.path(segments, ["repos", ":owner", ":repo", "tags"])
}

# github.repo.languages: bytes per language, to choose which ecosystems to scan.
rules contains "github.repo.languages" if {
	api_get
	match.path(segments, ["repos", ":owner", ":repo", "languages"])
}

# github.repo.commit_status: the combined CI status of a commit; states and links, no code.
rules contains "github.repo.commit_status" if {
	api_get
	match.path(segments, ["repos", ":owner", ":repo", "commits", ":ref", "status"])
}

# github.pulls.list: open pull requests (titles, branches, head commits), to scan them.
rules contains "github.pulls.list" if {
	api_get
	match.path(segments, ["repos", ":owner", ":repo", "pulls"])
}

# github.pulls.get: one pull request as JSON. Asking for the diff or patch media type returns
# source lines, so that needs code access (github.code.pull_diff).
rules contains "github.pulls.get" if {
	api_get
	match.path(segments, ["repos", ":owner", ":repo", "pulls", ":number"])
	match.positive_integer(segments[4])
	not http.asks_for_diff(input.request)
}

# github.contents.manifest: a dependency manifest or lock file at any depth of the repository,
# which is what dependency scanning reads. The file name must be a manifest name exactly.
rules contains "github.contents.manifest" if {
	api_get
	match.path_below(segments, ["repos", ":owner", ":repo", "contents"])
	files.dependency_manifest(match.last(segments))
}

# github.raw.manifest: the same files from the raw host, /:owner/:repo/:ref/<path>/<manifest>.
rules contains "github.raw.manifest" if {
	input.integration.surface == "raw"
	input.request.method == "GET"
	match.path_below(segments, [":owner", ":repo", ":ref"])
	files.dependency_manifest(match.last(segments))
}

# github.issues.comment.create: post scan results as a comment on an issue or pull request
# (pull requests are issues for this endpoint). Only {"body": "<text>"}: no other field.
rules contains "github.issues.comment.create" if {
	input.integration.surface == "api"
	input.request.method == "POST"
	match.path(segments, ["repos", ":owner", ":repo", "issues", ":number", "comments"])
	match.positive_integer(segments[4])
	http.complete_body(input.request)
	body.only_string_field(input.request.body, "body")
}

# github.issues.comment.update: update such a comment in place on a rescan. Only {"body"}.
rules contains "github.issues.comment.update" if {
	input.integration.surface == "api"
	input.request.method == "PATCH"
	match.path(segments, ["repos", ":owner", ":repo", "issues", "comments", ":comment_id"])
	match.positive_integer(segments[5])
	http.complete_body(input.request)
	body.only_string_field(input.request.body, "body")
}

# ---------------------------------------------------------------------------------------------
# Only with allow_code_access=true: source code, diffs, archives, clone.
# ---------------------------------------------------------------------------------------------

# github.code.contents: any file or directory listing through the contents API.
code_rules contains "github.code.contents" if {
	api_get
	match.path_or_below(segments, ["repos", ":owner", ":repo", "contents"])
}

# github.code.git_data: trees (the file list), blobs (file content) and commits of the git
# object database, read by object id.
code_rules contains "github.code.git_data" if {
	api_get
	some kind in ["trees", "blobs", "commits"]
	match.path_below(segments, ["repos", ":owner", ":repo", "git", kind])
}

# github.code.git_data: refs (branch and tag heads), listed or read one by one.
code_rules contains "github.code.git_data" if {
	api_get
	match.path_or_below(segments, ["repos", ":owner", ":repo", "git", "refs"])
}

# github.code.commits: commit history and single commits, which include file patches.
code_rules contains "github.code.commits" if {
	api_get
	match.path_or_below(segments, ["repos", ":owner", ":repo", "commits"])
}

# github.code.compare: the diff between two commits (base...head).
code_rules contains "github.code.compare" if {
	api_get
	match.path_below(segments, ["repos", ":owner", ":repo", "compare"])
}

# github.code.archive: a tarball or zipball of the whole repository at a ref.
code_rules contains "github.code.archive" if {
	api_get
	some format in ["tarball", "zipball"]
	match.path_or_below(segments, ["repos", ":owner", ":repo", format])
}

# github.code.pull_files: the files of a pull request, each with its patch (source lines).
code_rules contains "github.code.pull_files" if {
	api_get
	match.path(segments, ["repos", ":owner", ":repo", "pulls", ":number", "files"])
	match.positive_integer(segments[4])
}

# github.code.pull_diff: one pull request in any media type, including diff and patch.
code_rules contains "github.code.pull_diff" if {
	api_get
	match.path(segments, ["repos", ":owner", ":repo", "pulls", ":number"])
	match.positive_integer(segments[4])
}

# github.code.raw: any file from the raw host, /:owner/:repo/:ref/<path>.
code_rules contains "github.code.raw" if {
	input.integration.surface == "raw"
	input.request.method == "GET"
	match.path_below(segments, [":owner", ":repo", ":ref"])
}

# github.code.clone_refs: first step of a clone (smart HTTP ref advertisement), only for the
# fetch service: /:owner/:repo.git/info/refs?service=git-upload-pack.
# https://git-scm.com/docs/http-protocol
code_rules contains "github.code.clone_refs" if {
	input.integration.surface == "git"
	input.request.method == "GET"
	match.path(segments, [":owner", ":repo", "info", "refs"])
	git_repository(segments[1])
	http.query_is(input.request, "service", ["git-upload-pack"])
}

# github.code.clone_pack: second step of a clone, fetching the pack: POST
# /:owner/:repo.git/git-upload-pack. The push endpoint, git-receive-pack, has no rule.
code_rules contains "github.code.clone_pack" if {
	input.integration.surface == "git"
	input.request.method == "POST"
	match.path(segments, [":owner", ":repo", "git-upload-pack"])
	git_repository(segments[1])
}

comment_endpoint if {
	input.request.method == "POST"
	match.path(segments, ["repos", ":owner", ":repo", "issues", ":number", "comments"])
}

comment_endpoint if {
	input.request.method == "PATCH"
	match.path(segments, ["repos", ":owner", ":repo", "issues", "comments", ":comment_id"])
}

# git_repository(name): a repository segment of a clone URL, "<name>.git".
git_repository(name) if {
	endswith(name, ".git")
	count(name) > count(".git")
}
