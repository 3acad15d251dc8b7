#!/usr/bin/env python3
"""The playground's static server (scripts/serve.sh runs it after the build).

    python3 scripts/serve.py [PORT [DIR]]     PORT 8080, DIR dist; PORT 0 takes a free one

Serves DIR on 127.0.0.1 with the two headers that make the page cross-origin
isolated: Cross-Origin-Opener-Policy: same-origin and
Cross-Origin-Embedder-Policy: require-corp. Isolated, the page has
SharedArrayBuffer, so its previews run the threaded kernels
(web/kernels.js, threadsSupported); the page loads nothing from other
origins, so require-corp blocks nothing. Any static host that sends the same
headers does the same; one that does not gets the single-threaded kernels.
tests/web/serve.test.mjs opens the page through this server.
"""
import functools
import http.server
import sys


class Handler(http.server.SimpleHTTPRequestHandler):
    def end_headers(self):
        self.send_header('Cross-Origin-Opener-Policy', 'same-origin')
        self.send_header('Cross-Origin-Embedder-Policy', 'require-corp')
        super().end_headers()


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    directory = sys.argv[2] if len(sys.argv) > 2 else 'dist'
    server = http.server.ThreadingHTTPServer(('127.0.0.1', port), functools.partial(Handler, directory=directory))
    print(f'ConvScope: open http://localhost:{server.server_address[1]}/  (Ctrl-C to stop)', flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == '__main__':
    main()
