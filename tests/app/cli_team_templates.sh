#!/usr/bin/env bash
# ctest-labels: slow
# End-to-end runs of every shipped team template (document-analyst, review-team,
# repo-historian) on a tiny random-weight model with grammar-constrained decoding
# (`--first-turn-tool-call`: each agent's first turn must be a tool call). Random weights never
# choose to call a tool on their own, and they write noise inside every value; the grammar still
# makes every call well-formed DSML whose arguments satisfy the tool's schema, so every call
# parses (values are capped at 48 characters by --max-arg-chars), passes the registry's schema validation and reaches the tool (which then reports its
# own errors, e.g. a path that does not exist), and every run ends with `done`.
set -u
cli="$1"
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/ws"
printf 'Lease of 2021-03-01. Notice period: 90 days. Renewal on 2026-03-01.\n' > "$tmp/ws/lease.txt"
git -C "$tmp/ws" init -q 2>/dev/null && git -C "$tmp/ws" add lease.txt \
    && git -C "$tmp/ws" -c user.name=t -c user.email=t@e commit -qm "Add the lease" || true
"$cli" model create --preset tiny --out "$tmp/tiny" --seed 5 >/dev/null 2>&1 \
    || { echo "FAIL model create"; exit 1; }

pids=()
for team in document-analyst review-team repo-historian; do
    mkdir -p "$tmp/data-$team"
    "$cli" --data-dir "$tmp/data-$team" team run "$team" --model "$tmp/tiny" --workspace "$tmp/ws" \
        --task "List every date in the documents" --approve auto --first-turn-tool-call \
        --max-arg-chars 48 --max-tokens 1000 --seed 7 --json >"$tmp/$team.jsonl" 2>"$tmp/$team.err" &
    pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || fail=1; done
[ "$fail" = 0 ] || { echo "FAIL a team run exited non-zero"; cat "$tmp"/*.err; }

for team in document-analyst review-team repo-historian; do
    python3 - "$tmp/$team.jsonl" "$team" <<'PY' || { echo "FAIL $team"; cut -c1-300 "$tmp/$team.jsonl"; fail=1; }
import json, sys
# JSON Lines end at "\n" only: a string may hold U+2028 or U+0085, which splitlines() splits on.
events = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8").read().rstrip("\n").split("\n")]
team = sys.argv[2]
assert events and events[-1]["event"] == "done", "the run did not end with done"
# truncated: a turn ran out of --max-tokens (random weights rarely end a turn by themselves).
assert events[-1]["status"] in ("ok", "budget_exhausted", "truncated"), events[-1]["status"]
steps = [e for e in events if e["event"] == "step"]
for s in steps:
    # Every turn that did not run out of tokens (random weights can fill a whole turn with
    # calls whose values are noise) is well-formed: the grammar admits nothing else.
    if not s.get("truncated"):
        assert not s.get("format_error"), (s["agent"], s["step"], s.get("format_error"))
    for call in s["tool_calls"]:
        json.loads(call["arguments"])  # arguments are JSON
calls = [e for e in events if e["event"] == "tool_call"]
results = [e for e in events if e["event"] == "tool_result"]
for r in results:
    # The registry validates arguments against the tool's JSON schema (types, enums, required
    # keys, integer bounds) before a tool runs; the grammar guarantees that check passes.
    err = r.get("error", "")
    assert "invalid arguments" not in err, err
open(sys.argv[1] + ".calls", "w").write(str(len(calls)))
print(f"ok   {team}: {len(steps)} steps, {len(calls)} calls, status {events[-1]['status']}")
PY
done
# Whether a given agent's first turn closes its block within the token limit depends on the
# noise, but across the three runs calls are made (each first turn must open a block).
total=$(python3 -c 'import sys; print(sum(int(open(f).read()) for f in sys.argv[1:]))' "$tmp"/*.jsonl.calls 2>/dev/null || echo 0)
[ "${total:-0}" -gt 0 ] && echo "ok   $total valid tool calls in all" || { echo "FAIL no tool call in any run"; fail=1; }
exit $fail
