#!/usr/bin/env bash
# `atelier-cli serve` as the official OpenAI Node SDK uses it (issue 20, items 2-5): array
# content parts and refused image parts, response_format json_object / json_schema (parsed
# and validated on many sampled replies of a tiny random model), logprobs / top_logprobs,
# parallel_tool_calls false, random seed when none is given, max_tokens defaulting to the
# context, stream_options.include_usage, list prompts and n on /v1/completions, and
# GET /v1/models/{id}; and, with Atelier as the client, `generate --remote` sending no seed
# unless --seed is given (a capturing stand-in server). The `openai` package is installed with npm into the test's own folder
# under the build directory; without node, npm or the registry the test is skipped (77).
# It installs packages and drives the server for minutes under AddressSanitizer, which tests no
# more than the protocol unit tests already do there:
# ctest-labels: slow
set -u
cli="$1"
here=$(cd "$(dirname "$0")" && pwd)
dir="$(cd "$(dirname "$cli")/.." && pwd)/tests/openai_sdk_node"
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
command -v node >/dev/null || { echo "skip: node is not installed"; exit 77; }
command -v npm >/dev/null || { echo "skip: npm is not installed"; exit 77; }
mkdir -p "$dir"
if [ ! -f "$dir/node_modules/openai/package.json" ]; then
    [ -f "$dir/package.json" ] || echo '{"name":"atelier-openai-sdk-check","private":true,"type":"module"}' >"$dir/package.json"
    if ! (cd "$dir" && timeout 180 npm install --no-audit --no-fund --silent openai@6 >"$tmp/npm" 2>&1); then
        echo "skip: npm could not install the openai package (no registry?):"; tail -n 5 "$tmp/npm"
        exit 77
    fi
fi
cp "$here/openai_sdk_check.mjs" "$dir/check.mjs"

"$cli" model create --preset tiny --out "$tmp/tiny" --seed 3 >/dev/null 2>&1 || { echo "FAIL model create"; exit 1; }
"$cli" serve --model "$tmp/tiny" --port 0 >"$tmp/out" 2>"$tmp/log" &
pid=$!
url=
for _ in $(seq 1 300); do
    url=$(head -n 1 "$tmp/out" 2>/dev/null)
    [ -n "$url" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
[ -n "$url" ] || { echo "FAIL serve did not print its address"; cat "$tmp/log"; exit 1; }
# Atelier as the client: `generate --remote` sends no seed unless --seed is given.
fails=0
for seeded in no yes; do
    python3 "$here/openai_capture_server.py" "$tmp/body.$seeded" >"$tmp/cap.$seeded" &
    cap=$!
    curl_url=
    for _ in $(seq 1 100); do curl_url=$(head -n 1 "$tmp/cap.$seeded" 2>/dev/null); [ -n "$curl_url" ] && break; sleep 0.1; done
    extra=(); [ $seeded = yes ] && extra=(--seed 9)
    "$cli" generate --remote "$curl_url" --allow-host 127.0.0.1 --prompt Hi --max-tokens 3 "${extra[@]}" >/dev/null 2>"$tmp/gen.err"
    wait "$cap"
    if [ $seeded = no ]; then
        python3 -c 'import json,sys; sys.exit("seed" in json.load(open(sys.argv[1])))' "$tmp/body.no" \
            && echo "ok   generate --remote without --seed sends no seed" || { echo "FAIL generate --remote sent a seed"; cat "$tmp/body.no" "$tmp/gen.err"; fails=1; }
    else
        python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1])).get("seed") != 9)' "$tmp/body.yes" \
            && echo "ok   generate --remote --seed 9 sends seed 9" || { echo "FAIL generate --remote --seed 9"; cat "$tmp/body.yes" "$tmp/gen.err"; fails=1; }
    fi
done

echo "openai $(node -p "require('$dir/node_modules/openai/package.json').version") against $url"
node "$dir/check.mjs" "$url" tiny || fails=1
exit $fails
