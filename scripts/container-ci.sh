#!/usr/bin/env bash
# CI for the container image, from nothing: the Debian base (mmdebstrap), the image (podman
# build), the smoke test; prints the time each took and the image size, then removes the images
# so no run reuses another's (KEEP_IMAGES=1 keeps them). Root only (podman as root, mmdebstrap).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != "0" ]; then
  echo "container-ci: needs root (podman and mmdebstrap run as root here)" >&2
  exit 1
fi
# shellcheck source=scripts/container-env.sh
source scripts/container-env.sh

cleanup() {
  if [ "${KEEP_IMAGES:-0}" != "1" ]; then
    "${PODMAN[@]}" rmi -f "$IMAGE" "$BASE_BUILD" "$BASE_RUNTIME" localhost/rego-broker-opa:local >/dev/null 2>&1 || true
    "${PODMAN[@]}" image prune -f >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

t0=$SECONDS
# .ci/run builds the base while the tests run and says so with CONTAINER_BASE_READY=1.
if [ "${CONTAINER_BASE_READY:-0}" != "1" ]; then
  bash scripts/container-base.sh
fi
t1=$SECONDS
build_log="$(mktemp)"
if ! bash scripts/container-build.sh >"$build_log" 2>&1; then
  tail -n 60 "$build_log"
  echo "container-ci: the image build failed" >&2
  exit 1
fi
grep '^container-build:' "$build_log"
rm -f "$build_log"
t2=$SECONDS
smoke_log="$(mktemp)"
smoke_status=0
bash scripts/container-smoke.sh | tee "$smoke_log" || smoke_status=$?
t3=$SECONDS
size="$("${PODMAN[@]}" image inspect --format '{{.Size}}' "$IMAGE")"
base_time="$((t1 - t0)) s"
[ "${CONTAINER_BASE_READY:-0}" != "1" ] || base_time="built beforehand"
echo "container-ci: base $base_time, image build $((t2 - t1)) s, smoke test $((t3 - t2)) s; image $((size / 1000000)) MB"
# The smoke test's count closes the output.
grep '^container-smoke: [0-9]* passed' "$smoke_log" || true
rm -f "$smoke_log"
exit "$smoke_status"
