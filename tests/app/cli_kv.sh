#!/usr/bin/env bash
# `atelier-cli kv` (CLI.md, Inference): kv save prefills and stores a named checkpoint in
# <data-dir>/kvcache/checkpoints.db; list/show/verify describe it with the contract's fields; a
# damaged checkpoint makes verify exit 3; delete removes it; bad ids and files exit non-zero.
# generate --checkpoint NAME continues from the checkpoint without prefilling it and gives the
# same tokens as the whole text prefilled (greedy and seeded); a damaged one is reported on
# stderr and recomputed with the same tokens. generate reuses the automatic disk checkpoints of
# an earlier process (cached_tokens > 0, same tokens) unless --no-disk-cache. Issue 21: kv verify
# decodes what it checks, so garbage stored with matching chunk CRCs exits 3 too.
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

# generate --checkpoint: the checkpoint's tokens, then --prompt's, none of the former prefilled.
printf 'The quick brown fox jumps over the lazy dog. %.0s' $(seq 1 30) >"$tmp/long.txt"
"$cli" --data-dir "$data" kv save --model "$tmp/m" --prompt-file "$tmp/long.txt" --raw --name doc --json >"$tmp/doc.json" 2>"$tmp/err"
check "kv save of a longer prompt" $?
doc_tokens=$(sed -n 's/.*"tokens":\([0-9]*\).*/\1/p' "$tmp/doc.json")
toks() { grep -o '"token":[0-9]*' "$1"; }
for sampling in "--temperature 0" "--temperature 0.8 --seed 7"; do
    # shellcheck disable=SC2086
    "$cli" --data-dir "$data" generate --model "$tmp/m" --checkpoint doc --prompt " And then" --max-tokens 6 $sampling --json >"$tmp/ck.jsonl" 2>"$tmp/err"
    check "generate --checkpoint exits 0 ($sampling)" $?
    grep -q "\"cached_tokens\":$doc_tokens," "$tmp/ck.jsonl"; check "cached_tokens is the checkpoint's $doc_tokens tokens ($sampling)" $?
    # shellcheck disable=SC2086
    "$cli" --data-dir "$tmp/plain" generate --model "$tmp/m" --raw --prompt "$(cat "$tmp/long.txt") And then" --max-tokens 6 $sampling --no-disk-cache --json >"$tmp/plain.jsonl" 2>"$tmp/err"
    test -s "$tmp/plain.jsonl" && cmp -s <(toks "$tmp/ck.jsonl") <(toks "$tmp/plain.jsonl")
    check "generate --checkpoint equals prefilling everything, token for token ($sampling)" $?
done
"$cli" --data-dir "$data" generate --model "$tmp/m" --checkpoint nope --prompt x >/dev/null 2>"$tmp/err"
test $? = 3 && grep -q '^atelier-cli: error: ' "$tmp/err"; check "an unknown checkpoint name exits 3" $?

# A damaged checkpoint: reported on stderr, recomputed, the same tokens.
sqlite3 "$data/kvcache/checkpoints.db" "UPDATE checkpoint_chunks SET data = zeroblob(length(data)) WHERE owner = (SELECT id FROM checkpoints WHERE name = 'doc')"
"$cli" --data-dir "$data" generate --model "$tmp/m" --checkpoint doc --prompt " And then" --max-tokens 6 --seed 7 --temperature 0.8 --json >"$tmp/bad.jsonl" 2>"$tmp/err"
check "generate from a damaged checkpoint exits 0" $?
grep -q "damaged" "$tmp/err"; check "the damage is reported on stderr" $?
cmp -s <(toks "$tmp/bad.jsonl") <(toks "$tmp/ck.jsonl"); check "the damaged checkpoint is recomputed: same tokens" $?
"$cli" --data-dir "$data" kv verify >/dev/null 2>&1; test $? = 3; check "kv verify exits 3 on the damaged checkpoint" $?

# The automatic disk prefix cache: a second process reuses the first one's prefill.
auto="$tmp/auto"
gen_long() { "$cli" --data-dir "$auto" generate --model "$tmp/m" --raw --prompt "$(cat "$tmp/long.txt")" --max-tokens 6 --temperature 0 --json "$@"; }
gen_long >"$tmp/g1.jsonl" 2>"$tmp/err"; check "generate with the disk cache exits 0" $?
grep -q '"cached_tokens":0,' "$tmp/g1.jsonl"; check "the first process prefills everything" $?
gen_long >"$tmp/g2.jsonl" 2>"$tmp/err"
cached=$(sed -n 's/.*"cached_tokens":\([0-9]*\).*/\1/p' "$tmp/g2.jsonl")
test "${cached:-0}" -gt 0; check "a second process reports cached_tokens > 0 ($cached)" $?
cmp -s <(toks "$tmp/g1.jsonl") <(toks "$tmp/g2.jsonl"); check "served from disk: same tokens" $?
gen_long --no-disk-cache >"$tmp/g3.jsonl" 2>"$tmp/err"
grep -q '"cached_tokens":0,' "$tmp/g3.jsonl"; check "--no-disk-cache prefills everything" $?

"$cli" --data-dir "$data" kv show 999 >/dev/null 2>&1; test $? -ne 0; check "kv show of a missing id fails" $?
"$cli" --data-dir "$data" kv save --model "$tmp/m" --prompt-file "$tmp/none.txt" --name x >/dev/null 2>&1
test $? = 3; check "a missing prompt file exits 3" $?
"$cli" --data-dir "$data" kv delete "$id" >/dev/null 2>&1; check "kv delete exits 0" $?
"$cli" --data-dir "$data" kv show "$id" >/dev/null 2>&1; test $? -ne 0; check "a deleted checkpoint is gone" $?

# Garbage with a matching CRC (gzip's trailer is the CRC-32 of its input): checksums pass,
# decoding does not.
g="$tmp/garbage"
"$cli" --data-dir "$g" kv save --model "$tmp/m" --prompt-file "$tmp/prompt.txt" --raw --name fox >/dev/null 2>&1
gdb="$g/kvcache/checkpoints.db"
len=$(sqlite3 "$gdb" "SELECT length(data) FROM checkpoint_chunks WHERE seq = 0 LIMIT 1")
yes 'garbage, not a KV checkpoint' | head -c "$len" >"$tmp/garbage.bin"
crc=$(gzip -c <"$tmp/garbage.bin" | tail -c 8 | od -An -tu4 -N4 | tr -d ' ')
sqlite3 "$gdb" "UPDATE checkpoint_chunks SET data = readfile('$tmp/garbage.bin'), crc32 = $crc WHERE seq = 0"
"$cli" --data-dir "$g" kv verify --json >"$tmp/gv.json" 2>"$tmp/err"; rc=$?
test $rc = 3 && grep -q '"damaged":\[1\]' "$tmp/gv.json"; check "kv verify exits 3 on garbage with matching CRCs" $?
"$cli" --data-dir "$g" kv verify --model "$tmp/m" --json >"$tmp/gv.json" 2>"$tmp/err"; rc=$?
test $rc = 3 && grep -q '"decoded_in_full":1' "$tmp/gv.json"; check "kv verify --model decodes the model's checkpoints in full" $?
"$cli" --data-dir "$data" kv verify --model "$tmp/m" --json 2>/dev/null | grep -q '"decoded_in_full":[1-9]'
check "kv verify --model counts the checkpoints it decoded" $?

"$cli" --data-dir "$tmp/stdin" kv save --model "$tmp/m" --prompt-file - --raw --name fox --json \
    <"$tmp/prompt.txt" >"$tmp/save_stdin.json" 2>"$tmp/err"
check "kv save --prompt-file - reads stdin" $?

mkdir -p "$tmp/foreign/kvcache"
printf 'not a database at all, just text that is long enough to look like a header....' >"$tmp/foreign/kvcache/checkpoints.db"
"$cli" --data-dir "$tmp/foreign" kv list >/dev/null 2>"$tmp/err"; rc=$?
test $rc = 3 && grep -q '^atelier-cli: error: ' "$tmp/err"; check "a foreign database exits 3 with an error line" $?
exit $fail
