{{/*
Names, labels and the settings derived from several values, defined once for every template.
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "crgate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The prefix of every object's name; Kubernetes names stop at 63 characters. */}}
{{- define "crgate.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "crgate.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Selector labels of one component. Call with (dict "ctx" $ "component" "crgate|registry|redis").
*/}}
{{- define "crgate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "crgate.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* All labels of one component's objects; the version is that of the component's image. */}}
{{- define "crgate.labels" -}}
{{- $values := .ctx.Values }}
{{- $version := include "crgate.tag" .ctx }}
{{- if hasPrefix "registry" .component }}
{{- $version = $values.registry.image.tag }}
{{- else if eq .component "redis" }}
{{- $version = $values.redis.image.tag }}
{{- end -}}
helm.sh/chart: {{ include "crgate.chart" .ctx }}
{{ include "crgate.selectorLabels" . }}
app.kubernetes.io/version: {{ $version | toString | quote }}
app.kubernetes.io/part-of: crgate
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
{{- end }}

{{- define "crgate.tag" -}}
{{- default .Chart.AppVersion .Values.image.tag }}
{{- end }}

{{- define "crgate.image" -}}
{{- printf "%s:%s" .Values.image.repository (include "crgate.tag" .) }}
{{- end }}

{{- define "crgate.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "crgate.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "crgate.registry.serviceAccountName" -}}
{{- if .Values.registry.serviceAccount.create }}
{{- default (printf "%s-registry" (include "crgate.fullname" .)) .Values.registry.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.registry.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Where crgate finds the registry: the bundled one's Service, or registry.url. */}}
{{- define "crgate.registryUrl" -}}
{{- if .Values.registry.enabled }}
{{- printf "http://%s-registry:5000" (include "crgate.fullname" .) }}
{{- else }}
{{- required "registry.url is required when registry.enabled=false: the URL of your registry:2, as crgate reaches it (for example http://registry.storage:5000)" .Values.registry.url }}
{{- end }}
{{- end }}

{{/*
Where crgate finds Redis when the URL may sit in a ConfigMap: the bundled Redis, or redis.url.
Empty when the URL comes from redis.existingSecret.
*/}}
{{- define "crgate.redisUrl" -}}
{{- if .Values.redis.enabled }}
{{- printf "redis://%s-redis:6379" (include "crgate.fullname" .) }}
{{- else if not .Values.redis.existingSecret }}
{{- $url := required "redis.url (or redis.existingSecret) is required when redis.enabled=false: the URL of your Redis, for example redis://redis.storage:6379 or redis+sentinel://sentinel-0:26379,sentinel-1:26379/mymaster" .Values.redis.url }}
{{- /* A password sits between "//" and "@" (redis://:PASSWORD@host), or in the query (?password=). */}}
{{- if or (regexMatch "^[a-z+]+://[^/@]*:[^/@]*@" $url) (regexMatch "[?&](password|sentinelPassword)=" $url) }}
{{- fail "redis.url carries a password, which would land in a ConfigMap: put the URL in a Secret and name it with redis.existingSecret (and redis.existingSecretKey)" }}
{{- end }}
{{- $url }}
{{- end }}
{{- end }}

{{- define "crgate.jwtSecretName" -}}
{{- default (printf "%s-jwt" (include "crgate.fullname" .)) .Values.jwt.existingSecret }}
{{- end }}

{{- define "crgate.directoryConfigMapName" -}}
{{- default (printf "%s-directory" (include "crgate.fullname" .)) .Values.directory.existingConfigMap }}
{{- end }}

{{- define "crgate.githubTokenSecretName" -}}
{{- default (printf "%s-github" (include "crgate.fullname" .)) .Values.github.token.existingSecret }}
{{- end }}

{{/*
The GitHub provider's service credential: "token" or "app", or a failure that names the values
to give. crgate itself refuses to start without one; the chart says so before anything runs.
*/}}
{{- define "crgate.githubCredential" -}}
{{- $token := .Values.github.token }}
{{- $app := .Values.github.app }}
{{- $hasToken := or $token.value $token.existingSecret }}
{{- $hasApp := or $app.id $app.installationId $app.existingSecret }}
{{- if and $hasToken $hasApp }}
{{- fail "directory.provider=github takes one service credential: github.token or github.app, not both" }}
{{- else if $hasToken }}
{{- if and $token.value $token.existingSecret }}
{{- fail "github.token: give value or existingSecret, not both" }}
{{- end }}
{{- print "token" }}
{{- else if $hasApp }}
{{- if not (and $app.id $app.installationId $app.existingSecret) }}
{{- fail "github.app needs id, installationId and existingSecret (a Secret holding the App's private key), all three" }}
{{- end }}
{{- print "app" }}
{{- else }}
{{- fail "directory.provider=github needs a service credential: github.token.existingSecret (or github.token.value), or github.app.id, github.app.installationId and github.app.existingSecret" }}
{{- end }}
{{- end }}

{{/* A GitHub id, given as a number or a string, without YAML's float formatting (1.2e+07). */}}
{{- define "crgate.githubId" -}}
{{- if kindIs "string" . }}{{ . }}{{ else }}{{ int64 . }}{{ end }}
{{- end }}

{{/* Behind the ingress crgate trusts its forwarding headers, unless told otherwise. */}}
{{- define "crgate.trustProxy" -}}
{{- if kindIs "invalid" .Values.config.trustProxy }}
{{- .Values.ingress.enabled }}
{{- else }}
{{- .Values.config.trustProxy }}
{{- end }}
{{- end }}

{{/* In-flight uploads get the drain time, the preStop pause comes before it, 30 s to spare. */}}
{{- define "crgate.terminationGracePeriodSeconds" -}}
{{- $drainSeconds := div (add (int64 .Values.config.drainTimeoutMs) 999) 1000 }}
{{- add $drainSeconds (int64 .Values.preStopSleepSeconds) 30 }}
{{- end }}

{{/* The hardened mount every pod gets for /tmp, the only writable place outside its data. */}}
{{- define "crgate.tmpVolume" -}}
- name: tmp
  emptyDir: {}
{{- end }}

{{/* Storage settings of registry:2, shared by the registry and its garbage collection. */}}
{{- define "crgate.registry.storageEnv" -}}
{{- if and (eq .Values.registry.storage.type "s3") .Values.registry.storage.s3.existingSecret }}
- name: REGISTRY_STORAGE_S3_ACCESSKEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.registry.storage.s3.existingSecret }}
      key: accessKey
- name: REGISTRY_STORAGE_S3_SECRETKEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.registry.storage.s3.existingSecret }}
      key: secretKey
{{- end }}
{{- end }}

{{- define "crgate.registry.claimName" -}}
{{- default (printf "%s-registry-data" (include "crgate.fullname" .)) .Values.registry.storage.filesystem.existingClaim }}
{{- end }}

{{/* Checks across values that the schema cannot express; each failure names the value. */}}
{{- define "crgate.validate" -}}
{{- $_ := required "hostname is required: the web origin, such as registry.example.com (the registry is then served at containers.registry.example.com)" .Values.hostname }}
{{- $_ = include "crgate.registryUrl" . }}
{{- $_ = include "crgate.redisUrl" . }}
{{- if eq .Values.directory.provider "github" }}
{{- $_ = include "crgate.githubCredential" . }}
{{- end }}
{{- if and .Values.registry.enabled (eq .Values.registry.storage.type "filesystem") (gt (int .Values.registry.replicaCount) 1) }}
{{- fail "registry.replicaCount: filesystem storage is one ReadWriteOnce volume, so the registry runs one replica; use registry.storage.type=s3 for more" }}
{{- end }}
{{- if and .Values.registry.enabled (eq .Values.registry.storage.type "s3") }}
{{- $_ = required "registry.storage.s3.bucket is required when registry.storage.type=s3" .Values.registry.storage.s3.bucket }}
{{- if not (or .Values.registry.storage.s3.region .Values.registry.storage.s3.regionEndpoint) }}
{{- fail "registry.storage.s3.region is required when registry.storage.type=s3 (or registry.storage.s3.regionEndpoint for an S3-compatible service)" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The rotated-out keys' files, comma-separated, for CRGATE_JWT_PREVIOUS_KEY_FILES. */}}
{{- define "crgate.previousKeyFiles" -}}
{{- $files := list }}
{{- range .Values.jwt.previousKeys }}
{{- $files = append $files (printf "/etc/crgate/jwt/%s" .) }}
{{- end }}
{{- join "," $files }}
{{- end }}
