#!/usr/bin/env bash
# The Jinja chat template every written GGUF carries (resources/chat_templates/deepseek-v4.jinja)
# renders the official conformance vectors byte for byte and agrees with `atelier-cli
# chat-template` on further conversations (tests/app/chat_template_jinja.py, under python3's
# jinja2; exit 77 = skipped when jinja2 or shared/conformance is missing).
set -u
cli="$1"
shared="${2:-}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if ! python3 -c 'import jinja2' 2>/dev/null; then echo "skip: python3-jinja2 is not installed"; exit 77; fi
if [ ! -d "$shared/conformance/dsv4-encoding" ]; then echo "skip: shared/conformance is not beside the repository"; exit 77; fi
exec python3 "$here/chat_template_jinja.py" "$here/../../resources/chat_templates/deepseek-v4.jinja" \
    "$shared/conformance/dsv4-encoding" "$cli"
