#!/usr/bin/env bash
# `atelier-cli serve` as the official OpenAI Node SDK uses it (issue 20, items 2-5): array
# content parts and refused image parts, response_format json_object / json_schema (parsed
# and validated on many sampled replies of a tiny random model), logprobs / top_logprobs,
# parallel_tool_calls false, random seed when none is given, max_tokens defaulting to the
# context, stream_options.include_usage, list prompts and n on /v1/completions, and
# GET /v1/models/{id}. The `openai` package is installed with npm into the test's own folder
# under the build directory; without node, npm or the registry the test is skipped (77).
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
echo "openai $(node -p "require('$dir/node_modules/openai/package.json').version") against $url"
node "$dir/check.mjs" "$url" tiny
