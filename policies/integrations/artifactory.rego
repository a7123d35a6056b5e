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
#
# policies/types/artifactory/data.json holds, per rule id, the query parameters it accepts
# (lib/query.rego; the package reads accept none: npm, pip and Maven send none, and
# Artifactory reads some, such as ?trace, that answer with server internals), the grammar of
# a repository key (":repo", lib/match.rego: a letter, then letters, digits, ".", "_" and "-",
# at most 64; Artifactory runs on Tomcat, which strips ";params" from path segments, so no
# ";" and no "/"), and `reserved`, Artifactory's own top-level paths.
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

# repository(key): a repository key by its grammar, and not one of Artifactory's own
# top-level paths (data.json `reserved`).
repository(key) if {
	match.name(key, ":repo")
	not data.types.artifactory.reserved[key]
}

# package_api(format): /api/<format>/<repo>/<at least one more segment>; the rest of the path
# is `rest` below.
package_api(format) := array.slice(segments, 3, count(segments)) if {
	segments[0] == "api"
	segments[1] == format
	count(segments) > 3
	repository(segments[2])
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
	repository(segments[2])
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
	repository(segments[0])
	packages.maven_file(array.slice(segments, 1, count(segments)))
}
