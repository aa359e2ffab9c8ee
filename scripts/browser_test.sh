#!/usr/bin/env bash
# The api example in Debian's Chromium, headless, driven by Playwright for Python
# (scripts/browser_test.py). Installs what is missing: the chromium package (apt), and Playwright in
# a virtualenv under target/ (PyPI). Playwright's own browser downloads are never used: the test
# launches /usr/bin/chromium. Screenshots land in docs/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/need.sh
need python3 python3
need chromium chromium

venv=target/browser-venv
if ! "$venv/bin/python" -c 'import playwright' 2>/dev/null; then
    echo "installing Playwright for Python in $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check 'playwright>=1.50,<2'
fi

cargo build --example api
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
exec "$venv/bin/python" scripts/browser_test.py --binary "$target_dir/debug/examples/api" "$@"
