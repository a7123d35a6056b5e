#!/usr/bin/env bash
# Builds the base images the container build runs on where official images cannot be pulled:
# a minimal Debian bookworm (Essential packages only, no apt) made with mmdebstrap from Debian packages (only what the broker
# needs at run time: ca-certificates, iproute2, wireguard-tools, wireguard-go, and setcap for
# the tunnel tools) plus this machine's Node 20 binary. Two tags:
#
#   localhost/rego-broker-base:runtime  the run-time base, passed to the image build as BASE
#   localhost/rego-broker-base:build    the same plus npm, passed as BUILD_BASE
#
#   scripts/container-base.sh            (root; needs mmdebstrap, podman, node 20 on PATH)
#
# The Node binary is the one on PATH and must be version 20 (Debian bookworm ships 18).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/container-env.sh
source scripts/container-env.sh

node_bin="$(command -v node)"
node_major="$("$node_bin" -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" != "20" ]; then
  echo "container-base: $node_bin is Node $node_major; the image needs Node 20" >&2
  exit 1
fi
npm_dir="$(dirname "$(readlink -f "$(command -v npm)")")/.."
npm_dir="$(cd "$npm_dir" && pwd)"
[ -f "$npm_dir/package.json" ] || { echo "container-base: npm not found next to node" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Documentation, manual pages and translations are left out of the image.
mmdebstrap --variant=essential --quiet \
  --include=libstdc++6,ca-certificates,iproute2,wireguard-tools,wireguard-go,libcap2-bin \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --customize-hook="copy-in $node_bin /usr/local/bin" \
  --customize-hook='rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/* "$1"/var/log/*' \
  bookworm "$work/rootfs.tar" \
  "deb http://deb.debian.org/debian bookworm main" \
  "deb http://deb.debian.org/debian bookworm-updates main" \
  "deb http://deb.debian.org/debian-security bookworm-security main"

"${PODMAN[@]}" import --quiet \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["/bin/bash"]' \
  "$work/rootfs.tar" "$BASE_RUNTIME" >/dev/null
echo "container-base: $BASE_RUNTIME ($("$node_bin" --version), Debian bookworm, Essential packages)"

# The build base adds npm (the machine's own, which matches its node).
mkdir -p "$work/ctx"
cp -a "$npm_dir" "$work/ctx/npm"
cat >"$work/ctx/Containerfile" <<CF
FROM $BASE_RUNTIME
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && npm --version
CF
"${PODMAN[@]}" build --quiet --network host -t "$BASE_BUILD" "$work/ctx" >/dev/null
echo "container-base: $BASE_BUILD (npm $("${PODMAN[@]}" run --rm "$BASE_BUILD" npm --version))"
