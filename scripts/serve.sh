#!/usr/bin/env bash
# Installs what is missing, builds everything and serves the playground at
# http://localhost:${PORT:-8080}/ (scripts/serve.py: a plain static server over
# dist/, with the two headers that make the page cross-origin isolated, so its
# previews may run WebAssembly threads; any static host that sends them does
# the same, one that does not gets the single-threaded kernels).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh build
scripts/build.sh
exec python3 scripts/serve.py "${PORT:-8080}" dist
