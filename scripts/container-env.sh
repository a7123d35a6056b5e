# Sourced by the container scripts: podman with the options that work on a Debian host as root
# (runc, cgroupfs), the image names, and a containers.conf when the host has none.
PODMAN=(podman --runtime runc --cgroup-manager=cgroupfs)
BASE_RUNTIME="${BASE_RUNTIME:-localhost/rego-broker-base:runtime}"
BASE_BUILD="${BASE_BUILD:-localhost/rego-broker-base:build}"
IMAGE="${IMAGE:-localhost/rego-broker:dev}"

if ! command -v podman >/dev/null 2>&1; then
  echo "container: podman not found (scripts/setup.sh installs it as root)" >&2
  exit 1
fi
# Debian's podman 4.3 fails to start containers here with its default ulimits; create the
# configuration it needs only when the host has none, never overwriting one.
if [ "$(id -u)" = "0" ] && [ ! -e /etc/containers/containers.conf ]; then
  mkdir -p /etc/containers
  printf '[containers]\ndefault_ulimits = []\n' >/etc/containers/containers.conf
  echo "container: wrote /etc/containers/containers.conf (default_ulimits = [])"
fi
