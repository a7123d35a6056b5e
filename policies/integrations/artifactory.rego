# Rules for JFrog Artifactory (integration type "artifactory"); the base URL is the
# Artifactory root, e.g. https://artifactory.example.com/artifactory.
#
#   rules  always on: the repository list, file info, and what npm, Maven and pip read to
#          resolve dependencies: package metadata and package files (see lib/packages.rego)
#
# There is no flagged tier. Never allowed: any method but GET, so no deploy or upload; the
# api/system, api/security, api/v1/system, access, plugins, replication, import/export and
# repository configuration endpoints; npm's auth endpoints, which answer with credentials.
#
# Artifactory REST reference: https://jfrog.com/help/r/jfrog-rest-apis/artifactory-rest-apis
package integrations.artifactory

import data.lib.match
import data.lib.packages

allowed_by contains id if some id in rules

hints contains "administration, deploy, security and system endpoints of Artifactory are never allowed; only package reads are" if {
	not input.request.method == "GET"
}

segments := input.request.segments

api_get if {
	input.integration.surface == "api"
	input.request.method == "GET"
}

# repo_key(key): `^[A-Za-z0-9][A-Za-z0-9._-]*$`, checked without a regex (compiled on every
# evaluation in WASM).
repo_key(key) if match.word(key, match.alnum, concat("", [match.alnum, "._-"]))

# Top-level paths that are Artifactory's own, never a repository key.
reserved := {"api", "ui", "webapp", "list", "auth", "access", "mc"}

# package_api(format): /api/<format>/<repo>/<at least one more segment>; the rest of the path
# is `rest` below.
package_api(format) := array.slice(segments, 3, count(segments)) if {
	segments[0] == "api"
	segments[1] == format
	count(segments) > 3
	repo_key(segments[2])
	not segments[2] in reserved
	not segments[3] == "auth"
}

# artifactory.repos.list: the repository keys and types, to know where packages live.
rules contains "artifactory.repos.list" if {
	api_get
	segments == ["api", "repositories"]
}

# artifactory.storage.info: file and folder info (size, checksums, children) of a repository
# path, to find package versions without downloading them.
rules contains "artifactory.storage.info" if {
	api_get
	segments[0] == "api"
	segments[1] == "storage"
	count(segments) >= 3
	repo_key(segments[2])
	not segments[2] in reserved
}

# artifactory.npm.read: an npm packument or tarball, through the npm API of a repository.
rules contains "artifactory.npm.read" if {
	api_get
	rest := package_api("npm")
	packages.npm_package(rest)
}

rules contains "artifactory.npm.read" if {
	api_get
	rest := package_api("npm")
	packages.npm_tarball(rest)
}

# artifactory.pypi.read: the PEP 503 simple index and the distribution files it links.
rules contains "artifactory.pypi.read" if {
	api_get
	rest := package_api("pypi")
	packages.pypi_index(rest)
}

rules contains "artifactory.pypi.read" if {
	api_get
	rest := package_api("pypi")
	packages.pypi_file(rest)
}

# artifactory.maven.read: a POM, JAR, Gradle module or maven-metadata.xml, straight from a
# repository path /<repo>/<group>/<artifact>/<version>/<file>.
rules contains "artifactory.maven.read" if {
	api_get
	repo_key(segments[0])
	not segments[0] in reserved
	packages.maven_file(array.slice(segments, 1, count(segments)))
}
