#!/usr/bin/env bash
# Prepares a fresh clone: npm dependencies, the pinned opa (and regal if available), the
# WireGuard tools when running as root, then builds TypeScript and the policy bundle.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = "0" ] && { ! command -v wg >/dev/null 2>&1 || ! command -v wireguard-go >/dev/null 2>&1 || ! command -v ip >/dev/null 2>&1; }; then
  echo "installing wireguard-go, wireguard-tools and iproute2"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq wireguard-go wireguard-tools iproute2 >/dev/null
fi

if [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  echo "node_modules is up to date"
else
  npm ci --no-audit --no-fund
fi
bash scripts/install-tools.sh
npm run build
