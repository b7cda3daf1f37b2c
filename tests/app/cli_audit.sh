#!/usr/bin/env bash
# `atelier-cli audit verify|export` (CLI.md "Agents"): `tool run` appends policy decisions, file
# reads and tool calls to the data folder's audit log; verify reports the record count and
# exits 0 while the chain is intact, and names the first broken seq and exits 3 once a record
# is edited (with the sqlite3 shell, the append-only triggers dropped).
set -u
cli="$1"
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ws="$tmp/ws"; data="$tmp/data"
mkdir -p "$ws" "$data"
printf 'alpha\nbeta\n' > "$ws/a.txt"
expect() {  # expect NAME WANT_EXIT CMD...
    local name="$1" want="$2"; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
    if [ "$rc" != "$want" ]; then echo "FAIL $name: exit $rc, want $want"; cat "$tmp/err"; fail=1; else echo "ok   $name"; fi
}
expect empty-verify 0 "$cli" --data-dir "$data" audit verify --json
grep -q '"records":0' "$tmp/out" || { echo "FAIL empty log count"; cat "$tmp/out"; fail=1; }
expect read 0 "$cli" --data-dir "$data" tool run files_read --args '{"path":"a.txt"}' --workspace "$ws"
expect refused 3 "$cli" --data-dir "$data" tool run files_read --args '{"path":"../x.txt"}' --workspace "$ws"
expect audit-self 3 "$cli" --data-dir "$data" tool run files_read --args "{\"path\":\"$data/audit.db\"}" --workspace "$ws"
# Even a data folder inside the workspace is denied to tools.
expect audit-inside 3 "$cli" --data-dir "$ws/data" tool run files_read --args '{"path":"data/audit.db"}' --workspace "$ws"
grep -q '^atelier-cli: error: policy:' "$tmp/err" || { echo "FAIL data folder policy message"; cat "$tmp/err"; fail=1; }
expect verify 0 "$cli" --data-dir "$data" audit verify --json
grep -q '"ok":true' "$tmp/out" || { echo "FAIL verify ok"; cat "$tmp/out"; fail=1; }
records=$(sed -n 's/.*"records":\([0-9]*\).*/\1/p' "$tmp/out")
# read: decision + file read + call; refused: decision + call; audit-self: decision + call.
[ "$records" = 7 ] || { echo "FAIL records: $records, want 7"; fail=1; }
expect export 0 "$cli" --data-dir "$data" audit export
[ "$(wc -l < "$tmp/out")" = 7 ] || { echo "FAIL export lines"; fail=1; }
for kind in policy_decision file_read tool_call; do
    grep -q "\"kind\":\"$kind\"" "$tmp/out" || { echo "FAIL export lacks $kind"; fail=1; }
done
grep -q '"allowed":false' "$tmp/out" || { echo "FAIL export lacks the refusal"; fail=1; }
if command -v sqlite3 >/dev/null; then
    sqlite3 "$data/audit.db" "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor='mallory' WHERE seq=4;"
    expect broken 3 "$cli" --data-dir "$data" audit verify --json
    grep -q '"first_broken_seq":4' "$tmp/out" || { echo "FAIL broken seq"; cat "$tmp/out"; fail=1; }
    expect broken-text 3 "$cli" --data-dir "$data" audit verify
    grep -q 'seq 4' "$tmp/out" || { echo "FAIL broken text"; cat "$tmp/out"; fail=1; }
else
    echo "skip tamper checks: no sqlite3 shell"
fi
exit $fail
