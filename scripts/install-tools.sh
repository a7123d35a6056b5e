#!/usr/bin/env bash
# Installs the pinned OPA CLI into ./tools/bin with `go install`, skipping the build when the
# right version is already there. (The policy tests also run `regal lint` when a Regal binary
# is present in tools/bin; it is optional.)
set -euo pipefail
cd "$(dirname "$0")/.."
OPA_VERSION=v1.22.3
BIN="$PWD/tools/bin"
mkdir -p "$BIN"

if [ -x "$BIN/opa" ] && "$BIN/opa" version 2>/dev/null | grep -q "^Version: ${OPA_VERSION#v}$"; then
  echo "opa ${OPA_VERSION} already installed"
else
  echo "installing opa ${OPA_VERSION} with go install (takes a few minutes the first time)"
  GOBIN="$BIN" GOFLAGS=-mod=mod go install "github.com/open-policy-agent/opa@${OPA_VERSION}"
fi

