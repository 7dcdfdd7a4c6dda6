---@brief
---
--- https://github.com/podsec/podsec
---
--- podsec checks Kubernetes pod and container `securityContext` settings as
--- you type: misplaced pod-only and container-only fields, typos, bad
--- values, the Pod Security Standards and best practices. It runs beside
--- `yamlls` on the same YAML buffers.
---
--- Install the `podsec` binary (`cargo install --path server` in its
--- repository) so that it is on `PATH`.
---
--- Settings go under `podsec`; leave a key out to keep what the nearest
--- `.podsec.yaml` says:
---
--- ```lua
--- vim.lsp.config('podsec', {
---   settings = {
---     podsec = {
---       profile = 'baseline',            -- baseline | restricted | privileged
---       kubernetesVersion = '1.30',      -- a string: 1.30 is not 1.3
---       bestPractices = false,
---       rules = { ['pss/runAsUser'] = 'error', ['low-user-id'] = 'off' },
---       namespaceLabels = true,          -- judge by the workspace's Namespace labels
---       helm = {
---         valuesFiles = { 'values-prod.yaml' }, -- relative to each chart's folder, over its values.yaml
---         openshift = false,             -- true: an OpenShift cluster (Bitnami charts adapt)
---       },
---       inlayHints = true,               -- inherited pod values on containers
---       verdictHints = false,            -- the verdict as a hint instead of a code lens
---       maxFileSizeMB = 50,              -- larger files get one notice, no analysis
---     },
---   },
--- })
--- ```
---
--- The inherited pod values are inlay hints: turn them on with
--- `vim.lsp.inlay_hint.enable(true)`. Each workload's verdict
--- (`baseline ✓ · restricted ✗ 3`) is a code lens: refresh lenses with
--- `vim.lsp.codelens.refresh()` (e.g. on `BufEnter`, `InsertLeave`) and run
--- one with `vim.lsp.codelens.run()` to list the violations.

---@type vim.lsp.Config
return {
  cmd = { 'podsec', 'lsp' },
  filetypes = { 'yaml', 'helm' },
  root_markers = { '.podsec.yaml', '.git' },
}
