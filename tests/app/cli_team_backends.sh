#!/usr/bin/env bash
# Per-agent backends in a team file (docs/cli.md "Per-agent backends", issue #18): `team check`
# and `team run` refuse a server whose host is not on --allow-host (exit 3, naming the file, the
# agent and the host, before any model is loaded), and a key written in the file; `team check
# --json` reports each agent's backend; and a team whose one agent names a local `serve` (which
# demands a key, read from the agent's api_key_env) runs there with no --model and no --remote;
# --remote when every agent names its own backend is refused rather than ignored.
set -u
cli="$1"
fail=0
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; cat "$tmp/err" 2>/dev/null; fail=1; fi; }
mkdir -p "$tmp/ws/docs" "$tmp/data"
printf 'Revenue grew 12%% in Q3.\n' >"$tmp/ws/docs/report.txt"

# A one-agent team whose agent has the backend line $2.
team() {
    cat >"$tmp/$1.md" <<EOF
---
name: $1
agent:
  name: analyst
  tools: [files_read]
  grants: [{path: "\${workspace}", access: read}]
  budgets: {tokens: 4000, steps: 1, wall_seconds: 120, depth: 0}
  approval: auto
  backend: $2
---
You read the report and answer.
EOF
}

team gpu '{url: "http://gpu-box:8000/v1", model: deepseek-v4-flash}'
"$cli" team check "$tmp/gpu.md" --workspace "$tmp/ws" >/dev/null 2>"$tmp/err"; rc=$?
check "team check refuses a host not allowed (exit 3, file, agent, host)" \
    '[ $rc = 3 ] && grep -q "^atelier-cli: error: $tmp/gpu.md: agent .analyst.*host .gpu-box." "$tmp/err"'
"$cli" team check "$tmp/gpu.md" --workspace "$tmp/ws" --allow-host other --allow-host GPU-BOX --json >"$tmp/out" 2>"$tmp/err"; rc=$?
check "team check --allow-host accepts it and reports the backend" \
    '[ $rc = 0 ] && grep -q "\"backend\":\"http://gpu-box:8000/v1\"" "$tmp/out"'
"$cli" --data-dir "$tmp/data" team run "$tmp/gpu.md" --model "$tmp/none" --workspace "$tmp/ws" --task t >/dev/null 2>"$tmp/err"; rc=$?
check "team run refuses it before loading a model (exit 3)" \
    '[ $rc = 3 ] && grep -q "$tmp/gpu.md: agent .analyst.*host .gpu-box." "$tmp/err" && ! grep -q "$tmp/none" "$tmp/err"'
# --remote serves only the agents without a backend key: with none, it is refused (exit 2),
# not silently left unused, before anything is contacted.
"$cli" --data-dir "$tmp/data" team run "$tmp/gpu.md" --remote http://other-box:9000 --allow-host gpu-box \
    --allow-host other-box --workspace "$tmp/ws" --task t >/dev/null 2>"$tmp/err"; rc=$?
check "team run refuses an unused --remote (exit 2, naming it)" \
    '[ $rc = 2 ] && grep -q "^atelier-cli: error: --remote http://other-box:9000 would not be used: every agent" "$tmp/err"'
team keyed '{url: "http://gpu-box:8000/v1", api_key: sk-secret}'
"$cli" team check "$tmp/keyed.md" --workspace "$tmp/ws" --allow-host gpu-box >/dev/null 2>"$tmp/err"; rc=$?
check "a key in the team file is refused (exit 3)" \
    '[ $rc = 3 ] && grep -q "never holds a key" "$tmp/err" && ! grep -q sk-secret "$tmp/err"'
team unknown '{url: "http://gpu-box:8000/v1", timeout: 5}'
"$cli" team check "$tmp/unknown.md" --workspace "$tmp/ws" --allow-host gpu-box >/dev/null 2>"$tmp/err"; rc=$?
check "an unknown backend key is refused (exit 3)" '[ $rc = 3 ] && grep -q "unknown field .timeout." "$tmp/err"'

command -v curl >/dev/null || { echo "skip: no curl for the served run"; exit $fail; }
"$cli" model create --preset tiny --out "$tmp/tiny" --seed 3 >/dev/null 2>&1 || { echo "FAIL model create"; exit 1; }
"$cli" serve --model "$tmp/tiny" --port 0 --api-key served-key >"$tmp/serve.out" 2>"$tmp/serve.log" &
pids+=($!)
url=""
for _ in $(seq 1 300); do
    url=$(head -n 1 "$tmp/serve.out" 2>/dev/null)
    [ -n "$url" ] && break
    kill -0 "${pids[0]}" 2>/dev/null || break
    sleep 0.1
done
[ -n "$url" ] || { echo "FAIL serve did not print its address"; cat "$tmp/serve.log"; exit 1; }
team served "{url: \"$url/v1\", api_key_env: ATELIER_TEST_SERVED_KEY}"
run() {
    "$cli" --data-dir "$tmp/data" team run "$tmp/served.md" --allow-host 127.0.0.1 --workspace "$tmp/ws" \
        --task "What grew?" --max-tokens 8 --json
}
ATELIER_TEST_SERVED_KEY=served-key run >"$tmp/events" 2>"$tmp/err"; rc=$?
check "the agent runs on the server it names (no --model, no --remote)" \
    '[ $rc = 0 ] && tail -n 1 "$tmp/events" | grep -q "\"event\":\"done\"" && grep "\"event\":\"step\"" "$tmp/events" | grep -q "\"agent\":\"analyst\""'
(unset ATELIER_TEST_SERVED_KEY; run) >/dev/null 2>"$tmp/err"; rc=$?
check "its api_key_env not set: exit 3 naming the variable" '[ $rc = 3 ] && grep -q "ATELIER_TEST_SERVED_KEY" "$tmp/err"'
ATELIER_TEST_SERVED_KEY=wrong-key run >"$tmp/events" 2>"$tmp/err"
check "a wrong key: the server refuses the agent's turns" \
    'tail -n 1 "$tmp/events" | grep "\"status\":\"failed\"" | grep -q "HTTP 401"'
exit $fail
