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
expect bad-config 3 "$cli" --data-dir "$data" tool list --mcp-config "$tmp/bad.json"
has bad-config "$tmp/err" 'mcpServers.test.sampling must be true, false or {"max_tokens": N}'
[ "$(wc -l < "$tmp/err")" = 1 ] || { echo "FAIL errors are one line"; cat "$tmp/err"; fail=1; }

expect audit 0 "$cli" --data-dir "$data" audit export
has audit-answered "$tmp/out" '"completion_tokens":'
has audit-server "$tmp/out" '"mcp_server":"test"'
has audit-refused "$tmp/out" '"allowed":false'
has audit-grant "$tmp/out" '"sampling_max_tokens":2'
exit $fail
