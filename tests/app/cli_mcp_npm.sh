#!/usr/bin/env bash
# MCP servers as users install them (issue 20, item 1): the reference servers
# @modelcontextprotocol/server-filesystem, -everything and -memory installed with npm into a
# folder outside the workspace (under the build folder, keyed by their versions, so reruns do
# not reinstall) and configured by their node_modules/.bin links. `tool list` starts them with
# no folder granted (their install trees are bound read-only); `tool run` calls their tools;
# server-memory keeps its graph in its "state" folder across two separate runs; a `npx -y`
# configuration without "network" fails at once saying the sandbox has no network; a server
# with "network": true says so in `tool list` and in the audit log; a team run calls a tool
# of server-memory; and with "sampling" server-everything's trigger-sampling-request is answered
# by a tiny model as the tests' own server's request is. Without node, npm, the registry or a working bwrap the test is skipped (77).
# It installs packages and starts node many times:
# ctest-labels: slow
set -u
cli="$1"
command -v node >/dev/null || { echo "skip: node is not installed"; exit 77; }
command -v npm >/dev/null || { echo "skip: npm is not installed"; exit 77; }
bwrap --unshare-all --ro-bind /usr /usr --symlink usr/lib64 /lib64 --symlink usr/lib /lib \
    /usr/bin/true 2>/dev/null || { echo "skip: bwrap cannot sandbox here"; exit 77; }
versions="server-filesystem@2026.8.31 server-everything@2026.8.31 server-memory@2026.8.31"
key=$(echo "$versions" | tr ' @' '_-')
npmdir="$(cd "$(dirname "$cli")/.." && pwd)/tests/mcp_npm/$key"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ ! -f "$npmdir/installed" ]; then
    mkdir -p "$npmdir"
    echo '{"name":"atelier-mcp-npm-check","private":true}' >"$npmdir/package.json"
    pkgs=""; for v in $versions; do pkgs="$pkgs @modelcontextprotocol/$v"; done
    # shellcheck disable=SC2086
    if ! (cd "$npmdir" && timeout 300 npm install --no-audit --no-fund --silent $pkgs >"$tmp/npm" 2>&1); then
        echo "skip: npm could not install the MCP servers (no registry?):"; tail -n 5 "$tmp/npm"
        exit 77
    fi
    touch "$npmdir/installed"
fi
bin="$npmdir/node_modules/.bin"
fail=0
ws="$tmp/ws"; data="$tmp/data"
mkdir -p "$ws" "$data"
printf 'hello from the workspace\n' >"$ws/note.txt"
cat >"$tmp/mcp.json" <<JSON
{"mcpServers": {
  "fs": {"command": "$bin/mcp-server-filesystem", "args": ["$ws"]},
  "every": {"command": "$bin/mcp-server-everything", "args": ["stdio"]},
  "mem": {"command": "$bin/mcp-server-memory", "state": true,
          "env": {"MEMORY_FILE_PATH": "\${ATELIER_MCP_STATE}/memory.jsonl"}}}}
JSON
expect() {  # expect NAME WANT_EXIT CMD...
    local name="$1" want="$2"; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
    if [ "$rc" != "$want" ]; then echo "FAIL $name: exit $rc, want $want"; head -c 3000 "$tmp/err"; fail=1; else echo "ok   $name"; fi
}
has() {  # has NAME FILE TEXT
    grep -qF -- "$3" "$2" || { echo "FAIL $1: no '$3' in"; head -c 3000 "$2"; echo; fail=1; }
}
# Listing: every server starts from outside the workspace; the filesystem server needs its
# root folder, which --workspace grants (read-only).
expect list 0 "$cli" --data-dir "$data" tool list --mcp-config "$tmp/mcp.json" --workspace "$ws"
has list-mem "$tmp/out" 'mem__read_graph'
has list-every "$tmp/out" 'every__echo'
has list-fs "$tmp/out" 'fs__list_directory'
# A tool that must run as a task is not listed, and stderr says why.
if grep -q 'simulate-research-query' "$tmp/out"; then echo "FAIL task-only tool listed"; fail=1; fi
has task-only "$tmp/err" 'must run as a task'
# Without --workspace the filesystem server's root is hidden: the first line says so.
expect list-no-root 1 "$cli" --data-dir "$data" tool list --mcp-config "$tmp/mcp.json"
has list-no-root "$tmp/err" "MCP server 'fs' failed to start in the sandbox: a file or folder it needs is not visible"
# Progress notifications of a long call: one stderr line each.
expect progress 0 "$cli" --data-dir "$data" tool run every__trigger-long-running-operation \
    --args '{"duration":1,"steps":3}' --workspace "$ws" --mcp-config "$tmp/mcp.json"
has progress "$tmp/err" 'progress: every__trigger-long-running-operation 3/3'
# tool run: the filesystem server reads the granted workspace.
expect fs-list 0 "$cli" --data-dir "$data" tool run fs__list_directory --args "{\"path\":\"$ws\"}" \
    --workspace "$ws" --mcp-config "$tmp/mcp.json"
has fs-list "$tmp/out" 'note.txt'
expect fs-read 0 "$cli" --data-dir "$data" tool run fs__read_text_file --args "{\"path\":\"$ws/note.txt\"}" \
    --workspace "$ws" --mcp-config "$tmp/mcp.json"
has fs-read "$tmp/out" 'hello from the workspace'
expect every-echo 0 "$cli" --data-dir "$data" tool run every__echo --args '{"message":"ping 42"}' \
    --workspace "$ws" --mcp-config "$tmp/mcp.json"
has every-echo "$tmp/out" 'ping 42'
# server-memory writes its graph into its state folder; a second run (a new process) reads it.
expect mem-create 0 "$cli" --data-dir "$data" tool run mem__create_entities \
    --args '{"entities":[{"name":"Atelier","entityType":"project","observations":["written in C++20"]}]}' \
    --workspace "$ws" --mcp-config "$tmp/mcp.json"
[ -s "$data/mcp/mem/memory.jsonl" ] || { echo "FAIL mem-state: no $data/mcp/mem/memory.jsonl"; fail=1; }
expect mem-read 0 "$cli" --data-dir "$data" tool run mem__read_graph --workspace "$ws" --mcp-config "$tmp/mcp.json"
has mem-read "$tmp/out" 'written in C++20'
# Without "state" the same write fails on the read-only install tree, and the error says how to fix it.
cat >"$tmp/nostate.json" <<JSON
{"mcpServers": {"mem": {"command": "$bin/mcp-server-memory"}}}
JSON
expect mem-no-state 3 "$cli" --data-dir "$data" tool run mem__create_entities \
    --args '{"entities":[{"name":"X","entityType":"t","observations":["o"]}]}' --workspace "$ws" \
    --mcp-config "$tmp/nostate.json"
has mem-no-state "$tmp/err" 'mem__create_entities failed (the sandbox gives this server no writable folder: set "state": true'
# npx without network: refused at once, saying why (it used to hang for 15 s).
cat >"$tmp/npx.json" <<JSON
{"mcpServers": {"mem": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory"]}}}
JSON
start=$(date +%s)
expect npx-no-network 3 "$cli" --data-dir "$data" tool list --mcp-config "$tmp/npx.json"
has npx-no-network "$tmp/err" 'the sandbox has no network'
[ $(( $(date +%s) - start )) -lt 5 ] || { echo "FAIL npx-no-network was not immediate"; fail=1; }
# "network": true is shown by tool list and audited.
cat >"$tmp/net.json" <<JSON
{"mcpServers": {"every": {"command": "$bin/mcp-server-everything", "args": ["stdio"], "network": true}}}
JSON
expect net-list 0 "$cli" --data-dir "$data" tool list --mcp-config "$tmp/net.json"
has net-list "$tmp/out" 'with network access'
# Without "sampling" the client does not declare it, so server-everything hides its sampling tool.
if grep -q 'trigger-sampling-request' "$tmp/out"; then echo "FAIL trigger-sampling-request listed without sampling"; fail=1; fi
expect net-run 0 "$cli" --data-dir "$data" tool run every__echo --args '{"message":"net"}' --workspace "$ws" \
    --mcp-config "$tmp/net.json"
expect audit 0 "$cli" --data-dir "$data" audit export
has audit-network "$tmp/out" '"mcp_server":"every","network":true'
has audit-call "$tmp/out" '"tool":"mem__read_graph"'
# A server whose program is missing inside the sandbox names what the sandbox hid, first.
cat >"$tmp/hidden.json" <<JSON
{"mcpServers": {"mem": {"command": "node", "args": ["$npmdir/node_modules/@modelcontextprotocol/server-memory/dist/missing.js"]}}}
JSON
expect hidden 1 "$cli" --data-dir "$data" tool list --mcp-config "$tmp/hidden.json"
has hidden "$tmp/err" "MCP server 'mem' failed to start in the sandbox"
# A team run: one agent whose only tool is mem__read_graph calls it on its first turn.
cat >"$tmp/reader.md" <<'TEAM'
---
name: reader
description: One agent reading the memory graph.
agent:
  name: reader
  tools: [mem__read_graph]
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
Read the memory graph.
TEAM
if "$cli" model create --preset tiny --out "$tmp/tiny" --seed 5 >/dev/null 2>&1; then
    "$cli" --data-dir "$data" team run "$tmp/reader.md" --model "$tmp/tiny" --workspace "$ws" \
        --task "What is in memory?" --max-tokens 1000 --seed 7 --first-turn-tool-call --max-calls-per-turn 1 \
        --approve auto --mcp-config "$tmp/mcp.json" --json >"$tmp/events" 2>"$tmp/err"
    rc=$?
    [ "$rc" = 0 ] || { echo "FAIL team run: exit $rc"; head -c 3000 "$tmp/err"; fail=1; }
    python3 - "$tmp/events" <<'PY' || { echo "FAIL team events"; head -c 3000 "$tmp/events"; fail=1; }
import json, sys
events = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8").read().rstrip("\n").split("\n")]
results = [e for e in events if e["event"] == "tool_result" and e["tool"] == "mem__read_graph"]
assert results and results[0]["ok"], results
assert "written in C++20" in results[0]["result"], results[0]
print("ok   team run called mem__read_graph and read the stored graph")
PY
else
    echo "FAIL model create"; fail=1
fi
# MCP sampling: server-everything offers trigger-sampling-request only to a client that declares
# sampling, which Atelier does for a server configured with "sampling". Its request (a system
# prompt, a user message, temperature 0.7, maxTokens capped at 5 by the configuration) is
# answered by the tiny model with the text that the tests' own mcp_test_server gets for the
# same request (a different server, the same conversation, the same seed).
cat >"$tmp/sampling.json" <<JSON
{"mcpServers": {"every": {"command": "$bin/mcp-server-everything", "args": ["stdio"],
                          "sampling": {"max_tokens": 5}}}}
JSON
if [ -d "$tmp/tiny" ]; then
    expect sampling-list 0 "$cli" --data-dir "$data" tool list --mcp-config "$tmp/sampling.json"
    has sampling-list "$tmp/out" 'every__trigger-sampling-request'
    expect sampling-run 0 "$cli" --data-dir "$data" tool run every__trigger-sampling-request \
        --args '{"prompt":"hello","maxTokens":50}' --workspace "$ws" --mcp-config "$tmp/sampling.json" \
        --model "$tmp/tiny" --seed 7
    has sampling-run "$tmp/out" '"role": "assistant"'
    has sampling-run "$tmp/out" '"stopReason": "maxTokens"'
    testserver="$(cd "$(dirname "$cli")/.." && pwd)/tests/mcp_test_server"
    if [ -x "$testserver" ]; then
        cp "$tmp/out" "$tmp/every.out"
        printf '{"mcpServers": {"test": {"command": "%s", "args": ["--sampling"], "sampling": {"max_tokens": 5}}}}\n' \
            "$testserver" >"$tmp/test-sampling.json"
        expect sampling-same 0 "$cli" --data-dir "$data" tool run test__sample --args \
            '{"prompt":"Resource trigger-sampling-request context: hello","system":"You are a helpful test server.","temperature":0.7,"max_tokens":50}' \
            --workspace "$ws" --mcp-config "$tmp/test-sampling.json" --model "$tmp/tiny" --seed 7 --json
        python3 - "$tmp/every.out" "$tmp/out" <<'PY' || fail=1
import json, sys
every = open(sys.argv[1], encoding="utf-8", errors="surrogateescape").read()
result = json.loads(every[every.index("{"):])
ours = json.loads(open(sys.argv[2], encoding="utf-8", errors="surrogateescape").read())
want = ours["data"]["structuredContent"]["content"]["text"]
if result["content"]["text"] != want:
    print("FAIL sampling-same: server-everything got %r, mcp_test_server %r" % (result["content"]["text"], want))
    sys.exit(1)
print("ok   server-everything's sampling reply = mcp_test_server's for the same request")
PY
    fi
fi
exit $fail
