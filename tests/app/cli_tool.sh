#!/usr/bin/env bash
# `atelier-cli tool list|run` (CLI.md "Agents"): the files tools are registered; a run reads
# inside the workspace; a policy refusal or invalid arguments exit 3 with the reason.
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
rm -f "$ws.out" "$ws.err"
exit $fail
