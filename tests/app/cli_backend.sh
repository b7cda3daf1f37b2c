#!/usr/bin/env bash
# The global --backend reaches every command that loads a model (docs/cli.md "Global options"):
# a backend that cannot run a model here (`cuda`: the engine has no CUDA model path yet, and
# this machine may have no CUDA build or device) is refused with exit 2 and a reason naming it,
# before any file is read, never replaced by the CPU; `cpu` and `auto` load the model and give
# the same tokens; an unknown name is a usage error.
set -u
cli="$1"
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
data="$tmp/data"

# expect_refused NAME CMD...: exit 2, an error line naming cuda, nothing on stdout.
expect_refused() {
    local name="$1"; shift
    timeout 60 "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    local rc=$?
    if [ "$rc" != 2 ]; then
        echo "FAIL $name: exit $rc, want 2"; cat "$tmp/err"; fail=1; return
    fi
    if ! grep -q "^atelier-cli: error: --backend: backend 'cuda' cannot run a model here: .*CUDA" "$tmp/err"; then
        echo "FAIL $name: the error does not give the reason"; cat "$tmp/err"; fail=1; return
    fi
    if [ -s "$tmp/out" ]; then echo "FAIL $name: wrote to stdout"; cat "$tmp/out"; fail=1; return; fi
    echo "ok   $name refused"
}

# Refused before any file is read: the missing model is not what the error talks about.
expect_refused "generate --backend cuda (missing model)" \
    "$cli" --data-dir "$data" generate --backend cuda --model "$tmp/none" --prompt hi
if grep -q "$tmp/none" "$tmp/err"; then echo "FAIL the model path was read before the backend check"; fail=1; fi

if ! "$cli" model create --preset tiny --out "$tmp/tiny" --seed 5 >/dev/null 2>&1; then
    echo "skip: model create is not available in this build"
    exit $fail
fi
printf 'The note says hello.\n' >"$tmp/prompt.txt"
mkdir -p "$tmp/ws" && printf 'notes\n' >"$tmp/ws/README.md"

# The option works before the subcommand as well as after it.
expect_refused "--backend cuda generate" \
    "$cli" --data-dir "$data" --backend cuda generate --model "$tmp/tiny" --prompt hi --max-tokens 2
expect_refused "generate --backend cuda --raw" \
    "$cli" --data-dir "$data" generate --model "$tmp/tiny" --prompt hi --raw --max-tokens 2 --backend cuda
expect_refused "chat --backend cuda" \
    "$cli" --data-dir "$data" chat --model "$tmp/tiny" --backend cuda
expect_refused "serve --backend cuda" \
    "$cli" --data-dir "$data" serve --model "$tmp/tiny" --port 0 --backend cuda
expect_refused "logits --backend cuda" \
    "$cli" --data-dir "$data" logits --model "$tmp/tiny" --ids 1,2,3 --backend cuda
expect_refused "kv save --backend cuda" \
    "$cli" --data-dir "$data" kv save --model "$tmp/tiny" --prompt-file "$tmp/prompt.txt" --name n --backend cuda
expect_refused "team run --backend cuda" \
    "$cli" --data-dir "$data" team run document-analyst --model "$tmp/tiny" --workspace "$tmp/ws" \
    --task "Summarise" --max-tokens 4 --backend cuda

# An unknown name is a usage error (exit 2).
"$cli" --data-dir "$data" generate --model "$tmp/tiny" --prompt hi --backend tpu >/dev/null 2>"$tmp/err"
rc=$?
if [ "$rc" = 2 ]; then echo "ok   unknown backend: exit 2"; else echo "FAIL unknown backend: exit $rc"; fail=1; fi

# cpu and auto run the model, with the same greedy tokens.
tokens() {
    "$cli" --data-dir "$data" generate --model "$tmp/tiny" --prompt "Hello" --max-tokens 6 \
        --temperature 0 --no-disk-cache --json --backend "$1" 2>"$tmp/err_$1" | grep -o '"token":[0-9]*'
}
cpu=$(tokens cpu); rc_cpu=$?
auto=$(tokens auto)
if [ "$rc_cpu" != 0 ] || [ "$(printf '%s\n' "$cpu" | grep -c token)" != 6 ]; then
    echo "FAIL generate --backend cpu: no 6 tokens"; cat "$tmp/err_cpu"; fail=1
elif [ "$cpu" != "$auto" ]; then
    echo "FAIL --backend cpu and auto gave different tokens"; fail=1
else
    echo "ok   generate --backend cpu and auto: the same 6 tokens"
fi
if "$cli" --data-dir "$data" logits --model "$tmp/tiny" --ids 1,2,3 --backend cpu --json >"$tmp/out" 2>"$tmp/err" &&
   grep -q '"positions"' "$tmp/out"; then
    echo "ok   logits --backend cpu"
else
    echo "FAIL logits --backend cpu"; cat "$tmp/err"; fail=1
fi
if "$cli" --data-dir "$data" kv save --model "$tmp/tiny" --prompt-file "$tmp/prompt.txt" --name n \
       --backend cpu --json >"$tmp/out" 2>"$tmp/err"; then
    echo "ok   kv save --backend cpu"
else
    echo "FAIL kv save --backend cpu"; cat "$tmp/err"; fail=1
fi
exit $fail
