#!/usr/bin/env bash
# atelier-cli chat-template reproduces the four official DeepSeek V4 encoder outputs byte for
# byte (file and stdin input, --no-bos, --keep-reasoning); parse-completion prints the
# OpenAI-style message and exits 3 on malformed turns (CLI.md "Text").
set -u
cli="$1"
vec="$2/conformance/dsv4-encoding"
if [ ! -d "$vec" ]; then echo "SKIP: shared/conformance is not beside the repository"; exit 77; fi
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bos='<｜begin▁of▁sentence｜>'
eos='<｜end▁of▁sentence｜>'

check() {  # check NAME EXPECTED_EXIT COMMAND...
    local name="$1" want="$2"; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?
    if [ "$rc" != "$want" ]; then
        echo "FAIL $name: exit $rc, expected $want"; cat "$tmp/err"; fail=1
    else
        echo "ok   $name"
    fi
}
same() {  # same NAME FILE_A FILE_B
    if cmp -s "$2" "$3"; then echo "ok   $1"; else echo "FAIL $1: output differs"; fail=1; fi
}

for i in 1 2 3 4; do
    mode=thinking; [ "$i" = 4 ] && mode=chat
    check "vector $i" 0 "$cli" --data-dir "$tmp" chat-template --mode "$mode" --input "$vec/input_$i.json"
    same "vector $i bytes" "$tmp/out" "$vec/output_$i.txt"
    "$cli" --data-dir "$tmp" chat-template --mode "$mode" <"$vec/input_$i.json" >"$tmp/stdin_out"
    same "vector $i from stdin" "$tmp/stdin_out" "$vec/output_$i.txt"
    "$cli" --data-dir "$tmp" chat-template --mode "$mode" --no-bos --input "$vec/input_$i.json" >"$tmp/nobos"
    printf '%s' "$bos" | cat - "$tmp/nobos" >"$tmp/withbos"
    same "vector $i --no-bos" "$tmp/withbos" "$vec/output_$i.txt"
done

# Vector 1 carries tools, so nothing is dropped and --keep-reasoning changes nothing.
"$cli" --data-dir "$tmp" chat-template --mode thinking --keep-reasoning --input "$vec/input_1.json" >"$tmp/keep1"
same "keep-reasoning with tools" "$tmp/keep1" "$vec/output_1.txt"
"$cli" --data-dir "$tmp" chat-template --mode thinking --keep-reasoning --input "$vec/input_2.json" >"$tmp/keep2"
grep -q '<think>The user said hello, I should greet back.</think>' "$tmp/keep2" \
    && echo "ok   keep-reasoning keeps earlier reasoning" \
    || { echo "FAIL keep-reasoning keeps earlier reasoning"; fail=1; }
"$cli" --data-dir "$tmp" chat-template --mode max --input "$vec/input_2.json" >"$tmp/max"
head -c 200 "$tmp/max" | grep -q "^${bos}Reasoning Effort: Absolute maximum with no shortcuts permitted.$" \
    && echo "ok   max prefix" || { echo "FAIL max prefix"; fail=1; }

check "bad mode" 2 "$cli" --data-dir "$tmp" chat-template --mode turbo --input "$vec/input_1.json"
echo '[{"role":"tool","content":"x"}]' >"$tmp/orphan.json"
check "orphan tool result" 3 "$cli" --data-dir "$tmp" chat-template --mode chat --input "$tmp/orphan.json"
grep -q '^atelier-cli: error: .*message 0: tool result without a preceding assistant' "$tmp/err" \
    || { echo "FAIL orphan tool message text"; cat "$tmp/err"; fail=1; }
check "missing input file" 3 "$cli" --data-dir "$tmp" chat-template --mode chat --input "$tmp/nope.json"

# parse-completion
printf 'Because.</think>\n\n<｜DSML｜tool_calls>\n<｜DSML｜invoke name="get_weather">\n<｜DSML｜parameter name="location" string="true">Beijing</｜DSML｜parameter>\n<｜DSML｜parameter name="days" string="false">3</｜DSML｜parameter>\n</｜DSML｜invoke>\n</｜DSML｜tool_calls>%s' "$eos" >"$tmp/turn"
check "parse tool call" 0 "$cli" --data-dir "$tmp" parse-completion --mode thinking --input "$tmp/turn"
want='{"role":"assistant","reasoning_content":"Because.","content":"","tool_calls":[{"type":"function","function":{"name":"get_weather","arguments":"{\"location\": \"Beijing\", \"days\": 3}"}}]}'
[ "$(cat "$tmp/out")" = "$want" ] && echo "ok   parse tool call JSON" || { echo "FAIL parse tool call JSON: $(cat "$tmp/out")"; fail=1; }
check "parse with --tools" 0 "$cli" --data-dir "$tmp" parse-completion --mode thinking --input "$tmp/turn" --tools "$vec/input_1.json"
grep -q '"unknown_tools":\[\]' "$tmp/out" && echo "ok   known tool" || { echo "FAIL known tool: $(cat "$tmp/out")"; fail=1; }
echo '[{"type":"function","function":{"name":"search"}}]' >"$tmp/tools.json"
check "parse unknown tool" 0 "$cli" --data-dir "$tmp" parse-completion --mode thinking --input "$tmp/turn" --tools "$tmp/tools.json"
grep -q '"unknown_tools":\["get_weather"\]' "$tmp/out" && echo "ok   unknown tool reported" || { echo "FAIL unknown tool: $(cat "$tmp/out")"; fail=1; }
printf 'Hi there%s' "$eos" | "$cli" --data-dir "$tmp" parse-completion --mode chat >"$tmp/out"; rc=$?
[ "$rc" = 0 ] && [ "$(cat "$tmp/out")" = '{"role":"assistant","reasoning_content":"","content":"Hi there","tool_calls":[]}' ] \
    && echo "ok   parse chat from stdin" || { echo "FAIL parse chat from stdin"; fail=1; }
printf 'no end' >"$tmp/bad1"
check "parse unclosed reasoning" 3 "$cli" --data-dir "$tmp" parse-completion --mode thinking --input "$tmp/bad1"
grep -q '^atelier-cli: error: .*offset [0-9]*: ' "$tmp/err" || { echo "FAIL error offset"; fail=1; }
printf 'r</think>\n\n<｜DSML｜tool_calls>\n<｜DSML｜invoke name="f">\n<｜DSML｜parameter name="p" string="false">{x</｜DSML｜parameter>\n</｜DSML｜invoke>\n</｜DSML｜tool_calls>%s' "$eos" >"$tmp/bad2"
check "parse bad JSON parameter" 3 "$cli" --data-dir "$tmp" parse-completion --mode thinking --input "$tmp/bad2"
printf 'r</think>\n\n<｜DSML｜tool_calls>\n</｜DSML｜tool_calls>junk' >"$tmp/bad3"
check "parse text after calls" 3 "$cli" --data-dir "$tmp" parse-completion --mode max --input "$tmp/bad3"
check "parse bad mode" 2 "$cli" --data-dir "$tmp" parse-completion --mode fast --input "$tmp/turn"
exit $fail
