{{/* ferry.name is the name of every object. */}}
{{- define "ferry.name" -}}
{{- default "ferry" .Values.nameOverride -}}
{{- end -}}

{{/* ferry.labels are the labels of every object and the pods' selector. */}}
{{- define "ferry.labels" -}}
app.kubernetes.io/name: {{ include "ferry.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
