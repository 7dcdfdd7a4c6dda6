{{/*
Whether the cluster is OpenShift (it serves the SecurityContextConstraints API).
*/}}
{{- define "common.compatibility.isOpenshift" -}}
{{- if .Capabilities.APIVersions.Has "security.openshift.io/v1" -}}
true
{{- end -}}
{{- end -}}

{{/*
A securityContext section of the values, rendered for the platform:
- `enabled` is the chart's switch, not a field: always left out;
- on OpenShift (`global.compatibility.openshift.adaptSecurityContext`
  `force`, or `auto` on a cluster that is one) the user and group IDs are
  left out, since the project's SCC assigns them, and so is an empty
  `seLinuxOptions`;
- `global.compatibility.omitEmptySeLinuxOptions` leaves out an empty
  `seLinuxOptions` anywhere;
- a privileged container has every capability: `capabilities` is left out.
Usage:
{{ include "common.compatibility.renderSecurityContext" (dict "secContext" .Values.containerSecurityContext "context" $) }}
*/}}
{{- define "common.compatibility.renderSecurityContext" -}}
{{- $rendered := omit .secContext "enabled" -}}
{{- $compatibility := dig "compatibility" dict (.context.Values.global | default dict) -}}
{{- $adapt := dig "openshift" "adaptSecurityContext" "" $compatibility -}}
{{- if or (eq $adapt "force") (and (eq $adapt "auto") (include "common.compatibility.isOpenshift" .context)) -}}
  {{- $rendered = omit $rendered "fsGroup" "runAsUser" "runAsGroup" -}}
  {{- if not .secContext.seLinuxOptions -}}
    {{- $rendered = omit $rendered "seLinuxOptions" -}}
  {{- end -}}
{{- end -}}
{{- if and (get $compatibility "omitEmptySeLinuxOptions") (not .secContext.seLinuxOptions) -}}
  {{- $rendered = omit $rendered "seLinuxOptions" -}}
{{- end -}}
{{- if $rendered.privileged -}}
  {{- $rendered = omit $rendered "capabilities" -}}
{{- end -}}
{{- toYaml $rendered -}}
{{- end -}}
