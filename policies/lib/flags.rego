# The integration flags (config keys in gateway/src/config/schema.ts INTEGRATION_FLAGS, seen
# here snake_cased in input.integration.flags). A flag is on only when it is exactly `true`:
# absent, false, "true" or 1 all mean off, so a typo in the configuration never opens access.
package lib.flags

flags := object.get(input, ["integration", "flags"], {})

# code_access: allowCodeAccess; any file, diffs, archives, and (see clone) git clone.
code_access if flags.allow_code_access == true

# clone: git clone over smart HTTP (ref advertisement + git-upload-pack). One scheme for all
# types: allowed with allowGitClone, and also with allowCodeAccess, which already grants every
# file (a clone gives nothing more). allowGitClone alone grants clone but no file reads over
# the API, for scanners that only clone.
clone if code_access

clone if flags.allow_git_clone == true

# writes: allowWrites; the fix pull request flow (branch, file contents, pull request).
writes if flags.allow_writes == true

# webhooks: allowWebhooks; list, read and delete hooks, and create or update hooks whose
# callback URL is listed in allowedWebhookUrls.
webhooks if flags.allow_webhooks == true

# webhook_url(url): webhooks are on and url is exactly one of allowedWebhookUrls.
webhook_url(url) if {
	webhooks
	is_string(url)
	url in flags.allowed_webhook_urls
}

# project(key): key is exactly one of allowedProjects (e.g. Jira project keys).
project(key) if {
	is_string(key)
	key in flags.allowed_projects
}
