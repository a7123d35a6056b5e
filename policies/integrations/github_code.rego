# GitHub's code and clone tiers (package integrations.github; see github.rego for the
# package's conventions, its helpers and the other tiers).
package integrations.github

import data.lib.git
import data.lib.match

# ---------------------------------------------------------------------------------------------
# Only with allow_code_access=true: source code, diffs, archives.
# ---------------------------------------------------------------------------------------------

# github.code.contents: any file or directory listing through the contents API.
code_rules contains "github.code.contents" if {
	route == "api GET repos contents"
	match.path_or_below(segments, ["repos", ":owner", ":repo", "contents"])
	file_path(4)
}

# github.code.git_data: trees (the file list), blobs (file content) and commits of the git
# object database, read by object id.
code_rules contains "github.code.git_data" if {
	route == "api GET repos git"
	some kind in ["trees", "blobs", "commits"]
	match.path_below(segments, ["repos", ":owner", ":repo", "git", kind])
}

# github.code.git_data: refs (branch and tag heads), listed or read one by one.
code_rules contains "github.code.git_data" if {
	route == "api GET repos git"
	match.path_or_below(segments, ["repos", ":owner", ":repo", "git", "refs"])
}

# github.code.commits: commit history and single commits, which include file patches.
code_rules contains "github.code.commits" if {
	route == "api GET repos commits"
	match.path_or_below(segments, ["repos", ":owner", ":repo", "commits"])
}

# github.code.compare: the diff between two commits (base...head).
code_rules contains "github.code.compare" if {
	route == "api GET repos compare"
	match.path_below(segments, ["repos", ":owner", ":repo", "compare"])
}

# github.code.archive: a tarball or zipball of the whole repository at a ref.
code_rules contains "github.code.archive" if {
	some format in ["tarball", "zipball"]
	route == concat(" ", ["api GET repos", format])
	match.path_or_below(segments, ["repos", ":owner", ":repo", format])
}

# github.code.pull_files: the files of a pull request, each with its patch (source lines).
code_rules contains "github.code.pull_files" if {
	route == "api GET repos pulls"
	match.path(segments, ["repos", ":owner", ":repo", "pulls", ":number", "files"])
	match.positive_integer(segments[4])
}

# github.code.pull_diff: one pull request in any media type, including diff and patch.
code_rules contains "github.code.pull_diff" if {
	route == "api GET repos pulls"
	match.path(segments, ["repos", ":owner", ":repo", "pulls", ":number"])
	match.positive_integer(segments[4])
}

# github.code.raw: any file from the raw host, /:owner/:repo/:ref/<path>.
code_rules contains "github.code.raw" if {
	surface_method == "raw GET"
	match.path_below(segments, [":owner", ":repo", ":ref"])
	ref_name(segments[2])
	file_path(3)
}

# ---------------------------------------------------------------------------------------------
# With allow_git_clone=true or allow_code_access=true: clone.
# ---------------------------------------------------------------------------------------------

# github.clone.refs: first step of a clone (smart HTTP ref advertisement), only for the fetch
# service: /:owner/:repo.git/info/refs?service=git-upload-pack.
clone_rules contains "github.clone.refs" if {
	surface_method == "git GET"
	git.refs(input.request, [":owner", ":repo_git"])
	git.repository_name(segments[1])
}

# github.clone.pack: second step of a clone, fetching the pack: POST
# /:owner/:repo.git/git-upload-pack. The push endpoint, git-receive-pack, has no rule.
clone_rules contains "github.clone.pack" if {
	surface_method == "git POST"
	git.upload_pack(input.request, [":owner", ":repo_git"])
	git.repository_name(segments[1])
}

comment_endpoint if {
	input.request.method == "POST"
	match.path(segments, ["repos", ":owner", ":repo", "issues", ":number", "comments"])
}

comment_endpoint if {
	input.request.method == "PATCH"
	match.path(segments, ["repos", ":owner", ":repo", "issues", "comments", ":comment_id"])
}
