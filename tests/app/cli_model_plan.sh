#!/usr/bin/env bash
# Issue 17: `model create` states the bytes it writes and refuses a model the disk cannot hold;
# `model plan` gives a consistent plan (resident + routed experts = the weights `model info`
# counts, no streaming when the budget holds every expert, streaming within a small budget with
# the hit rate the cached fraction gives), caches its machine probes, and refuses bad input;
# --memory-budget and --expert-policy refuse bad values naming the flag.
set -u
cli="$1"
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
data="$tmp/data"

expect_exit() {  # expect_exit NAME CODE COMMAND...
    local name="$1" want="$2"; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
    if [ "$rc" != "$want" ]; then
        echo "FAIL $name: exit $rc, expected $want"; cat "$tmp/err"; fail=1
    elif [ "$want" != 0 ] && ! grep -q '^atelier-cli: error: ' "$tmp/err"; then
        echo "FAIL $name: no 'atelier-cli: error:' line"; cat "$tmp/err"; fail=1
    else
        echo "ok   $name"
    fi
}
sum_bytes() { find "$1" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%d", s }'; }

# The size model create announces is the size it writes (HF folder and quantized GGUF).
expect_exit create-hf 0 "$cli" --data-dir "$data" model create --preset tiny --out "$tmp/tiny" --layers 5
said=$(sed -n 's/^writing .*: \([0-9]*\) bytes.*/\1/p' "$tmp/err")
[ -n "$said" ] && [ "$said" = "$(sum_bytes "$tmp/tiny")" ] && echo "ok   hf estimate $said" \
    || { echo "FAIL hf estimate '$said' vs $(sum_bytes "$tmp/tiny")"; fail=1; }
expect_exit create-gguf 0 "$cli" model create --preset tiny --format gguf --weights q2_k --out "$tmp/tiny.gguf"
said=$(sed -n 's/^writing .*: \([0-9]*\) bytes.*/\1/p' "$tmp/err")
[ -n "$said" ] && [ "$said" = "$(stat -c %s "$tmp/tiny.gguf")" ] && echo "ok   gguf estimate $said" \
    || { echo "FAIL gguf estimate '$said'"; fail=1; }
# 512 V4-Flash blocks (about 2 TB at Q4_K) fit no test machine's disk: refused before writing.
expect_exit disk-short 1 "$cli" model create --preset flash-slice --layers 512 --format gguf --weights q4_k \
    --out "$tmp/huge.gguf"
grep -q 'not enough disk space' "$tmp/err" || { echo "FAIL disk-short message"; cat "$tmp/err"; fail=1; }
[ ! -e "$tmp/huge.gguf" ] && ! ls "$tmp" | grep -q huge || { echo "FAIL disk-short wrote something"; fail=1; }
expect_exit bad-layers 2 "$cli" model create --preset tiny --layers 0 --out "$tmp/x"

info=$("$cli" --data-dir "$data" model info "$tmp/tiny" --json --context 1000)
expect_exit plan-auto 0 "$cli" --data-dir "$data" model plan "$tmp/tiny" --json --context 1000
auto=$(cat "$tmp/out")
routed=$(printf '%s' "$auto" | python3 -c 'import json,sys; print(json.load(sys.stdin)["routed_expert_bytes"])')
quarter=$((routed / 4))
expect_exit plan-big-budget 0 "$cli" --data-dir "$data" --memory-budget $((routed + 1)) model plan "$tmp/tiny" --json --context 1000
big=$(cat "$tmp/out")
expect_exit plan-small-budget 0 "$cli" --data-dir "$data" model plan "$tmp/tiny" --json --context 1000 --memory-budget "$quarter"
small=$(cat "$tmp/out")
expect_exit plan-reprobe 0 "$cli" --data-dir "$data" model plan "$tmp/tiny" --json --context 1000 --reprobe
reprobe=$(cat "$tmp/out")
python3 - "$info" "$auto" "$big" "$small" "$reprobe" "$quarter" <<'PY' || fail=1
import json, sys
info, auto, big, small, reprobe = (json.loads(a) for a in sys.argv[1:6])
quarter = int(sys.argv[6])
for p in (auto, big, small):
    assert p["resident_bytes"] + p["routed_expert_bytes"] == p["weights_bytes"] == info["load_bytes"], p
    assert abs(p["kv_bytes"] - (info["kv_bytes_per_token"] * 1000 + info["state_bytes_per_sequence"])) <= 1, p
    assert p["memory_gbs"] > 0 and p["disk_read_gbs"] > 0 and p["peak_fma_gflops"] > 0, p
    assert p["decode_tok_s"] > 0 and p["prefill_tok_s"] > 0, p
    assert p["memory_total_bytes"] >= p["memory_available_bytes"] > 0, p
# The tiny model fits: auto and a budget above the experts both map everything.
for p in (auto, big):
    assert not p["streaming"] and p["expert_cache_bytes"] == 0 and p["hit_rate"] == 1, p
    assert p["memory_needed_bytes"] == p["weights_bytes"] + p["kv_bytes"], p
    assert p["miss_bytes_per_token"] == 0, p
assert auto["budget"] == "auto" and big["budget"] == str(big["routed_expert_bytes"] + 1), big
# A quarter of the experts: streaming within the budget, hit rate = cached fraction.
s = small
assert s["streaming"] and 0 < s["expert_cache_bytes"] <= quarter, s
assert abs(s["cached_fraction"] - s["expert_cache_bytes"] / s["routed_expert_bytes"]) < 1e-9, s
assert s["hit_rate"] == s["cached_fraction"], s
assert s["memory_needed_bytes"] == s["resident_bytes"] + s["expert_cache_bytes"] + s["kv_bytes"], s
assert abs(s["miss_bytes_per_token"] - (1 - s["hit_rate"]) * s["expert_bytes_per_token"]) <= 1e-6 * s["expert_bytes_per_token"], s
# Missing experts come from a slower disk on top of memory: never faster than resident.
assert s["decode_tok_s"] < auto["decode_tok_s"] * (1 + 1e-9) or s["disk_read_gbs"] > 1e3, (s, auto)
# The first plan measured and cached; the later ones reuse it; --reprobe measures again.
assert not auto["disk_cached"] and not auto["memory_cached"], auto
assert big["disk_cached"] and big["memory_cached"] and big["disk_read_gbs"] == auto["disk_read_gbs"], big
assert not reprobe["disk_cached"] and not reprobe["memory_cached"], reprobe
print("ok   plan fields consistent")
PY
"$cli" --data-dir "$data" model plan "$tmp/tiny" --context 1000 >"$tmp/out" 2>&1 \
    && grep -q '^predicted: decode ' "$tmp/out" || { echo "FAIL text plan"; cat "$tmp/out"; fail=1; }
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["disks"] and d["memory"]' "$data/machine_probe.json" \
    && echo "ok   probe cache" || { echo "FAIL probe cache"; fail=1; }

expect_exit plan-missing 3 "$cli" --data-dir "$data" model plan "$tmp/nope"
grep -q "$tmp/nope" "$tmp/err" || { echo "FAIL plan-missing names the path"; fail=1; }
mkdir "$tmp/config-only" && cp "$tmp/tiny/config.json" "$tmp/config-only/"
expect_exit plan-no-weights 3 "$cli" --data-dir "$data" model plan "$tmp/config-only"
expect_exit plan-no-path 2 "$cli" --data-dir "$data" model plan
for bad in 12X -5 auto2 "" 0; do
    expect_exit "budget '$bad'" 2 "$cli" --data-dir "$data" --memory-budget "$bad" model plan "$tmp/tiny"
    grep -q -- '--memory-budget' "$tmp/err" || { echo "FAIL budget '$bad' names the flag"; cat "$tmp/err"; fail=1; }
done
for good in 512M 8G 8GiB 1.5GB 4096 auto; do
    expect_exit "budget $good" 0 "$cli" --data-dir "$data" --memory-budget "$good" model plan "$tmp/tiny" --json
done
expect_exit bad-policy 2 "$cli" --data-dir "$data" --expert-policy mru model plan "$tmp/tiny"
grep -q -- '--expert-policy' "$tmp/err" || { echo "FAIL bad-policy names the flag"; fail=1; }
exit $fail
