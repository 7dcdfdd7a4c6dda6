#!/usr/bin/env bash
# podsec side by side with its peers, on the benchmark corpora:
#   - the language server against yaml-language-server (npm) with the
#     Kubernetes JSON schema of the PyPI package kubernetes-validate, as a
#     local file: the same files, edits, hover and completion requests;
#   - `podsec check` against `checkov --framework kubernetes` (PyPI) on the
#     directory of generated manifests.
# The peers are installed on demand into a scratch folder (default
# target/compare/); the servers and checkov then run without a network
# (`unshare -n`, where it is allowed), as they would offline.
#
# Usage: server/benches/compare.sh
# Environment: COMPARE_DIR (scratch folder), COMPARE_EDITS (default 20: an
# edit costs yaml-language-server seconds on the larger files), COMPARE_REQUESTS
# (default 100), COMPARE_CORPUS (default pod,10k,2mb),
# COMPARE_CHECKOV_FILES (checkov on the first N files only, default all).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
scratch=${COMPARE_DIR:-$root/target/compare}
edits=${COMPARE_EDITS:-20}
requests=${COMPARE_REQUESTS:-100}
corpus=${COMPARE_CORPUS:-pod,10k,2mb}
yamlls_version=1.25.0 # the newest that runs on Node 20 (2.x needs Node 22)
checkov_version=3.3.30
kubernetes_validate_version=1.37.0
mkdir -p "$scratch"
results=$root/target/bench-results
mkdir -p "$results"

say() { echo "--- $*" >&2; }

offline=()
if unshare -n true 2>/dev/null; then offline=(unshare -n); else say "unshare -n not allowed: the peers run with the network"; fi

# --- yaml-language-server
yamlls=$scratch/node_modules/yaml-language-server/bin/yaml-language-server
if [ ! -f "$yamlls" ]; then
    say "installing yaml-language-server $yamlls_version"
    npm install --prefix "$scratch" --no-audit --no-fund --loglevel=error "yaml-language-server@$yamlls_version"
fi

# --- the Kubernetes JSON schema, from kubernetes-validate's wheel: its
# newest `vX.Y.Z-local-strict` folder has `_definitions.json` (every type)
# and `all.json` (one of every type, which yaml-language-server finds
# ambiguous: "Matches multiple schemas" on every document, and no
# completion). So the schema given to it is made here: `kubernetes.json`
# picks the type by `apiVersion` and `kind` (if/then), as its built-in
# Kubernetes support does by name; `_definitions.json` refers to itself
# locally instead of by its https `$id`, so nothing is fetched.
schema=$scratch/kubernetes-schema
if [ ! -f "$schema/kubernetes.json" ]; then
    say "extracting the Kubernetes schema from kubernetes-validate $kubernetes_validate_version"
    wheels=$scratch/wheels
    mkdir -p "$wheels"
    python3 -m pip download --quiet --disable-pip-version-check --no-deps -d "$wheels" "kubernetes-validate==$kubernetes_validate_version"
    python3 - "$wheels"/kubernetes_validate-*.whl "$schema" <<'EOF'
import json, re, sys, zipfile, pathlib
wheel, out = sys.argv[1], pathlib.Path(sys.argv[2])
with zipfile.ZipFile(wheel) as z:
    folders = {n.split("/")[2] for n in z.namelist() if "/kubernetes-json-schema/" in n and n.count("/") >= 3}
    strict = sorted((f for f in folders if f.endswith("-local-strict")),
                    key=lambda f: [int(x) for x in re.findall(r"\d+", f)])
    newest = strict[-1]
    definitions = json.loads(z.read(f"kubernetes_validate/kubernetes-json-schema/{newest}/_definitions.json")
                             .decode().replace('"/api/_definitions.json#', '"#'))
definitions.pop("$id", None)
out.mkdir(parents=True, exist_ok=True)
(out / "_definitions.json").write_text(json.dumps(definitions))
kinds = []
for name, schema in definitions["$defs"].items():
    for gvk in schema.get("x-kubernetes-group-version-kind", []):
        api = f"{gvk['group']}/{gvk['version']}" if gvk["group"] else gvk["version"]
        kinds.append({
            "if": {"properties": {"apiVersion": {"const": api}, "kind": {"const": gvk["kind"]}},
                   "required": ["apiVersion", "kind"]},
            "then": {"$ref": f"_definitions.json#/$defs/{name}"},
        })
(out / "kubernetes.json").write_text(json.dumps({"$schema": definitions["$schema"], "allOf": kinds}, indent=1))
(out / "VERSION").write_text(newest + "\n")
print(f"schema: {newest}, {len(kinds)} kinds", file=sys.stderr)
EOF
fi
schema_uri="file://$schema/kubernetes.json"
yamlls_settings=$(printf '{"yaml":{"schemas":{"%s":"*.yaml"},"validate":true,"hover":true,"completion":true,"format":{"enable":false},"schemaStore":{"enable":false},"keyOrdering":false}}' "$schema_uri")

# --- checkov
checkov=$scratch/venv/bin/checkov
if [ ! -x "$checkov" ]; then
    say "installing checkov $checkov_version"
    python3 -m venv "$scratch/venv"
    "$scratch/venv/bin/pip" install --quiet --disable-pip-version-check "checkov==$checkov_version"
fi

# --- the language servers
say "podsec (cargo bench --bench lsp)"
cargo bench --bench lsp -- --corpus "$corpus" --edits "$edits" --requests "$requests" \
    --out "$results/compare-podsec.json" | tee "$results/compare-podsec.txt"
say "yaml-language-server $yamlls_version"
cargo bench --bench lsp -- --corpus "$corpus" --edits "$edits" --requests "$requests" \
    --server "${offline[*]} node $yamlls --stdio" --server-name yaml-language-server \
    --settings "$yamlls_settings" --timeout 600 --out "$results/compare-yaml-language-server.json" \
    | tee "$results/compare-yaml-language-server.txt"

# --- podsec check against checkov, on the same directory (written by the
# bench above)
manifests=$root/target/bench-corpus/manifests
subset=$manifests
if [ -n "${COMPARE_CHECKOV_FILES:-}" ]; then
    subset=$scratch/checkov-subset
    rm -rf "$subset"
    mkdir -p "$subset"
    find "$manifests" -type f | sort | head -n "$COMPARE_CHECKOV_FILES" | while read -r f; do
        mkdir -p "$subset/$(dirname "${f#"$manifests"/}")"
        cp "$f" "$subset/${f#"$manifests"/}"
    done
fi
files=$(find "$subset" -type f | wc -l)
podsec=$root/target/release/podsec
now() { date +%s.%N; }
say "podsec check on $files files"
start=$(now)
"${offline[@]}" "$podsec" check --quiet --format json "$subset" >"$scratch/podsec-check.json" || true
podsec_s=$(echo "$(now) - $start" | bc)
say "checkov --framework kubernetes on $files files (this takes a while)"
start=$(now)
"${offline[@]}" "$checkov" --framework kubernetes -d "$subset" --skip-download --quiet --compact -o json \
    >"$scratch/checkov.json" 2>"$scratch/checkov.stderr" || true
checkov_s=$(echo "$(now) - $start" | bc)

python3 - "$results" "$files" "$podsec_s" "$checkov_s" "$scratch" <<'EOF'
import json, sys, pathlib
results, files, podsec_s, checkov_s, scratch = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
p = json.load(open(f"{results}/compare-podsec.json"))
y = json.load(open(f"{results}/compare-yaml-language-server.json"))
m = p["machine"]
print(f"\nmachine: {m['cpus']} cores, {m['cpu']}, {m['memory_gb']} GB RAM")
print(f"{'file':<18} {'figure':<26} {'podsec':>12} {'yaml-ls':>12} {'yaml-ls/podsec':>15}")
def row(name, figure, a, b):
    fmt = lambda v: "-" if v is None else f"{v:.2f}"
    ratio = "-" if a in (None, 0) or b is None else f"{b / a:.1f}x"
    print(f"{name:<18} {figure:<26} {fmt(a):>12} {fmt(b):>12} {ratio:>15}")
summary = {"machine": m, "files": []}
for pf, yf in zip(p["files"], y["files"]):
    name = pf["file"]
    figures = [
        ("first diagnostics ms", pf["first_diagnostics_ms"], yf["first_diagnostics_ms"]),
        ("edit -> diagnostics p50 ms", pf["edit"]["p50_ms"], yf["edit"]["p50_ms"]),
        ("edit -> diagnostics p99 ms", pf["edit"]["p99_ms"], yf["edit"]["p99_ms"]),
        ("hover p50 ms", pf["hover"]["p50_ms"], yf["hover"]["p50_ms"]),
        ("hover p99 ms", pf["hover"]["p99_ms"], yf["hover"]["p99_ms"]),
        ("completion p50 ms", pf["completion"]["p50_ms"], yf["completion"]["p50_ms"]),
        ("completion p99 ms", pf["completion"]["p99_ms"], yf["completion"]["p99_ms"]),
        ("peak RSS MB", pf["peak_rss_mb"], yf["peak_rss_mb"]),
    ]
    for figure, a, b in figures:
        row(name, figure, a, b)
    for who, f in (("podsec", pf), ("yaml-ls", yf)):
        print(f"{'':<18} {who}: {f['first_diagnostics_count']} diagnostics on open; hover answered "
              f"{f['hover']['answered']}/{f['hover']['count']}, completion {f['completion']['answered']}/{f['completion']['count']}"
              + (f"; FAILED: {f['failures']}" if f["failures"] else ""))
    summary["files"].append({"file": name, "figures": {f: {"podsec": a, "yaml-language-server": b} for f, a, b in figures}})
try:
    findings = len(json.load(open(f"{scratch}/podsec-check.json")))
except Exception:
    findings = None
try:
    c = json.load(open(f"{scratch}/checkov.json"))
    reports = c if isinstance(c, list) else [c]
    failed = sum(r.get("summary", {}).get("failed", 0) for r in reports)
    passed = sum(r.get("summary", {}).get("passed", 0) for r in reports)
except Exception:
    failed = passed = None
print(f"\non {files} manifests: podsec check {podsec_s:.2f} s ({findings} findings), "
      f"checkov --framework kubernetes {checkov_s:.2f} s ({passed} passed, {failed} failed checks): "
      f"podsec {checkov_s / podsec_s:.0f}x faster")
summary["check"] = {"files": files, "podsec_s": podsec_s, "checkov_s": checkov_s, "ratio": checkov_s / podsec_s,
                    "podsec_findings": findings, "checkov_failed": failed, "checkov_passed": passed}
json.dump(summary, open(f"{results}/compare.json", "w"), indent=2)
print(f"results: {results}/compare.json")
EOF
