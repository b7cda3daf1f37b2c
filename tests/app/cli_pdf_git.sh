#!/usr/bin/env bash
# `atelier-cli tool run` with the PDF and git plugins (CLI.md "Agents"): both are listed; a PDF
# and a repository made here are read with page and commit citations; a path outside the
# workspace exits 3 with the policy's reason; damaged input and bad revisions exit 3. A `.git`
# gitdir file leading to a repository outside the workspace exits 3 and the audit log records
# the real path; history never prints a file the policy denies (#21). Author dates, per-line
# message grep, working-tree diffs and blame in a shallow clone agree with `git` (#20).
set -u
export LC_ALL=C
cli="$1"
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ws="$tmp/ws"; data="$tmp/data"
mkdir -p "$ws" "$data"
expect() {  # expect NAME WANT_EXIT CMD...
    local name="$1" want="$2"; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
    if [ "$rc" != "$want" ]; then echo "FAIL $name: exit $rc, want $want"; cat "$tmp/err"; fail=1; else echo "ok   $name"; fi
}
contains() {  # contains NAME TEXT: the last output contains TEXT
    grep -qF -- "$2" "$tmp/out" || { echo "FAIL $1: output lacks $2"; head -c 600 "$tmp/out"; fail=1; }
}

# A two-page PDF with a correct cross-reference table.
make_pdf() {
    local objs=("<< /Type /Catalog /Pages 2 0 R >>"
        "<< /Type /Pages /Kids [4 0 R 6 0 R] /Count 2 >>"
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    local page=4 text
    for text in "First page about apples" "Second page about pears"; do
        local content="BT /F1 12 Tf 72 720 Td ($text) Tj ET"
        objs+=("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents $((page + 1)) 0 R >>")
        objs+=("<< /Length ${#content} >>
stream
$content
endstream")
        page=$((page + 2))
    done
    local out="%PDF-1.4
" offsets=() i
    for i in "${!objs[@]}"; do
        offsets+=("${#out}")
        out+="$((i + 1)) 0 obj
${objs[$i]}
endobj
"
    done
    local xref=${#out}
    out+="xref
0 $(( ${#objs[@]} + 1 ))
0000000000 65535 f 
"
    for i in "${offsets[@]}"; do out+="$(printf '%010d 00000 n ' "$i")
"; done
    out+="trailer
<< /Size $(( ${#objs[@]} + 1 )) /Root 1 0 R >>
startxref
$xref
%%EOF
"
    printf '%s' "$out"
}
make_pdf > "$ws/fruit.pdf"
head -c 100 "$ws/fruit.pdf" > "$ws/cut.pdf"

expect list 0 "$cli" tool list --json
for t in pdf_info pdf_read pdf_search git_log git_show git_diff git_blame git_file git_grep; do
    grep -q "\"$t\"" "$tmp/out" || { echo "FAIL tool list lacks $t"; fail=1; }
done
expect pdf-info 0 "$cli" --data-dir "$data" tool run pdf_info --args '{"path":"fruit.pdf"}' --workspace "$ws" --json
contains pdf-info '"pages":2'
expect pdf-read 0 "$cli" --data-dir "$data" tool run pdf_read --args '{"path":"fruit.pdf","first_page":2}' --workspace "$ws" --json
contains pdf-read 'Second page about pears'
contains pdf-read '"page":2'
expect pdf-search 0 "$cli" --data-dir "$data" tool run pdf_search --args '{"path":"fruit.pdf","pattern":"apples"}' --workspace "$ws" --json
contains pdf-search '"page":1'
expect pdf-cut 3 "$cli" --data-dir "$data" tool run pdf_read --args '{"path":"cut.pdf"}' --workspace "$ws"
expect pdf-outside 3 "$cli" --data-dir "$data" tool run pdf_info --args '{"path":"../x.pdf"}' --workspace "$ws"
grep -q '^atelier-cli: error: policy:' "$tmp/err" || { echo "FAIL pdf policy message"; fail=1; }

repo="$ws/repo"
mkdir -p "$repo"
g() { git -C "$repo" -c user.name=Tester -c user.email=t@example.org -c init.defaultBranch=main "$@" >/dev/null; }
g init -q
printf 'one\ntwo\n' > "$repo/file.txt"; g add -A; g commit -q -m "Add file"
printf 'one\nthree\n' > "$repo/file.txt"; g commit -q -am "Change line two"
head=$(git -C "$repo" rev-parse HEAD)
expect git-log 0 "$cli" --data-dir "$data" tool run git_log --args '{"repo":"repo"}' --workspace "$ws" --json
contains git-log "\"commit\":\"$head\""
contains git-log 'Change line two'
expect git-show 0 "$cli" --data-dir "$data" tool run git_show --args '{"repo":"repo"}' --workspace "$ws" --json
contains git-show '+three'
expect git-diff 0 "$cli" --data-dir "$data" tool run git_diff --args '{"repo":"repo","from":"HEAD~1"}' --workspace "$ws" --json
contains git-diff '-two'
expect git-blame 0 "$cli" --data-dir "$data" tool run git_blame --args '{"repo":"repo","path":"file.txt"}' --workspace "$ws" --json
contains git-blame "\"commit\":\"$head\""
expect git-file 0 "$cli" --data-dir "$data" tool run git_file --args '{"repo":"repo","path":"file.txt","rev":"HEAD~1"}' --workspace "$ws"
contains git-file 'two'
expect git-grep 0 "$cli" --data-dir "$data" tool run git_grep --args '{"repo":"repo","pattern":"thr+ee"}' --workspace "$ws" --json
contains git-grep '"line":2'
expect git-badrev 3 "$cli" --data-dir "$data" tool run git_show --args '{"repo":"repo","rev":"nope"}' --workspace "$ws"
expect git-outside 3 "$cli" --data-dir "$data" tool run git_log --args '{"repo":".."}' --workspace "$ws"
grep -q '^atelier-cli: error: policy:' "$tmp/err" || { echo "FAIL git policy message"; fail=1; }
# As `git` does (#20): the author date, per-line message grep, working-tree diffs, shallow blame.
GIT_AUTHOR_DATE='2024-01-02T03:04:05+0100' GIT_COMMITTER_DATE='2024-05-06T07:08:09+0000' \
    g commit -q --allow-empty -m "Empty" -m "fix: body line"
expect git-log-author-date 0 "$cli" --data-dir "$data" tool run git_log --args '{"repo":"repo","max_count":1}' --workspace "$ws" --json
contains git-log-author-date '"date":"2024-01-02T03:04:05+01:00"'
contains git-log-author-date '"committer_date":"2024-05-06T07:08:09+00:00"'
expect git-log-grep-line 0 "$cli" --data-dir "$data" tool run git_log --args '{"repo":"repo","grep":"^fix:"}' --workspace "$ws" --json
contains git-log-grep-line '"summary":"Empty"'
printf 'one\nfour\n' > "$repo/file.txt"
expect git-diff-worktree 0 "$cli" --data-dir "$data" tool run git_diff --args '{"repo":"repo","worktree":true}' --workspace "$ws" --json
contains git-diff-worktree '+four'
g checkout -q -- file.txt
git clone -q --depth 1 "file://$repo" "$ws/shallow" 2>/dev/null
expect git-blame-shallow 0 "$cli" --data-dir "$data" tool run git_blame --args '{"repo":"shallow","path":"file.txt"}' --workspace "$ws"
contains git-blame-shallow "^$(git -C "$repo" rev-parse HEAD | cut -c1-11) "
# A repository outside the workspace, and a workspace folder whose .git file points at it.
outside="$tmp/outside"
mkdir -p "$outside" "$ws/stolen"
git -C "$outside" -c init.defaultBranch=main init -q
printf 'OUTSIDE-SECRET\n' > "$outside/secret.txt"
git -C "$outside" add -A && git -C "$outside" -c user.name=T -c user.email=t@e commit -qm Outside
printf 'gitdir: %s\n' "$outside/.git" > "$ws/stolen/.git"
real=$(cd "$outside/.git" && pwd -P)
for tool in git_show git_log; do
    expect "$tool-gitdir-file" 3 "$cli" --data-dir "$data" tool run $tool --args '{"repo":"stolen"}' --workspace "$ws"
    grep -qF "outside the grant" "$tmp/err" && grep -qF "$real" "$tmp/err" || { echo "FAIL $tool gitdir message"; cat "$tmp/err"; fail=1; }
    ! grep -q OUTSIDE-SECRET "$tmp/out" || { echo "FAIL $tool printed the outside repository"; fail=1; }
done
"$cli" --data-dir "$data" audit export > "$tmp/audit.jsonl" 2>/dev/null
grep -qF "\"$real\"" "$tmp/audit.jsonl" && echo "ok   the audit log records $real" \
    || { echo "FAIL the audit log lacks the real path"; fail=1; }

# A .env committed and then removed: git_show and git_diff withhold its content.
leaky="$ws/leaky"
mkdir -p "$leaky"
gl() { git -C "$leaky" -c user.name=Tester -c user.email=t@example.org -c init.defaultBranch=main "$@" >/dev/null; }
gl init -q
printf 'TOKEN=hunter2\n' > "$leaky/.env"; printf 'readme\n' > "$leaky/README"; gl add -A; gl commit -q -m "Add env"
gl rm -q .env; gl commit -q -m "Remove env"
expect git-show-withheld 0 "$cli" --data-dir "$data" tool run git_show --args '{"repo":"leaky","rev":"HEAD~1"}' --workspace "$ws"
contains git-show-withheld 'content withheld'
! grep -q hunter2 "$tmp/out" || { echo "FAIL git_show printed the removed .env"; fail=1; }
expect git-diff-withheld 0 "$cli" --data-dir "$data" tool run git_diff --args '{"repo":"leaky","from":"HEAD~1"}' --workspace "$ws" --json
contains git-diff-withheld '"withheld"'
! grep -q hunter2 "$tmp/out" || { echo "FAIL git_diff printed the removed .env"; fail=1; }
expect git-file-denied 3 "$cli" --data-dir "$data" tool run git_file --args '{"repo":"leaky","path":".env","rev":"HEAD~1"}' --workspace "$ws"
expect audit 0 "$cli" --data-dir "$data" audit verify
exit $fail
