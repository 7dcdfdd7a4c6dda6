#!/usr/bin/env bash
# The VS Code extension in a real VS Code: code-server (VS Code 1.100.3)
# from npm, the linux-x64 .vsix that carries the server installed in it,
# the workbench driven in Debian's Chromium by drive.mjs. Prints one line
# per check and fails if any fails.
#   tests/vscode/run.sh VSIX          (from the repository root)
# Installs what it needs (Debian packages as root, npm packages) into
# .cache/vscode-e2e, reused by later runs.
set -euo pipefail
VSIX=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${PODSEC_VSCODE_CACHE:-$PWD/.cache/vscode-e2e}
CODE_SERVER=4.100.3      # VS Code 1.100.3; later releases need Node 22
PORT=${PORT:-8093}
mkdir -p "$CACHE"/{tmp,cs,rg}

need=(build-essential pkg-config python3 libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev chromium ripgrep fonts-dejavu-core)
missing=$(dpkg-query -W -f='${Package} ${Status}\n' "${need[@]}" 2>/dev/null | grep -vc 'install ok installed' || true)
if [ "$missing" != 0 ] || ! command -v chromium >/dev/null; then
    sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo -n"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -q >/dev/null
    $sudo apt-get install -y -q "${need[@]}" >/dev/null
fi

# code-server's dependencies build native modules; @vscode/ripgrep would
# download rg from GitHub: Debian's rg stands in as its cached download.
export TMPDIR="$CACHE/tmp"
if [ ! -x "$CACHE/cs/node_modules/.bin/code-server" ]; then
    mkdir -p "$TMPDIR/vscode-ripgrep-cache-1.15.11"
    cp /usr/bin/rg "$CACHE/rg/rg"
    tar czf "$TMPDIR/vscode-ripgrep-cache-1.15.11/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$CACHE/rg" rg
    [ -f "$CACHE/cs/package.json" ] || echo '{"name":"code-server-install","private":true}' > "$CACHE/cs/package.json"
    ( cd "$CACHE/cs"
      export npm_config_dangerously_allow_all_scripts=true npm_config_unsafe_perm=true npm_config_yes=true npm_config_nodedir=/usr
      npm install --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER" > "$CACHE/install.log" 2>&1 ) \
        || { tail -40 "$CACHE/install.log"; exit 1; }
fi
( cd "$HERE" && npm install --no-audit --no-fund --loglevel=error >/dev/null )

# A fresh profile and workspace for every run.
RUN=$(mktemp -d)
trap 'kill -- -$CS_PID 2>/dev/null || true; rm -rf "$RUN"' EXIT
mkdir -p "$RUN"/{ws,data/User,ext,home}
cp "$HERE"/workspace/*.yaml "$RUN/ws/"
cat > "$RUN/data/User/settings.json" <<JSON
{
  "workbench.startupEditor": "none", "security.workspace.trust.enabled": false,
  "telemetry.telemetryLevel": "off", "extensions.autoCheckUpdates": false, "extensions.autoUpdate": false,
  "update.mode": "none", "workbench.tips.enabled": false, "editor.inlayHints.enabled": "on"
}
JSON
CS="$CACHE/cs/node_modules/.bin/code-server"
ARGS=(--user-data-dir "$RUN/data" --extensions-dir "$RUN/ext")
# A PATH without podsec, and no login-shell lookup (VSCODE_CLI): the
# extension must find the server it carries.
export HOME="$RUN/home" XDG_CONFIG_HOME="$RUN/home/.config" XDG_DATA_HOME="$RUN/home/.local/share" VSCODE_CLI=1
export PATH=/usr/local/bin:/usr/bin:/bin
"$CS" "${ARGS[@]}" --install-extension "$VSIX" --force >/dev/null
setsid "$CS" "${ARGS[@]}" --bind-addr "127.0.0.1:$PORT" --auth none --disable-telemetry --disable-update-check \
    --disable-workspace-trust --disable-getting-started-override > "$RUN/code-server.log" 2>&1 &
CS_PID=$!
for _ in $(seq 90); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 1; done
BUNDLED=$(ls "$RUN"/ext/podsec.podsec-*/bin/podsec)
rc=0
( cd "$HERE" && VSCODE_E2E_RUN="$RUN" PODSEC_BUNDLED="$BUNDLED" timeout 600 node drive.mjs "$PORT" ) || rc=$?
if [ $rc != 0 ]; then
    echo "--- extension host log"
    cat "$RUN"/data/logs/*/exthost*/remoteexthost.log 2>/dev/null | tail -40 || true
    mkdir -p "$PWD/.cache/vscode-e2e/failed" && cp -r "$RUN/shots" "$PWD/.cache/vscode-e2e/failed/" 2>/dev/null || true
fi
exit $rc
