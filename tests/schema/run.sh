#!/usr/bin/env bash
# The .podsec.yaml settings schema (schemas/podsec-settings.schema.json) in
# a real YAML editor language server: yaml-language-server, pinned in
# package-lock.json, driven over LSP stdio by yamlls.mjs. Prints one line
# per check and fails if any fails.
#   tests/schema/run.sh [--verbose]
# (yaml-language-server 2.x declares Node >= 22.13 in its package.json;
# the checks pass on Node 20 too.)
set -euo pipefail
cd "$(dirname "$0")"
command -v node >/dev/null || { echo "settings schema: needs node and npm"; exit 1; }
# npm ci when node_modules is missing or older than the lock file.
if [ ! -f node_modules/yaml-language-server/bin/yaml-language-server ] \
    || [ ! node_modules/.package-lock.json -nt package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi
exec node yamlls.mjs "$@"
