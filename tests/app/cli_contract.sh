#!/usr/bin/env bash
# atelier-cli's global conventions from shared/design/CLI.md: --version, --help, usage errors
# (exit 2, "atelier-cli: error:" prefix), global options before or after the subcommand.
set -u
cli="$1"
fail=0
check() {  # check NAME EXPECTED_EXIT COMMAND...
    local name="$1" want="$2"; shift 2
    out=$("$@" 2>/tmp/atelier-cli-contract.err); rc=$?
    if [ "$rc" != "$want" ]; then
        echo "FAIL $name: exit $rc, expected $want"; cat /tmp/atelier-cli-contract.err; fail=1
    else
        echo "ok   $name"
    fi
}
check version 0 "$cli" --version
[ "$("$cli" --version)" = "atelier-cli $("$cli" version --json | sed 's/.*"atelier":"\([^"]*\)".*/\1/')" ] \
    || { echo "FAIL version text"; fail=1; }
"$cli" --version | grep -Eq '^atelier-cli [0-9]+\.[0-9]+\.[0-9]+$' || { echo "FAIL version format"; fail=1; }
check help 0 "$cli" --help
check unknown-subcommand 2 "$cli" frobnicate
grep -q '^atelier-cli: error: ' /tmp/atelier-cli-contract.err || { echo "FAIL error prefix"; fail=1; }
check unknown-flag 2 "$cli" --no-such-flag
grep -q '^atelier-cli: error: ' /tmp/atelier-cli-contract.err || { echo "FAIL error prefix"; fail=1; }
check unknown-subcommand-flag 2 "$cli" version --no-such-flag
tmp=$(mktemp -d)
check global-before 0 "$cli" --data-dir "$tmp" --log-level error version
check global-after 0 "$cli" version --data-dir "$tmp" --threads 2 --backend cpu
check bad-backend 2 "$cli" --backend tpu version
check subcommand-help 0 "$cli" version --help
rm -rf "$tmp"
exit $fail
