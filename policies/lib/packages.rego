# Package-manager paths inside an artifact repository (Artifactory, Nexus): what npm, Maven and
# pip request to resolve and download dependencies. Each helper takes the segments below the
# repository's own root (e.g. below /api/npm/<repo> or /repository/<repo>).
#
# Only reads of package metadata and package files match; publishing, login (npm adduser,
# /-/user/...), audit and search endpoints, and every path with a "-" where a package name
# belongs, do not. Every segment is checked by a character class without ";", "%" or space
# (Artifactory on Tomcat and Nexus on Jetty strip ";params" from path segments), and without
# "/" except the one of a scoped npm name sent as @scope%2Fname.
package lib.packages

import data.lib.match

# Names and scopes are checked without a regex (compiled on every evaluation in WASM):
# npm_word(s) is `^[A-Za-z0-9][A-Za-z0-9._~-]*$`, npm_scope(s) is `^@[A-Za-z0-9][A-Za-z0-9._~-]*$`.
npm_word(s) if match.word(s, match.alnum, concat("", [match.alnum, "._~-"]))

npm_scope(s) if {
	startswith(s, "@")
	npm_word(substring(s, 1, -1))
}

# npm_package(segments): the packument (all versions' metadata) of one package: name,
# @scope/name (two segments) or "@scope/name" (one segment, sent as @scope%2Fname).
npm_package(segments) if npm_name(segments)

# npm_tarball(segments): <name>/-/<file>.tgz, for a plain or scoped name.
npm_tarball(segments) if {
	n := count(segments)
	n >= 3
	segments[n - 2] == "-"
	endswith(segments[n - 1], ".tgz")
	npm_word(segments[n - 1])
	npm_name(array.slice(segments, 0, n - 2))
}

npm_name([name]) if npm_word(name)

npm_name([name]) if {
	[scope, bare] := split(name, "/")
	npm_scope(scope)
	npm_word(bare)
}

npm_name([scope, name]) if {
	npm_scope(scope)
	npm_word(name)
}

# Files of a Maven repository layout that resolving dependencies reads.
maven_suffixes := {".pom", ".jar", ".module", ".sha1", ".sha256", ".sha512", ".md5", ".asc"}

# maven_file(segments): <group path>/<artifact>/<version>/<file> with a suffix above, or
# maven-metadata.xml (and its checksums) at the artifact or version level.
maven_file(segments) if {
	count(segments) >= 3
	every s in segments {
		match.word(s, concat("", [match.alnum, "_"]), concat("", [match.alnum, "._+-"])) # ^[A-Za-z0-9_][A-Za-z0-9._+-]*$
	}
	maven_name(segments[count(segments) - 1])
}

maven_name(name) if {
	some suffix in maven_suffixes
	endswith(name, suffix)
}

maven_name(name) if startswith(name, "maven-metadata.xml")

pypi_suffixes := {".whl", ".tar.gz", ".zip", ".tar.bz2", ".metadata"}

# pypi_index(segments): the simple index, or one project's page in it (PEP 503).
pypi_index(["simple"])

pypi_index(["simple", project]) if match.word(project, match.alnum, concat("", [match.alnum, "._-"])) # ^[A-Za-z0-9][A-Za-z0-9._-]*$

# pypi_file(segments): a distribution file linked from the index, packages/.../<file>. Every
# segment is a word of the characters that project names, versions (with "+" for local
# versions and "!" for epochs), hash directories and file names use: no ";" (which Java
# servers strip with what follows), "/", "%" or space.
pypi_file(segments) if {
	count(segments) >= 2
	segments[0] == "packages"
	name := segments[count(segments) - 1]
	some suffix in pypi_suffixes
	endswith(name, suffix)
	every s in segments {
		match.word(s, concat("", [match.alnum, "_"]), concat("", [match.alnum, "._+!-"])) # ^[A-Za-z0-9_][A-Za-z0-9._+!-]*$
	}
}
