# Git smart HTTP (https://git-scm.com/docs/http-protocol): what a clone sends, and what a push
# sends. A clone is two requests, both for the fetch service git-upload-pack:
#
#   GET  <repository>/info/refs?service=git-upload-pack   ref advertisement
#   POST <repository>/git-upload-pack                     the pack
#
# A push uses git-receive-pack instead; no rule of any type allows it.
package lib.git

import data.lib.http
import data.lib.match

# refs(request, repository): a GET of <repository>/info/refs for the fetch service only; the
# segments before info/refs must equal `repository` (a pattern for lib.match).
refs(request, repository) if {
	request.method == "GET"
	match.path(request.segments, array.concat(repository, ["info", "refs"]))
	http.query_is(request, "service", ["git-upload-pack"])
}

# upload_pack(request, repository): a POST of <repository>/git-upload-pack.
upload_pack(request, repository) if {
	request.method == "POST"
	match.path(request.segments, array.concat(repository, ["git-upload-pack"]))
}

# repository_name(name): a repository segment of a clone URL, "<name>.git".
repository_name(name) if {
	endswith(name, ".git")
	count(name) > count(".git")
}

# push(request): the request is (part of) a push, whatever the path looks like.
push(request) if "git-receive-pack" in request.segments

push(request) if "git-receive-pack" in request.query.service
