#!/usr/bin/env bash
# The same seed as an HF folder and as a GGUF file: atelier-cli reads the same tokenizer from
# both and computes the same logits (F32 weights, plain numerics).
set -u
cli="$1"
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$cli" model create --preset tiny --format hf --weights f32 --seed 5 --out "$tmp/hf" >/dev/null || { echo "FAIL create hf"; exit 1; }
"$cli" model create --preset tiny --format gguf --weights f32 --seed 5 --out "$tmp/m.gguf" >/dev/null || { echo "FAIL create gguf"; exit 1; }
text='Hello, world! 1234 tokens: ok.'
a=$("$cli" tokenize --model "$tmp/hf" --text "$text") || fail=1
b=$("$cli" tokenize --model "$tmp/m.gguf" --text "$text") || fail=1
[ -n "$a" ] && [ "$a" = "$b" ] || { echo "FAIL tokenize differs: '$a' vs '$b'"; fail=1; }
ids=$(echo "$a" | tr ' ' ',')
la=$("$cli" logits --model "$tmp/hf" --ids "$ids" --all-positions --top 5 --numerics plain --json) || fail=1
lb=$("$cli" logits --model "$tmp/m.gguf" --ids "$ids" --all-positions --top 5 --numerics plain --json) || fail=1
[ -n "$la" ] && [ "$la" = "$lb" ] || { echo "FAIL logits differ between the HF folder and the GGUF file"; fail=1; }
[ $fail = 0 ] && echo "ok   tokenizer and logits agree across formats"
exit $fail
