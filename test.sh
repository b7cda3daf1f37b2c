#!/usr/bin/env bash
# Quick start, part 2: install what is missing, build, and run the whole test suite with CTest.
# Usage: ./test.sh [extra ctest arguments, e.g. -L unit or -R engine]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
tools/install-deps
tools/build
cd build
exec ctest --output-on-failure --parallel "$(nproc)" --timeout 900 "$@"
