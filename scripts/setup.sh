#!/usr/bin/env bash
# Prepares a fresh clone: npm dependencies, the pinned opa (and regal if available), the
# WireGuard tools when running as root, then builds TypeScript and the policy bundle.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: the tunnel (wireguard-go, wg, ip), openssl (test certificates), and for the
# carrier end-to-end test a real HTTP proxy (tinyproxy) and a firewall (nftables); for the
# container image podman with runc, and mmdebstrap for its Debian base.
missing=()
for pair in wg:wireguard-tools wireguard-go:wireguard-go ip:iproute2 openssl:openssl tinyproxy:tinyproxy nft:nftables \
  podman:podman runc:runc mmdebstrap:mmdebstrap; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
if [ "${#missing[@]}" -gt 0 ] && [ "$(id -u)" = "0" ]; then
  echo "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  echo "node_modules is up to date"
else
  npm ci --no-audit --no-fund
fi
bash scripts/install-tools.sh
npm run build
