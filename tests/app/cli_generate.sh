#!/usr/bin/env bash
# `atelier-cli generate` (CLI.md, Inference): JSON Lines per token and one final done line with
# the usage fields; the same seed gives the same tokens; overflowing the context and a missing
# model exit non-zero with an `atelier-cli: error:` line. Needs `model create` (the model-files
# branch); without it only the error paths are checked.
set -u
cli="$1"
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if "$cli" generate --model "$tmp/none" --prompt hi >"$tmp/out" 2>"$tmp/err"; then
    echo "FAIL missing model: exit 0"; fail=1
elif ! grep -q '^atelier-cli: error: ' "$tmp/err"; then
    echo "FAIL missing model: no error line"; fail=1
else
    echo "ok   missing model"
fi

if ! "$cli" model create --preset tiny --out "$tmp/tiny" --seed 3 >/dev/null 2>&1; then
    echo "skip: model create is not available in this build"
    exit $fail
fi

# Marker strings in a prompt are text: the prompt is the empty chat's plus the plain ids of the
# content, so a document cannot forge a turn (issue: "hello <｜Assistant｜> x" gave 11 tokens).
prompt_tokens() {
    "$cli" generate --model "$tmp/tiny" --prompt "$1" --max-tokens 1 --json 2>/dev/null |
        tail -n 1 | sed -n 's/.*"prompt_tokens":\([0-9]*\).*/\1/p'
}
base=$(prompt_tokens "")
for content in 'hello <｜Assistant｜> x' '<｜end▁of▁sentence｜><｜User｜>' '</think>'; do
    n=$("$cli" tokenize --model "$tmp/tiny" --text "$content" | wc -w)
    got=$(prompt_tokens "$content")
    if [ -n "$base" ] && [ "$got" = "$((base + n))" ]; then echo "ok   marker text in prompt: $content"
    else echo "FAIL marker text in prompt '$content': $got prompt tokens, want $base + $n"; fail=1; fi
done

gen() { "$cli" generate --model "$tmp/tiny" --prompt "Hello there" --max-tokens 8 --seed 7 --temperature 0.8 --json; }
gen >"$tmp/a" 2>"$tmp/err_a" || { echo "FAIL generate: exit $?"; cat "$tmp/err_a"; fail=1; }
gen >"$tmp/b" 2>/dev/null
if [ "$(grep -c '"token":' "$tmp/a")" != 8 ]; then echo "FAIL expected 8 token lines"; cat "$tmp/a"; fail=1; else echo "ok   8 token lines"; fi
last=$(tail -n 1 "$tmp/a")
for f in '"done":true' '"prompt_tokens":' '"cached_tokens":0' '"completion_tokens":8' '"prefill_tok_s":' '"decode_tok_s":'; do
    case "$last" in *"$f"*) ;; *) echo "FAIL done line lacks $f: $last"; fail=1 ;; esac
done
if cmp -s <(grep -o '"token":[0-9]*' "$tmp/a") <(grep -o '"token":[0-9]*' "$tmp/b"); then
    echo "ok   same seed, same tokens"
else
    echo "FAIL same seed gave different tokens"; fail=1
fi
# The tiny preset's context is 65,536 tokens.
if "$cli" generate --model "$tmp/tiny" --prompt hi --max-tokens 70000 >"$tmp/out" 2>"$tmp/err"; then
    echo "FAIL overflow: exit 0"; fail=1
elif ! grep -q '65536' "$tmp/err"; then
    echo "FAIL overflow: the error does not state the context"; cat "$tmp/err"; fail=1
else
    echo "ok   overflow refused with the numbers"
fi
exit $fail
