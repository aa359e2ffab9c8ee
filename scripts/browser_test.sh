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
need_venv "$venv" playwright 'playwright>=1.50,<2'

cargo build --example api
exec "$venv/bin/python" scripts/browser_test.py --binary "$(cargo_target_dir)/debug/examples/api" "$@"
