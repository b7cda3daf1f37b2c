#!/usr/bin/env bash
# `atelier-cli tool list|run --mcp-config FILE`: the tools of stdio MCP servers (the tests' own
# mcp_test_server, started in the bubblewrap sandbox) are listed as `<server>__<tool>` with
# their schemas and run like built-in tools: a result on stdout, invalid arguments and policy
# refusals exit 3, a server that crashes mid-call exits 1 with its reason, and every call is in
# the audit log. Exit 77 (skipped) where the test server is not built or bwrap cannot sandbox.
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
printf 'granted text' > "$ws/doc.txt"
printf 'outside text' > "$tmp/secret.txt"
cat > "$tmp/mcp.json" <<JSON
{"mcpServers": {"test": {"command": "$server", "args": ["--page-size", "3"]},
                "off": {"command": "/nonexistent", "disabled": true}}}
JSON
expect() {  # expect NAME WANT_EXIT CMD...
    local name="$1" want="$2"; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
    if [ "$rc" != "$want" ]; then echo "FAIL $name: exit $rc, want $want"; cat "$tmp/err"; fail=1; else echo "ok   $name"; fi
}
has() {  # has NAME FILE TEXT
    grep -qF -- "$3" "$2" || { echo "FAIL $1: no '$3' in"; cat "$2"; fail=1; }
}
expect list 0 "$cli" --data-dir "$data" tool list --json --mcp-config "$tmp/mcp.json"
has list-echo "$tmp/out" '"name":"test__echo"'
has list-last-page "$tmp/out" '"name":"test__big"'
has list-schema "$tmp/out" '"required":["a","b"]'
has list-builtin "$tmp/out" '"name":"files_read"'
expect run 0 "$cli" --data-dir "$data" tool run test__add --args '{"a":2,"b":40}' --workspace "$ws" \
    --mcp-config "$tmp/mcp.json"
[ "$(cat "$tmp/out")" = "42" ] || { echo "FAIL run output"; cat "$tmp/out"; fail=1; }
expect read-grant 0 "$cli" --data-dir "$data" tool run test__read_file --args "{\"path\":\"$ws/doc.txt\"}" \
    --workspace "$ws" --mcp-config "$tmp/mcp.json"
has read-grant "$tmp/out" 'granted text'
expect read-outside 3 "$cli" --data-dir "$data" tool run test__read_file \
    --args "{\"path\":\"$tmp/secret.txt\"}" --workspace "$ws" --mcp-config "$tmp/mcp.json"
if grep -q 'outside text' "$tmp/out" "$tmp/err"; then echo "FAIL read-outside leaked"; fail=1; fi
expect invalid-args 3 "$cli" --data-dir "$data" tool run test__add --args '{"a":"two"}' --workspace "$ws" \
    --mcp-config "$tmp/mcp.json"
has invalid-args "$tmp/err" 'invalid arguments'
expect crash 1 "$cli" --data-dir "$data" tool run test__crash --workspace "$ws" --mcp-config "$tmp/mcp.json"
has crash "$tmp/err" 'crashing on purpose'
# `tool run --timeout` bounds an MCP call that would take 30 s.
start=$(date +%s)
expect slow-call 1 "$cli" --data-dir "$data" tool run test__sleep --args '{"ms":30000}' --workspace "$ws" \
    --mcp-config "$tmp/mcp.json" --timeout 1
has slow-call "$tmp/err" 'did not answer tools/call'
[ $(( $(date +%s) - start )) -lt 15 ] || { echo "FAIL slow-call was not cut off"; fail=1; }
# Our "limits" extension: a bad value names the server and the field.
cat > "$tmp/limits.json" <<JSON
{"mcpServers": {"test": {"command": "$server", "limits": {"processes": 0}}}}
JSON
expect bad-limits 3 "$cli" --data-dir "$data" tool list --mcp-config "$tmp/limits.json"
has bad-limits "$tmp/err" 'mcpServers.test.limits.processes is 0'
cat > "$tmp/limits.json" <<JSON
{"mcpServers": {"test": {"command": "$server", "limits": {"processes": 64, "address_space_mb": 4096}}}}
JSON
expect limits 0 "$cli" --data-dir "$data" tool run test__add --args '{"a":1,"b":2}' --workspace "$ws" \
    --mcp-config "$tmp/limits.json"
printf '{"mcpServers": {"web": {"url": "http://example.invalid/"}}}' > "$tmp/web.json"
expect url-refused 3 "$cli" --data-dir "$data" tool list --mcp-config "$tmp/web.json"
expect missing-config 3 "$cli" --data-dir "$data" tool list --mcp-config "$tmp/none.json"
expect audit 0 "$cli" --data-dir "$data" audit export
has audit-call "$tmp/out" '"tool":"test__add"'
has audit-decision "$tmp/out" "\"path\":\"$ws"
expect no-bwrap 3 env PATH="$tmp/empty" "$cli" --data-dir "$data" tool list --mcp-config "$tmp/mcp.json"
has no-bwrap "$tmp/err" 'bwrap'
exit $fail
