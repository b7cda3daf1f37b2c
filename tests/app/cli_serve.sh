#!/usr/bin/env bash
# `atelier-cli serve` (CLI.md, Serving) over real HTTP with curl: --port 0 prints the bound
# address first; /v1/models, chat completions (plain and SSE ending in [DONE]) and completions
# answer in OpenAI's shape; malformed bodies get 400 with an error object; --api-key demands a
# bearer key (401); a non-loopback host without a key is refused (exit 3); `generate --remote`
# talks to the server only with the host allowed, and gives the local text; `team run --remote`
# runs a team on the server; SIGTERM stops the server with exit 0.
# Hardening (issue 21): JSON nested 100,000 deep is 400 and the server keeps answering; a body
# not sent as application/json is 415; a foreign Host header (DNS rebinding) and a cross-origin
# browser request are 403 unless --allow-host-header / --cors allow them; a host name that only
# starts like a loopback address is not loopback (exit 3 without a key).
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

"$cli" serve --model "$tmp/none" --host 127.0.0.1.example.invalid >/dev/null 2>"$tmp/err"
code=$?
check "a name starting with 127. is not loopback (exit 3)" '[ $code = 3 ] && grep -q -- "--api-key" "$tmp/err"'
check "serve --help lists --cors and --allow-host-header" '"$cli" serve --help | grep -q -- "--cors" && "$cli" serve --help | grep -q -- "--allow-host-header"'

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
curl -sN "$url/v1/chat/completions" -H 'Content-Type: application/json' -d "${body%\}},\"stream\":true}" >"$tmp/sse"
check "streamed chat opens with the role and ends with data: [DONE]" '[ "$(grep -v "^$" "$tmp/sse" | tail -n 1)" = "data: [DONE]" ] && grep -q "\"delta\":{\"role\":\"assistant\"" "$tmp/sse"'
curl -s "$url/v1/completions" -H 'Content-Type: application/json' -d '{"prompt":[1,2,3],"max_tokens":3,"temperature":0}' >"$tmp/cmpl"
check "completion from token ids" 'grep -q "\"prompt_tokens\":3" "$tmp/cmpl" && grep -q "\"text_completion\"" "$tmp/cmpl"'
status=$(curl -s -o "$tmp/bad" -w '%{http_code}' "$url/v1/chat/completions" -H 'Content-Type: application/json' -d '{"messages": [')
check "malformed JSON is 400 with an error object" '[ "$status" = 400 ] && grep -q "\"error\":{\"message\"" "$tmp/bad"'
status=$(curl -s -o "$tmp/nf" -w '%{http_code}' "$url/v1/nothing")
check "unknown route is 404 with an error object" '[ "$status" = 404 ] && grep -q "\"type\"" "$tmp/nf"'

{ printf '{"messages":'; head -c 100000 /dev/zero | tr '\0' '['; head -c 100000 /dev/zero | tr '\0' ']'; printf '}'; } >"$tmp/deep.json"
status=$(curl -s -o "$tmp/deep" -w '%{http_code}' "$url/v1/chat/completions" -H 'Content-Type: application/json' --data-binary @"$tmp/deep.json")
check "JSON nested 100,000 deep is 400 and the server still answers" '[ "$status" = 400 ] && grep -q "deeper than" "$tmp/deep" && curl -sf "$url/v1/models" >/dev/null'
status=$(curl -s -o "$tmp/plain" -w '%{http_code}' "$url/v1/chat/completions" -H 'Content-Type: text/plain' -d "$body")
check "a text/plain body (a cross-site form post) is 415" '[ "$status" = 415 ] && grep -q "application/json" "$tmp/plain"'
status=$(curl -s -o "$tmp/form" -w '%{http_code}' "$url/v1/chat/completions" -d "$body")
check "a form-encoded body is 415" '[ "$status" = 415 ]'
status=$(curl -s -o "$tmp/host" -w '%{http_code}' "$url/v1/models" -H 'Host: rebound.example:8080')
check "a foreign Host header (DNS rebinding) is 403" '[ "$status" = 403 ] && grep -q "allow-host-header" "$tmp/host"'
status=$(curl -s -o "$tmp/origin" -w '%{http_code}' "$url/v1/chat/completions" -H 'Origin: http://evil.example' -H 'Content-Type: application/json' -d "$body")
check "a cross-origin browser request is 403" '[ "$status" = 403 ] && grep -q -- "--cors" "$tmp/origin"'

"$cli" generate --remote "$url" --prompt Hi --max-tokens 3 --temperature 0 --json >"$tmp/r1" 2>"$tmp/r1err"
code=$?
check "generate --remote without --allow-host is refused (exit 3)" '[ $code = 3 ] && grep -q "allowlist" "$tmp/r1err"'
"$cli" generate --remote "$url" --allow-host 127.0.0.1 --prompt Hi --max-tokens 3 --temperature 0 --json >"$tmp/r2" 2>"$tmp/r2err"
check "generate --remote with the host allowed" '[ $? = 0 ] && tail -n 1 "$tmp/r2" | grep -q "\"done\":true"'

echo Hi | "$cli" chat --remote "$url" --allow-host 127.0.0.1 --max-tokens 3 >"$tmp/c1" 2>"$tmp/c1err"
check "chat --remote answers a line from stdin" '[ $? = 0 ] && [ -s "$tmp/c1" ]'
# One turn pipeline (issue 18): greedy, the same prompt gives the same text locally, through
# `serve` read back by `generate --remote`, and in serve's own chat completion.
texts() { python3 -c 'import sys, json; print("".join(json.loads(l).get("text", "") for l in sys.stdin))'; }
"$cli" generate --model "$tmp/tiny" --prompt "Say one thing." --max-tokens 6 --temperature 0 --json 2>/dev/null | texts >"$tmp/same.local"
"$cli" generate --remote "$url" --allow-host 127.0.0.1 --prompt "Say one thing." --max-tokens 6 --temperature 0 --json 2>/dev/null | texts >"$tmp/same.remote"
curl -s "$url/v1/chat/completions" -H 'Content-Type: application/json' \
    -d '{"messages":[{"role":"user","content":"Say one thing."}],"max_tokens":6,"temperature":0}' |
    python3 -c 'import sys, json; print(json.load(sys.stdin)["choices"][0]["message"]["content"] or "")' >"$tmp/same.serve"
check "generate, generate --remote and serve give the same text" 'cmp -s "$tmp/same.local" "$tmp/same.remote" && cmp -s "$tmp/same.local" "$tmp/same.serve"'
"$cli" generate --remote "$url" --allow-host 127.0.0.1 --no-stream --prompt "Say one thing." --max-tokens 6 --temperature 0 --json 2>/dev/null | texts >"$tmp/same.whole"
check "generate --remote --no-stream gives the same text as the stream" 'cmp -s "$tmp/same.local" "$tmp/same.whole"'
# A server that is not there: one line saying where and what, exit 1 (an I/O error).
deadport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
"$cli" generate --remote "http://127.0.0.1:$deadport" --allow-host 127.0.0.1 --prompt Hi --max-tokens 3 >/dev/null 2>"$tmp/dead"
code=$?
check "an unreachable server is one line naming it" '[ $code != 0 ] && [ "$(wc -l <"$tmp/dead")" = 1 ] && grep -q "cannot connect to http://127.0.0.1:$deadport" "$tmp/dead"'

# A team on a remote backend: the agents' turns go to the server, the tools run here.
mkdir -p "$tmp/ws"; echo "the answer is 42" >"$tmp/ws/a.txt"
"$cli" --data-dir "$tmp/data" team run document-analyst --remote "$url" --workspace "$tmp/ws" \
    --task "What does a.txt say?" --max-tokens 4 --json >"$tmp/t0" 2>"$tmp/t0err"
code=$?
check "team run --remote without --allow-host is refused (exit 3)" '[ $code = 3 ] && grep -q "allowlist" "$tmp/t0err"'
"$cli" --data-dir "$tmp/data" team run document-analyst --remote "$url" --allow-host 127.0.0.1 --workspace "$tmp/ws" \
    --task "What does a.txt say?" --max-tokens 4 --temperature 0 --json >"$tmp/t1" 2>"$tmp/t1err"
code=$?
check "team run --remote reaches its done event" '[ $code = 0 ] && grep -q "\"event\":\"step\"" "$tmp/t1" && tail -n 1 "$tmp/t1" | grep -q "\"event\":\"done\""'

echo Hi | "$cli" chat >/dev/null 2>"$tmp/c2err"
code=$?
check "chat without --model or --remote is a usage error" '[ $code = 2 ] && grep -q "^atelier-cli: error: .*--model" "$tmp/c2err"'

kill -TERM "$pid"; wait "$pid"; code=$?
check "SIGTERM stops the server with exit 0" '[ $code = 0 ]'

start --cors http://app.example:3000 --allow-host-header atelier.lan
check "--cors lets the named origin in" '[ "$(curl -s -o /dev/null -w "%{http_code}" -H "Origin: http://app.example:3000" "$url/v1/models")" = 200 ] && curl -s -D - -o /dev/null -H "Origin: http://app.example:3000" "$url/v1/models" | grep -qi "^Access-Control-Allow-Origin: http://app.example:3000"'
check "--cors answers the preflight" '[ "$(curl -s -o /dev/null -w "%{http_code}" -X OPTIONS -H "Origin: http://app.example:3000" -H "Access-Control-Request-Method: POST" "$url/v1/chat/completions")" = 204 ]'
check "other origins stay refused" '[ "$(curl -s -o /dev/null -w "%{http_code}" -H "Origin: http://evil.example" "$url/v1/models")" = 403 ]'
check "--allow-host-header accepts the name" '[ "$(curl -s -o /dev/null -w "%{http_code}" -H "Host: atelier.lan" "$url/v1/models")" = 200 ]'
kill -TERM "$pid"; wait "$pid"

start --api-key sekrit
check "no key is 401" '[ "$(curl -s -o /dev/null -w "%{http_code}" "$url/v1/models")" = 401 ]'
check "wrong key is 401" '[ "$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer nope" "$url/v1/models")" = 401 ]'
check "right key is 200" '[ "$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer sekrit" "$url/v1/models")" = 200 ]'
exit $fail
