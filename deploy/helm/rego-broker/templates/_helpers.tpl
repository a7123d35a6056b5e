{{/* Names and labels. */}}
{{- define "rego-broker.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "rego-broker.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "rego-broker.selectorLabels" -}}
app.kubernetes.io/name: {{ include "rego-broker.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "rego-broker.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "rego-broker.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "rego-broker.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "rego-broker.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "rego-broker.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* Where secrets are mounted. */}}
{{- define "rego-broker.secretsDir" -}}/run/secrets/rego-broker{{- end -}}

{{/*
The broker's configuration (broker.yaml), loaded after the image's container.yaml. Credentials
are file references into the projected secrets volume; no secret value is ever rendered.
*/}}
{{- define "rego-broker.config" -}}
{{- $dir := include "rego-broker.secretsDir" . -}}
{{- $cfg := deepCopy (default dict .Values.config) -}}
{{- $_ := set $cfg "listen" (dict "host" "0.0.0.0" "port" .Values.ports.proxy) -}}
{{- $_ := set $cfg "admin" (dict "host" "0.0.0.0" "port" .Values.ports.admin) -}}
{{- if .Values.policyBundle.configMap -}}
{{- $policy := default dict (get $cfg "policy") -}}
{{- $_ := set $policy "bundle" "/etc/rego-broker/policy/bundle.tar.gz" -}}
{{- $_ := set $cfg "policy" $policy -}}
{{- end -}}
{{- if .Values.proxyCA.configMap -}}
{{- $proxy := default dict (get $cfg "proxy") -}}
{{- $_ := set $proxy "caFile" "/etc/rego-broker/ca/ca.crt" -}}
{{- $_ := set $cfg "proxy" $proxy -}}
{{- end -}}
{{- $integrations := list -}}
{{- range .Values.integrations -}}
{{- $i := deepCopy . -}}
{{- $auth := deepCopy .auth -}}
{{- if $auth.existingSecret -}}
{{- $_ := set $auth "tokenFile" (printf "%s/integrations/%s/token" $dir .name) -}}
{{- $_ := unset $auth "existingSecret" -}}
{{- end -}}
{{- $_ := set $i "auth" $auth -}}
{{- $integrations = append $integrations $i -}}
{{- end -}}
{{- $_ := set $cfg "integrations" $integrations -}}
{{- if .Values.tunnel.enabled -}}
{{- $t := dict "enabled" true "interface" .Values.tunnel.interface "mtu" .Values.tunnel.mtu "peers" .Values.tunnel.peers "heartbeat" .Values.tunnel.heartbeat -}}
{{- if not (kindIs "invalid" .Values.tunnel.deploymentId) -}}
{{- $_ := set $t "deploymentId" (int .Values.tunnel.deploymentId) -}}
{{- end -}}
{{- $_ := set $cfg "tunnel" $t -}}
{{- end -}}
{{- toYaml $cfg -}}
{{- end -}}

{{/*
Replica N's own tunnel identity: its index (the address derived from deploymentId and N, the
label on its records, metrics and spans, the replica it says it is in heartbeats), its private
key, and its address when given.
*/}}
{{- define "rego-broker.replicaConfig" -}}
{{- $root := index . 0 -}}
{{- $n := index . 1 -}}
{{- $t := dict "replica" $n "privateKeyFile" (printf "%s/wireguard/key-%d" (include "rego-broker.secretsDir" $root) $n) -}}
{{- if gt (len $root.Values.tunnel.localAddresses) $n -}}
{{- $_ := set $t "localAddress" (index $root.Values.tunnel.localAddresses $n) -}}
{{- end -}}
{{- toYaml (dict "tunnel" $t) -}}
{{- end -}}
