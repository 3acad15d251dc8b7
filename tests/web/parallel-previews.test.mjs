// Previews split across workers (web/conv-split.js, web/conv-helper.js), or
// across the threaded build's threads (a cross-origin-isolated page, as this
// server serves it by default, and scripts/serve.sh):
// the same network previewed with 1 worker, 2 and 3 workers and 1 worker
// with threads gives the same feature
// maps, bit for bit, on every layer, and the footer says how they ran. The
// network has the band split's awkward cases: TensorFlow 'same' with stride
// 2 (the odd padding row at the bottom), dilation, a depthwise conv, a 5x5
// kernel, and heights that do not divide into equal bands. The maps are the
// values the page holds (#previews.previewValues).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setUp, newPage, openApp, encodeLink, cspViolations, TEST_TIMEOUT, previewsDone, previewGen } from './harness.mjs';

let env, plainEnv; // plainEnv: a host without the isolation headers
before(async () => { env = await setUp(); plainEnv = await setUp({ isolated: false }); });
after(async () => { await env?.tearDown(); await plainEnv?.tearDown(); });

const network = {
  framework: 'tensorflow', input: [1, 97, 83, 3],
  layers: [
    { type: 'conv', name: 'c1', filters: 16, kernel: 3, padding: 'same' },
    { type: 'relu', name: 'r1' },
    { type: 'conv', name: 'c2', filters: 16, kernel: 3, stride: 2, padding: 'same' },
    // 16 -> 24, 3x3 stride 1: the Winograd kernel, its 2x2 tiles on 49 rows split at even rows
    { type: 'conv', name: 'w1', filters: 24, kernel: 3, padding: 'same' },
    { type: 'conv', name: 'c3', filters: 48, kernel: 3, dilation: 2, padding: 'same' },
    { type: 'depthwise_conv', name: 'dw', kernel: 5, padding: 'same' },
    { type: 'conv', name: 'c4', filters: 12, kernel: 5, padding: 'valid' },
  ],
};


/**
 * The values of every layer at seed 6, with `workers` workers at work (0: any): the
 * first run does not wait for helpers still loading their engine, so the
 * seed goes back and forth until a run at seed 6 had them all.
 */
async function previewValues(hash, query, workers, on = env) {
  const p = await newPage(on);
  await openApp(on, p.page, hash, query);
  await previewsDone(p.page, 0);
  for (let tries = 0; ; tries += 1) {
    for (const seed of ['7', '6']) {
      const g = await previewGen(p.page);
      await p.page.locator('#preview-seed').fill(seed);
      await previewsDone(p.page, g);
    }
    if (!workers || tries === 20 || await p.page.evaluate(() => document.querySelector('#previews').dataset.workers) === String(workers)) break;
  }
  const result = await p.page.evaluate((count) => {
    const el = document.querySelector('#previews');
    const values = {};
    for (let i = -1; i < count; i += 1) {
      const v = el.previewValues(i); // the values the page holds (NHWC), as the bits of each float
      if (v) values[i] = Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length));
    }
    const bands = [...document.querySelectorAll('#fm-list .fm-layer')].filter((li) => Number(li.dataset.index) >= 0)
      .map((li) => Number(li.dataset.bands));
    return { values, bands, workers: el.dataset.workers, threads: el.dataset.threads, kernels: el.dataset.kernels,
      footer: document.querySelector('#preview-footer').textContent, isolated: crossOriginIsolated, cores: navigator.hardwareConcurrency };
  }, network.layers.length);
  assert.deepEqual(p.problems.pageErrors, [], 'no page errors');
  assert.deepEqual(p.problems.consoleErrors, [], 'no console errors');
  assert.deepEqual(await cspViolations(p.page), [], 'no CSP violations');
  await p.close();
  return result;
}

test('feature maps are identical with 1, 2 and 3 workers and with WebAssembly threads, bit for bit, on every layer', { timeout: TEST_TIMEOUT }, async () => {
  const links = await newPage(env);
  await openApp(env, links.page);
  const hash = await encodeLink(links.page, network, [['img', 'astronaut'], ['seed', '5']]);
  await links.close();
  // One worker, one thread: the FMA build asked for (an isolated page would take the threaded one).
  const one = await previewValues(hash, '?workers=1&kernels=fma', 1);
  assert.equal(one.workers, '1');
  assert.equal(one.threads, '1');
  assert.deepEqual(one.bands, network.layers.map(() => 1));
  assert.match(one.footer, /in a Web Worker\./);
  // Every layer (and the image, -1) has values.
  const indexes = Object.keys(one.values).map(Number).sort((a, b) => a - b);
  assert.deepEqual(indexes, [-1, ...network.layers.map((_, i) => i)]);
  const same = (many, how) => {
    for (const index of indexes) {
      const a = one.values[index], b = many.values[index];
      assert.equal(b.length, a.length, `layer ${index}: length`);
      const first = a.findIndex((v, i) => v !== b[i]);
      assert.equal(first, -1, `layer ${index} (${network.layers[index]?.name ?? 'image'}) ${how}: first differing value at ${first}`);
    }
  };
  for (const workers of [2, 3]) {
    // ?workers= above 1 asks for the split across workers: the FMA build, not the threaded one.
    const many = await previewValues(hash, `?workers=${workers}`, workers);
    assert.equal(many.workers, String(workers));
    assert.equal(many.kernels, one.kernels, 'the same kernel build');
    assert.match(many.footer, new RegExp(`in ${workers} Web Workers \\(convolutions split by rows\\)`));
    // Every conv here is big enough to split (2^21 MACs and more); the ReLU is not a conv.
    assert.deepEqual(many.bands, network.layers.map((l) => (l.type === 'relu' ? 1 : workers)));
    same(many, `with ${workers} workers`);
  }
  // The page's default where it is cross-origin isolated: one worker, each conv split across the module's threads.
  const threaded = await previewValues(hash, '', 0);
  assert.equal(threaded.isolated, true);
  assert.equal(threaded.kernels, 'threads');
  assert.equal(threaded.workers, '1');
  const threads = Math.min(threaded.cores, 4);
  assert.equal(threaded.threads, String(threads));
  if (threads > 1) {
    assert.match(threaded.footer, new RegExp(`convolutions split by rows across ${threads} threads \\(WebAssembly threads`));
    assert.deepEqual(threaded.bands, network.layers.map((l) => (l.type === 'relu' ? 1 : threads)));
  }
  same(threaded, `with ${threads} threads`);
});

test('the kernel build follows ?kernels=; the default is the threaded FMA build on an isolated page, the FMA build on any other', { timeout: TEST_TIMEOUT }, async () => {
  const links = await newPage(env);
  await openApp(env, links.page);
  const hash = await encodeLink(links.page, { framework: 'tensorflow', input: [1, 32, 32, 3], layers: [{ type: 'conv', filters: 8, kernel: 3, padding: 'same' }] }, [['img', 'camera']]);
  const relaxed = await links.page.evaluate(async () => (await import('./kernels.js')).relaxedSimdSupported());
  await links.close();
  // Cross-origin isolated (this server, as scripts/serve.sh): the threaded FMA build.
  const auto = await previewValues(hash, '', 0);
  assert.equal(auto.kernels, relaxed ? 'threads' : 'simd128');
  // A host without the isolation headers: no shared memory, the single-threaded FMA build, and no error.
  const plain = await previewValues(hash, '', 0, plainEnv);
  assert.equal(plain.isolated, false);
  assert.equal(plain.kernels, relaxed ? 'fma' : 'simd128');
  assert.equal(plain.threads, '1');
  if (plain.cores > 1) assert.match(plain.footer, /WebAssembly threads would need the page cross-origin isolated \(served with the COOP and COEP headers\)\.$/, 'the footer tells a host why');
  assert.doesNotMatch(auto.footer, /would need/, 'an isolated page has nothing to be told');
  const asked = await previewValues(hash, '?kernels=threads', 0, plainEnv);
  assert.equal(asked.kernels, relaxed ? 'fma' : 'simd128', 'threads asked for where the page is not isolated');
  const fma = await previewValues(hash, '?kernels=fma', 0);
  assert.equal(fma.kernels, relaxed ? 'fma' : 'simd128');
  const simd = await previewValues(hash, '?kernels=simd128', 0);
  assert.equal(simd.kernels, 'simd128');
  assert.match(simd.footer, /SIMD128 kernels/);
  if (relaxed) assert.match(auto.footer, /fused multiply-add/);
  for (const r of [auto, plain, fma, simd]) assert.deepEqual(r.values[0].length, plain.values[0].length);
});
