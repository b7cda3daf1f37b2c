#!/usr/bin/env bash
# `atelier-cli serve` as LangChain drives it (issue 20): @langchain/openai's ChatOpenAI
# (invoke with system and array-content messages, stream, batch, seed, maxTokens, logprobs,
# usage_metadata on invoke and streams, withStructuredOutput in its jsonSchema, jsonMode and
# functionCalling modes, bindTools with a forced tool and a ToolMessage round trip) and its
# OpenAI completions LLM (a list of prompts in one request, n). Pinned packages are installed
# with npm into the test's own folder under the build directory; without node, npm or the
# registry the test is skipped (77).
# It installs packages and drives the server for minutes under AddressSanitizer, which tests no
# more than the protocol unit tests already do there:
# ctest-labels: slow
set -u
cli="$1"
here=$(cd "$(dirname "$0")" && pwd)
dir="$(cd "$(dirname "$cli")/.." && pwd)/tests/langchain_node"
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
command -v node >/dev/null || { echo "skip: node is not installed"; exit 77; }
command -v npm >/dev/null || { echo "skip: npm is not installed"; exit 77; }
# The versions checked; openai is @langchain/openai's own dependency, pinned so that a new SDK
# release does not change what is tested.
packages=(@langchain/openai@1.6.0 @langchain/core@1.4.0 openai@7.60.0 zod@4.6.7)
installed() {
    for p in "${packages[@]}"; do
        local name=${p%@*} version=${p##*@}
        [ "$(node -p "require('$dir/node_modules/$name/package.json').version" 2>/dev/null)" = "$version" ] || return 1
    done
}
mkdir -p "$dir"
if ! installed; then
    echo '{"name":"atelier-langchain-check","private":true,"type":"module"}' >"$dir/package.json"
    rm -rf "$dir/node_modules" "$dir/package-lock.json"
    # npm warns that @langchain/openai 1.6 and openai 7 ask for node 22; they run on Debian's 20.
    if ! (cd "$dir" && timeout 300 npm install --no-audit --no-fund --silent --save-exact "${packages[@]}" >"$tmp/npm" 2>&1); then
        echo "skip: npm could not install ${packages[*]} (no registry?):"; tail -n 5 "$tmp/npm"
        exit 77
    fi
fi
cp "$here/langchain_check.mjs" "$dir/check.mjs"

"$cli" model create --preset tiny --out "$tmp/tiny" --seed 5 >/dev/null 2>&1 || { echo "FAIL model create"; exit 1; }
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
echo "@langchain/openai $(node -p "require('$dir/node_modules/@langchain/openai/package.json').version") against $url"
# LangChain reads OPENAI_API_KEY and the LangSmith tracing switches from the environment: the
# check passes its own key and must not trace to anywhere.
env -u OPENAI_API_KEY -u OPENAI_BASE_URL -u LANGSMITH_TRACING -u LANGCHAIN_TRACING_V2 \
    node "$dir/check.mjs" "$url" tiny
