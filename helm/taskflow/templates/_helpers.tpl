{{/* Names and labels. */}}
{{- define "taskflow.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "taskflow.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of one component: (dict "root" $ "component" "tasks-api") */}}
{{- define "taskflow.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "taskflow.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "taskflow.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "taskflow.secretName" -}}
{{- default (printf "%s-secrets" (include "taskflow.fullname" .)) .Values.secrets.existingSecret -}}
{{- end -}}

{{/* The image of a service: (dict "root" $ "name" "tasks") */}}
{{- define "taskflow.image" -}}
{{- $reg := .root.Values.image.registry -}}
{{- $tag := default .root.Chart.AppVersion .root.Values.image.tag -}}
{{- if $reg -}}{{ printf "%s/taskflow-%s:%s" $reg .name $tag }}{{- else -}}{{ printf "taskflow-%s:%s" .name $tag }}{{- end -}}
{{- end -}}

{{/* Environment of one service, from the ConfigMap and its own Secret keys:
     (dict "root" $ "name" "tasks") */}}
{{- define "taskflow.serviceEnv" -}}
{{- $root := .root -}}
envFrom:
  - configMapRef:
      name: {{ include "taskflow.fullname" $root }}-{{ .name }}
env:
{{- range (index $root.Values.secrets.keys .name) }}
  - name: {{ . }}
    valueFrom:
      secretKeyRef:
        name: {{ include "taskflow.secretName" $root }}
        key: {{ . }}
{{- end }}
{{- end -}}

{{- define "taskflow.podSpecCommon" -}}
automountServiceAccountToken: false
serviceAccountName: {{ include "taskflow.serviceAccountName" . }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{- define "taskflow.topologySpread" -}}
{{- if .root.Values.topologySpread }}
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: topology.kubernetes.io/zone
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "taskflow.selector" . | nindent 8 }}
{{- end }}
{{- end -}}

{{- define "taskflow.tmpVolume" -}}
volumes:
  - name: tmp
    emptyDir:
      sizeLimit: 256Mi
{{- end -}}
