#!/usr/bin/env bash
# Quick start, part 1: install what is missing, build, and start the Atelier desktop app.
# Usage: ./run.sh [arguments for atelier]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
tools/install-deps
tools/build
exec build/bin/atelier "$@"
