#!/usr/bin/env bash
# Checks the Helm chart offline: helm lint, helm template for the default values, the tunnel
# and the tunnel with the NetworkPolicy (deploy/helm/rego-broker/ci/), every rendered manifest
# validated against the Kubernetes API schemas (kubernetes-validate --strict, schemas shipped
# in its package), and values the schema must refuse. The best-practice checks of the rendered
# manifests and of the broker configuration they carry are in
# gateway/test/integration/deploy-chart.test.ts (npm test).
#
#   scripts/helm-check.sh            (needs tools/bin/helm and kubernetes-validate: npm run tools)
set -euo pipefail
cd "$(dirname "$0")/.."
CHART=deploy/helm/rego-broker
HELM=tools/bin/helm
VALIDATE=tools/bin/kubernetes-validate
# The oldest Kubernetes the chart supports (Chart.yaml kubeVersion) and a current one.
KUBE_VERSIONS=(1.28.0 1.33.0)
for tool in "$HELM" "$VALIDATE"; do
  [ -x "$tool" ] || { echo "helm-check: $tool missing; run npm run tools" >&2; exit 1; }
done

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

for set in default tunnel networkpolicy; do
  args=()
  [ "$set" = default ] || args=(-f "$CHART/ci/$set-values.yaml")
  if "$HELM" lint --strict --quiet "$CHART" "${args[@]+"${args[@]}"}" >"$out/lint.txt" 2>&1; then
    ok "helm lint --strict ($set)"
  else
    bad "helm lint --strict ($set)"; cat "$out/lint.txt"
  fi
  for kv in "${KUBE_VERSIONS[@]}"; do
    if ! "$HELM" template rego-broker "$CHART" --namespace rego-broker --kube-version "$kv" \
      "${args[@]+"${args[@]}"}" >"$out/$set.yaml" 2>"$out/err.txt"; then
      bad "helm template ($set, Kubernetes $kv)"; cat "$out/err.txt"; continue
    fi
    # Custom resources (the ServiceMonitor) have no schema in the Kubernetes API set.
    if "$VALIDATE" --strict --quiet -k "$kv" "$out/$set.yaml" >"$out/validate.txt" 2>&1 \
      && ! grep -q '^ERROR' "$out/validate.txt"; then
      ok "helm template + kubernetes-validate --strict ($set, Kubernetes $kv: $(grep -c '^kind:' "$out/$set.yaml") objects)"
    else
      bad "kubernetes-validate ($set, Kubernetes $kv)"; cat "$out/validate.txt"
    fi
  done
done

# Values that must be refused at install time, each with a message naming what is wrong.
refuse() {
  local what="$1" expect="$2"; shift 2
  if "$HELM" template rego-broker "$CHART" --kube-version "${KUBE_VERSIONS[1]}" "$@" >/dev/null 2>"$out/err.txt"; then
    bad "refused: $what (it rendered)"
  elif grep -qF -- "$expect" "$out/err.txt"; then
    ok "refused: $what"
  else
    bad "refused: $what (message without \"$expect\")"; cat "$out/err.txt"
  fi
}
integration=(--set 'integrations[0].name=ghe' --set 'integrations[0].type=github'
  --set 'integrations[0].baseUrl=https://ghe.example.com/api/v3' --set 'integrations[0].auth.scheme=bearer')
refuse "a literal token in values" "additional properties 'token' not allowed" \
  "${integration[@]}" --set 'integrations[0].auth.token=s3cret' --set 'integrations[0].auth.existingSecret.name=x' \
  --set 'integrations[0].auth.existingSecret.key=token'
refuse "tokenFile instead of existingSecret" "additional properties 'tokenFile' not allowed" \
  "${integration[@]}" --set 'integrations[0].auth.tokenFile=/x'
refuse "an integration without its Secret" "missing property 'existingSecret'" "${integration[@]}"
refuse "an unknown top-level key" "additional properties 'replicas' not allowed" --set replicas=3
refuse "a writable root filesystem" "/securityContext/readOnlyRootFilesystem" \
  --set securityContext.readOnlyRootFilesystem=false
refuse "running as root" "/podSecurityContext/runAsUser" --set podSecurityContext.runAsUser=0
refuse "the tunnel without the key Secret" "privateKeySecret" \
  --set tunnel.enabled=true --set 'tunnel.peers[0].publicKey=HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw='
refuse "the NetworkPolicy with the tunnel but no hub addresses" "networkPolicy.hub.cidrs" \
  -f "$CHART/ci/tunnel-values.yaml" --set networkPolicy.enabled=true
refuse "config.policy.bundle (policyBundle sets it)" "/config/policy" --set config.policy.bundle=/x

echo "helm-check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
