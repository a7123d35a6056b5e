#!/usr/bin/env bash
# Builds the rego-broker image with podman from deploy/container/Containerfile.
#
#   scripts/container-build.sh                 on the local bases of scripts/container-base.sh
#   BASE=docker.io/library/node:20-bookworm-slim BUILD_BASE=docker.io/library/node:20-bookworm \
#     OPA_IMAGE=docker.io/openpolicyagent/opa:1.22.3-static scripts/container-build.sh
#
# Without OPA_IMAGE the pinned opa of tools/bin (scripts/install-tools.sh) is wrapped in a
# one-file image. The image is tagged $IMAGE (localhost/rego-broker:dev).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/container-env.sh
source scripts/container-env.sh

version="$(node -p 'require("./package.json").version')"
revision="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
# The source label: the https URL of origin when there is one, else the Containerfile's default.
source_args=()
origin="$(git remote get-url origin 2>/dev/null || true)"
case "$origin" in https://*) source_args=(--build-arg "SOURCE=${origin%.git}") ;; esac

opa_image="${OPA_IMAGE:-}"
if [ -z "$opa_image" ]; then
  [ -x tools/bin/opa ] || { echo "container-build: tools/bin/opa missing; run scripts/install-tools.sh" >&2; exit 1; }
  opa_image=localhost/rego-broker-opa:local
  ctx="$(mktemp -d)"
  trap 'rm -rf "$ctx"' EXIT
  cp tools/bin/opa "$ctx/opa"
  printf 'FROM scratch\nCOPY opa /opa\n' >"$ctx/Containerfile"
  "${PODMAN[@]}" build --quiet -t "$opa_image" "$ctx" >/dev/null
fi

# The build stage runs npm ci, which needs the npm registry: host networking for the build, and
# this machine's extra CA bundle when it has one (mounted for the build steps only).
ca_args=()
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
  ca_args=(--volume "$NODE_EXTRA_CA_CERTS:/run/build-ca.crt:ro" --build-arg NODE_EXTRA_CA_CERTS=/run/build-ca.crt)
fi
"${PODMAN[@]}" build \
  "${ca_args[@]}" \
  --network host \
  --pull=never \
  --format docker \
  --file deploy/container/Containerfile \
  --ignorefile deploy/container/Containerfile.dockerignore \
  --build-arg "BASE=${BASE:-$BASE_RUNTIME}" \
  --build-arg "BUILD_BASE=${BUILD_BASE:-$BASE_BUILD}" \
  --build-arg "OPA_IMAGE=$opa_image" \
  --build-arg "VERSION=$version" \
  --build-arg "REVISION=$revision" \
  "${source_args[@]+"${source_args[@]}"}" \
  --tag "$IMAGE" \
  .
"${PODMAN[@]}" image inspect --format '{{.Size}}' "$IMAGE" \
  | awk -v img="$IMAGE" '{ printf "container-build: %s, %.0f MB\n", img, $1 / 1000000 }'
