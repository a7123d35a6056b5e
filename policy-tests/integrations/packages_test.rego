# Table-driven tests of the Artifactory and Nexus rules through broker/decision. Each case
# names the expected rule, or `deny`; every allow rule has near-misses next to it.
package integrations.packages_test

import data.fixtures

deny := "broker.deny.no_matching_rule"

test_artifactory[name] if {
	some name, c in artifactory_cases
	got := data.broker.decision with input as fixtures.request(object.union({"type": "artifactory"}, c))
	got.rule == c.rule
	got.allow == c.rule != deny
}

test_nexus[name] if {
	some name, c in nexus_cases
	got := data.broker.decision with input as fixtures.request(object.union({"type": "nexus"}, c))
	got.rule == c.rule
	got.allow == c.rule != deny
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
}

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
	"bad repository name": {"segments": ["repository", "-x", "lodash"], "rule": deny},
}

test_reason_method if {
	got := data.broker.decision with input as fixtures.request({"type": "nexus", "method": "POST", "segments": ["service", "rest", "v1", "components"]})
	"administration, upload, security and system endpoints of Nexus are never allowed; only package reads are" in got.reasons
	got2 := data.broker.decision with input as fixtures.request({"type": "artifactory", "method": "PUT", "segments": ["libs", "a", "b", "c.jar"]})
	"administration, deploy, security and system endpoints of Artifactory are never allowed; only package reads are" in got2.reasons
}
