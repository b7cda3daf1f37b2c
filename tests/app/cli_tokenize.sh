#!/usr/bin/env bash
# atelier-cli tokenize / detokenize (CLI.md "Text") on DeepSeek V3's tokenizer.json. Expected
# ids are those of tests/data/tokenizer/expected_ids.json (from the HF tokenizers JS port).
set -u
cli="$1"
data="$(cd "$(dirname "$0")/../data/tokenizer" && pwd)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
zcat "$data/deepseek_v3_tokenizer.json.gz" > "$tmp/tokenizer.json"
mkdir "$tmp/model" && cp "$tmp/tokenizer.json" "$tmp/model/"
fail=0
expect() {  # expect NAME WANT GOT
    if [ "$2" != "$3" ]; then echo "FAIL $1: got '$3', want '$2'"; fail=1; else echo "ok   $1"; fi
}
expect stdin "19923 14 2058 3" "$(printf 'Hello, world!' | "$cli" tokenize --tokenizer "$tmp/tokenizer.json")"
expect json '{"ids":[19923,14,2058,3]}' "$("$cli" tokenize --model "$tmp/model" --text 'Hello, world!' --json)"
expect special "0 19923" "$("$cli" tokenize --model "$tmp/model" --special --text '<｜begin▁of▁sentence｜>Hello')"
plain=$("$cli" tokenize --model "$tmp/model" --text '<｜begin▁of▁sentence｜>Hello')
case " $plain " in *" 0 "*) echo "FAIL plain: BOS matched without --special"; fail=1 ;; *) echo "ok   plain" ;; esac
# <｜User｜> is a non-special added token in V3: only --special may turn it into its id.
expect user-special "128803" "$("$cli" tokenize --model "$tmp/model" --special --text '<｜User｜>')"
plain_user=$("$cli" tokenize --model "$tmp/model" --text '<｜User｜>')
case " $plain_user " in *" 128803 "*) echo "FAIL plain: <｜User｜> matched without --special"; fail=1 ;; *) echo "ok   plain marker" ;; esac
expect detokenize "Hello, world!" "$("$cli" detokenize --model "$tmp/model" --ids 19923,14,2058,3)"
expect roundtrip "<｜begin▁of▁sentence｜>Hello" "$("$cli" detokenize --model "$tmp/model" --ids "$(echo "$plain" | tr ' ' ',')")"
"$cli" detokenize --model "$tmp/model" --ids 1,abc >/dev/null 2>&1; expect bad-ids-exit 2 $?
"$cli" detokenize --model "$tmp/model" --ids 999999999 >/dev/null 2>&1; expect unknown-id-exit 3 $?
"$cli" tokenize --text a >/dev/null 2>&1; expect no-source-exit 2 $?
touch "$tmp/m.gguf"
"$cli" tokenize --model "$tmp/m.gguf" --text a >/dev/null 2>&1; expect gguf-exit 3 $?
"$cli" tokenize --model "$tmp/missing" --text a >/dev/null 2>&1; expect missing-exit 3 $?
exit $fail
