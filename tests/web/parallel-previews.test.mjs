// Previews split across workers (web/conv-split.js, web/conv-helper.js):
// the same network previewed with 1, 2 and 3 workers gives the same feature
// maps, bit for bit, on every layer, and the footer says how they ran. The
// network has the band split's awkward cases: TensorFlow 'same' with stride
// 2 (the odd padding row at the bottom), dilation, a depthwise conv, a 5x5
// kernel, and heights that do not divide into equal bands. The maps are the
// values the page holds (#previews.previewValues).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setUp, newPage, openApp, encodeLink, cspViolations, TEST_TIMEOUT, previewsDone, previewGen } from './harness.mjs';

let env;
before(async () => { env = await setUp(); });
after(async () => { await env?.tearDown(); });

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
async function previewValues(hash, query, workers) {
  const p = await newPage(env);
  await openApp(env, p.page, hash, query);
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
    return { values, bands, workers: el.dataset.workers, kernels: el.dataset.kernels, footer: document.querySelector('#preview-footer').textContent };
  }, network.layers.length);
  assert.deepEqual(p.problems.pageErrors, [], 'no page errors');
  assert.deepEqual(p.problems.consoleErrors, [], 'no console errors');
  assert.deepEqual(await cspViolations(p.page), [], 'no CSP violations');
  await p.close();
  return result;
}

test('feature maps are identical with 1, 2 and 3 workers, bit for bit, on every layer', { timeout: TEST_TIMEOUT }, async () => {
  const links = await newPage(env);
  await openApp(env, links.page);
  const hash = await encodeLink(links.page, network, [['img', 'astronaut'], ['seed', '5']]);
  await links.close();
  const one = await previewValues(hash, '?workers=1', 1);
  assert.equal(one.workers, '1');
  assert.deepEqual(one.bands, network.layers.map(() => 1));
  assert.match(one.footer, /in a Web Worker\./);
  // Every layer (and the image, -1) has values.
  const indexes = Object.keys(one.values).map(Number).sort((a, b) => a - b);
  assert.deepEqual(indexes, [-1, ...network.layers.map((_, i) => i)]);
  for (const workers of [2, 3]) {
    const many = await previewValues(hash, `?workers=${workers}`, workers);
    assert.equal(many.workers, String(workers));
    assert.equal(many.kernels, one.kernels, 'the same kernel build');
    assert.match(many.footer, new RegExp(`in ${workers} Web Workers \\(convolutions split by rows\\)`));
    // Every conv here is big enough to split (2^21 MACs and more); the ReLU is not a conv.
    assert.deepEqual(many.bands, network.layers.map((l) => (l.type === 'relu' ? 1 : workers)));
    for (const index of indexes) {
      const a = one.values[index], b = many.values[index];
      assert.equal(b.length, a.length, `layer ${index}: length`);
      const first = a.findIndex((v, i) => v !== b[i]);
      assert.equal(first, -1, `layer ${index} (${network.layers[index]?.name ?? 'image'}) with ${workers} workers: first differing value at ${first}`);
    }
  }
});

test('the kernel build follows ?kernels=, and the FMA build is the default where Chromium has relaxed SIMD', { timeout: TEST_TIMEOUT }, async () => {
  const links = await newPage(env);
  await openApp(env, links.page);
  const hash = await encodeLink(links.page, { framework: 'tensorflow', input: [1, 32, 32, 3], layers: [{ type: 'conv', filters: 8, kernel: 3, padding: 'same' }] }, [['img', 'camera']]);
  const relaxed = await links.page.evaluate(async () => (await import('./kernels.js')).relaxedSimdSupported());
  await links.close();
  const auto = await previewValues(hash, '', 0);
  assert.equal(auto.kernels, relaxed ? 'fma' : 'simd128');
  const simd = await previewValues(hash, '?kernels=simd128', 0);
  assert.equal(simd.kernels, 'simd128');
  assert.match(simd.footer, /SIMD128 kernels/);
  if (relaxed) assert.match(auto.footer, /fused multiply-add/);
});
