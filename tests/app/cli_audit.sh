#!/usr/bin/env bash
# `atelier-cli audit verify|export` (CLI.md "Agents"): `tool run` appends policy decisions, file
# reads and tool calls to the data folder's audit log; verify reports the record count and
# exits 0 while the chain is intact, and names the first broken seq and exits 3 once a record
# is edited (with the sqlite3 shell, the append-only triggers dropped).
# Issue 21: the anchor beside audit.db makes verify exit 3 when the newest records or all of
# them are deleted or the file is truncated to 0 bytes, and a duplicate-key edit of a payload
# (same JSON, other bytes) breaks the hash; `audit reanchor` accepts a log as it is. A team
# run keeps the log's head in its run row: a log cut back behind it fails verify naming the run
# even with a forged anchor that matches the shortened log.
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
    # A duplicate key parses to the same JSON (the last one wins) but changes the stored bytes.
    d2="$tmp/d2"; mkdir -p "$d2"
    expect dup-setup 0 "$cli" --data-dir "$d2" tool run files_read --args '{"path":"a.txt"}' --workspace "$ws"
    sqlite3 "$d2/audit.db" "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET payload = '{\"path\":\"/etc/shadow\",' || substr(payload, 2) WHERE seq = 2;"
    expect dup-key 3 "$cli" --data-dir "$d2" audit verify --json
    grep -q '"first_broken_seq":2' "$tmp/out" || { echo "FAIL dup-key seq"; cat "$tmp/out"; fail=1; }
    # Cutting records off the end, emptying the log, truncating the file.
    for cut in newest all zero-bytes; do
        d3="$tmp/cut-$cut"; mkdir -p "$d3"
        expect "cut-$cut-setup" 0 "$cli" --data-dir "$d3" tool run files_read --args '{"path":"a.txt"}' --workspace "$ws"
        case $cut in
            newest) sqlite3 "$d3/audit.db" "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq >= 2;" ;;
            all) sqlite3 "$d3/audit.db" "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log;" ;;
            zero-bytes) sqlite3 "$d3/audit.db" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
                        : > "$d3/audit.db"; rm -f "$d3/audit.db-wal" "$d3/audit.db-shm" ;;
        esac
        expect "cut-$cut" 3 "$cli" --data-dir "$d3" audit verify
        grep -q 'counts 3 records' "$tmp/out" || { echo "FAIL cut-$cut message"; cat "$tmp/out"; fail=1; }
        # The next tool call does not hide it.
        expect "cut-$cut-append" 0 "$cli" --data-dir "$d3" tool run files_read --args '{"path":"a.txt"}' --workspace "$ws"
        expect "cut-$cut-still" 3 "$cli" --data-dir "$d3" audit verify --json
        grep -q '"ok":false' "$tmp/out" || { echo "FAIL cut-$cut still broken"; cat "$tmp/out"; fail=1; }
    done
    rm -f "$tmp/cut-all/audit.db.anchor"
    expect anchor-missing 3 "$cli" --data-dir "$tmp/cut-all" audit verify
    grep -q 'is missing' "$tmp/out" || { echo "FAIL anchor-missing message"; cat "$tmp/out"; fail=1; }
    expect reanchor 0 "$cli" --data-dir "$tmp/cut-all" audit reanchor
    expect reanchored 0 "$cli" --data-dir "$tmp/cut-all" audit verify
    # A team run records the log's head in its run row. Cutting the log back behind it and
    # putting back an anchor that matches the shortened log still fails, naming the run.
    d5="$tmp/run-data"; mkdir -p "$d5"
    if "$cli" model create --preset tiny --out "$tmp/tiny" --seed 3 >/dev/null 2>&1; then
        expect team-run 0 "$cli" --data-dir "$d5" team run document-analyst --model "$tmp/tiny" \
            --workspace "$ws" --task "What is in a.txt?" --max-tokens 8 --token-budget 3000 --approve deny --json
        run_id=$(sqlite3 "$d5/atelier.db" "SELECT id FROM runs WHERE audit_records IS NOT NULL")
        at=$(sqlite3 "$d5/atelier.db" "SELECT audit_records FROM runs WHERE id = $run_id")
        [ -n "$run_id" ] && [ "${at:-0}" -gt 1 ] || { echo "FAIL the run recorded no audit head ($run_id, $at)"; fail=1; at=2; }
        expect after-run 0 "$cli" --data-dir "$d5" tool run files_read --args '{"path":"a.txt"}' --workspace "$ws"
        expect run-verify 0 "$cli" --data-dir "$d5" audit verify --json
        grep -q '"runs_checked":1' "$tmp/out" || { echo "FAIL runs_checked"; cat "$tmp/out"; fail=1; }
        keep=$((at - 1))
        sqlite3 "$d5/audit.db" "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq > $keep;"
        head=$(sqlite3 "$d5/audit.db" "SELECT hash FROM audit_log WHERE seq = $keep")
        printf '{"format":1,"records":%s,"head":"%s","legacy_records":0}\n' "$keep" "$head" > "$d5/audit.db.anchor"
        expect run-cut 3 "$cli" --data-dir "$d5" audit verify
        grep -q "run $run_id .*recorded the log at $at records" "$tmp/out" || { echo "FAIL run-cut message"; cat "$tmp/out"; fail=1; }
        expect run-cut-json 3 "$cli" --data-dir "$d5" audit verify --json
        grep -q "\"run_failures\":\[{\"reason\":[^]]*\"run_id\":$run_id" "$tmp/out" || { echo "FAIL run_failures"; cat "$tmp/out"; fail=1; }
        # Refilling the log to the run's count gives that record another hash: still refused.
        expect run-refill 0 "$cli" --data-dir "$d5" tool run files_stat --args '{"path":"a.txt"}' --workspace "$ws"
        expect run-refilled 3 "$cli" --data-dir "$d5" audit verify
        grep -q "run $run_id .*replaced or rewritten" "$tmp/out" || { echo "FAIL run-refilled message"; cat "$tmp/out"; fail=1; }
        # reanchor accepts the log and forgets the head the log lost.
        expect run-reanchor 0 "$cli" --data-dir "$d5" audit reanchor
        grep -q "forgot the audit head of run $run_id" "$tmp/out" || { echo "FAIL run-reanchor"; cat "$tmp/out"; fail=1; }
        expect run-reanchored 0 "$cli" --data-dir "$d5" audit verify
    else
        echo "FAIL model create"; fail=1
    fi
else
    echo "skip tamper checks: no sqlite3 shell"
fi
exit $fail
