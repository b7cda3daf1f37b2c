#!/usr/bin/env bash
# `atelier-cli team check` accepts the shipped templates and rejects, with exit 3, a team whose
# worker asks for more than its manager.
set -u
cli="$1"
fail=0
ws=$(mktemp -d)
trap 'rm -rf "$ws"' EXIT
for t in document-analyst review-team repo-historian; do
    if "$cli" team check "$t" --workspace "$ws" >/dev/null 2>"$ws/err"; then echo "ok   $t"; else echo "FAIL $t"; cat "$ws/err"; fail=1; fi
done
cat > "$ws/greedy.md" <<'TEAM'
---
name: greedy
agent:
  name: manager
  tools: [delegate]
  grants: [{path: "${workspace}/docs"}]
  budgets: {depth: 1}
  workers:
    - name: worker
      grants: [{path: "/", access: read-write}]
---
TEAM
"$cli" team check "$ws/greedy.md" --workspace "$ws" >/dev/null 2>"$ws/err"; rc=$?
[ "$rc" = 3 ] || { echo "FAIL greedy team: exit $rc, want 3"; fail=1; }
grep -q "^atelier-cli: error: .*'worker'.*more than its parent" "$ws/err" || { echo "FAIL greedy message"; cat "$ws/err"; fail=1; }
"$cli" team check no-such-template >/dev/null 2>&1; rc=$?
[ "$rc" = 3 ] || { echo "FAIL missing template: exit $rc"; fail=1; }
exit $fail
