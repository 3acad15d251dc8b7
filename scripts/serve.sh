#!/usr/bin/env bash
# Installs what is missing, builds everything and serves the playground at
# http://localhost:${PORT:-8080}/ (a plain static server over dist/).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh build
scripts/build.sh
port=${PORT:-8080}
echo "ConvScope: open http://localhost:$port/  (Ctrl-C to stop)"
exec python3 -m http.server "$port" --bind 127.0.0.1 --directory dist
