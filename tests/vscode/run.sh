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

# Debian packages: the toolchain code-server's native modules build with,
# Chromium and ripgrep. Installing them needs root (or sudo without a
# password); without them the test fails, it does not skip.
need=(build-essential pkg-config python3 libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev chromium ripgrep fonts-dejavu-core)
installed=$(dpkg-query -W -f='${Status}\n' "${need[@]}" 2>/dev/null | grep -c 'install ok installed' || true)
if [ "$installed" != "${#need[@]}" ] || [ ! -x /usr/bin/chromium ]; then
    sudo=""
    if [ "$(id -u)" != 0 ]; then
        command -v sudo >/dev/null && sudo -n true 2>/dev/null \
            || { echo "vscode end-to-end: needs ${need[*]} (apt-get as root or sudo -n)"; exit 1; }
        sudo="sudo -n"
    fi
    export DEBIAN_FRONTEND=noninteractive
    { $sudo apt-get update -q && $sudo apt-get install -y -q "${need[@]}"; } > "$CACHE/apt.log" 2>&1 \
        || { tail -20 "$CACHE/apt.log"; echo "vscode end-to-end: apt-get install failed"; exit 1; }
fi
[ -x /usr/bin/chromium ] || { echo "vscode end-to-end: no /usr/bin/chromium"; exit 1; }

# code-server's dependencies build native modules; @vscode/ripgrep would
# download rg from GitHub: Debian's rg stands in as its cached download.
TMPDIR_ORIG=${TMPDIR:-/tmp}
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
trap '[ -z "${CS_PID:-}" ] || kill -- -"$CS_PID" 2>/dev/null || true; rm -rf "$RUN"' EXIT
mkdir -p "$RUN"/{ws,data/User,ext,home}
cp -r "$HERE"/workspace/. "$RUN/ws/"
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
# The package carries the release server when one is named.
if [ -n "${PODSEC_RELEASE_BIN:-}" ] && ! cmp -s "$BUNDLED" "$PODSEC_RELEASE_BIN"; then
    echo "vscode end-to-end: the package's bin/podsec is not $PODSEC_RELEASE_BIN"; exit 1
fi
rc=0
( cd "$HERE" && VSCODE_E2E_RUN="$RUN" PODSEC_BUNDLED="$BUNDLED" timeout 600 node drive.mjs "$PORT" ) || rc=$?
if [ $rc != 0 ]; then
    echo "--- extension host log"
    cat "$RUN"/data/logs/*/exthost*/remoteexthost.log 2>/dev/null | tail -40 || true
    # The screenshots (one per failed check) and logs outlive the run.
    kept=$(mktemp -d "${TMPDIR_ORIG:-/tmp}/podsec-vscode-e2e.XXXXXX")
    cp -r "$RUN/shots" "$RUN/code-server.log" "$RUN/data/logs" "$kept/" 2>/dev/null || true
    echo "vscode end-to-end: screenshots and logs in $kept"
fi
exit $rc
