#!/usr/bin/env bash
# ctest-labels: slow
# `atelier-cli team run --mcp-config FILE`: an MCP server's tools (the tests' own
# mcp_test_server, in the bubblewrap sandbox) are offered to a team like built-in tools. A team
# whose one agent may use only `test__add` is forced to call a tool on its first turn; the call
# goes through policy and approval to the server and its result comes back as a tool_result. A
# team naming an MCP tool without --mcp-config is refused before the model loads. The server's
# progress notifications during a call are tool_progress events of the calling agent. Exit 77
# (skipped) where the test server is not built or bwrap cannot sandbox.
set -u
cli="$1"
server="$(cd "$(dirname "$cli")/.." && pwd)/tests/mcp_test_server"
[ -x "$server" ] || { echo "skip: $server is not built"; exit 77; }
bwrap --unshare-all --ro-bind /usr /usr --symlink usr/lib64 /lib64 --symlink usr/lib /lib \
    /usr/bin/true 2>/dev/null || { echo "skip: bwrap cannot sandbox here"; exit 77; }
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/ws" "$tmp/data"
cat > "$tmp/mcp.json" <<JSON
{"mcpServers": {"test": {"command": "$server"}}}
JSON
cat > "$tmp/adder.md" <<'TEAM'
---
name: adder
description: One agent with one MCP tool.
agent:
  name: adder
  tools: [test__add]
  grants:
    - path: ${workspace}
      access: read
  budgets:
    tokens: 20000
    steps: 2
    wall_seconds: 300
    depth: 0
  approval: ask_all
---
Add numbers with the test__add tool.
TEAM
"$cli" --data-dir "$tmp/data" team run "$tmp/adder.md" --workspace "$tmp/ws" --task "2+40" \
    --model "$tmp/none" >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" = 3 ] && grep -q 'test__add' "$tmp/err" && echo "ok   unknown MCP tool refused without --mcp-config" \
    || { echo "FAIL without --mcp-config: exit $rc"; cat "$tmp/err"; fail=1; }
"$cli" model create --preset tiny --out "$tmp/tiny" --seed 5 >/dev/null 2>&1 || { echo "FAIL model create"; exit 1; }
"$cli" --data-dir "$tmp/data" team run "$tmp/adder.md" --model "$tmp/tiny" --workspace "$tmp/ws" \
    --task "Add 2 and 40." --max-tokens 1000 --seed 7 --first-turn-tool-call --max-arg-chars 8 --max-calls-per-turn 1 \
    --approve auto --mcp-config "$tmp/mcp.json" --json >"$tmp/events" 2>"$tmp/err"
rc=$?
[ "$rc" = 0 ] || { echo "FAIL team run: exit $rc"; cat "$tmp/err"; fail=1; }
python3 - "$tmp/events" <<'PY' || { echo "FAIL events"; cat "$tmp/events"; fail=1; }
import json, sys
events = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8").read().rstrip("\n").split("\n")]
calls = [e for e in events if e["event"] == "tool_call"]
results = [e for e in events if e["event"] == "tool_result"]
assert calls and calls[0]["tool"] == "test__add", calls
assert calls[0]["decision"] in ("allow", "ask"), calls[0]
assert results and results[0]["tool"] == "test__add", results
# The arguments are random integers (the grammar keeps them integers): the server's sum.
args = calls[0]["args"]
if results[0]["ok"]:
    assert results[0]["result"].strip() == str(args["a"] + args["b"]), (args, results[0])
else:  # a schema-valid call the server refused would be a bug in the bridge
    raise AssertionError(results[0])
print("ok   team called the MCP tool:", args, "->", results[0]["result"].strip())
PY
"$cli" --data-dir "$tmp/data" audit export >"$tmp/audit" 2>&1
grep -qF '"tool":"test__add"' "$tmp/audit" && echo "ok   the call is audited" \
    || { echo "FAIL audit"; head -c 2000 "$tmp/audit"; fail=1; }

# Progress: the server's notifications/progress during a call are tool_progress events of the
# calling agent, between its tool_call and tool_result (JSON), or lines (text).
cat > "$tmp/mcp-progress.json" <<JSON
{"mcpServers": {"test": {"command": "$server", "args": ["--progress"]}}}
JSON
sed -e 's/name: adder/name: prog/' -e 's/test__add\]/test__progress]/' "$tmp/adder.md" >"$tmp/prog.md"
for mode in json text; do
    flag=--json; [ "$mode" = text ] && flag=
    "$cli" --data-dir "$tmp/data" team run "$tmp/prog.md" --model "$tmp/tiny" --workspace "$tmp/ws" \
        --task "Report progress." --max-tokens 1000 --seed 7 --first-turn-tool-call --max-calls-per-turn 1 \
        --approve auto --mcp-config "$tmp/mcp-progress.json" $flag >"$tmp/progress-$mode" 2>"$tmp/err"
    rc=$?
    [ "$rc" = 0 ] || { echo "FAIL progress team run ($mode): exit $rc"; cat "$tmp/err"; fail=1; }
done
python3 - "$tmp/progress-json" <<'PY' || { echo "FAIL progress events"; cat "$tmp/progress-json"; fail=1; }
import json, sys
events = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8").read().rstrip("\n").split("\n")]
kinds = [e["event"] for e in events]
call = kinds.index("tool_call")
assert kinds[call + 1:call + 5] == ["tool_progress"] * 3 + ["tool_result"], kinds
for i, e in enumerate(events[call + 1:call + 4], start=1):
    assert e == {"event": "tool_progress", "agent": "prog", "tool": "test__progress", "progress": i,
                 "total": 3, "message": "step %d of 3" % i}, e
assert events[call + 4]["ok"] and events[call + 4]["result"].strip() == "progressed", events[call + 4]
print("ok   MCP progress is three tool_progress events of the calling agent")
PY
grep -qF '[prog] test__progress progress 3/3: step 3 of 3' "$tmp/progress-text" \
    && echo "ok   MCP progress prints in a team run without --json" \
    || { echo "FAIL progress text"; cat "$tmp/progress-text"; fail=1; }
exit $fail
