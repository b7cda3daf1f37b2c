#!/usr/bin/env bash
# `atelier-cli model create --format gguf --weights q8_0|q4_k|q6_k|q2_k|mxfp4`: each writes a
# GGUF that `model info` reads with the types llama-quantize would give (K-quant matrices,
# Q6_K output, F32 norms) and that `logits` runs on with finite values; the quantized types
# are refused for --format hf.
set -u
cli="$1"
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
expect() {  # expect NAME WANT_EXIT CMD...
    local name="$1" want="$2"; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
    if [ "$rc" != "$want" ]; then echo "FAIL $name: exit $rc, want $want"; cat "$tmp/err"; fail=1; else echo "ok   $name"; fi
}
for w in q8_0 q4_k q6_k q2_k mxfp4; do
    expect "create-$w" 0 "$cli" model create --preset tiny --format gguf --weights "$w" --out "$tmp/$w.gguf"
    expect "info-$w" 0 "$cli" model info "$tmp/$w.gguf" --json
    want=$(echo "$w" | tr a-z A-Z)
    grep -q "\"$want\":" "$tmp/out" || { echo "FAIL info-$w lists no $want tensors"; cat "$tmp/out"; fail=1; }
    grep -q '"F32":' "$tmp/out" || { echo "FAIL info-$w lists no F32 norms"; fail=1; }
    case "$w" in q4_k|q2_k) grep -q '"Q6_K":' "$tmp/out" || { echo "FAIL info-$w: output not Q6_K"; fail=1; } ;; esac
    expect "logits-$w" 0 "$cli" --threads 2 logits --model "$tmp/$w.gguf" --ids 1,2,3,4 --numerics plain --json
    grep -qi 'nan\|inf' "$tmp/out" && { echo "FAIL logits-$w not finite"; fail=1; }
done
expect hf-refused 2 "$cli" model create --preset tiny --weights q4_k --out "$tmp/hf"
exit $fail
