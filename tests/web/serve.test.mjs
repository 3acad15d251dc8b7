// The README's first command serves the playground through scripts/serve.py
// (scripts/serve.sh runs it after the build). This opens the page through
// that very server, in Chromium: the page is cross-origin isolated, so the
// previews run on the threaded kernels, and every file comes with the type a
// browser needs (a module script as JavaScript, the kernels as application/wasm).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, ROOT, DIST_DIR, TEST_TIMEOUT, newPage, waitForTable, previewsDone, cspViolations } from './harness.mjs';

let server;
let url;
let browser;

before(async () => {
  // Port 0: the server takes a free port and says which.
  server = spawn('python3', [path.join(ROOT, 'scripts', 'serve.py'), '0', DIST_DIR], { stdio: ['ignore', 'pipe', 'pipe'] });
  url = await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /open (http:\/\/localhost:\d+\/)/.exec(out);
      if (m) resolve(m[1]);
    });
    server.on('exit', (code) => reject(new Error(`scripts/serve.py exited (${code}) before serving: ${out}`)));
    setTimeout(() => reject(new Error(`scripts/serve.py said no address in 20 s: ${out}`)), 20_000);
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});
after(async () => {
  await browser?.close();
  server?.kill();
});

test('scripts/serve.py serves a cross-origin-isolated page whose previews run on the threaded kernels', { timeout: TEST_TIMEOUT }, async () => {
  const p = await newPage({ browser });
  const types = new Map();
  p.page.on('response', (r) => types.set(new URL(r.url()).pathname, [r.headers()['content-type'], r.headers()['cross-origin-embedder-policy']]));
  await p.page.goto(url);
  await waitForTable(p.page);
  await previewsDone(p.page, 0);
  const got = await p.page.evaluate(async () => ({
    isolated: crossOriginIsolated, cores: navigator.hardwareConcurrency,
    relaxed: (await import('./kernels.js')).relaxedSimdSupported(),
    ...document.querySelector('#previews').dataset,
  }));
  assert.equal(got.isolated, true, 'COOP + COEP: the page is cross-origin isolated');
  assert.equal(got.state, 'done');
  // This machine: 2 cores and Chromium with relaxed SIMD, so the threaded FMA build on 2 threads.
  assert.equal(got.kernels, !got.relaxed ? 'simd128' : got.cores > 1 ? 'threads' : 'fma', 'the kernel build for an isolated page');
  if (got.kernels === 'threads') assert.equal(got.threads, String(Math.min(4, got.cores)), 'one thread per core, up to 4');
  const [html, coep] = types.get('/') || [];
  assert.match(html, /^text\/html/);
  assert.equal(coep, 'require-corp', 'every response carries the isolation headers');
  for (const [file, type] of [['/app.js', /^(text|application)\/javascript/], ['/convscope-fma-mt.wasm', /^application\/wasm/], ['/convscope-fma-mt.worker.js', /^(text|application)\/javascript/]]) {
    if (file.includes('-mt') && got.kernels !== 'threads') continue;
    assert.ok(types.has(file), `${file} was loaded`);
    assert.match(types.get(file)[0], type, `${file}'s type`);
    assert.equal(types.get(file)[1], 'require-corp', `${file} carries the isolation headers`);
  }
  assert.deepEqual(p.problems.pageErrors, [], 'no page errors');
  assert.deepEqual(p.problems.consoleErrors, [], 'no console errors');
  assert.deepEqual(await cspViolations(p.page), [], 'no CSP violations');
  await p.close();
});
