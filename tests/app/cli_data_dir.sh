#!/usr/bin/env bash
# atelier-cli's default data folder (#19): "Atelier" in the data home ($XDG_DATA_HOME, else
# ~/.local/share), the folder the window uses too (both call app::resolveDataDir), not the
# doubled Atelier/Atelier of earlier versions, whose contents move into it on the next start.
set -u
cli="$1"
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# An earlier version's folder, holding a real session store.
"$cli" session list --data-dir "$tmp/xdg/Atelier/Atelier" >/dev/null 2>"$tmp/err" ||
    { echo "FAIL: cannot create a store in the old folder"; cat "$tmp/err"; exit 1; }
[ -f "$tmp/xdg/Atelier/Atelier/atelier.db" ] || { echo "FAIL: no atelier.db in the old folder"; exit 1; }
if XDG_DATA_HOME="$tmp/xdg" HOME="$tmp/home" "$cli" session list >/dev/null 2>"$tmp/err"; then
    echo "ok   session list in the default folder"
else
    echo "FAIL: session list in the default folder"; cat "$tmp/err"; fail=1
fi
if [ -f "$tmp/xdg/Atelier/atelier.db" ] && [ ! -e "$tmp/xdg/Atelier/Atelier" ]; then
    echo "ok   the doubled folder moved into \$XDG_DATA_HOME/Atelier"
else
    echo "FAIL: expected \$XDG_DATA_HOME/Atelier/atelier.db and no Atelier/Atelier:"; find "$tmp/xdg"; fail=1
fi
# Without XDG_DATA_HOME: ~/.local/share/Atelier.
if env -u XDG_DATA_HOME HOME="$tmp/home" "$cli" session list >/dev/null 2>"$tmp/err" &&
    [ -f "$tmp/home/.local/share/Atelier/atelier.db" ] && [ ! -e "$tmp/home/.local/share/Atelier/Atelier" ]; then
    echo "ok   ~/.local/share/Atelier without XDG_DATA_HOME"
else
    echo "FAIL: expected ~/.local/share/Atelier/atelier.db"; cat "$tmp/err"; find "$tmp/home"; fail=1
fi
exit $fail
