#!/usr/bin/env bash
# Builds the policy bundle the broker loads: policies/build/bundle.tar.gz (policy.wasm,
# data.json, .manifest) with the entrypoints broker/decision, broker/outbound and
# system/log/mask.
#
# Customers add their own Rego: pass directories as arguments or in POLICY_EXTRA_DIRS
# (colon-separated); they are compiled into the same bundle. Their *_test.rego files are left
# out. -o FILE writes the bundle there instead of policies/build/bundle.tar.gz.
# (Installed packages have `rego-broker build`, which does the same without this checkout.)
#
#   scripts/build-policy.sh [-o FILE] [EXTRA_DIR...]
#   POLICY_EXTRA_DIRS=/etc/rego-broker/policies scripts/build-policy.sh
#
# The revision is "git-<short id of the last commit that changed policies/>" (plus
# "-dirty-<hash>" when policies/ has uncommitted changes),
# or "sha256-<first 12 hex>" of the policy files when not in a git checkout; each extra
# directory adds "+git-<12 hex of its own last commit>" when it is a git checkout (with
# "-dirty-<hash>" for uncommitted changes), else "+extra-<hash>".
set -euo pipefail

# shellcheck source=scripts/opa-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/opa-env.sh" build-policy
OUT_DIR="$ROOT/policies/build"
BUNDLE="$OUT_DIR/bundle.tar.gz"
if [ "${1:-}" = "-o" ]; then
  if [ -z "${2:-}" ]; then
    echo "build-policy: -o needs a file" >&2
    exit 1
  fi
  # opa-env.sh changed directory to the repository root: keep a relative -o relative to the caller.
  case "$2" in /*) BUNDLE="$2" ;; *) BUNDLE="$OLDPWD/$2" ;; esac
  OUT_DIR="$(dirname "$BUNDLE")"
  shift 2
fi

extra_dirs=()
if [ -n "${POLICY_EXTRA_DIRS:-}" ]; then
  IFS=':' read -r -a from_env <<<"$POLICY_EXTRA_DIRS"
  extra_dirs+=("${from_env[@]}")
fi
extra_dirs+=("$@")
for dir in "${extra_dirs[@]+"${extra_dirs[@]}"}"; do
  if [ ! -d "$dir" ]; then
    echo "build-policy: extra policy directory not found: $dir" >&2
    exit 1
  fi
done

# Content hash of the .rego and data files under the given directories (sorted, stable).
content_hash() {
  find "$@" -type f \( -name '*.rego' -o -name 'data.json' -o -name 'data.yaml' \) \
    -not -path '*/build/*' -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum \
    | sed "s|  $ROOT/|  |" | sha256sum | cut -c1-12
}

# The last commit that changed policies/, so commits elsewhere do not change the revision.
policies_commit="$(git -C "$ROOT" log -1 --format=%H -- policies/ 2>/dev/null || true)"
if [ -n "$policies_commit" ]; then
  revision="git-${policies_commit:0:12}"
  if [ -n "$(git -C "$ROOT" status --porcelain -- policies/ 2>/dev/null)" ]; then
    revision="$revision-dirty-$(content_hash "$ROOT/policies")"
  fi
else
  revision="sha256-$(content_hash "$ROOT/policies")"
fi
for dir in "${extra_dirs[@]+"${extra_dirs[@]}"}"; do
  extra_commit="$(git -C "$dir" log -1 --format=%H -- . 2>/dev/null || true)"
  if [ -n "$extra_commit" ]; then
    revision="$revision+git-${extra_commit:0:12}"
    if [ -n "$(git -C "$dir" status --porcelain -- . 2>/dev/null)" ]; then
      revision="$revision-dirty-$(content_hash "$dir")"
    fi
  else
    revision="$revision+extra-$(content_hash "$dir")"
  fi
done

mkdir -p "$OUT_DIR"
tmp="$BUNDLE.tmp"
rm -f "$tmp"

# --ignore takes file and directory name patterns: skip the build output and the
# capabilities file (which must never become policy data).
"$OPA" build \
  --target wasm \
  --entrypoint broker/decision \
  --entrypoint broker/outbound \
  --entrypoint system/log/mask \
  --capabilities "$CAPABILITIES" \
  --revision "$revision" \
  --ignore build \
  --ignore capabilities.json \
  --ignore '*.md' \
  --ignore '*_test.rego' \
  --output "$tmp" \
  policies "${extra_dirs[@]+"${extra_dirs[@]}"}"

mv "$tmp" "$BUNDLE"
echo "policy bundle: ${BUNDLE#"$ROOT"/}"
echo "revision: $revision"
