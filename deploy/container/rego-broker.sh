#!/bin/sh
# The image's entry point: runs the rego-broker CLI with the arguments given.
#
# Why this exists: the WireGuard tunnel needs CAP_NET_ADMIN, and a non-root process does not
# keep a capability granted to its container (Docker and Kubernetes add it to the bounding set
# only). When the container was granted CAP_NET_ADMIN and may gain capabilities (no
# no_new_privs, i.e. Kubernetes allowPrivilegeEscalation: true), the broker is started through a
# copy of setpriv that holds CAP_NET_ADMIN as a file capability and passes it on as an ambient
# capability, so the broker and the ip, wg and wireguard-go it runs have CAP_NET_ADMIN and
# nothing else. Otherwise the broker runs without capabilities (local mode needs none).
set -eu
main=/opt/rego-broker/dist/gateway/src/cli/main.js
# Young-generation semi-spaces of 2 MiB: about 30 MiB less RSS under load at no measured cost in
# throughput (README, Performance).
node_flags=--max-semi-space-size=8

# Everything written goes to the one writable volume: temporary files ($TMPDIR) and
# wireguard-go's control socket (/run/wireguard is a link to wireguard/ there).
tmp="${TMPDIR:-/var/lib/rego-broker/tmp}"
(umask 077 && mkdir -p "$tmp" /var/lib/rego-broker/wireguard) 2>/dev/null || true

status_field() { sed -n "s/^$1:[[:space:]]*//p" /proc/self/status; }
if [ "$(id -u)" != "0" ] && [ "$(status_field NoNewPrivs)" = "0" ]; then
  bounding="$(status_field CapBnd)"
  if [ -n "$bounding" ] && [ $(( (0x$bounding >> 12) & 1 )) -eq 1 ]; then
    # A program started with a file capability runs in secure mode, where the C library drops
    # TMPDIR from the environment: env puts it back for the broker.
    exec /opt/rego-broker/libexec/setpriv-net-admin --inh-caps=+net_admin --ambient-caps=+net_admin \
      -- env TMPDIR="$tmp" node "$node_flags" "$main" "$@"
  fi
fi
exec node "$node_flags" "$main" "$@"
