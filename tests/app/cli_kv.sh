#!/usr/bin/env bash
# `atelier-cli kv` (CLI.md, Inference): kv save prefills and stores a named checkpoint in
# <data-dir>/kvcache/checkpoints.db; list/show/verify describe it with the contract's fields; a
# damaged checkpoint makes verify exit 3; delete removes it; bad ids and files exit non-zero.
set -u
cli="$1"
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
check() {  # check NAME CONDITION-EXIT-CODE
    if [ "$2" = 0 ]; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi
}
data="$tmp/data"
"$cli" model create --preset tiny --out "$tmp/m" --seed 3 >/dev/null 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }
printf 'The quick brown fox jumps over the lazy dog. %.0s' $(seq 1 12) >"$tmp/prompt.txt"

"$cli" --data-dir "$data" kv save --model "$tmp/m" --prompt-file "$tmp/prompt.txt" --raw --name fox --json >"$tmp/save.json" 2>"$tmp/err"
check "kv save exits 0" $?
grep -q '"name":"fox"' "$tmp/save.json"; check "kv save reports the name" $?
test -f "$data/kvcache/checkpoints.db"; check "the database is in <data-dir>/kvcache" $?

"$cli" --data-dir "$data" kv list --json >"$tmp/list.json" 2>"$tmp/err"
check "kv list exits 0" $?
for f in name fingerprint tokens strategy bytes last_used_ms; do
    grep -q "\"$f\"" "$tmp/list.json"; check "kv list has $f" $?
done
id=$(sed -n 's/.*"id":\([0-9]*\).*/\1/p' "$tmp/list.json" | head -1)
"$cli" --data-dir "$data" kv show "$id" --json | grep -q '"name":"fox"'; check "kv show ID" $?
"$cli" --data-dir "$data" kv verify --json | grep -q '"damaged":\[\]'; check "kv verify finds nothing damaged" $?

"$cli" --data-dir "$data" kv save --model "$tmp/m" --prompt-file "$tmp/prompt.txt" --name chat >/dev/null 2>&1
check "kv save with the chat template" $?

"$cli" --data-dir "$data" kv show 999 >/dev/null 2>&1; test $? -ne 0; check "kv show of a missing id fails" $?
"$cli" --data-dir "$data" kv save --model "$tmp/m" --prompt-file "$tmp/none.txt" --name x >/dev/null 2>&1
test $? = 3; check "a missing prompt file exits 3" $?
"$cli" --data-dir "$data" kv delete "$id" >/dev/null 2>&1; check "kv delete exits 0" $?
"$cli" --data-dir "$data" kv show "$id" >/dev/null 2>&1; test $? -ne 0; check "a deleted checkpoint is gone" $?

mkdir -p "$tmp/foreign/kvcache"
printf 'not a database at all, just text that is long enough to look like a header....' >"$tmp/foreign/kvcache/checkpoints.db"
"$cli" --data-dir "$tmp/foreign" kv list >/dev/null 2>"$tmp/err"; rc=$?
test $rc = 3 && grep -q '^atelier-cli: error: ' "$tmp/err"; check "a foreign database exits 3 with an error line" $?
exit $fail
