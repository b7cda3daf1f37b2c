#!/usr/bin/env bash
# Starts the real application on a virtual X server, lets it show its main window, and checks
# the screenshots it saves: PNGs of the window's size with more than a blank screen in it —
# the first start, a demo session with an attached document and the context gauge (light and
# dark, and on a 1024×700 screen), the model dialog, a finished team run in the Team dock, and the Viewer dock at cited
# lines of a source file. docs/screenshots/ holds copies of these.
set -euo pipefail
app="$1"; out_dir="$2"
mkdir -p "$out_dir"
shot="$out_dir/main-window.png"
rm -f "$shot"
if ! command -v xvfb-run >/dev/null 2>&1; then
    echo "xvfb-run is missing (package xvfb)"; exit 1
fi
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
# Settings (theme, recent models) go to a throw-away folder, not the user's.
export XDG_CONFIG_HOME="$data/config"

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
    [ "$size" -gt "$4" ] || { echo "looks blank: $f"; exit 1; }
}

xvfb="xvfb-run -a -s \"-screen 0 1400x900x24\""
eval "$xvfb" "$app" --data-dir "$data" --screenshot "$shot"
[ -s "$shot" ] || { echo "no screenshot written"; exit 1; }
# PNG signature, then the IHDR width and height (big-endian) at bytes 16..23.
sig=$(head -c 8 "$shot" | od -An -tx1 | tr -d ' \n')
[ "$sig" = "89504e470d0a1a0a" ] || { echo "not a PNG"; exit 1; }
width=$(od -An -tu1 -j16 -N4 "$shot" | awk '{print $1*16777216+$2*65536+$3*256+$4}')
height=$(od -An -tu1 -j20 -N4 "$shot" | awk '{print $1*16777216+$2*65536+$3*256+$4}')
echo "screenshot ${width}x${height}: $shot"
[ "$width" -ge 800 ] && [ "$height" -ge 500 ] || { echo "window too small"; exit 1; }
# A blank window compresses to almost nothing; the laid-out window does not.
size=$(stat -c %s "$shot")
[ "$size" -gt 20000 ] || { echo "screenshot looks blank ($size bytes)"; exit 1; }

# A demo session: the demo model created and loaded, a document attached, an answer streamed.
eval "$xvfb" "$app" --data-dir "$data" --demo --screenshot "$out_dir/session.png"
check_png "$out_dir/session.png" 800 500 20000
eval "$xvfb" "$app" --data-dir "$data" --demo --model-dialog --screenshot "$out_dir/model-dialog.png"
check_png "$out_dir/model-dialog.png" 300 200 8000
# The same session on a 1024×700 screen: the window fits it, nothing forces it wider or taller.
xvfb_small="xvfb-run -a -s \"-screen 0 1024x700x24\""
eval "$xvfb_small" "$app" --data-dir "$data" --demo --screenshot "$out_dir/small-screen.png"
check_png "$out_dir/small-screen.png" 1000 650 20000
small_w=$(od -An -tu1 -j16 -N4 "$out_dir/small-screen.png" | awk '{print $1*16777216+$2*65536+$3*256+$4}')
small_h=$(od -An -tu1 -j20 -N4 "$out_dir/small-screen.png" | awk '{print $1*16777216+$2*65536+$3*256+$4}')
[ "$small_w" -le 1024 ] && [ "$small_h" -le 700 ] || { echo "the window does not fit a 1024x700 screen"; exit 1; }
# A finished team run in the Team dock: document-analyst on the demo model's folder.
eval "$xvfb" "$app" --data-dir "$data" --demo --team-run --screenshot "$out_dir/team-run.png"
check_png "$out_dir/team-run.png" 800 500 20000
# The Viewer dock opened at cited lines of a source file (this script), syntax-coloured;
# before --dark, which the settings keep for later starts.
eval "$xvfb" "$app" --data-dir "$data" --view "$0:20-31" --screenshot "$out_dir/viewer-source.png"
check_png "$out_dir/viewer-source.png" 800 500 20000

eval "$xvfb" "$app" --data-dir "$data" --demo --dark --screenshot "$out_dir/dark-theme.png"
check_png "$out_dir/dark-theme.png" 800 500 20000
# Without any display, the app says so plainly and points to atelier-cli instead of crashing.
if msg=$(env -u DISPLAY -u WAYLAND_DISPLAY -u QT_QPA_PLATFORM "$app" 2>&1); then
    echo "the app started without a display"; exit 1
fi
echo "$msg" | grep -q "no display" || { echo "no 'no display' message: $msg"; exit 1; }
echo "$msg" | grep -q "atelier-cli" || { echo "the message does not point to atelier-cli"; exit 1; }
