#!/usr/bin/env bash
# End-to-end test of the pre-commit hooks (.pre-commit-hooks.yaml) with the
# real pre-commit: a throwaway repository whose .pre-commit-config.yaml
# points at this checkout, as a user's points at the podsec repository.
#
#   PODSEC_PRE_COMMIT  the pre-commit to run (default: .venv/bin/pre-commit
#                      of the repository this script is in)
#   PODSEC_CHECKOUT    the podsec repository the config points at (default:
#                      the one this script is in); pre-commit clones it at
#                      its HEAD, so only committed files are tested
#   CARGO_TARGET_DIR   where the hook builds podsec (default: the checkout's
#                      target/, so the release dependencies built there are
#                      reused and only the podsec crate itself compiles)
#
# Prints `PASS name` or `FAIL name :: detail` per check, then a summary line;
# exits non-zero on any failure.
set -uo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
checkout=$(cd -- "${PODSEC_CHECKOUT:-$here}" && pwd -P) || { echo "no checkout at ${PODSEC_CHECKOUT:-$here}"; exit 2; }
pre_commit=${PODSEC_PRE_COMMIT:-$here/.venv/bin/pre-commit}
if ! "$pre_commit" --version >/dev/null 2>&1; then
    echo "pre-commit not found at $pre_commit (set PODSEC_PRE_COMMIT, or: .venv/bin/pip install 'pre-commit>=4,<5')"
    exit 2
fi
rev=$(git -C "$checkout" rev-parse HEAD) || { echo "$checkout is not a git repository"; exit 2; }

# Nothing of the caller's git or pre-commit state leaks in (as when this
# runs from inside a git hook).
unset $(git rev-parse --local-env-vars) SKIP PRE_COMMIT_COLOR
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$checkout/target}
export CARGO_TERM_COLOR=never NO_COLOR=1

tmp=$(mktemp -d "${TMPDIR:-/tmp}/podsec-pre-commit.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export PRE_COMMIT_HOME="$tmp/cache"

echo "pre-commit end-to-end: $("$pre_commit" --version), hooks from $checkout at ${rev:0:12}"

failed=0
out=""
pass() { echo "PASS $1"; }
fail() {
    echo "FAIL $1 :: $2"
    failed=$((failed + 1))
    if [ -n "$out" ] && [ -f "$out" ]; then
        echo "    --- pre-commit output ($out_name) ---"
        sed 's/^/    /' "$out"
        echo "    ---"
    fi
}
check() { # check NAME DETAIL COMMAND...
    local name=$1 detail=$2
    shift 2
    if "$@"; then pass "$name"; else fail "$name" "$detail"; fi
}
contains() { grep -qF -- "$2" "$1"; }
lacks() { ! grep -qF -- "$2" "$1"; }

# run NAME DIR [ARGS...]: pre-commit run --all-files in DIR; sets $status
# and $out (the output file).
run() {
    local name=$1 dir=$2
    shift 2
    out_name=$name
    out="$tmp/$name.out"
    (cd "$dir" && "$pre_commit" run --all-files --color never "$@") >"$out" 2>&1
    status=$?
}

# Each key's path in a block-style manifest, for the keys named KEY:
# `spec.template.spec.securityContext.fsGroup` (list items add no index).
key_paths() { # key_paths KEY FILE
    awk -v want="$1" '
        {
            line = $0
            sub(/[ \t]+#.*$/, "", line)
            if (line ~ /^[ \t]*(#.*)?$/ || line ~ /^(---|\.\.\.)/) next
            match(line, /^ */); indent = RLENGTH; rest = substr(line, indent + 1)
            while (rest ~ /^- /) { rest = substr(rest, 3); indent += 2 }
            if (!match(rest, /^[A-Za-z0-9_.\/-]+:/)) next
            key = substr(rest, 1, RLENGTH - 1)
            while (depth > 0 && indents[depth] >= indent) depth--
            depth++; indents[depth] = indent; keys[depth] = key
            if (key == want) {
                path = keys[1]
                for (i = 2; i <= depth; i++) path = path "." keys[i]
                print path
            }
        }' "$2"
}

# The line:column of KEY's first occurrence, as podsec reports it (columns
# from 1; the manifests are ASCII).
position() { # position KEY FILE
    awk -v want="$1" '{ if (match($0, "[^ -]" )) { s = substr($0, RSTART); if (index(s, want ":") == 1) { print NR ":" RSTART; exit } } }' "$2"
}

new_repo() { # new_repo DIR
    mkdir -p "$1" && git -C "$1" init -q
}

# ---------------------------------------------------------------- manifests

deployment() { # deployment POD_FSGROUP CONTAINER_FSGROUP: the pod and container lines
    cat <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: payments-api
  namespace: payments
  labels:
    app.kubernetes.io/name: payments-api
spec:
  replicas: 2
  selector:
    matchLabels:
      app.kubernetes.io/name: payments-api
  template:
    metadata:
      labels:
        app.kubernetes.io/name: payments-api
    spec:
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        runAsGroup: 10001
$1        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: api
          image: registry.example.com/payments-api:1.4.2
          ports:
            - containerPort: 8080
          securityContext:
$2            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: ["ALL"]
          resources:
            requests:
              cpu: 100m
              memory: 128Mi
            limits:
              memory: 256Mi
EOF
}

web() {
    cat <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: payments
  labels:
    app.kubernetes.io/name: web
spec:
  replicas: 3
  selector:
    matchLabels:
      app.kubernetes.io/name: web
  template:
    metadata:
      labels:
        app.kubernetes.io/name: web
    spec:
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        runAsGroup: 10001
        fsGroup: 10001
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: web
          image: registry.example.com/web:2.0.1
          ports:
            - containerPort: 8080
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: ["ALL"]
          resources:
            requests:
              cpu: 100m
              memory: 128Mi
            limits:
              memory: 256Mi
EOF
}

ledger() { # a StatefulSet with fsGroup in its container securityContext
    cat <<'EOF'
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: ledger
  namespace: finance
spec:
  serviceName: ledger
  replicas: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: ledger
  template:
    metadata:
      labels:
        app.kubernetes.io/name: ledger
    spec:
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        runAsUser: 20001
        runAsGroup: 20001
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: ledger
          image: registry.example.com/ledger:3.2.0
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            fsGroup: 20001
            capabilities:
              drop: ["ALL"]
          volumeMounts:
            - name: data
              mountPath: /var/lib/ledger
          resources:
            requests:
              cpu: 250m
              memory: 256Mi
            limits:
              memory: 512Mi
  volumeClaimTemplates:
    - metadata:
        name: data
      spec:
        accessModes: ["ReadWriteOnce"]
        resources:
          requests:
            storage: 10Gi
EOF
}

config() { # config HOOK_ID
    cat <<EOF
repos:
  - repo: $checkout
    rev: $rev
    hooks:
      - id: $1
EOF
}

# ------------------------------------------------------------------- checks

# Without cargo, the hook says what to install, on one line, and exits 2.
hook="$checkout/editors/pre-commit/podsec-hook"
nocargo=$(env PATH="$tmp/empty" "$BASH" "$hook" check x.yaml 2>&1 </dev/null)
nocargo_status=$?
check "hook without cargo: a one-line message, exit 2" "exit $nocargo_status, output: $nocargo" \
    test "$nocargo_status" = 2 -a "$(printf '%s\n' "$nocargo" | wc -l)" = 1 -a -n "$(grep -i 'rust toolchain' <<<"$nocargo")"

# `podsec`: an error fails the commit, named at its line and column.
repo="$tmp/app"
new_repo "$repo"
mkdir -p "$repo/deploy"
config podsec >"$repo/.pre-commit-config.yaml"
deployment "" "            fsGroup: 10001
" >"$repo/deploy/payments-api.yaml"
web >"$repo/deploy/web.yaml"
git -C "$repo" add -A
at=$(position fsGroup "$repo/deploy/payments-api.yaml")

run podsec-error "$repo"
check "podsec: an error fails the hook" "exit $status, want non-zero" test "$status" != 0
check "podsec: reported as Failed" "no 'podsec....Failed' line" grep -qE '^podsec\.+Failed' "$out"
check "podsec: finding at deploy/payments-api.yaml:$at pod-only-field" "no 'deploy/payments-api.yaml:$at: error[pod-only-field]'" \
    contains "$out" "deploy/payments-api.yaml:$at: error[pod-only-field]"
check "podsec: the clean file is not reported" "deploy/web.yaml named in the output" lacks "$out" "deploy/web.yaml"
check "podsec: the summary line is shown" "no 'Found 1 error' summary" contains "$out" "Found 1 error"
bin="$CARGO_TARGET_DIR/release/podsec"
clean=$("$bin" check "$repo/deploy/web.yaml" 2>&1)
clean_status=$?
out=""
check "podsec check on the clean manifest: no findings" "exit $clean_status: $clean" test "$clean_status" = 0 -a -z "$(grep -F 'web.yaml:' <<<"$clean")"

# Fixed by hand (fsGroup moved to the pod securityContext): passes.
deployment "        fsGroup: 10001
" "" >"$repo/deploy/payments-api.yaml"
git -C "$repo" add -A
run podsec-fixed-by-hand "$repo"
check "podsec: passes once fixed by hand" "exit $status, want 0" test "$status" = 0
check "podsec: reported as Passed" "no 'podsec....Passed' line" grep -qE '^podsec\.+Passed' "$out"

# `podsec-fix`: the safe fix is applied in place, so the hook fails (it
# modified a file); the next run passes.
repo="$tmp/ops"
new_repo "$repo"
mkdir -p "$repo/k8s"
config podsec-fix >"$repo/.pre-commit-config.yaml"
ledger >"$repo/k8s/ledger.yaml"
git -C "$repo" add -A
at=$(position fsGroup "$repo/k8s/ledger.yaml")

run podsec-fix-first "$repo"
check "podsec-fix: fails when it fixes a file" "exit $status, want non-zero" test "$status" != 0
check "podsec-fix: reports the files were modified" "no 'files were modified by this hook'" contains "$out" "files were modified by this hook"
check "podsec-fix: says what it fixed" "no 'fixed 1 finding (pod-only-field)'" contains "$out" "fixed 1 finding (pod-only-field)"
check "podsec-fix: no error remains in the report" "pod-only-field at k8s/ledger.yaml:$at still reported" lacks "$out" "k8s/ledger.yaml:$at: error"
paths=$(key_paths fsGroup "$repo/k8s/ledger.yaml" | tr '\n' ' ')
check "podsec-fix: fsGroup now under the pod securityContext" "fsGroup found at: ${paths:-nowhere}" \
    test "$paths" = "spec.template.spec.securityContext.fsGroup "
check "podsec-fix: the rest of the file is unchanged" "other lines changed" \
    test "$(ledger | grep -v 'fsGroup' | cksum)" = "$(grep -v 'fsGroup' "$repo/k8s/ledger.yaml" | cksum)"

git -C "$repo" add -A
run podsec-fix-second "$repo"
check "podsec-fix: the next run passes" "exit $status, want 0" test "$status" = 0
check "podsec-fix: reported as Passed" "no 'podsec (fix)....Passed' line" grep -qE '^podsec \(fix\)\.+Passed' "$out"

if [ "$failed" = 0 ]; then
    echo "pre-commit end-to-end: all passed"
else
    echo "pre-commit end-to-end: $failed failed"
    exit 1
fi
