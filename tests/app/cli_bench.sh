#!/usr/bin/env bash
# atelier-cli bench (CLI.md): usage errors, and on the tiny preset with small contexts the JSON
# contract: backend, threads, stream_gbs > 0, one result per context × batch in order, each
# with positive rates, kv_bytes_per_token equal to `model info`'s, and achieved_gbs consistent
# with decode_tok_s (achieved = rate · bytes per token read, at least the weights per token);
# ratio_to_batch1 and memory_bound_ratio follow from the same run's rates and bytes.
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
check no-model 2 "$cli" bench
check bad-contexts 2 "$cli" bench --model /nonexistent --contexts 16,x
check zero-batch 2 "$cli" bench --model /nonexistent --batch 0
check zero-decode 2 "$cli" bench --model /nonexistent --decode-tokens 0
check odd-prefill-limit 2 "$cli" bench --model /nonexistent --prefill-limit 100
"$cli" bench --model /nonexistent --contexts 16 >/dev/null 2>"$err"
rc=$?
{ [ "$rc" = 1 ] || [ "$rc" = 3 ]; } && grep -q '^atelier-cli: error: ' "$err" \
    || { echo "FAIL missing model: exit $rc"; fail=1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$err"' EXIT
"$cli" --data-dir "$tmp/data" model create --preset tiny --out "$tmp/tiny" >/dev/null 2>"$err" \
    || { echo "FAIL model create"; cat "$err"; exit 1; }
check tiny-bench 0 "$cli" --data-dir "$tmp/data" --threads 2 bench --model "$tmp/tiny" \
    --contexts 8,40 --batch 1,3 --decode-tokens 3 --json
info=$("$cli" --data-dir "$tmp/data" model info "$tmp/tiny" --json 2>/dev/null)
python3 - "$out" "$info" <<'PY' || fail=1
import json, sys
d = json.loads(sys.argv[1]); info = json.loads(sys.argv[2])
assert d["backend"] == "cpu" and d["threads"] == 2, d
assert d["stream_gbs"] > 0, d
rs = d["results"]
assert [(r["context"], r["batch"]) for r in rs] == [(8, 1), (8, 3), (40, 1), (40, 3)], rs
for r in rs:
    for k in ("prefill_tok_s", "decode_tok_s", "weight_bytes_per_token", "achieved_gbs"):
        assert r[k] > 0, (k, r)
    assert abs(r["kv_bytes_per_token"] - info["kv_bytes_per_token"]) < 1e-6, (r, info)
    # Every token of a step reads at least its share of the weights.
    floor = r["decode_tok_s"] * r["weight_bytes_per_token"] / 1e9
    assert r["achieved_gbs"] >= floor * 0.999, (r, floor)
# A larger batch shares the weights: fewer weight bytes per token.
assert rs[1]["weight_bytes_per_token"] < rs[0]["weight_bytes_per_token"], rs
# Ratios against batch 1 at the same context, from this run's own numbers.
for one, three in ((rs[0], rs[1]), (rs[2], rs[3])):
    assert one["ratio_to_batch1"] == 1 and one["memory_bound_ratio"] == 1, one
    assert abs(three["ratio_to_batch1"] - three["decode_tok_s"] / one["decode_tok_s"]) < 1e-9, three
    # bytes read per token = achieved bytes per second / tokens per second
    want = (one["achieved_gbs"] / one["decode_tok_s"]) / (three["achieved_gbs"] / three["decode_tok_s"])
    assert abs(three["memory_bound_ratio"] - want) < 1e-6 * want, (three, want)
    assert 1 < three["memory_bound_ratio"] <= 3, three
print("ok   tiny-bench json")
PY
# --prefill-limit: a context past the limit is reached by repeating the prefilled entries.
check tiled-bench 0 "$cli" --data-dir "$tmp/data" --threads 2 bench --model "$tmp/tiny" \
    --contexts 128,1024 --batch 1 --decode-tokens 2 --prefill-limit 128 --json
python3 - "$out" <<'PY' || fail=1
import json, sys
rs = json.loads(sys.argv[1])["results"]
assert [(r["context"], r["prefilled"], r["tiled"]) for r in rs] == [(128, 128, False), (1024, 128, True)], rs
assert all(r["decode_tok_s"] > 0 for r in rs), rs
print("ok   tiled-bench json")
PY
# Issue 17: every row carries model plan's prediction; with no budget nothing streams, and with
# a budget below the routed experts each row reports what the expert cache did.
rs_plain=$(python3 -c 'import json,sys; print(json.dumps(json.loads(sys.argv[1])))' "$out")
routed=$("$cli" --data-dir "$tmp/data" model plan "$tmp/tiny" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["routed_expert_bytes"])')
check streaming-bench 0 "$cli" --data-dir "$tmp/data" --threads 2 --memory-budget $((routed / 3)) bench \
    --model "$tmp/tiny" --contexts 40 --batch 1,2 --decode-tokens 3 --json
python3 - "$rs_plain" "$out" "$((routed / 3))" <<'PY' || fail=1
import json, sys
plain, d, budget = json.loads(sys.argv[1]), json.loads(sys.argv[2]), int(sys.argv[3])
assert not plain["streaming"] and all(r["expert_cache"] is None for r in plain["results"]), plain
assert all(r["predicted_decode_tok_s"] > 0 and r["predicted_prefill_tok_s"] > 0 for r in plain["results"]), plain
assert d["streaming"] and 0 < d["expert_cache_bytes"] <= budget and d["disk_read_gbs"] > 0, d
for r in d["results"]:
    c = r["expert_cache"]
    assert c is not None and c["hits"] + c["misses"] > 0, r
    assert abs(c["hit_rate"] - c["hits"] / (c["hits"] + c["misses"])) < 1e-12, c
    assert (c["bytes_read"] > 0) == (c["misses"] > 0), c
    assert r["predicted_decode_tok_s"] > 0 and c["bound_tok_s"] > 0, r
print("ok   streaming-bench json")
PY
# A resident bench records its kernels' efficiency and rates; model plan then predicts with them.
check record-bench 0 "$cli" --data-dir "$tmp/data" --threads 2 bench --model "$tmp/tiny" --contexts 40 --batch 1 \
    --decode-tokens 3 --json
bench=$out
plan=$("$cli" --data-dir "$tmp/data" --threads 2 model plan "$tmp/tiny" --context 40 --json)
python3 - "$bench" "$plan" <<'PY' || fail=1
import json, sys
b, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
r = b["results"][0]
assert p["efficiency_measured"] and p["weight_type"] == b["weight_type"], p
assert abs(p["decode_of_stream"] - r["achieved_fraction_of_stream"]) < 1e-9, (p, r)
assert abs(p["prefill_of_peak"] - r["prefill_fraction_of_peak"]) < 1e-9, (p, r)
assert p["memory_gbs"] == b["stream_gbs"] and p["peak_fma_gflops"] == b["peak_fma_gflops"], (p, b)
# Same rates, same efficiency, same context: the plan predicts the rates bench measured.
assert abs(p["decode_tok_s"] / r["decode_tok_s"] - 1) < 1e-6, (p["decode_tok_s"], r["decode_tok_s"])
print("ok   plan uses bench's efficiency")
PY
# --compare-llama-bench (issue 22) against a test double of llama-bench that logs its command
# lines and answers with rates that follow from them: the ratios are this run's Atelier rates
# over those, one-sequence rows only; a failing llama-bench keeps Atelier's rows and says why;
# a path that is not an executable file is a usage error before anything runs.
fake="$(dirname "$0")/fake_llama_bench.py"
check llama-not-executable 2 "$cli" bench --model "$tmp/tiny" --compare-llama-bench "$tmp/nothing-here"
grep -q "compare-llama-bench" "$err" || { echo "FAIL llama-not-executable names the option"; fail=1; }
export FAKE_LLAMA_BENCH_LOG="$tmp/llama.log"
check llama-compare 0 "$cli" --data-dir "$tmp/data" --threads 2 bench --model "$tmp/tiny" \
    --contexts 8,40 --batch 1,2 --decode-tokens 3 --compare-llama-bench "$fake" --llama-bench-repetitions 2 --json
python3 - "$out" "$tmp/llama.log" "$tmp/tiny" <<'PY' || fail=1
import json, sys
d = json.loads(sys.argv[1]); log = open(sys.argv[2]).read().split("\n")[:-1]; model = sys.argv[3]
lb = d["llama_bench"]
assert lb["build_commit"] == "fake0001" and lb["error"] is None and lb["repetitions"] == 2, lb
want = []
for c in (8, 40):
    want.append(f"-m {model} -t 2 -r 2 -o json -p {c} -n 0")
    want.append(f"-m {model} -t 2 -r 2 -o json -p 0 -n 3 -d {c}")
assert log == want, (log, want)
for r in d["results"]:
    if r["batch"] != 1:
        assert r["llama_bench"] is None and r["ratio_to_llama"] is None, r
        continue
    c = r["context"]
    assert r["llama_bench"] == {"prefill_tok_s": 1000.0 + c, "decode_tok_s": 10.0 + c / 1000.0}, r
    q = r["ratio_to_llama"]
    assert abs(q["prefill"] - r["prefill_tok_s"] / (1000.0 + c)) < 1e-12, r
    assert abs(q["decode"] - r["decode_tok_s"] / (10.0 + c / 1000.0)) < 1e-12, r
print("ok   llama-compare json")
PY
check llama-compare-text 0 "$cli" --data-dir "$tmp/data" --threads 2 bench --model "$tmp/tiny" \
    --contexts 8 --batch 1 --decode-tokens 2 --compare-llama-bench "$fake" --llama-bench-repetitions 1
echo "$out" | grep -q "^llama-bench (build fake0001, -t 2, -r 1)" && echo "$out" | grep -Eq "^ +8  prefill 1008.0 t/s \(Atelier [0-9.]+x\)  decode 10.01 t/s \(Atelier [0-9.]+x\)$" \
    || { echo "FAIL llama-compare-text: $out"; fail=1; }
FAKE_LLAMA_BENCH_FAIL=1 check llama-fails 0 "$cli" --data-dir "$tmp/data" --threads 2 bench --model "$tmp/tiny" \
    --contexts 8 --batch 1 --decode-tokens 2 --compare-llama-bench "$fake" --json
python3 - "$out" <<'PY' || fail=1
import json, sys
d = json.loads(sys.argv[1])
e = d["llama_bench"]["error"]
assert "exited 1" in e and "failed to load model" in e and "\n" not in e, e
r = d["results"][0]
assert r["decode_tok_s"] > 0 and r["ratio_to_llama"] == {"prefill": None, "decode": None}, r
print("ok   llama-fails keeps Atelier's rows")
PY
FAKE_LLAMA_BENCH_NO_DEPTH=1 check llama-no-depth 0 "$cli" --data-dir "$tmp/data" --threads 2 bench --model "$tmp/tiny" \
    --contexts 8 --batch 1 --decode-tokens 2 --compare-llama-bench "$fake" --json
python3 - "$out" <<'PY' || fail=1
import json, sys
d = json.loads(sys.argv[1])
assert "-d" in d["llama_bench"]["error"], d["llama_bench"]
q = d["results"][0]["ratio_to_llama"]
assert q["prefill"] > 0 and q["decode"] is None, q
print("ok   llama-no-depth: prefill compared, decode not")
PY
unset FAKE_LLAMA_BENCH_LOG
exit $fail
