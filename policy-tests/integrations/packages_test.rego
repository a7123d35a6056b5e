# Table-driven tests of the Artifactory and Nexus rules through broker/decision. Each case
# names the expected rule, or `deny`; every allow rule has near-misses next to it.
package integrations.packages_test

import data.fixtures

deny := "broker.deny.no_matching_rule"

query_deny := "broker.deny.query_parameter"

allows(rule) := false if rule in {deny, query_deny}

else := true

test_artifactory[name] if {
	some name, c in artifactory_cases
	got := data.broker.decision with input as fixtures.request(object.union({"type": "artifactory"}, c))
	got.rule == c.rule
	got.allow == allows(c.rule)
}

test_nexus[name] if {
	some name, c in nexus_cases
	got := data.broker.decision with input as fixtures.request(object.union({"type": "nexus"}, c))
	got.rule == c.rule
	got.allow == allows(c.rule)
}

npm(rest) := array.concat(["api", "npm", "npm-remote"], rest)

pypi(rest) := array.concat(["api", "pypi", "pypi-remote"], rest)

maven := ["org", "apache", "commons", "commons-lang3", "3.14.0"]

artifactory_cases := {
	"repositories": {"segments": ["api", "repositories"], "rule": "artifactory.repos.list"},
	"repository config": {"segments": ["api", "repositories", "libs-release"], "rule": deny},
	"repository create": {"method": "PUT", "segments": ["api", "repositories", "x"], "body": {}, "code": true, "rule": deny},
	"storage": {"segments": ["api", "storage", "libs-release", "org", "apache"], "rule": "artifactory.storage.info"},
	"storage root": {"segments": ["api", "storage"], "rule": deny},
	"npm packument": {"segments": npm(["lodash"]), "rule": "artifactory.npm.read"},
	"npm scoped packument": {"segments": npm(["@types", "node"]), "rule": "artifactory.npm.read"},
	"npm encoded scope": {"segments": npm(["@types/node"]), "rule": "artifactory.npm.read"},
	"npm tarball": {"segments": npm(["lodash", "-", "lodash-4.17.21.tgz"]), "rule": "artifactory.npm.read"},
	"npm scoped tarball": {"segments": npm(["@types", "node", "-", "node-20.1.0.tgz"]), "rule": "artifactory.npm.read"},
	"npm tarball not tgz": {"segments": npm(["lodash", "-", "lodash-4.17.21.tar"]), "rule": deny},
	"npm auth": {"segments": npm(["auth"]), "rule": deny},
	"npm auth scope": {"segments": npm(["auth", "@acme"]), "rule": deny},
	"npm global auth": {"segments": ["api", "npm", "auth"], "rule": deny},
	"npm auth as repo": {"segments": ["api", "npm", "auth", "lodash"], "rule": deny},
	"npm whoami": {"segments": npm(["-", "whoami"]), "rule": deny},
	"npm user login": {"method": "PUT", "segments": npm(["-", "user", "org.couchdb.user:x"]), "body": {}, "rule": deny},
	"npm publish": {"method": "PUT", "segments": npm(["lodash"]), "body": {}, "rule": deny},
	"npm audit": {"method": "POST", "segments": npm(["-", "npm", "v1", "security", "audits"]), "body": {}, "rule": deny},
	"npm bad scope": {"segments": npm(["types", "node"]), "rule": deny},
	"pypi index": {"segments": pypi(["simple"]), "rule": "artifactory.pypi.read"},
	"pypi project": {"segments": pypi(["simple", "requests"]), "rule": "artifactory.pypi.read"},
	"pypi file": {"segments": pypi(["packages", "ab", "cd", "requests-2.31.0-py3-none-any.whl"]), "rule": "artifactory.pypi.read"},
	"pypi other file": {"segments": pypi(["packages", "ab", "setup.cfg"]), "rule": deny},
	"pypi upload": {"method": "POST", "segments": pypi([]), "rule": deny},
	"maven pom": {"segments": array.concat(["libs-release"], array.concat(maven, ["commons-lang3-3.14.0.pom"])), "rule": "artifactory.maven.read"},
	"maven jar": {"segments": array.concat(["libs-release"], array.concat(maven, ["commons-lang3-3.14.0.jar"])), "rule": "artifactory.maven.read"},
	"maven metadata": {"segments": ["libs-release", "org", "apache", "commons-lang3", "maven-metadata.xml"], "rule": "artifactory.maven.read"},
	"maven other file": {"segments": array.concat(["libs-release"], array.concat(maven, ["secrets.properties"])), "rule": deny},
	"maven deploy": {"method": "PUT", "segments": array.concat(["libs-release"], array.concat(maven, ["x.jar"])), "body": null, "rule": deny},
	"maven via api": {"segments": ["api", "org", "apache", "x.pom"], "rule": deny},
	"maven via ui": {"segments": ["ui", "org", "apache", "x.pom"], "rule": deny},
	"system": {"segments": ["api", "system", "ping"], "rule": deny},
	"system configuration": {"segments": ["api", "system", "configuration"], "code": true, "rule": deny},
	"security users": {"segments": ["api", "security", "users"], "rule": deny},
	"access tokens": {"method": "POST", "segments": ["api", "security", "token"], "body": {}, "rule": deny},
	"storage on other surface": {"surface": "raw", "segments": ["api", "storage", "libs-release", "org"], "rule": deny},
	"storage list": {"segments": ["api", "storage", "libs-release", "org"], "query": {"list": [""], "deep": ["1"], "listFolders": ["1"]}, "rule": "artifactory.storage.info"},
	"storage permissions": {"segments": ["api", "storage", "libs-release", "org"], "query": {"permissions": [""]}, "rule": query_deny},
	"storage properties": {"segments": ["api", "storage", "libs-release", "org"], "query": {"properties": [""]}, "rule": query_deny},
	"storage deep twice": {"segments": ["api", "storage", "libs-release", "org"], "query": {"deep": ["1", "0"]}, "rule": query_deny},
	"repositories by type": {"segments": ["api", "repositories"], "query": {"type": ["remote"], "packageType": ["npm"]}, "rule": "artifactory.repos.list"},
	"repositories unknown parameter": {"segments": ["api", "repositories"], "query": {"x": ["1"]}, "rule": query_deny},
	"npm packument with a parameter": {"segments": npm(["lodash"]), "query": {"write": ["true"]}, "rule": query_deny},
	"maven with trace": {"segments": array.concat(["libs-release"], array.concat(maven, ["commons-lang3-3.14.0.pom"])), "query": {"trace": [""]}, "rule": query_deny},
	"pypi with a parameter": {"segments": pypi(["simple", "requests"]), "query": {"x": ["1"]}, "rule": query_deny},
	"repo key decoded slash": {"segments": ["api", "npm", "npm-remote/x", "lodash"], "rule": deny},
	"repo key path parameter": {"segments": ["api", "npm", "npm-remote;x", "lodash"], "rule": deny},
	"repo key space": {"segments": ["api", "storage", "libs release", "org"], "rule": deny},
	"repo key digit first": {"segments": ["1libs", "org", "apache", "x", "1.0", "x-1.0.pom"], "rule": deny},
	"repo key too long": {"segments": ["api", "storage", substring(long_name, 0, 65), "org"], "rule": deny},
	"repo key at limit": {"segments": ["api", "storage", substring(long_name, 0, 64), "org"], "rule": "artifactory.storage.info"},
	"maven repo path parameter": {"segments": array.concat(["libs-release;x"], array.concat(maven, ["commons-lang3-3.14.0.pom"])), "rule": deny},
	"maven segment path parameter": {"segments": ["libs-release", "org", "apache;x", "commons-lang3", "3.14.0", "commons-lang3-3.14.0.pom"], "rule": deny},
	"npm name path parameter": {"segments": npm(["lodash;x"]), "rule": deny},
	"pypi file path parameter": {"segments": pypi(["packages", "ab;x", "requests-2.31.0-py3-none-any.whl"]), "rule": deny},
	"HEAD npm packument": {"method": "HEAD", "segments": npm(["lodash"]), "rule": "artifactory.npm.read"},
	"HEAD storage": {"method": "HEAD", "segments": ["api", "storage", "libs-release", "org"], "rule": "artifactory.storage.info"},
	"HEAD security": {"method": "HEAD", "segments": ["api", "security", "users"], "rule": deny},
	"HEAD npm auth": {"method": "HEAD", "segments": npm(["auth"]), "rule": deny},
}

long_name := concat("", ["a" | some _ in numbers.range(1, 256)])

repo(name, rest) := array.concat(["repository", name], rest)

nexus_cases := {
	"repositories": {"segments": ["service", "rest", "v1", "repositories"], "rule": "nexus.repos.list"},
	"repository create": {"method": "POST", "segments": ["service", "rest", "v1", "repositories", "npm", "proxy"], "body": {}, "rule": deny},
	"search": {"segments": ["service", "rest", "v1", "search"], "query": {"name": ["lodash"]}, "rule": "nexus.search"},
	"search assets": {"segments": ["service", "rest", "v1", "search", "assets"], "rule": "nexus.search"},
	"components": {"segments": ["service", "rest", "v1", "components"], "query": {"repository": ["npm"]}, "rule": "nexus.search"},
	"component upload": {"method": "POST", "segments": ["service", "rest", "v1", "components"], "rule": deny},
	"component delete": {"method": "DELETE", "segments": ["service", "rest", "v1", "components", "abc"], "rule": deny},
	"security": {"segments": ["service", "rest", "v1", "security", "users"], "rule": deny},
	"script": {"method": "POST", "segments": ["service", "rest", "v1", "script", "x", "run"], "rule": deny},
	"status": {"segments": ["service", "rest", "v1", "status"], "rule": deny},
	"npm packument": {"segments": repo("npm-proxy", ["lodash"]), "rule": "nexus.npm.read"},
	"npm scoped": {"segments": repo("npm-proxy", ["@types/node"]), "rule": "nexus.npm.read"},
	"npm tarball": {"segments": repo("npm-proxy", ["lodash", "-", "lodash-4.17.21.tgz"]), "rule": "nexus.npm.read"},
	"npm login": {"method": "PUT", "segments": repo("npm-proxy", ["-", "user", "org.couchdb.user:x"]), "body": {}, "rule": deny},
	"npm whoami": {"segments": repo("npm-proxy", ["-", "whoami"]), "rule": deny},
	"npm publish": {"method": "PUT", "segments": repo("npm-hosted", ["lodash"]), "body": {}, "rule": deny},
	"repository only": {"segments": ["repository", "npm-proxy"], "rule": deny},
	"pypi index": {"segments": repo("pypi-proxy", ["simple", "requests"]), "rule": "nexus.pypi.read"},
	"pypi file": {"segments": repo("pypi-proxy", ["packages", "requests", "2.31.0", "requests-2.31.0.tar.gz"]), "rule": "nexus.pypi.read"},
	"pypi three deep simple": {"segments": repo("pypi-proxy", ["simple", "requests", "x"]), "rule": deny},
	"maven pom": {"segments": repo("maven-central", array.concat(maven, ["commons-lang3-3.14.0.pom"])), "rule": "nexus.maven.read"},
	"maven checksum": {"segments": repo("maven-central", array.concat(maven, ["commons-lang3-3.14.0.jar.sha1"])), "rule": "nexus.maven.read"},
	"maven deploy": {"method": "PUT", "segments": repo("maven-releases", array.concat(maven, ["x.jar"])), "rule": deny},
	"maven odd segment": {"segments": repo("maven-central", ["org", "~x", "a", "a.pom"]), "rule": deny},
	"maven short path": {"segments": repo("maven-central", ["a", "a.pom"]), "rule": deny},
	"repository name with a hyphen first": {"segments": ["repository", "-x", "lodash"], "rule": "nexus.npm.read"},
	"repository name with an underscore first": {"segments": ["repository", "_x", "lodash"], "rule": deny},
	"repository name with a dot first": {"segments": ["repository", ".x", "lodash"], "rule": deny},
	"repository name decoded slash": {"segments": ["repository", "npm-proxy/x", "lodash"], "rule": deny},
	"repository name path parameter": {"segments": ["repository", "npm-proxy;x", "lodash"], "rule": deny},
	"repository name space": {"segments": ["repository", "npm proxy", "lodash"], "rule": deny},
	"repository name too long": {"segments": ["repository", long_name, "lodash"], "rule": deny},
	"component by id": {"segments": ["service", "rest", "v1", "components", "bWF2ZW4tY2VudHJhbDo4ODQ5MWNk"], "rule": "nexus.search"},
	"component id path parameter": {"segments": ["service", "rest", "v1", "components", "bWF2;x"], "rule": deny},
	"component id slash": {"segments": ["service", "rest", "v1", "components", "bWF2/x"], "rule": deny},
	"pypi file path parameter": {"segments": repo("pypi-proxy", ["packages", "requests;x", "2.31.0", "requests-2.31.0.tar.gz"]), "rule": deny},
	"pypi file local version": {"segments": repo("pypi-proxy", ["packages", "torch", "2.1.0+cpu", "torch-2.1.0+cpu-cp311-cp311-linux_x86_64.whl"]), "rule": "nexus.pypi.read"},
	"search paged": {"segments": ["service", "rest", "v1", "search"], "query": {"repository": ["npm"], "name": ["lodash"], "continuationToken": ["abc"]}, "rule": "nexus.search"},
	"search unknown parameter": {"segments": ["service", "rest", "v1", "search"], "query": {"name": ["lodash"], "x": ["1"]}, "rule": query_deny},
	"search name twice": {"segments": ["service", "rest", "v1", "search"], "query": {"name": ["lodash", "react"]}, "rule": query_deny},
	"repositories with a parameter": {"segments": ["service", "rest", "v1", "repositories"], "query": {"x": ["1"]}, "rule": query_deny},
	"npm packument with a parameter": {"segments": repo("npm-proxy", ["lodash"]), "query": {"write": ["true"]}, "rule": query_deny},
	"maven with a parameter": {"segments": repo("maven-central", array.concat(maven, ["commons-lang3-3.14.0.pom"])), "query": {"x": ["1"]}, "rule": query_deny},
	"HEAD npm packument": {"method": "HEAD", "segments": repo("npm-proxy", ["lodash"]), "rule": "nexus.npm.read"},
	"HEAD maven pom": {"method": "HEAD", "segments": repo("maven-central", array.concat(maven, ["commons-lang3-3.14.0.pom"])), "rule": "nexus.maven.read"},
	"HEAD status": {"method": "HEAD", "segments": ["service", "rest", "v1", "status"], "rule": deny},
	"HEAD npm whoami": {"method": "HEAD", "segments": repo("npm-proxy", ["-", "whoami"]), "rule": deny},
}

test_reason_method if {
	got := data.broker.decision with input as fixtures.request({"type": "nexus", "method": "POST", "segments": ["service", "rest", "v1", "components"]})
	"administration, upload, security and system endpoints of Nexus are never allowed; only package reads are" in got.reasons
	got2 := data.broker.decision with input as fixtures.request({"type": "artifactory", "method": "PUT", "segments": ["libs", "a", "b", "c.jar"]})
	"administration, deploy, security and system endpoints of Artifactory are never allowed; only package reads are" in got2.reasons
}
