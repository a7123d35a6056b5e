# Outbound rules for GitHub webhooks (X-GitHub-Event): pushes that change a manifest, pull
# request activity a scanner acts on, and ping.
package outbound.types.github

import data.lib.text
import data.outbound.files

# outbound.github.ping: sent when the webhook is created; lets the SaaS confirm it arrives.
allowed_by contains "outbound.github.ping" if input.event.type == "ping"

# outbound.github.push.manifest: dependencies may have changed; the SaaS rescans the branch.
allowed_by contains "outbound.github.push.manifest" if {
	input.event.type == "push"
	files.manifest_changed
}

# outbound.github.pull_request: the SaaS tests a pull request when it is opened, gets new
# commits (synchronize) or is reopened, and clears its check when it is closed.
allowed_by contains "outbound.github.pull_request" if {
	input.event.type == "pull_request"
	pull_request_actions[input.event.action]
}

pull_request_actions := {"opened": true, "synchronize": true, "reopened": true, "closed": true}

hints contains files.push_hint if input.event.type == "push"

hints contains concat("", ["pull_request action ", text.show(object.get(input.event, "action", null)), " is not relayed (opened, synchronize, reopened, closed are)"]) if {
	input.event.type == "pull_request"
	not pull_request_actions[input.event.action]
}
