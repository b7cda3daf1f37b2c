#!/usr/bin/env bash
# atelier-cli logits (CLI.md): usage errors, and on a tiny model (when `model create` is
# available) the JSON shape, --top, --all-positions, and fast vs reference agreement.
set -u
cli="$1"
fail=0
err=$(mktemp)
check() {  # check NAME EXPECTED_EXIT COMMAND...
    local name="$1" want="$2"; shift 2
    out=$("$@" 2>"$err"); rc=$?
    if [ "$rc" != "$want" ]; then
        echo "FAIL $name: exit $rc, expected $want"; cat "$err"; fail=1
    else
        echo "ok   $name"
    fi
}
check no-ids-no-prompt 2 "$cli" logits --model /nonexistent
check both-ids-and-prompt 2 "$cli" logits --model /nonexistent --ids 1 --prompt hi
check prompt-needs-tokenizer 2 "$cli" logits --model /nonexistent --prompt hi
grep -q 'tokenizer' "$err" || { echo "FAIL prompt message"; fail=1; }
check bad-ids 2 "$cli" logits --model /nonexistent --ids 1,x,3
check bad-numerics 2 "$cli" logits --model /nonexistent --ids 1 --numerics fp16
check bad-engine 2 "$cli" logits --model /nonexistent --ids 1 --engine slow
"$cli" logits --model /nonexistent --ids 1,2 --json >/dev/null 2>"$err"
rc=$?
{ [ "$rc" = 1 ] || [ "$rc" = 3 ]; } && grep -q '^atelier-cli: error: ' "$err" \
    || { echo "FAIL missing model: exit $rc"; fail=1; }

tmp=$(mktemp -d)
if "$cli" model create --help >/dev/null 2>&1 &&
   "$cli" --data-dir "$tmp" model create --preset tiny --out "$tmp/tiny" --seed 3 >/dev/null 2>"$err"; then
    check logits-json 0 "$cli" --data-dir "$tmp" logits --model "$tmp/tiny" --ids 5,6,7,8,9 --top 3 --json
    python3 - "$out" <<'PY' || fail=1
import json, sys
d = json.loads(sys.argv[1])
p = d["positions"]
assert len(p) == 1 and p[0]["pos"] == 4, p
top = p[0]["top"]
assert len(top) == 3 and all(len(t) == 2 for t in top), top
assert top[0][1] >= top[1][1] >= top[2][1], top
PY
    check logits-all 0 "$cli" --data-dir "$tmp" logits --model "$tmp/tiny" --ids 5,6,7,8,9 --top 2 --all-positions --json --numerics plain
    fast="$out"
    check logits-reference 0 "$cli" --data-dir "$tmp" logits --model "$tmp/tiny" --ids 5,6,7,8,9 --top 2 --all-positions --json --numerics plain --engine reference
    python3 - "$fast" "$out" <<'PY' || fail=1
import json, sys
a, b = (json.loads(x)["positions"] for x in sys.argv[1:3])
assert [p["pos"] for p in a] == [0, 1, 2, 3, 4], a
for pa, pb in zip(a, b):
    assert pa["top"][0][0] == pb["top"][0][0], (pa, pb)
    assert abs(pa["top"][0][1] - pb["top"][0][1]) < 1e-3, (pa, pb)
PY
    check logits-bad-token 3 "$cli" --data-dir "$tmp" logits --model "$tmp/tiny" --ids 5,999999
else
    echo "skip model runs: this build cannot create models yet"
fi
rm -rf "$tmp" "$err"
exit $fail
