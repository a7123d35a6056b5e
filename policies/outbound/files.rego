# Which changed files make a push worth relaying: a dependency manifest or lock file (the same
# list the inbound policies use, data.lib.manifests through lib/files.rego) or a Snyk policy
# file (.snyk), which is what a dependency scanner rescans on. Judged on the file name, the
# last component of each path in input.event.changed_files.
package outbound.files

import data.lib.files

# Snyk's broker relays pushes touching these too (they change what is reported, not what is
# installed).
policy_files := {".snyk"}

# relevant(path): path names a manifest, lock or policy file.
relevant(path) if {
	is_string(path)
	parts := split(path, "/")
	name := parts[count(parts) - 1]
	files.dependency_manifest(name)
}

relevant(path) if {
	is_string(path)
	parts := split(path, "/")
	policy_files[parts[count(parts) - 1]]
}

# manifest_changed: the payload lists its changed files and one of them is relevant.
manifest_changed if {
	input.event.files_listed == true
	some path in input.event.changed_files
	relevant(path)
}

# Why a push is not relayed.
push_hint := "the push changes no dependency manifest, lock file or .snyk policy file" if {
	input.event.files_listed == true
} else := "the payload lists no changed files (set the relay flag relay_unlisted_pushes to relay such pushes)"

# unlisted_push_allowed: the SCM does not list changed files in push events (Bitbucket Data
# Center, Azure DevOps) and the relay opted in to relaying every push.
unlisted_push_allowed if {
	input.event.files_listed == false
	input.relay.flags.relay_unlisted_pushes == true
}
