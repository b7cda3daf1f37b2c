#!/usr/bin/env bash
# MCP sampling through `atelier-cli tool run --model` (issue 20): the tests' mcp_test_server
# (--sampling) asks the client for a completion (sampling/createMessage) in the middle of its
# `sample` tool. Where its configuration allows it ("sampling": true) the local model answers,
# and the text is what `chat` answers to the same message with the same model and seed; the
# configuration's {"max_tokens": N} caps the reply (as `chat --max-tokens N`); a server not
# allowed, a request without --model and image content are refused with an error naming what to
# change; each request is in the audit log with its server and token counts. Exit 77 (skipped)
# where the test server is not built, bwrap cannot sandbox or `model create` is missing.
set -u
cli="$1"
server="$(cd "$(dirname "$cli")/.." && pwd)/tests/mcp_test_server"
[ -x "$server" ] || { echo "skip: $server is not built"; exit 77; }
bwrap --unshare-all --ro-bind /usr /usr --symlink usr/lib64 /lib64 --symlink usr/lib /lib \
    /usr/bin/true 2>/dev/null || { echo "skip: bwrap cannot sandbox here"; exit 77; }
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ws="$tmp/ws"; data="$tmp/data"
mkdir -p "$ws" "$data"
"$cli" model create --preset tiny --out "$tmp/tiny" --seed 3 >/dev/null 2>&1 ||
    { echo "skip: model create is not available in this build"; exit 77; }
config() {  # config FILE SAMPLING_JSON ("" leaves the field out)
    local field=""
    [ -n "$2" ] && field=", \"sampling\": $2"
    printf '{"mcpServers": {"test": {"command": "%s", "args": ["--sampling", "--page-size", "20"]%s}}}\n' \
        "$server" "$field" > "$1"
}
config "$tmp/allowed.json" true
config "$tmp/capped.json" '{"max_tokens": 2}'
config "$tmp/denied.json" ""
config "$tmp/bad.json" '"yes"'
expect() {  # expect NAME WANT_EXIT CMD...
    local name="$1" want="$2"; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
    if [ "$rc" != "$want" ]; then echo "FAIL $name: exit $rc, want $want"; cat "$tmp/err"; fail=1; else echo "ok   $name"; fi
}
has() {  # has NAME FILE TEXT
    grep -qF -- "$3" "$2" || { echo "FAIL $1: no '$3' in"; cat "$2"; fail=1; }
}
sample() {  # sample CONFIG ARGS_JSON [more tool run options]
    local cfg="$1" args="$2"; shift 2
    "$cli" --data-dir "$data" tool run test__sample --args "$args" --workspace "$ws" --mcp-config "$cfg" "$@"
}
chat_reply() {  # chat_reply PROMPT MAX_TOKENS: the reply `chat` gives at seed 7
    printf '%s\n' "$1" | "$cli" --data-dir "$data" chat --model "$tmp/tiny" --seed 7 --max-tokens "$2" 2>/dev/null
}

expect allowed 0 sample "$tmp/allowed.json" '{"prompt":"Hello there","max_tokens":8}' --model "$tmp/tiny" --seed 7
got=$(cat "$tmp/out"); want=$(chat_reply "Hello there" 8)
if [ -z "$want" ]; then echo "FAIL chat gave no reply to compare with"; fail=1
elif [ "$got" = "$want" ]; then echo "ok   sampled reply = chat's reply"
else echo "FAIL sampled reply '$got' != chat's '$want'"; fail=1; fi
expect other-seed 0 sample "$tmp/allowed.json" '{"prompt":"Hello there","max_tokens":8}' --model "$tmp/tiny" --seed 8
[ "$(cat "$tmp/out")" != "$got" ] || echo "note: seeds 7 and 8 gave the same reply"

expect capped 0 sample "$tmp/capped.json" '{"prompt":"Hello there","max_tokens":8}' --model "$tmp/tiny" --seed 7
got=$(cat "$tmp/out"); want=$(chat_reply "Hello there" 2)
[ "$got" = "$want" ] && echo "ok   capped reply = chat --max-tokens 2" ||
    { echo "FAIL capped reply '$got' != chat --max-tokens 2 '$want'"; fail=1; }

expect denied 3 sample "$tmp/denied.json" '{"prompt":"hi","max_tokens":4}' --model "$tmp/tiny"
has denied "$tmp/err" "MCP server 'test' may not ask Atelier's model for completions"
has denied-setting "$tmp/err" '"sampling": true in mcpServers.test'
expect no-model 3 sample "$tmp/allowed.json" '{"prompt":"hi","max_tokens":4}'
has no-model "$tmp/err" 'no local model is loaded'
expect image 3 sample "$tmp/allowed.json" '{"prompt":"hi","max_tokens":4,"image":true}' --model "$tmp/tiny"
has image "$tmp/err" 'messages[0].content[1] is image content'
# tool list says which servers may sample, as it says which have the network.
expect list 0 "$cli" --data-dir "$data" tool list --mcp-config "$tmp/allowed.json"
has list "$tmp/out" '(MCP server test, may ask the model for completions)'
expect list-denied 0 "$cli" --data-dir "$data" tool list --mcp-config "$tmp/denied.json"
if grep -q 'may ask the model' "$tmp/out"; then echo "FAIL list-denied says the server may sample"; fail=1; fi
expect bad-config 3 "$cli" --data-dir "$data" tool list --mcp-config "$tmp/bad.json"
has bad-config "$tmp/err" 'mcpServers.test.sampling must be true, false or {"max_tokens": N}'
[ "$(wc -l < "$tmp/err")" = 1 ] || { echo "FAIL errors are one line"; cat "$tmp/err"; fail=1; }

expect audit 0 "$cli" --data-dir "$data" audit export
has audit-answered "$tmp/out" '"completion_tokens":'
has audit-server "$tmp/out" '"mcp_server":"test"'
has audit-refused "$tmp/out" '"allowed":false'
has audit-grant "$tmp/out" '"sampling_max_tokens":2'

# A team run: the agent's forced first call reaches `sample_short`, whose request the run's own
# model answers at the run's seed, as `tool run --model --seed` answers the same arguments.
cat > "$tmp/team.md" <<'TEAM'
---
name: sampler
description: One agent with one MCP tool that samples.
agent:
  name: asker
  tools: [test__sample_short]
  grants:
    - path: ${workspace}
      access: read
  budgets:
    tokens: 20000
    steps: 2
    wall_seconds: 300
    depth: 0
  approval: auto
---
Ask the test__sample_short tool.
TEAM
team_call() {  # team_call CONFIG: runs the team, leaves the first tool_result in $tmp/call.json
    "$cli" --data-dir "$data" team run "$tmp/team.md" --model "$tmp/tiny" --workspace "$ws" --task "Ask." \
        --max-tokens 400 --seed 7 --first-turn-tool-call --max-arg-chars 12 --max-calls-per-turn 1 \
        --approve auto --mcp-config "$1" --json >"$tmp/events" 2>"$tmp/err" || {
        echo "FAIL team run with $1: exit $?"; cat "$tmp/err"; fail=1; return; }
    python3 - "$tmp/events" "$tmp/call.json" <<'PY' || { echo "FAIL team events"; cat "$tmp/events"; fail=1; }
import json, sys
events = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8").read().rstrip("\n").split("\n")]
calls = [e for e in events if e["event"] == "tool_call" and e["tool"] == "test__sample_short"]
results = [e for e in events if e["event"] == "tool_result" and e["tool"] == "test__sample_short"]
assert calls and results, events
json.dump({"args": calls[0]["args"], "result": results[0]}, open(sys.argv[2], "w"))
PY
}
field() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); v=eval(sys.argv[2]); print(v if isinstance(v,str) else json.dumps(v), end="")' "$tmp/call.json" "$1"; }
team_call "$tmp/allowed.json"
if [ -f "$tmp/call.json" ]; then
    if [ "$(field 'd["result"]["ok"]')" = true ]; then
        expect team-tool-run 0 "$cli" --data-dir "$data" tool run test__sample_short --args "$(field 'd["args"]')" \
            --workspace "$ws" --mcp-config "$tmp/allowed.json" --model "$tmp/tiny" --seed 7
        [ "$(field 'd["result"]["result"]')" = "$(cat "$tmp/out")" ] && echo "ok   team run's sampled reply = tool run's" ||
            { echo "FAIL team run's reply '$(field 'd["result"]["result"]')' != tool run's '$(cat "$tmp/out")'"; fail=1; }
        # The sampled tokens are the agent's: on its tool_result, and against its budget.
        sampled=$(field 'd["result"].get("model_tokens", 0)')
        [ "$sampled" -gt 0 ] 2>/dev/null && echo "ok   team run: the sampled tokens ($sampled) are charged to the agent" ||
            { echo "FAIL team run: no model_tokens on the sampling call's result: $(field 'd["result"]')"; fail=1; }
        # A token budget one above the first turn's tokens: the sampled tokens exhaust it, so the
        # run stops before a second turn (without them it would run one and stop on steps). A
        # new data folder: no prefix cached from the runs before, so the first turn costs its
        # whole prompt.
        first=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["event"] == "step":
        u = e["usage"]; print(u["prompt_tokens"] + u["completion_tokens"]); break' "$tmp/events")
        sed "s/tokens: 20000/tokens: $((first + 1))/" "$tmp/team.md" >"$tmp/team-budget.md"
        "$cli" --data-dir "$tmp/data-budget" team run "$tmp/team-budget.md" --model "$tmp/tiny" --workspace "$ws" --task "Ask." \
            --max-tokens 400 --seed 7 --first-turn-tool-call --max-arg-chars 12 --max-calls-per-turn 1 \
            --approve auto --mcp-config "$tmp/allowed.json" --json >"$tmp/events2" 2>"$tmp/err2"
        python3 - "$tmp/events2" <<'PY' && echo "ok   team run: sampled tokens exhaust the agent's token budget" || { echo "FAIL budget run"; cat "$tmp/events2" "$tmp/err2"; fail=1; }
import json, sys
events = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
steps = [e for e in events if e["event"] == "step"]
done = events[-1]
assert len(steps) == 1, steps
assert done["event"] == "done" and done["status"] == "budget_exhausted", done
assert "token budget exhausted" in done.get("report", ""), done
PY
    else
        echo "FAIL team run's sampling call failed: $(field 'd["result"]')"; fail=1
    fi
fi
rm -f "$tmp/call.json"
team_call "$tmp/denied.json"
if [ -f "$tmp/call.json" ]; then
    case "$(field 'd["result"].get("error", "")')" in
    *'"sampling": true in mcpServers.test'*) echo "ok   team run: a server not allowed is refused naming the setting" ;;
    *) echo "FAIL team run denied: $(field 'd["result"]')"; fail=1 ;;
    esac
fi
exit $fail
