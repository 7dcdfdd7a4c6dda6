#!/usr/bin/env bash
# Fills each fuzz target's corpus (server/fuzz/corpus/<target>) with the
# YAML of the test fixtures and the examples, named by content so a rerun
# adds nothing twice. Usage: server/fuzz/seed.sh [target...]
set -euo pipefail
fuzz="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$fuzz/../.." && pwd)"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(syntax analysis ide fixes)

mapfile -d '' seeds < <(find "$root/tests/fixtures" "$root/examples" -type f \( -name '*.yaml' -o -name '*.yml' \) -print0)
for target in "${targets[@]}"; do
    corpus="$fuzz/corpus/$target"
    mkdir -p "$corpus"
    for seed in "${seeds[@]}"; do
        # Hover and completion fixtures mark the cursor with `$0`: seed the text without it.
        content=$(sed 's/\$0//g' "$seed"; echo x)
        content=${content%x}
        name=$(printf '%s' "$content" | sha1sum | cut -c1-40)
        [ -e "$corpus/$name" ] || printf '%s' "$content" > "$corpus/$name"
    done
done
echo "fuzz corpora seeded from ${#seeds[@]} files: ${targets[*]}"
