#!/usr/bin/env bash
# A user's journey through the real application on a virtual X server (app --walkthrough, see
# ui/include/atelier/ui/window_walkthrough.h): first start → the tiny demo model → a chat
# message and its reply → a three-page PDF (written here) attached through the Attach dialog →
# opened in the Viewer and paged → Settings asking before every tool call → a team run whose
# tool call is approved in the approval dialog → the context saved as a named checkpoint → Quit;
# then a second start on the same data folder reopens the chat session from the sidebar.
# Every step saves a PNG, checked here: real PNGs of the window's size with more than a blank
# screen in them. A step that fails ends the app with 1 and its name.
set -euo pipefail
app="$1"; out_dir="$2/walkthrough"
if ! command -v xvfb-run >/dev/null 2>&1; then
    echo "xvfb-run is missing (package xvfb)"; exit 1
fi
rm -rf "$out_dir"
mkdir -p "$out_dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
data="$tmp/data"
docs="$tmp/docs"
mkdir -p "$data" "$docs"
# Settings (theme, recent models, approvals) go to a throw-away folder, not the user's.
export XDG_CONFIG_HOME="$tmp/config"

# A three-page PDF with a correct cross-reference table.
make_pdf() {
    local objs=("<< /Type /Catalog /Pages 2 0 R >>"
        "<< /Type /Pages /Kids [4 0 R 6 0 R 8 0 R] /Count 3 >>"
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    local page=4 text
    for text in "Quarterly report, page one: apples sold well" "Page two: pears were late" \
        "Page three: the orchard plan for next year"; do
        local content="BT /F1 18 Tf 72 700 Td ($text) Tj ET"
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
make_pdf > "$docs/report.pdf"

# check_png FILE MIN_WIDTH MIN_HEIGHT MIN_BYTES
check_png() {
    local f="$1"
    [ -s "$f" ] || { echo "no screenshot written: $f"; exit 1; }
    local sig w h size
    sig=$(head -c 8 "$f" | od -An -tx1 | tr -d ' \n')
    [ "$sig" = "89504e470d0a1a0a" ] || { echo "not a PNG: $f"; exit 1; }
    w=$(od -An -tu1 -j16 -N4 "$f" | awk '{print $1*16777216+$2*65536+$3*256+$4}')
    h=$(od -An -tu1 -j20 -N4 "$f" | awk '{print $1*16777216+$2*65536+$3*256+$4}')
    size=$(stat -c %s "$f")
    echo "screenshot ${w}x${h} ($size bytes): $f"
    [ "$w" -ge "$2" ] && [ "$h" -ge "$3" ] || { echo "too small: $f"; exit 1; }
    # A blank window compresses to almost nothing; the laid-out window does not.
    [ "$size" -gt "$4" ] || { echo "looks blank: $f"; exit 1; }
}

xvfb="xvfb-run -a -s \"-screen 0 1400x900x24\""
start=$(date +%s)
if ! eval "$xvfb" "$app" --data-dir "$data" --walkthrough "$out_dir" --walkthrough-document "$docs/report.pdf"; then
    echo "the walkthrough failed (its failing step is named above)"; exit 1
fi
if ! eval "$xvfb" "$app" --data-dir "$data" --walkthrough "$out_dir" --walkthrough-resume; then
    echo "the walkthrough's second phase (after the restart) failed (its failing step is named above)"; exit 1
fi
echo "walkthrough: $(( $(date +%s) - start )) s"

steps=(01-first-start 02-demo-model 03-chat 04-attach-pdf 05-viewer 06-viewer-next-page 07-settings-ask-all
    08-team-approval 09-team-run 10-checkpoint 12-restart 13-session-reopened)
for s in "${steps[@]}"; do check_png "$out_dir/$s.png" 800 500 20000; done
# Each step changed what the window shows: no two screenshots are the same.
dupes=$(cd "$out_dir" && md5sum ./*.png | awk '{print $1}' | sort | uniq -d)
[ -z "$dupes" ] || { echo "identical screenshots of different steps:"; (cd "$out_dir" && md5sum ./*.png); exit 1; }
[ -s "$out_dir/walkthrough-session.txt" ] || { echo "no session id recorded"; exit 1; }
# A walkthrough that cannot go on ends with 1 and names where it stopped.
if msg=$(eval "$xvfb" "$app" --data-dir "$tmp/other" --walkthrough "$tmp/empty" --walkthrough-resume 2>&1); then
    echo "a resume without a first phase succeeded"; exit 1
fi
echo "$msg" | grep -q "walkthrough failed at step start: no session id" || { echo "no failure message: $msg"; exit 1; }
