#!/usr/bin/env bash
# Installs the pinned tools into ./tools/bin, skipping each one already there in the right
# version: the OPA CLI and Helm with `go install`, kubernetes-validate with pip. (The policy
# tests also run `regal lint` when a Regal binary is present in tools/bin; it is optional.)
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


# Helm, for the chart checks (scripts/helm-check.sh). Its version output does not carry the
# patch level when built with go install, so the installed version is recorded beside it.
HELM_VERSION=v3.19.0
if [ -x "$BIN/helm" ] && [ "$(cat "$BIN/.helm.version" 2>/dev/null)" = "$HELM_VERSION" ]; then
  echo "helm ${HELM_VERSION} already installed"
else
  echo "installing helm ${HELM_VERSION} with go install (takes a few minutes the first time)"
  GOBIN="$BIN" GOFLAGS=-mod=mod go install "helm.sh/helm/v3/cmd/helm@${HELM_VERSION}"
  echo "$HELM_VERSION" >"$BIN/.helm.version"
fi

# kubernetes-validate (PyPI), which ships the Kubernetes OpenAPI schemas in its package, so the
# rendered manifests are checked against the API types offline. In a virtualenv under tools/.
KUBERNETES_VALIDATE_VERSION=1.37.0
if [ -x "$BIN/kubernetes-validate" ] \
  && [ "$("$BIN/kubernetes-validate" --version 2>/dev/null)" = "$KUBERNETES_VALIDATE_VERSION" ]; then
  echo "kubernetes-validate ${KUBERNETES_VALIDATE_VERSION} already installed"
else
  echo "installing kubernetes-validate ${KUBERNETES_VALIDATE_VERSION} with pip"
  rm -rf "$PWD/tools/venv"
  python3 -m venv "$PWD/tools/venv"
  "$PWD/tools/venv/bin/pip" install --quiet --disable-pip-version-check \
    "kubernetes-validate==${KUBERNETES_VALIDATE_VERSION}"
  ln -sf ../venv/bin/kubernetes-validate "$BIN/kubernetes-validate"
fi

# Regal (Rego linter), optional: `npm run test:policy` runs `regal lint` when tools/bin/regal
# exists. Opt in with INSTALL_REGAL=1; the Go module proxy this project's CI uses refuses the
# module today (403), so a failure here only says so.
REGAL_VERSION="${REGAL_VERSION:-latest}"
if [ "${INSTALL_REGAL:-0}" = "1" ] && [ ! -x "$BIN/regal" ]; then
  echo "installing regal ${REGAL_VERSION} with go install"
  if ! GOBIN="$BIN" GOFLAGS=-mod=mod go install "github.com/open-policy-agent/regal@${REGAL_VERSION}" \
    && ! GOBIN="$BIN" GOFLAGS=-mod=mod go install "github.com/styrainc/regal@${REGAL_VERSION}"; then
    echo "regal could not be installed; regal lint is skipped" >&2
  fi
fi
