#!/usr/bin/env bash
# `atelier-cli generate --tools FILE`: the tools are offered in the prompt (more prompt tokens
# than without them) and generation runs under the DSML constraint; a malformed tools file exits
# 3 and a missing one fails, each with an `atelier-cli: error:` line. Needs `model create`.
set -u
cli="$1"
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! "$cli" model create --preset tiny --out "$tmp/tiny" --seed 3 >/dev/null 2>&1; then
    echo "skip: model create is not available in this build"
    exit 0
fi
cat >"$tmp/tools.json" <<'JSON'
[{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object",
  "properties": {"location": {"type": "string"}}, "required": ["location"]}}}]
JSON
printf '[{"type": "function", "function": {"name": "a\\"b", "parameters": {}}}]' >"$tmp/bad.json"

gen() { "$cli" generate --model "$tmp/tiny" --prompt "Weather in Paris?" --max-tokens 6 --seed 2 --mode chat --json "$@"; }
if gen --tools "$tmp/tools.json" >"$tmp/with" 2>"$tmp/err"; then
    echo "ok   generate --tools"
else
    echo "FAIL generate --tools: exit $?"; cat "$tmp/err"; fail=1
fi
# Six tokens end the turn at max tokens: finish_reason "length" and no tool call reported.
python3 - "$tmp/with" <<'PY' && echo "ok   a turn cut by --max-tokens reports length, no tool call" \
    || { echo "FAIL done line of a cut turn"; tail -n 1 "$tmp/with"; fail=1; }
import json, sys
done = json.loads(open(sys.argv[1], encoding="utf-8").read().rstrip("\n").split("\n")[-1])
assert done["done"] and done["finish_reason"] == "length", done
assert done["tool_calls"] == [], done
PY
gen >"$tmp/without" 2>/dev/null
ptok() { tail -n 1 "$1" | grep -o '"prompt_tokens":[0-9]*' | cut -d: -f2; }
if [ -n "$(ptok "$tmp/with")" ] && [ "$(ptok "$tmp/with")" -gt "$(ptok "$tmp/without")" ]; then
    echo "ok   tools are rendered into the prompt"
else
    echo "FAIL prompt tokens with tools $(ptok "$tmp/with") vs without $(ptok "$tmp/without")"; fail=1
fi
gen --tools "$tmp/bad.json" >/dev/null 2>"$tmp/err"
rc=$?
if [ $rc = 3 ] && grep -q '^atelier-cli: error: ' "$tmp/err"; then
    echo "ok   malformed tools exit 3"
else
    echo "FAIL malformed tools: exit $rc"; cat "$tmp/err"; fail=1
fi
if gen --tools "$tmp/none.json" >/dev/null 2>"$tmp/err" || ! grep -q '^atelier-cli: error: ' "$tmp/err"; then
    echo "FAIL missing tools file"; fail=1
else
    echo "ok   missing tools file"
fi
exit $fail
