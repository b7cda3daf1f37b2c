#!/usr/bin/env bash
# atelier-cli session list|show|export|import|search (CLI.md "Agents"): a session imported from
# JSON lists, shows and exports; export → import → export is the same up to ids; missing
# sessions, newer or malformed files and foreign databases exit 3 with a clear message.
set -u
cli="$1"
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
data="$tmp/data"
err="$tmp/err"
check() {  # check NAME EXPECTED_EXIT COMMAND...
    local name="$1" want="$2"; shift 2
    out=$("$@" 2>"$err"); rc=$?
    if [ "$rc" != "$want" ]; then
        echo "FAIL $name: exit $rc, expected $want"; cat "$err"; fail=1
    else
        echo "ok   $name"
    fi
}
expect() {  # expect NAME PATTERN: the last output matches the extended regex
    if ! printf '%s' "$out" | grep -Eq -- "$2"; then echo "FAIL $1: no /$2/ in output"; fail=1; fi
}
expect_err() {
    if ! grep -Eq -- "$2" "$err"; then echo "FAIL $1: no /$2/ on stderr"; cat "$err"; fail=1; fi
}
cat > "$tmp/s.json" <<'JSON'
{"format":"atelier-session","version":1,
 "session":{"id":7,"title":"Grüße from the CLI","kind":"chat","created_ms":1764300000000,
            "updated_ms":1764300005000,"folder":"/docs","favourite":true,"model":"tiny"},
 "messages":[
  {"id":1,"role":"user","content":"What is in notes.md?","reasoning":"","tool_calls":"",
   "tool_results":"","agent":"","parent_id":null,"created_ms":1764300001000},
  {"id":2,"role":"assistant","content":"","reasoning":"I should read the file.",
   "tool_calls":"[{\"type\":\"function\",\"function\":{\"name\":\"files_read\",\"arguments\":\"{}\"}}]",
   "tool_results":"","agent":"","parent_id":1,"created_ms":1764300002000},
  {"id":3,"role":"tool","content":"","reasoning":"","tool_calls":"","tool_results":"buy milk",
   "agent":"","parent_id":2,"created_ms":1764300003000},
  {"id":4,"role":"assistant","content":"It says to buy milk.","reasoning":"","tool_calls":"",
   "tool_results":"","agent":"","parent_id":3,"created_ms":1764300004000}],
 "runs":[{"id":5,"team":"review-team","task":"read","status":"ok","started_ms":1764300000500,
          "finished_ms":1764300006000,
          "steps":[{"id":1,"agent":"manager","step_index":0,"kind":"tool_call","payload":"{}",
                    "status":"ok","created_ms":1764300002000}],
          "approvals":[{"id":1,"agent":"manager","tool":"files_read","arguments":"{}",
                        "decision":"allow","decided_by":"user","decided_ms":1764300002100}]}]}
JSON
check list-empty 0 "$cli" --data-dir "$data" session list --json
expect list-empty '^\{"sessions":\[\]\}$'
check import 0 "$cli" --data-dir "$data" session import "$tmp/s.json" --json
expect import '^\{"id":[0-9]+\}$'
id=$(printf '%s' "$out" | tr -dc 0-9)
check list 0 "$cli" session list --data-dir "$data"
expect list "Grüße from the CLI"
check list-json 0 "$cli" session list --json --data-dir "$data"
expect list-json "\"id\":$id"
expect list-json '"messages":4'
check show 0 "$cli" --data-dir "$data" session show "$id"
expect show '^# Grüße from the CLI'
expect show '<summary>Reasoning</summary>'
check show-json 0 "$cli" --data-dir "$data" session show "$id" --json
expect show-json '"format": "atelier-session"'
check export-md 0 "$cli" --data-dir "$data" session export "$id" --format md
expect export-md '```json'
check export-json 0 "$cli" --data-dir "$data" session export "$id" --format json --out "$tmp/a.json"
check reimport 0 "$cli" --data-dir "$data" session import "$tmp/a.json"
id2="$out"
[ "$id2" != "$id" ] || { echo "FAIL reimport: same id"; fail=1; }
check export-again 0 "$cli" --data-dir "$data" session export "$id2" --format json --out "$tmp/b.json"
noids() { sed -E 's/"(id|parent_id)": [0-9]+/"\1": N/' "$1"; }
if [ "$(noids "$tmp/a.json")" != "$(noids "$tmp/b.json")" ] || cmp -s "$tmp/a.json" "$tmp/b.json"; then
    echo "FAIL round trip: exports differ beyond ids"; diff <(noids "$tmp/a.json") <(noids "$tmp/b.json"); fail=1
else
    echo "ok   round trip"
fi
check search 0 "$cli" --data-dir "$data" session search milk --json
expect search '"snippet":"buy \[milk\]"'
check missing 3 "$cli" --data-dir "$data" session show 999999
expect_err missing '^atelier-cli: error: no session 999999'
echo '{"format":"atelier-session","version":99}' > "$tmp/new.json"
check newer 3 "$cli" --data-dir "$data" session import "$tmp/new.json"
expect_err newer 'newer than this Atelier reads'
echo '{"format":' > "$tmp/bad.json"
check malformed 3 "$cli" --data-dir "$data" session import "$tmp/bad.json"
expect_err malformed 'bad.json: session file is not valid JSON'
check bad-format 2 "$cli" --data-dir "$data" session export "$id" --format pdf
check no-subcommand 2 "$cli" --data-dir "$data" session
mkdir -p "$tmp/foreign"
printf 'definitely not SQLite\n%.0s' $(seq 1 100) > "$tmp/foreign/atelier.db"
check foreign 3 "$cli" --data-dir "$tmp/foreign" session list
expect_err foreign 'atelier.db: file is not a database'
check delete 0 "$cli" --data-dir "$data" session delete "$id2"
check deleted 3 "$cli" --data-dir "$data" session show "$id2"
exit $fail
