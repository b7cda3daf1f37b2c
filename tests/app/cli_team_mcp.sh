#!/usr/bin/env bash
# ctest-labels: slow
# `atelier-cli team run --mcp-config FILE`: an MCP server's tools (the tests' own
# mcp_test_server, in the bubblewrap sandbox) are offered to a team like built-in tools. A team
# whose one agent may use only `test__add` is forced to call a tool on its first turn; the call
# goes through policy and approval to the server and its result comes back as a tool_result. A
# team naming an MCP tool without --mcp-config is refused before the model loads. Exit 77
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
exit $fail
