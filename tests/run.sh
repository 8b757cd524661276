#!/usr/bin/env bash
# Installs everything the tests need on a fresh machine, then runs them.
# Extra arguments are passed to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v java >/dev/null 2>&1; then
  # HermiT, the OWL reasoner behind the ontology check, is Java.
  apt-get update -qq && apt-get install -y -qq default-jre-headless >/dev/null
fi

if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  # The dashboard's end-to-end test drives Debian's headless Chromium through its driver.
  apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null
fi

if ! command -v virtuoso-t >/dev/null 2>&1 || ! command -v isql-vt >/dev/null 2>&1; then
  # Virtuoso, the second SPARQL server the store tests run on (tests/remote/server.py starts
  # it on loopback). Debian's virtuoso-opensource brings this server package; installed alone
  # it starts no system-wide service on the machine's fixed ports.
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    virtuoso-opensource-7-bin >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'
exec .venv/bin/python -m pytest "$@"
