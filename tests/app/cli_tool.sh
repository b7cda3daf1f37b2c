#!/usr/bin/env bash
# `atelier-cli tool list|run` (CLI.md "Agents"): the files tools are registered; a run reads
# inside the workspace; a policy refusal or invalid arguments exit 3 with the reason; a FIFO
# does not block a search, and --timeout ends a costly one.
set -u
cli="$1"
fail=0
ws=$(mktemp -d)
trap 'rm -rf "$ws"' EXIT
export XDG_DATA_HOME="$ws/.xdg"  # `tool run` writes the audit log to the data folder
mkdir -p "$ws/docs"
printf 'first\nsecond needle\n' > "$ws/docs/a.txt"
expect() {  # expect NAME WANT_EXIT CMD...
    local name="$1" want="$2"; shift 2
    "$@" >"$ws.out" 2>"$ws.err"; local rc=$?
    if [ "$rc" != "$want" ]; then echo "FAIL $name: exit $rc, want $want"; cat "$ws.err"; fail=1; else echo "ok   $name"; fi
}
expect list 0 "$cli" tool list --json
for t in files_list files_stat files_read files_search; do
    grep -q "\"$t\"" "$ws.out" || { echo "FAIL tool list lacks $t"; fail=1; }
done
expect read 0 "$cli" tool run files_read --args '{"path":"docs/a.txt","start_line":2}' --workspace "$ws" --json
grep -q 'second needle' "$ws.out" || { echo "FAIL read output"; fail=1; }
expect escape 3 "$cli" tool run files_read --args '{"path":"../../etc/passwd"}' --workspace "$ws"
grep -q '^atelier-cli: error: policy:' "$ws.err" || { echo "FAIL policy message"; fail=1; }
expect bad-args 3 "$cli" tool run files_read --args '{"path":7}' --workspace "$ws"
expect bad-json 3 "$cli" tool run files_read --args '{"path":' --workspace "$ws"
expect unknown-tool 3 "$cli" tool run no_such_tool --args '{}' --workspace "$ws"
# Issue 21: every call has a deadline (--timeout, default 120 s). A FIFO in the workspace is
# skipped, never opened (it would block a search for ever); a search costlier than its
# deadline stops there with a message saying so (without the deadline it runs for seconds).
mkfifo "$ws/docs/pipe"
expect fifo 0 timeout 20 "$cli" tool run files_search --args '{"pattern":"needle"}' --workspace "$ws" --json
grep -q '"skipped_special":1' "$ws.out" || { echo "FAIL fifo not skipped"; cat "$ws.out"; fail=1; }
python3 -c "print('\n'.join(['a' * 18 + 'X'] * 4000))" > "$ws/docs/slow.txt"
start=$(date +%s%N)
expect deadline 1 timeout 60 "$cli" tool run files_search --args '{"pattern":"^(a+)+$","path":"docs/slow.txt"}' \
    --workspace "$ws" --timeout 1
ms=$(( ($(date +%s%N) - start) / 1000000 ))
grep -q "stopped at the call's deadline" "$ws.err" || { echo "FAIL deadline message"; cat "$ws.err"; fail=1; }
[ "$ms" -lt 10000 ] && echo "ok   deadline after ${ms} ms" || { echo "FAIL deadline took ${ms} ms"; fail=1; }
expect bad-timeout 2 "$cli" tool run files_search --args '{"pattern":"x"}' --workspace "$ws" --timeout 0
rm -f "$ws.out" "$ws.err"
exit $fail
