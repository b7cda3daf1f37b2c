#!/usr/bin/env bash
# `atelier-cli model create` and `model info` (CLI.md, Models): the release configurations give
# the published sizes (spec §1.2, §10.3: Flash 284B / 13B, KV 3,514 B/token; Pro 1.6T / 49B,
# KV 5,031 B/token), created models describe themselves, and bad input exits with the right code.
set -u
cli="$1"
shared="$2"
release="$shared/conformance/dsv4-release"
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

field() {  # field JSON NAME -> the value of a numeric top-level field
    printf '%s' "$1" | sed -n "s/.*\"$2\":\([-0-9.eE+]*\).*/\1/p"
}
near() {  # near NAME VALUE WANT RELTOL
    if awk -v v="$2" -v w="$3" -v t="$4" 'BEGIN { d = (v - w) / w; if (d < 0) d = -d; exit !(v != "" && d <= t) }'; then
        echo "ok   $1 = $2"
    else
        echo "FAIL $1 = $2, expected $3 within $4"; fail=1
    fi
}
expect_exit() {  # expect_exit NAME CODE COMMAND...
    local name="$1" want="$2"; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
    if [ "$rc" != "$want" ]; then
        echo "FAIL $name: exit $rc, expected $want"; cat "$tmp/err"; fail=1
    elif [ "$want" != 0 ] && ! grep -q '^atelier-cli: error: ' "$tmp/err"; then
        echo "FAIL $name: no 'atelier-cli: error:' line"; fail=1
    else
        echo "ok   $name"
    fi
}

# The release configurations live in shared/ beside the repository (CI has it).
if [ -d "$release" ]; then
    flash=$("$cli" --data-dir "$tmp/data" model info "$release/flash" --json) || { echo "FAIL flash info"; fail=1; }
    near flash-total "$(field "$flash" params_total)" 284e9 0.01
    near flash-active "$(field "$flash" params_active)" 13e9 0.04
    near flash-kv "$(field "$flash" kv_bytes_per_token)" 3514 0.001
    near flash-layers "$(field "$flash" layers)" 43 0
    printf '%s' "$flash" | grep -q '"layer_pattern":"SWA SWA CSA HCA CSA' || { echo "FAIL flash pattern"; fail=1; }

    pro=$("$cli" model info "$release/pro/config.json" --json) || { echo "FAIL pro info"; fail=1; }
    total=$(field "$pro" params_total); mtp=$(field "$pro" params_mtp)
    near pro-total-with-mtp "$(awk -v a="$total" -v b="$mtp" 'BEGIN { printf "%.0f", a + b }')" 1.6e12 0.01
    near pro-active "$(field "$pro" params_active)" 49e9 0.01
    near pro-kv "$(field "$pro" kv_bytes_per_token)" 5031 0.001
else
    echo "skip release configs: shared/conformance is not beside the repository"
fi

for w in f32 bf16 fp8; do
    expect_exit "create-$w" 0 "$cli" model create --preset tiny --out "$tmp/tiny-$w" --weights "$w" --seed 3
    info=$("$cli" model info "$tmp/tiny-$w" --json)
    near "tiny-$w-layers" "$(field "$info" layers)" 4 0
    printf '%s' "$info" | grep -q '"format":"hf"' || { echo "FAIL tiny-$w format"; fail=1; }
    # The shard holds the tensors plus its header: more bytes on disk than to load.
    [ "$(field "$info" file_bytes)" -gt "$(field "$info" load_bytes)" ] 2>/dev/null \
        || { echo "FAIL tiny-$w file_bytes"; fail=1; }
done
"$cli" model info "$tmp/tiny-fp8" --json | grep -q '"F8_E4M3":' || { echo "FAIL fp8 dtypes"; fail=1; }
"$cli" model create --preset tiny --out "$tmp/again" --weights fp8 --seed 3 2>/dev/null
cmp -s "$tmp/tiny-fp8/model-00001-of-00001.safetensors" "$tmp/again/model-00001-of-00001.safetensors" \
    && echo "ok   same seed same bytes" || { echo "FAIL same seed same bytes"; fail=1; }
"$cli" model info "$tmp/tiny-bf16" | grep -q '^params_total: ' || { echo "FAIL text output"; fail=1; }

expect_exit exists 2 "$cli" model create --preset tiny --out "$tmp/tiny-f32"
expect_exit bad-preset 2 "$cli" model create --preset huge --out "$tmp/x"
expect_exit bad-weights 2 "$cli" model create --preset tiny --out "$tmp/x" --weights q4
expect_exit no-out 2 "$cli" model create --preset tiny
head -c 1000 "$tmp/tiny-bf16/model-00001-of-00001.safetensors" > "$tmp/trunc.safetensors"
mv "$tmp/trunc.safetensors" "$tmp/tiny-bf16/model-00001-of-00001.safetensors"
expect_exit truncated 3 "$cli" model info "$tmp/tiny-bf16"
grep -q 'model-00001-of-00001.safetensors' "$tmp/err" || { echo "FAIL truncated names the file"; fail=1; }
cp -r "$tmp/tiny-fp8" "$tmp/no-shard" && rm "$tmp/no-shard/model-00001-of-00001.safetensors"
expect_exit missing-shard 3 "$cli" model info "$tmp/no-shard"
echo '{"hidden_size": 12' > "$tmp/tiny-f32/config.json"
expect_exit bad-config 3 "$cli" model info "$tmp/tiny-f32"
# A FIFO named as a shard or a GGUF is refused at once, not waited on.
cp -r "$tmp/tiny-fp8" "$tmp/fifo-shard" && rm "$tmp/fifo-shard/model-00001-of-00001.safetensors"
mkfifo "$tmp/fifo-shard/model-00001-of-00001.safetensors" "$tmp/fifo.gguf"
expect_exit fifo-shard 3 timeout 20 "$cli" model info "$tmp/fifo-shard"
grep -q 'not a regular file' "$tmp/err" || { echo "FAIL fifo shard message"; cat "$tmp/err"; fail=1; }
expect_exit fifo-gguf 3 timeout 20 "$cli" model info "$tmp/fifo.gguf"
expect_exit help 0 "$cli" model create --help
exit $fail
