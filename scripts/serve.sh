#!/usr/bin/env bash
# Installs what is missing, builds everything and serves the playground at
# http://localhost:${PORT:-8080}/ (a plain static server over dist/, with the
# two headers that make the page cross-origin isolated, so its previews may run
# WebAssembly threads; any static host that sends them does the same, one that
# does not gets the single-threaded kernels).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh build
scripts/build.sh
port=${PORT:-8080}
echo "ConvScope: open http://localhost:$port/  (Ctrl-C to stop)"
exec python3 - "$port" <<'PY'
import functools, http.server, sys

class Handler(http.server.SimpleHTTPRequestHandler):
    def end_headers(self):
        # COOP + COEP: crossOriginIsolated, hence SharedArrayBuffer and the
        # threaded kernels (web/kernels.js, threadsSupported). The page loads
        # nothing from other origins, so require-corp blocks nothing.
        self.send_header('Cross-Origin-Opener-Policy', 'same-origin')
        self.send_header('Cross-Origin-Embedder-Policy', 'require-corp')
        super().end_headers()

handler = functools.partial(Handler, directory='dist')
http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), handler).serve_forever()
PY
