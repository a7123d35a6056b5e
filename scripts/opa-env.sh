# Sourced by the policy scripts: the repository root (and cd there), the pinned opa and the
# capabilities file. $1 names the calling script in the error message.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OPA="$ROOT/tools/bin/opa"
CAPABILITIES="$ROOT/policies/capabilities.json"
if [ ! -x "$OPA" ]; then
  echo "$1: $OPA not found; run 'npm run tools' first" >&2
  exit 1
fi
