#!/usr/bin/env bash
# docs/cli.md against the binary: walks every subcommand path from `atelier-cli --help` (and
# each SUBCOMMAND --help, recursively) and fails, naming the subcommand and the flag, when
#   - a subcommand has no `## <path>` heading in docs/cli.md (or has several),
#   - a long option its --help shows is not mentioned in its section,
#   - its section mentions a `--flag` that its --help does not have (global options excepted),
#   - a `## ` heading names no subcommand (other than `## Conventions`),
#   - the Conventions section does not mention every option of the program itself (the global
#     options, --help, --version), or the text before the subcommand sections names a flag
#     that no command has.
# A section runs from its `## ` heading to the next one (`### ` subsections belong to it);
# headings inside fenced code blocks do not count. Whoever adds a flag documents it there.
set -u
cli="$1"
doc="$(cd "$(dirname "$0")/../.." && pwd)/docs/cli.md"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

[ -r "$doc" ] || { echo "FAIL docs/cli.md not found at $doc"; exit 1; }

# The help text of each path (words joined by '_' in the file name), one level of the tree at
# a time, the commands of a level in parallel.
help_of() {  # help_of PATH...
    local p
    for p in "$@"; do
        # shellcheck disable=SC2086  # the path's words are separate arguments
        { "$cli" $p --help >"$tmp/help.${p// /_}" 2>&1 || echo "$p" >>"$tmp/help_failed"; } &
    done
    wait
}
subcommands_of() {  # subcommands_of HELP_FILE
    awk '/^Subcommands:/ { on = 1; next } on && /^$/ { on = 0 } on && /^  [a-z]/ { print $1 }' "$1"
}
"$cli" --help >"$tmp/help.root" 2>&1 || { echo "FAIL atelier-cli --help exited non-zero"; exit 1; }
: >"$tmp/paths"
: >"$tmp/help_failed"
level=()
while read -r s; do level+=("$s"); done < <(subcommands_of "$tmp/help.root")
while [ ${#level[@]} -gt 0 ]; do
    printf '%s\n' "${level[@]}" >>"$tmp/paths"
    help_of "${level[@]}"
    next=()
    for p in "${level[@]}"; do
        [ -f "$tmp/help.${p// /_}" ] || continue
        while read -r s; do next+=("$p $s"); done < <(subcommands_of "$tmp/help.${p// /_}")
    done
    level=("${next[@]+"${next[@]}"}")
done

# One line per (path, long option shown on an option line of its help): "PATH<TAB>--flag".
# The root's options are listed under the path "" and, for its "Global options:" group, also
# under the path "*global*".
{
    awk '/^[A-Za-z].*:$/ { group = $0; next }
         /^  -/ { print "\t" $1; if (group == "Global options:") print "*global*\t" $1 }' "$tmp/help.root"
    while read -r p; do
        [ -f "$tmp/help.${p// /_}" ] && awk -v p="$p" '/^  -/ { print p "\t" $1 }' "$tmp/help.${p// /_}"
    done <"$tmp/paths"
} | awk -F'\t' '{ n = split($2, names, ","); for (i = 1; i <= n; ++i) if (names[i] ~ /^--[a-z0-9]/) print $1 "\t" names[i] }' \
    >"$tmp/flags"

awk -F'\t' -v docname="docs/cli.md" '
    FILENAME == ARGV[1] { flags[$1, $2] = 1; any[$2] = 1; if ($1 == "*global*") global[$2] = 1
                          else if ($1 == "") rootf[$2] = 1
                          else order[$1] = order[$1] $2 "\t"
                          next }
    FILENAME == ARGV[2] { ispath[$0] = 1; paths[++npaths] = $0; next }
    FILENAME == ARGV[3] { failed[$0] = 1; next }
    # The document: the flags each section mentions, outside and inside code blocks alike.
    /^```/ { fence = !fence }
    !fence && /^## / { h = $0; sub(/^## /, "", h); sub(/[ \t]+$/, "", h); sec = h; headings[h]++; next }
    {
        line = $0
        while (match(line, /(^|[^A-Za-z0-9_-])--[a-z0-9][a-z0-9-]*/)) {
            f = substr(line, RSTART, RLENGTH); sub(/^[^-]/, "", f)
            if (!((sec, f) in mentioned)) { mentioned[sec, f] = 1; inSec[sec] = inSec[sec] f "\t" }
            line = substr(line, RSTART + RLENGTH)
        }
    }
    function bad(msg) { print "FAIL " msg; fail = 1 }
    END {
        for (i = 1; i <= npaths; ++i) {
            p = paths[i]
            if (p in failed) { bad(p ": --help exited non-zero"); continue }
            if (!(p in headings)) { bad(p ": no \"## " p "\" section in " docname); continue }
            if (headings[p] > 1) bad(p ": " headings[p] " \"## " p "\" sections in " docname)
            n = split(order[p], fs, "\t")
            for (j = 1; j < n; ++j)
                if (fs[j] != "--help" && !((p, fs[j]) in mentioned))
                    bad(p ": " fs[j] " (shown by \"" p " --help\") is not documented in its section")
            n = split(inSec[p], fs, "\t")
            for (j = 1; j < n; ++j)
                if (!((p, fs[j]) in flags) && !(fs[j] in global))
                    bad(p ": its section mentions " fs[j] ", which \"" p " --help\" does not show")
        }
        for (h in headings)
            if (h != "Conventions" && !(h in ispath)) bad(docname ": \"## " h "\" names no subcommand")
        if (!("Conventions" in headings)) bad(docname ": no \"## Conventions\" section")
        for (f in rootf)
            if (!(("Conventions", f) in mentioned))
                bad("Conventions: " f " (shown by \"atelier-cli --help\") is not documented there")
        for (k in mentioned) {
            split(k, part, SUBSEP)
            if ((part[1] == "" || part[1] == "Conventions") && !(part[2] in any))
                bad(docname ": " (part[1] == "" ? "the introduction" : "Conventions") " names " part[2] ", which no command has")
        }
        if (!fail) print "ok   " docname " documents " npaths " subcommands and every flag their --help shows"
        exit fail
    }' "$tmp/flags" "$tmp/paths" "$tmp/help_failed" "$doc"
