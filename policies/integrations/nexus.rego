# Rules for Sonatype Nexus Repository 3 (integration type "nexus"); the base URL is the Nexus
# root, e.g. https://nexus.example.com.
#
#   rules  always on: the repository list, component and asset search, and what npm, Maven
#          and pip read to resolve dependencies from /repository/<name>/... (see
#          lib/packages.rego)
#
# There is no flagged tier. Never allowed: any method but GET, so no upload (POST components)
# or deploy (PUT); security, script, tasks, blob store, repository administration, status and
# support endpoints; npm login (/-/user/...).
#
# Nexus REST reference: https://help.sonatype.com/en/rest-apis.html
#
# policies/types/nexus/data.json holds, per rule id, the query parameters it accepts
# (lib/query.rego; only the search takes any: filters that narrow it and its continuation
# token), and the grammar of each placeholder (lib/match.rego): repository names (letters,
# digits, "_", "." and "-", not starting with "_" or "."), component ids (URL-safe base64).
# Nexus runs on Jetty, which strips ";params" from path segments: no grammar has ";" or "/".
package integrations.nexus

import data.lib.match
import data.lib.packages

allowed_by contains id if some id in rules

hints contains "administration, upload, security and system endpoints of Nexus are never allowed; only package reads are" if {
	not input.request.method == "GET"
}

segments := input.request.segments

api_get if {
	input.integration.surface == "api"
	input.request.method == "GET"
}

# hosted(): the path below /repository/<name>/.
hosted := array.slice(segments, 2, count(segments)) if {
	segments[0] == "repository"
	count(segments) > 2
	match.name(segments[1], ":repository")
}

# nexus.repos.list: repository names and formats, to know where packages live.
rules contains "nexus.repos.list" if {
	api_get
	match.path(segments, ["service", "rest", "v1", "repositories"])
}

# nexus.search: components and assets by name and version, and one component by id.
rules contains "nexus.search" if {
	api_get
	some pattern in [
		["service", "rest", "v1", "search"], ["service", "rest", "v1", "search", "assets"],
		["service", "rest", "v1", "components"], ["service", "rest", "v1", "components", ":id"],
	]
	match.path(segments, pattern)
}

# nexus.npm.read: an npm packument or tarball.
rules contains "nexus.npm.read" if {
	api_get
	packages.npm_package(hosted)
}

rules contains "nexus.npm.read" if {
	api_get
	packages.npm_tarball(hosted)
}

# nexus.pypi.read: the PEP 503 simple index and the distribution files it links.
rules contains "nexus.pypi.read" if {
	api_get
	packages.pypi_index(hosted)
}

rules contains "nexus.pypi.read" if {
	api_get
	packages.pypi_file(hosted)
}

# nexus.maven.read: a POM, JAR, Gradle module or maven-metadata.xml.
rules contains "nexus.maven.read" if {
	api_get
	packages.maven_file(hosted)
}
