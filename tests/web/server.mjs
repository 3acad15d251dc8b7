// A tiny static server for the browser tests and budgets.mjs: serves the
// built site (DIST_DIR, default <root>/dist) on a free localhost port with
// the MIME types a browser insists on (application/wasm for streaming
// compilation, text/javascript for ES modules). Optional gzip, so the
// budget script can measure compressed transfer.
import http from 'node:http';
import fs from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DIST_DIR = path.resolve(process.env.DIST_DIR || path.join(ROOT, 'dist'));

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
};

/**
 * Start serving `dir`. `extra` maps URL paths to {type, body} for test-only
 * pages (e.g. the plain host page that iframes the embed). `isolated` (the
 * default, as scripts/serve.sh serves) sends COOP same-origin and COEP
 * require-corp, so the page is cross-origin isolated and runs the threaded
 * kernels; false serves it as a host without those headers.
 * Resolves to {url, close(), bytesSent(), resetBytes(), log()}.
 */
export async function startServer({ dir: given = DIST_DIR, extra = {}, gzip = false, isolated = true } = {}) {
  // Absolute and without a trailing slash: the containment check below compares prefixes.
  const dir = path.resolve(given);
  await fs.access(path.join(dir, 'index.html')).catch(() => {
    throw new Error(`no built site at ${dir} (index.html missing): build first, or set DIST_DIR`);
  });
  let sent = 0;
  const log = [];
  const server = http.createServer(async (req, res) => {
    try {
      const { pathname } = new URL(req.url, 'http://localhost');
      let body;
      let type;
      if (extra[pathname]) {
        ({ body, type } = extra[pathname]);
      } else {
        const rel = decodeURIComponent(pathname).replace(/\/$/, '/index.html');
        const file = path.resolve(dir, `.${rel}`);
        if (!file.startsWith(dir + path.sep)) { res.writeHead(403).end(); return; }
        body = await fs.readFile(file);
        type = MIME[path.extname(file)] || 'application/octet-stream';
      }
      const headers = { 'Content-Type': type, 'Cache-Control': 'no-store' };
      if (isolated) Object.assign(headers, { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' });
      if (gzip && /gzip/.test(req.headers['accept-encoding'] || '')) {
        body = zlib.gzipSync(body, { level: 9 });
        headers['Content-Encoding'] = 'gzip';
      }
      headers['Content-Length'] = Buffer.byteLength(body);
      sent += Buffer.byteLength(body);
      log.push({ path: pathname, bytes: Buffer.byteLength(body), at: performance.now() });
      res.writeHead(200, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (err) {
      res.writeHead(err.code === 'ENOENT' || err.code === 'EISDIR' ? 404 : 500, { 'Content-Type': 'text/plain' }).end(String(err.code || 'error'));
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/`,
    bytesSent: () => sent,
    resetBytes: () => { sent = 0; log.length = 0; },
    /** [{path, bytes, at}] of every response since the last reset (bytes as sent, i.e. gzipped when enabled). */
    log: () => log.slice(),
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }),
  };
}

// `node tests/web/server.mjs [port]` serves dist/ for a quick manual look.
if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const s = await startServer({ gzip: true });
  console.log(`serving ${DIST_DIR} at ${s.url}`);
}
