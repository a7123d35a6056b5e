#!/usr/bin/env bash
# Installs the pinned OPA CLI (and Regal when the module proxy serves it) into ./tools/bin.
# Skips each build when the right version is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
OPA_VERSION=v1.22.3
REGAL_VERSION=v0.36.1
BIN="$PWD/tools/bin"
mkdir -p "$BIN"

if [ -x "$BIN/opa" ] && "$BIN/opa" version 2>/dev/null | grep -q "^Version: ${OPA_VERSION#v}$"; then
  echo "opa ${OPA_VERSION} already installed"
else
  echo "installing opa ${OPA_VERSION} with go install (takes a few minutes the first time)"
  GOBIN="$BIN" GOFLAGS=-mod=mod go install "github.com/open-policy-agent/opa@${OPA_VERSION}"
fi

if [ -x "$BIN/regal" ] && "$BIN/regal" version 2>/dev/null | grep -q "${REGAL_VERSION#v}"; then
  echo "regal ${REGAL_VERSION} already installed"
elif [ "${SKIP_REGAL:-}" = "1" ]; then
  echo "regal skipped"
else
  echo "installing regal ${REGAL_VERSION}"
  GOBIN="$BIN" go install "github.com/open-policy-agent/regal@${REGAL_VERSION}" || echo "regal could not be installed; linting with regal is skipped"
fi
