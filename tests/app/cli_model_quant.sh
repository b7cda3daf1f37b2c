#!/usr/bin/env bash
# `atelier-cli model create --format gguf --weights TYPE`: every ggml type and llama-quantize-
# style mix writes a GGUF that `model info` reads with the types llama-quantize would give
# (quantized matrices, Q6_K/Q8_0 output, F32 norms; tensor_types and bits_per_weight) and that
# `logits` runs on with finite values; `model split` writes parts that load from any part with
# the same logits, and a missing part is a clear error; quantized types are refused for
# --format hf.
# ctest-labels: slow
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
# type name -> the ggml type its matrices get (mixes: the routed experts' gate/up type)
for pair in q8_0:Q8_0 q4_k:Q4_K q6_k:Q6_K q2_k:Q2_K mxfp4:MXFP4 q5_k:Q5_K q3_k:Q3_K q4_0:Q4_0 \
            q4_1:Q4_1 q5_0:Q5_0 q5_1:Q5_1 iq4_nl:IQ4_NL iq4_xs:IQ4_XS iq3_s:IQ3_S iq3_xxs:IQ3_XXS \
            iq2_s:IQ2_S iq2_xs:IQ2_XS iq2_xxs:IQ2_XXS iq1_m:IQ1_M iq1_s:IQ1_S f16:F16 \
            q4_k_m:Q4_K q2_k_xl:Q2_K expert_2bit:IQ2_XXS iq2_xxs_xl:IQ2_XXS iq1_m_xl:IQ1_M; do
    w=${pair%%:*}; want=${pair#*:}
    expect "create-$w" 0 "$cli" model create --preset tiny --format gguf --weights "$w" --out "$tmp/$w.gguf"
    expect "info-$w" 0 "$cli" model info "$tmp/$w.gguf" --json
    grep -q "\"tensor_types\":{.*\"$want\":{\"count\":" "$tmp/out" || { echo "FAIL info-$w lists no $want tensors"; cat "$tmp/out"; fail=1; }
    grep -q '"F32":' "$tmp/out" || { echo "FAIL info-$w lists no F32 norms"; fail=1; }
    grep -q '"bits_per_weight":[0-9]' "$tmp/out" || { echo "FAIL info-$w has no bits_per_weight"; fail=1; }
    case "$w" in q4_k|q2_k|q4_k_m|q2_k_xl) grep -q '"Q6_K":' "$tmp/out" || { echo "FAIL info-$w: output not Q6_K"; fail=1; } ;; esac
    expect "logits-$w" 0 "$cli" --threads 2 logits --model "$tmp/$w.gguf" --ids 1,2,3,4 --numerics plain --json
    grep -qi 'nan\|inf' "$tmp/out" && { echo "FAIL logits-$w not finite"; fail=1; }
    [ "$w" = q8_0 ] || [ "$w" = iq2_xxs_xl ] || rm -f "$tmp/$w.gguf"
done
expect hf-refused 2 "$cli" model create --preset tiny --weights q4_k --out "$tmp/hf"
expect hf-refused-iq 2 "$cli" model create --preset tiny --weights iq2_xxs --out "$tmp/hf"

# Split files: every part opens the whole model and gives the unsplit file's logits.
expect split 0 "$cli" model split "$tmp/iq2_xxs_xl.gguf" --parts 3 --out "$tmp/parts/m"
"$cli" --threads 2 logits --model "$tmp/iq2_xxs_xl.gguf" --ids 5,6,7 --json > "$tmp/whole.json"
for part in 1 2 3; do
    f="$tmp/parts/m-0000$part-of-00003.gguf"
    expect "split-logits-$part" 0 "$cli" --threads 2 logits --model "$f" --ids 5,6,7 --json
    cmp -s "$tmp/out" "$tmp/whole.json" || { echo "FAIL part $part gives other logits than the whole file"; fail=1; }
done
expect split-info 0 "$cli" model info "$tmp/parts/m-00002-of-00003.gguf" --json
grep -q '"file_parts":3' "$tmp/out" || { echo "FAIL info of a split file: file_parts"; fail=1; }
mv "$tmp/parts/m-00003-of-00003.gguf" "$tmp/away.gguf"
expect split-missing 3 "$cli" model info "$tmp/parts/m-00001-of-00003.gguf"
grep -q 'part 3 of 3' "$tmp/err" && grep -q 'm-00003-of-00003.gguf' "$tmp/err" \
    || { echo "FAIL missing part not named"; cat "$tmp/err"; fail=1; }

# A truncated file names the tensor and the byte offset.
head -c 300000 "$tmp/q8_0.gguf" > "$tmp/trunc.gguf"
expect truncated 3 "$cli" model info "$tmp/trunc.gguf"
grep -q "trunc.gguf" "$tmp/err" && grep -q "byte" "$tmp/err" || { echo "FAIL truncated GGUF message"; cat "$tmp/err"; fail=1; }
exit $fail
