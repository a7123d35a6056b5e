#!/usr/bin/env bash
# Smoke test of the rego-broker image (scripts/container-build.sh): genkey/pubkey, and the
# broker in local mode as deployed (non-root, read-only root filesystem, no capabilities, no
# network but its own loopback) answering an allowed and a denied request, with the baked
# bundle and with one mounted over it. The upstream runs inside the container's network
# namespace, so nothing leaves it.
#
#   scripts/container-smoke.sh            (root; IMAGE defaults to localhost/rego-broker:dev)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/container-env.sh
source scripts/container-env.sh
# Without systemd, podman complains on every container with a HEALTHCHECK that it cannot make
# a timer for it; the check itself is run by hand below.
exec 2> >(grep --line-buffered -v 'unable to get systemd connection' >&2)

if ! "${PODMAN[@]}" image exists "$IMAGE"; then
  echo "container-smoke: no image $IMAGE; build it with scripts/container-build.sh" >&2
  exit 1
fi

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
check() { local what="$1"; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

work="$(mktemp -d)"
containers=()
cleanup() {
  for c in "${containers[@]+"${containers[@]}"}"; do "${PODMAN[@]}" rm -f -v "$c" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# --- the image's metadata ---
meta="$("${PODMAN[@]}" image inspect --format '{{.Config.User}} {{index .Config.Labels "org.opencontainers.image.version"}} {{index .Config.Labels "org.opencontainers.image.revision"}} {{index .Config.Labels "org.opencontainers.image.source"}} {{if .Config.Healthcheck}}healthcheck{{end}}' "$IMAGE")"
check "user 10001, OCI version/revision/source labels and a HEALTHCHECK ($meta)" \
  grep -Eq '^10001:10001 [0-9]+\.[0-9]+\.[0-9]+[^ ]* [0-9a-f]{40} https://[^ ]+ healthcheck$' <<<"$meta"

# --- keys ---
key="$("${PODMAN[@]}" run --rm --network none --no-healthcheck "$IMAGE" genkey)"
check "genkey prints a WireGuard private key" grep -Eq '^[A-Za-z0-9+/]{43}=$' <<<"$key"
pub="$(printf '%s\n' "$key" | "${PODMAN[@]}" run --rm -i --network none --no-healthcheck "$IMAGE" pubkey)"
check "pubkey prints its public key" grep -Eq '^[A-Za-z0-9+/]{43}=$' <<<"$pub"
if command -v wg >/dev/null 2>&1; then
  check "pubkey agrees with wg pubkey" test "$pub" = "$(printf '%s\n' "$key" | wg pubkey)"
fi

# --- the broker in local mode ---
cat >"$work/broker.yaml" <<'YAML'
integrations:
  - name: ghe
    type: github
    baseUrl: http://127.0.0.1:18080/api/v3
    auth: {scheme: bearer, tokenFile: /run/secrets/rego-broker/ghe-token}
YAML
printf 'smoke-token-%s\n' "$RANDOM$RANDOM" >"$work/ghe-token"
chmod 0644 "$work/broker.yaml" "$work/ghe-token"

# Runs inside the container: a recording upstream on 127.0.0.1:18080, then one allowed and one
# denied request through the broker; prints what happened as one JSON line.
cat >"$work/client.js" <<'JS'
const http = require('http');
const seen = [];
const upstream = http.createServer((req, res) => {
  seen.push({ method: req.method, url: req.url, authorization: req.headers.authorization || null });
  res.setHeader('content-type', 'application/json');
  res.end('{"name":"pom.xml"}');
});
function request(method, path, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: 8080, method, path, headers }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, id: res.headers['x-broker-decision-id'] || null, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
function ready() {
  return new Promise((resolve) => {
    http.get('http://127.0.0.1:9090/readyz', (res) => { res.resume(); resolve(res.statusCode === 200); })
      .on('error', () => resolve(false));
  });
}
(async () => {
  await new Promise((r) => upstream.listen(18080, '127.0.0.1', r));
  let up = false;
  for (let i = 0; i < 100 && !up; i += 1) {
    up = await ready();
    if (!up) await new Promise((r) => setTimeout(r, 200));
  }
  const base = '/proxy/http://127.0.0.1:18080/api/v3/repos/acme/app';
  const allowed = await request('GET', `${base}/contents/pom.xml`, { authorization: 'Bearer caller-credential' });
  const denied = await request('DELETE', base);
  upstream.close();
  console.log(JSON.stringify({ ready: up, allowed, denied, seen }));
})().catch((e) => { console.log(JSON.stringify({ error: String(e) })); });
JS

# Starts the broker as deployed: default command, read-only root (without podman's extra tmpfs
# on /run and /tmp), every capability dropped, no_new_privs, no network, state on a volume.
start_broker() {
  local name="$1"; shift
  "${PODMAN[@]}" run -d --name "$name" --network none \
    --health-interval=disable --read-only --read-only-tmpfs=false --cap-drop ALL --security-opt no-new-privileges \
    -v "$work/broker.yaml:/etc/rego-broker/broker.yaml:ro" \
    -v "$work/ghe-token:/run/secrets/rego-broker/ghe-token:ro" \
    -v "$work/client.js:/smoke/client.js:ro" \
    "$@" >/dev/null
}
field() { node -e 'const v=JSON.parse(process.argv[1]); console.log(String(process.argv[2].split(".").reduce((o,k)=>o==null?o:o[k], v)))' "$1" "$2"; }

c="rego-broker-smoke-$$-baked"
echo "container smoke: $IMAGE"
containers+=("$c")
start_broker "$c" "$IMAGE"
result="$("${PODMAN[@]}" exec "$c" node /smoke/client.js)"
check "the broker becomes ready" test "$(field "$result" ready)" = true || echo "$result"
check "an allowed request is proxied (200)" test "$(field "$result" allowed.status)" = 200
check "a denied request is refused (403)" test "$(field "$result" denied.status)" = 403
check "the upstream received exactly the allowed request" test "$(field "$result" seen.length)/$(field "$result" seen.0.method)" = 1/GET
check "the upstream got the token from the mounted secret, not the caller's" \
  test "$(field "$result" seen.0.authorization)" = "Bearer $(cat "$work/ghe-token")"
check "decision ids are returned" test "$(field "$result" allowed.id)" != null

uid="$("${PODMAN[@]}" exec "$c" sh -c 'sed -n "s/^Uid:[[:space:]]*\([0-9]*\).*/\1/p" /proc/1/status')"
check "the broker runs as the non-root user 10001" test "$uid" = 10001
caps="$("${PODMAN[@]}" exec "$c" sh -c 'sed -n "s/^CapEff:[[:space:]]*//p" /proc/1/status')"
check "the broker has no capabilities" test "$caps" = 0000000000000000
check "the root filesystem is read-only" \
  "${PODMAN[@]}" exec "$c" sh -c '! touch /opt/rego-broker/x 2>/dev/null && ! touch /etc/x 2>/dev/null'
check "no setuid or setgid program in the image" \
  test -z "$("${PODMAN[@]}" exec "$c" find / -xdev -type f -perm /6000 2>/dev/null)"
check "the state volume is writable" "${PODMAN[@]}" exec "$c" sh -c 'touch /var/lib/rego-broker/.w && rm /var/lib/rego-broker/.w'
check "the image HEALTHCHECK passes" "${PODMAN[@]}" healthcheck run "$c"

"${PODMAN[@]}" stop -t 20 "$c" >/dev/null
log="$("${PODMAN[@]}" logs "$c" 2>&1)"
records="$(grep -c '"decision_id"' <<<"$log" || true)"
check "two decision records on stdout" test "$records" = 2
check "the baked bundle was used" grep -q '"revision":"sha256-' <<<"$log"
check "the token never reaches the output" bash -c '! grep -qF "$1" <<<"$0"' "$log" "$(cat "$work/ghe-token")"
check "the broker stops with exit 0 on SIGTERM" test "$("${PODMAN[@]}" inspect --format '{{.State.ExitCode}}' "$c")" = 0

# --- a bundle mounted over the baked one ---
if [ -f policies/build/bundle.tar.gz ]; then
  mounted_rev="$(tar -xzOf policies/build/bundle.tar.gz /.manifest 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).revision))')"
  c2="rego-broker-smoke-$$-mounted"
  containers+=("$c2")
  start_broker "$c2" -v "$PWD/policies/build/bundle.tar.gz:/opt/rego-broker/policies/build/bundle.tar.gz:ro" "$IMAGE"
  result="$("${PODMAN[@]}" exec "$c2" node /smoke/client.js)"
  check "with a mounted bundle: allowed 200, denied 403" \
    test "$(field "$result" allowed.status)/$(field "$result" denied.status)" = 200/403
  "${PODMAN[@]}" stop -t 20 "$c2" >/dev/null
  log="$("${PODMAN[@]}" logs "$c2" 2>&1)"
  check "with a mounted bundle: its revision is in the records ($mounted_rev)" \
    grep -qF "\"revision\":\"$mounted_rev\"" <<<"$log"
fi

# --- what the Helm chart renders, run in the image: its ConfigMap, its container arguments, the
# credential where its projected Secret volume puts it; the pod's probes must pass ---
if [ -x tools/bin/helm ]; then
  mkdir -p "$work/chart-config" "$work/chart-secrets/integrations/ghe"
  cp "$work/ghe-token" "$work/chart-secrets/integrations/ghe/token"
  chmod -R a+rX "$work/chart-config" "$work/chart-secrets"
  tools/bin/helm template rego-broker deploy/helm/rego-broker --kube-version 1.30.0 \
    --set 'integrations[0].name=ghe' --set 'integrations[0].type=github' \
    --set 'integrations[0].baseUrl=http://127.0.0.1:18080/api/v3' --set 'integrations[0].auth.scheme=bearer' \
    --set 'integrations[0].auth.existingSecret.name=rego-broker-ghe' --set 'integrations[0].auth.existingSecret.key=token' \
    >"$work/chart.yaml"
  # Writes the ConfigMap's files and prints the container's arguments, one per line.
  mapfile -t chart_args < <(node -e '
    const fs = require("fs"); const { parseAllDocuments } = require("yaml");
    const docs = parseAllDocuments(fs.readFileSync(process.argv[1], "utf8")).map((d) => d.toJS()).filter(Boolean);
    const cm = docs.find((d) => d.kind === "ConfigMap");
    for (const [k, v] of Object.entries(cm.data)) fs.writeFileSync(`${process.argv[2]}/${k}`, v, { mode: 0o644 });
    const sts = docs.find((d) => d.kind === "StatefulSet");
    for (const a of sts.spec.template.spec.containers[0].args) console.log(a);
  ' "$work/chart.yaml" "$work/chart-config")
  c4="rego-broker-smoke-$$-chart"
  containers+=("$c4")
  "${PODMAN[@]}" run -d --name "$c4" --network none --health-interval=disable \
    --read-only --read-only-tmpfs=false --cap-drop ALL --security-opt no-new-privileges --user 10001:10001 \
    -v "$work/chart-config:/etc/rego-broker/config:ro" -v "$work/chart-secrets:/run/secrets/rego-broker:ro" \
    -v "$work/client.js:/smoke/client.js:ro" "$IMAGE" "${chart_args[@]}" >/dev/null
  result="$("${PODMAN[@]}" exec "$c4" node /smoke/client.js)"
  probes="$("${PODMAN[@]}" exec "$c4" node -e '
    const get = (p) => new Promise((r) => require("http").get(`http://127.0.0.1:9090${p}`, (res) => { res.resume(); r(res.statusCode); }).on("error", () => r(0)));
    Promise.all([get("/healthz"), get("/readyz")]).then((s) => console.log(s.join(" ")));')"
  check "the chart's configuration in the image: liveness and readiness probes pass" test "$probes" = "200 200"
  check "the chart's configuration in the image: allowed 200 with the Secret's token, denied 403" \
    test "$(field "$result" allowed.status)/$(field "$result" denied.status)/$(field "$result" seen.0.authorization)" \
      = "200/403/Bearer $(cat "$work/ghe-token")"
  "${PODMAN[@]}" stop -t 20 "$c4" >/dev/null
fi

# --- the tunnel: non-root with CAP_NET_ADMIN alone and /dev/net/tun (wireguard-go) ---
# (start_broker drops every capability and sets no_new_privs; --cap-add gives NET_ADMIN back.)
# The peer is a made-up hub on the container's own loopback: the interface comes up, no packet
# leaves the container's network namespace.
if [ -c /dev/net/tun ]; then
  "${PODMAN[@]}" run --rm --network none --no-healthcheck "$IMAGE" genkey >"$work/wg.key"
  chmod 0644 "$work/wg.key"
  cat >"$work/tunnel.yaml" <<'YAML'
tunnel:
  enabled: true
  privateKeyFile: /run/secrets/rego-broker/wg.key
  deploymentId: 8849
  peers: [{publicKey: "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=", endpoint: "127.0.0.1:51820",
           allowedIps: ["fdf0:59dc:33cf:9be9::1/128"], persistentKeepalive: 20}]
YAML
  chmod 0644 "$work/tunnel.yaml"
  c3="rego-broker-smoke-$$-tunnel"
  containers+=("$c3")
  start_broker "$c3" --cap-drop ALL --cap-add NET_ADMIN --device /dev/net/tun \
    --sysctl net.ipv6.conf.all.disable_ipv6=0 \
    -v "$work/tunnel.yaml:/etc/rego-broker/tunnel.yaml:ro" -v "$work/wg.key:/run/secrets/rego-broker/wg.key:ro" \
    "$IMAGE" run -c /opt/rego-broker/container.yaml -c /etc/rego-broker/broker.yaml -c /etc/rego-broker/tunnel.yaml
  listening=false
  for _ in $(seq 1 50); do
    if "${PODMAN[@]}" logs "$c3" 2>&1 | grep -q '"msg":"broker listening"'; then listening=true; break; fi
    [ "$("${PODMAN[@]}" inspect --format '{{.State.Running}}' "$c3")" = true ] || break
    sleep 0.2
  done
  check "with a tunnel: the broker comes up on its tunnel address" test "$listening" = true \
    || "${PODMAN[@]}" logs "$c3" 2>&1 | tail -n 5
  procs="$("${PODMAN[@]}" exec "$c3" sh -c 'for p in /proc/[0-9]*; do c=$(cat $p/comm); case $c in node|wireguard-go) echo "$c $(sed -n "s/^Uid:[[:space:]]*\([0-9]*\).*/\1/p" $p/status) $(sed -n "s/^CapEff:[[:space:]]*//p" $p/status)";; esac; done' 2>/dev/null | sort || true)"
  check "with a tunnel: node and wireguard-go run as 10001 with CAP_NET_ADMIN only" \
    test "$procs" = "$(printf 'node 10001 0000000000001000\nwireguard-go 10001 0000000000001000')"
  check "with a tunnel: the interface has the address of deployment 8849" \
    bash -c '"${@:1}" exec "$0" ip -6 addr show dev wg-broker | grep -q "fdf0:59dc:33cf:9be8:0:2291:0:1/128"' "$c3" "${PODMAN[@]}"
  # Podman hands added capabilities to a non-root user as ambient ones; Docker and Kubernetes do
  # not. Without them the entry point raises CAP_NET_ADMIN through its file-capability setpriv.
  caps="$("${PODMAN[@]}" exec "$c3" setpriv --inh-caps=-all --ambient-caps=-all -- \
    /opt/rego-broker/libexec/setpriv-net-admin --inh-caps=+net_admin --ambient-caps=+net_admin -- \
    sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status)"
  check "with a tunnel: without ambient capabilities the entry point's setpriv grants CAP_NET_ADMIN only" \
    test "$caps" = 0000000000001000
  "${PODMAN[@]}" stop -t 20 "$c3" >/dev/null
  check "with a tunnel: SIGTERM removes the tunnel and exits 0" \
    test "$("${PODMAN[@]}" inspect --format '{{.State.ExitCode}}' "$c3")" = 0
fi

echo "container-smoke: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
