#!/usr/bin/env bash
# `atelier-cli serve` (CLI.md, Serving) over real HTTP with curl: --port 0 prints the bound
# address first; /v1/models, chat completions (plain and SSE ending in [DONE]) and completions
# answer in OpenAI's shape; malformed bodies get 400 with an error object; --api-key demands a
# bearer key (401); a non-loopback host without a key is refused (exit 3); `generate --remote`
# talks to the server only with the host allowed; SIGTERM stops the server with exit 0.
set -u
cli="$1"
fail=0
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
command -v curl >/dev/null || { echo "skip: no curl"; exit 77; }
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }

"$cli" serve --model "$tmp/none" --host 0.0.0.0 >/dev/null 2>"$tmp/err"
code=$?
check "non-loopback host without --api-key exits 3" '[ $code = 3 ] && grep -q "^atelier-cli: error: .*--api-key" "$tmp/err"'

"$cli" model create --preset tiny --out "$tmp/tiny" --seed 3 >/dev/null 2>&1 || { echo "FAIL model create"; exit 1; }

# Starts a server; sets $url from its first stdout line.
start() {
    "$cli" serve --model "$tmp/tiny" --port 0 "$@" >"$tmp/out.$#" 2>"$tmp/log.$#" &
    pids+=($!)
    pid=$!
    for _ in $(seq 1 300); do
        url=$(head -n 1 "$tmp/out.$#" 2>/dev/null)
        [ -n "$url" ] && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "FAIL serve did not print its address"; cat "$tmp/log.$#"; exit 1
}

start
check "first line is the bound address" '[[ "$url" =~ ^http://127\.0\.0\.1:[0-9]+$ ]]'
check "GET /v1/models" 'curl -sf "$url/v1/models" | grep -q "\"object\":\"list\""'
body='{"messages":[{"role":"system","content":"Be terse."},{"role":"user","content":"Hi"}],"max_tokens":4,"temperature":0}'
curl -s "$url/v1/chat/completions" -H 'Content-Type: application/json' -d "$body" >"$tmp/chat"
check "chat completion with usage and cached tokens" 'grep -q "\"object\":\"chat.completion\"" "$tmp/chat" && grep -q "\"cached_tokens\":" "$tmp/chat" && grep -q "\"finish_reason\":\"\(stop\|length\)\"" "$tmp/chat"'
curl -sN "$url/v1/chat/completions" -d "${body%\}},\"stream\":true}" >"$tmp/sse"
check "streamed chat opens with the role and ends with data: [DONE]" '[ "$(grep -v "^$" "$tmp/sse" | tail -n 1)" = "data: [DONE]" ] && grep -q "\"delta\":{\"role\":\"assistant\"" "$tmp/sse"'
curl -s "$url/v1/completions" -d '{"prompt":[1,2,3],"max_tokens":3,"temperature":0}' >"$tmp/cmpl"
check "completion from token ids" 'grep -q "\"prompt_tokens\":3" "$tmp/cmpl" && grep -q "\"text_completion\"" "$tmp/cmpl"'
status=$(curl -s -o "$tmp/bad" -w '%{http_code}' "$url/v1/chat/completions" -d '{"messages": [')
check "malformed JSON is 400 with an error object" '[ "$status" = 400 ] && grep -q "\"error\":{\"message\"" "$tmp/bad"'
status=$(curl -s -o "$tmp/nf" -w '%{http_code}' "$url/v1/nothing")
check "unknown route is 404 with an error object" '[ "$status" = 404 ] && grep -q "\"type\"" "$tmp/nf"'

"$cli" generate --remote "$url" --prompt Hi --max-tokens 3 --temperature 0 --json >"$tmp/r1" 2>"$tmp/r1err"
code=$?
check "generate --remote without --allow-host is refused (exit 3)" '[ $code = 3 ] && grep -q "allowlist" "$tmp/r1err"'
"$cli" generate --remote "$url" --allow-host 127.0.0.1 --prompt Hi --max-tokens 3 --temperature 0 --json >"$tmp/r2" 2>"$tmp/r2err"
check "generate --remote with the host allowed" '[ $? = 0 ] && tail -n 1 "$tmp/r2" | grep -q "\"done\":true"'

echo Hi | "$cli" chat --remote "$url" --allow-host 127.0.0.1 --max-tokens 3 >"$tmp/c1" 2>"$tmp/c1err"
check "chat --remote answers a line from stdin" '[ $? = 0 ] && [ -s "$tmp/c1" ]'
echo Hi | "$cli" chat >/dev/null 2>"$tmp/c2err"
code=$?
check "chat without --model or --remote is a usage error" '[ $code = 2 ] && grep -q "^atelier-cli: error: .*--model" "$tmp/c2err"'

kill -TERM "$pid"; wait "$pid"; code=$?
check "SIGTERM stops the server with exit 0" '[ $code = 0 ]'

start --api-key sekrit
check "no key is 401" '[ "$(curl -s -o /dev/null -w "%{http_code}" "$url/v1/models")" = 401 ]'
check "wrong key is 401" '[ "$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer nope" "$url/v1/models")" = 401 ]'
check "right key is 200" '[ "$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer sekrit" "$url/v1/models")" = 200 ]'
exit $fail
