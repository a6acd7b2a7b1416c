{{/* Names and labels used by every template. */}}
{{- define "order-service.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "order-service.fullname" -}}
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

{{- define "order-service.selectorLabels" -}}
app.kubernetes.io/name: {{ include "order-service.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "order-service.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "order-service.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: api
app.kubernetes.io/part-of: ecommerce
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "order-service.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "order-service.secretName" -}}
{{- if .Values.secrets.create -}}{{ include "order-service.fullname" . }}{{- else -}}{{ required "secrets.existingSecret is required unless secrets.create" .Values.secrets.existingSecret }}{{- end -}}
{{- end -}}

{{/* The secrets both containers read, by reference only. */}}
{{- define "order-service.secretEnv" -}}
{{- range $key := list "DATABASE_URL" "REDIS_URL" "SECRET_KEY" }}
- name: {{ $key }}
  valueFrom:
    secretKeyRef:
      name: {{ include "order-service.secretName" $ }}
      key: {{ $key }}
{{- end }}
{{- end -}}

{{- define "order-service.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* The CA bundles tls.* names, each mounted read-only at /etc/order-service/ca/<name>/ca.crt. */}}
{{- define "order-service.caBundles" -}}
{{- $bundles := list -}}
{{- with .Values.tls.databaseCa }}{{ if and .secretName .configMapName }}{{ fail "tls.databaseCa: set secretName or configMapName, not both" }}{{ end }}{{ if or .secretName .configMapName }}{{ $bundles = append $bundles (dict "name" "database-ca" "env" "DATABASE_CA_FILE" "dir" "/etc/order-service/ca/database" "ca" .) }}{{ end }}{{ end -}}
{{- with .Values.tls.redisCa }}{{ if and .secretName .configMapName }}{{ fail "tls.redisCa: set secretName or configMapName, not both" }}{{ end }}{{ if or .secretName .configMapName }}{{ $bundles = append $bundles (dict "name" "redis-ca" "env" "REDIS_CA_FILE" "dir" "/etc/order-service/ca/redis" "ca" .) }}{{ end }}{{ end -}}
{{- toJson (dict "bundles" $bundles) -}}
{{- end -}}

{{/* DATABASE_CA_FILE / REDIS_CA_FILE for a container; (dict "root" $ "only" "DATABASE_CA_FILE") limits it to one. */}}
{{- define "order-service.caEnv" -}}
{{- range (include "order-service.caBundles" .root | fromJson).bundles }}
{{- if or (not $.only) (eq $.only .env) }}
- name: {{ .env }}
  value: {{ printf "%s/ca.crt" .dir | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "order-service.caMounts" -}}
{{- range (include "order-service.caBundles" .root | fromJson).bundles }}
{{- if or (not $.only) (eq $.only .env) }}
- name: {{ .name }}
  mountPath: {{ .dir | quote }}
  readOnly: true
{{- end }}
{{- end }}
{{- end -}}

{{- define "order-service.caVolumes" -}}
{{- range (include "order-service.caBundles" . | fromJson).bundles }}
- name: {{ .name }}
  {{- if .ca.secretName }}
  secret:
    secretName: {{ .ca.secretName | quote }}
  {{- else }}
  configMap:
    name: {{ .ca.configMapName | quote }}
  {{- end }}
    items:
      - key: {{ .ca.key | quote }}
        path: ca.crt
{{- end }}
{{- end -}}
