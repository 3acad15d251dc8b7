// Feature-map previews and the sliding-window view in a real browser: every
// preset renders (maps for the valid layers, a "no output" card for the
// failing one), an image opened or dropped by the user is used, weights come
// back from the link, the MAC cap says so, the window highlights the right
// input cells, and none of it costs a CSP violation, a page error or an axe
// finding.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';
import { setUp, newPage, openApp, waitForTable, encodeLink, cspViolations, ensureOutputDir, hoverValue, TEST_TIMEOUT, previewsDone, previewGen } from './harness.mjs';
import { compactCount } from '../../web/format.js';

const require = createRequire(import.meta.url);
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

let env;
let links; // a page with the engine loaded, to encode test links
before(async () => {
  env = await setUp();
  links = await newPage(env);
  await openApp(env, links.page);
});
after(async () => { await links?.close(); await env?.tearDown(); });

async function assertClean(page, problems) {
  assert.deepEqual(problems.pageErrors, [], 'no page errors');
  assert.deepEqual(problems.consoleErrors, [], 'no console errors');
  assert.deepEqual(await cspViolations(page), [], 'no CSP violations');
}

async function linkFor(network, extras = []) {
  return encodeLink(links.page, network, extras);
}

/** data: URLs of a layer card's thumbnails (the pixels the user sees). */
function thumbPixels(page, index) {
  return page.$$eval(`#fm-list .fm-layer[data-index="${index}"] canvas.fm-thumb`, (canvases) => canvases.map((c) => c.toDataURL()));
}

/** A small PNG, written here so the test needs no image library: left half red, right half blue. */
function twoColourPng(width, height) {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y += 1) {
    const row = y * (width * 3 + 1);
    raw[row] = 0; // filter: none
    for (let x = 0; x < width; x += 1) {
      const red = x < width / 2;
      raw[row + 1 + x * 3] = red ? 255 : 0;
      raw[row + 2 + x * 3] = 0;
      raw[row + 3 + x * 3] = red ? 0 : 255;
    }
  }
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0)),
  ]);
}

test('previews render for every preset: maps for valid layers, a no-output card for the failing one', { timeout: 600_000 }, async () => {
  const { page, problems, close } = await newPage(env);
  await openApp(env, page);
  await previewsDone(page);
  const ids = await page.$$eval('#preset option', (opts) => opts.map((o) => o.value).filter(Boolean));
  assert.ok(ids.length >= 8, 'every preset is in the menu');
  for (const id of ids) {
    const gen = await previewGen(page);
    if ((await page.locator('#preset').inputValue()) !== id) {
      await page.locator('#preset').selectOption(id);
      await page.waitForFunction((i) => document.querySelector('#preset').value === i, id);
      await waitForTable(page);
      await previewsDone(page, gen);
    }
    const rows = await page.$$eval('#shape-table tr.row', (trs) => trs.map((tr) => ({
      status: [...tr.classList].find((c) => c.startsWith('is-'))?.slice(3),
    })));
    const cards = await page.$$eval('#fm-list .fm-layer', (lis) => lis.map((li) => ({
      index: Number(li.dataset.index),
      thumbs: li.querySelectorAll('.fm-cell:not(.is-composite) canvas').length,
      composite: li.querySelectorAll('.fm-cell.is-composite canvas').length,
      noOutput: li.querySelector('.fm-void')?.textContent || '',
      note: li.querySelector('.fm-note')?.textContent || '',
      shape: li.querySelector('.fm-shape')?.textContent || '',
    })));
    assert.equal(cards[0].index, -1, `${id}: the input comes first`);
    assert.equal(cards[0].composite, 1, `${id}: the image the network sees`);
    assert.ok(cards[0].thumbs >= 1, `${id}: input channels`);
    assert.equal(cards.length, rows.length + 1, `${id}: one card per layer`);
    const capped = await page.locator('#preview-cap-notice').count();
    let mapsSeen = 0;
    // A graph: an error skips only the layers that depend on it (status 'skipped'); other branches go on.
    for (const card of cards.slice(1)) {
      const status = rows[card.index].status;
      if (status === 'error') {
        assert.match(card.noOutput, /No output/, `${id}: layer ${card.index + 1} says where the map vanished`);
        assert.equal(card.thumbs, 0);
      } else if (card.thumbs > 0) {
        const channels = Number(card.shape.split('×').at(-1));
        assert.equal(card.thumbs, Math.min(32, channels), `${id}: layer ${card.index + 1} shows min(32, C) maps`);
        assert.notEqual(status, 'skipped', `${id}: no maps for a layer whose input does not exist`);
        mapsSeen += 1;
      } else {
        assert.ok(card.note, `${id}: layer ${card.index + 1} without maps says why`);
        if (status === 'skipped') assert.match(card.note, /Not computed/, `${id}: ${card.note}`);
        // Below the caps, a valid layer (merges included) has maps unless it is a vector or reads one.
        else if (!capped) assert.match(card.note, /vector|Dense|Flattened|has no map/, `${id}: layer ${card.index + 1}: ${card.note}`);
      }
    }
    const failing = rows.some((r) => r.status === 'error');
    if (!capped && !(failing && rows[0].status === 'error')) assert.ok(mapsSeen >= 1, `${id}: at least one layer drawn`);
    if (capped) assert.match(await page.locator('#preview-cap-notice').innerText(), /cap/i, `${id}: the cap is explained`);
  }
  await assertClean(page, problems);
  await close();
});

test('the conv2d_3 story: the failing layer shows the report\'s formula, and the window hangs over the edge', { timeout: TEST_TIMEOUT }, async () => {
  const { page, problems, close } = await newPage(env);
  await openApp(env, page);
  await previewsDone(page);
  const failing = page.locator('#fm-list .fm-layer.is-error');
  assert.equal(await failing.count(), 1);
  const text = await failing.locator('.fm-void').innerText();
  assert.match(text, /No output: \(4 - 5 \+ 1\) \/ 1 = 0/, 'the report\'s formula, with the numbers');
  assert.match(text, /kernel 5 is larger than the padded input 4/);
  await failing.getByRole('button', { name: 'See the window not fit' }).click();
  await page.waitForFunction(() => document.querySelector('#window-figure')?.dataset.layer === '5');
  assert.match(await page.locator('#window-void').innerText(), /No output: \(4 - 5 \+ 1\) \/ 1 = 0/);
  assert.match(await page.locator('#window-void').innerText(), /the window spans 5 cells, the padded input has 4/);
  assert.equal(await page.locator('#window-figure').getAttribute('data-rows'), '0,1,2,3,4', 'the one window there could be');
  assert.match(await page.locator('#window-readout').innerText(), /row 4 is outside the padded input/);
  assert.match(await page.evaluate(() => location.hash), /win=6/, 'the chosen layer is in the link');
  await assertClean(page, problems);
  await close();
});

test('the sliding window of a stride-2, padding-1 conv reads the right input cells', { timeout: TEST_TIMEOUT }, async () => {
  const network = {
    framework: 'pytorch', input: [1, 1, 9, 9],
    layers: [{ type: 'conv', name: 'down', filters: 2, kernel: 3, stride: 2, padding: 1 }, { type: 'relu' }],
  };
  const { page, problems, close } = await newPage(env);
  await openApp(env, page, await linkFor(network));
  await previewsDone(page);
  const figure = page.locator('#window-figure');
  assert.equal(await figure.getAttribute('data-layer'), '0');
  const out = page.locator('#window-output');
  await out.scrollIntoViewIfNeeded();
  const box = await out.boundingBox();
  const OH = 5;
  const OW = 5; // floor((9 + 2 - 3) / 2) + 1
  const hover = async (r, c) => {
    await page.mouse.move(box.x + (c + 0.5) * (box.width / OW), box.y + (r + 0.5) * (box.height / OH));
    await page.waitForFunction((rc) => document.querySelector('#window-figure').dataset.out === rc, `${r},${c}`);
  };
  await hover(1, 2);
  assert.equal(await figure.getAttribute('data-rows'), '1,2,3', 'row 1 reads rows 2*1-1 … 2*1+1');
  assert.equal(await figure.getAttribute('data-cols'), '3,4,5', 'column 2 reads columns 3 … 5');
  assert.match(await page.locator('#window-readout').innerText(), /Output row 1, column 2 = −?[\d.]+ reads rows 1…3 · columns 3…5\./);
  await hover(0, 0);
  assert.equal(await figure.getAttribute('data-rows'), '-1,0,1');
  assert.equal(await figure.getAttribute('data-cols'), '-1,0,1');
  assert.match(await page.locator('#window-readout').innerText(), /rows −1…1 \(row −1 is padding\) · columns −1…1 \(column −1 is padding\)/);
  await hover(4, 4);
  assert.equal(await figure.getAttribute('data-rows'), '7,8,9');
  assert.match(await page.locator('#window-readout').innerText(), /rows 7…9 \(row 9 is padding\)/, 'the last window reads the bottom padding');
  // The keyboard moves the window too.
  await out.focus();
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowDown');
  assert.equal(await figure.getAttribute('data-out'), '1,1');
  assert.equal(await figure.getAttribute('data-cols'), '1,2,3');
  // The value shown is the output map's value at that cell.
  const shown = await page.locator('#window-readout').innerText();
  const value = Number(/= (−?[\d.e+-]+)/.exec(shown)[1].replace('−', '-'));
  const hovered = await hoverValue(page, 0, 0, 1.5 / 5, 1.5 / 5);
  assert.ok(Math.abs(hovered - value) <= Math.abs(value) * 1e-3 + 1e-6, `window ${value} vs thumbnail ${hovered}`);
  await assertClean(page, problems);
  await close();
});

test('the sliding window shows dilation gaps and a transposed conv\'s inserted zeros', { timeout: TEST_TIMEOUT }, async () => {
  const network = {
    framework: 'pytorch', input: [1, 1, 8, 8],
    layers: [
      { type: 'conv', name: 'dilated', filters: 1, kernel: 3, dilation: 3 },
      { type: 'conv_transpose', name: 'up', filters: 1, kernel: 3, stride: 2, padding: 1, output_padding: 1 },
    ],
  };
  const { page, problems, close } = await newPage(env);
  await openApp(env, page, await linkFor(network, [['win', '1']]));
  await previewsDone(page);
  const figure = page.locator('#window-figure');
  assert.equal(await figure.getAttribute('data-rows'), '0,3,6', 'dilation 3: taps 3 apart');
  await page.locator('#window-layer').selectOption('1');
  await page.waitForFunction(() => document.querySelector('#window-figure').dataset.layer === '1');
  assert.match(await page.evaluate(() => location.hash), /win=2/);
  // Transposed: output o reads stretched cells o - (k - 1 - p) … ; output 0 -> -1, 0, 1.
  assert.equal(await figure.getAttribute('data-rows'), '-1,0,1');
  const out = page.locator('#window-output');
  await out.focus();
  await page.keyboard.press('ArrowDown');
  assert.equal(await figure.getAttribute('data-rows'), '0,1,2');
  assert.match(await page.locator('#window-readout').innerText(), /row 1 is inserted zeros/);
  assert.match(await page.locator('#window-readout').innerText(), /input rows 0, 1/);
  await assertClean(page, problems);
  await close();
});

test('a ceil-mode pool and a TensorFlow \'same\' stride-2 conv: the kernels compute the report\'s shapes from its geometry', { timeout: TEST_TIMEOUT }, async () => {
  const cardOf = (page, index) => page.locator(`#fm-list .fm-layer[data-index="${index}"]`);
  const endOfOutput = async (page) => {
    const out = page.locator('#window-output');
    await out.focus();
    await page.keyboard.press('End');
  };
  // PyTorch: 14 -> ceil((14 - 3) / 2) + 1 = 7 (the last window overhangs the input by one cell);
  // 7 + 1 + 1 -> ceil((9 - 2) / 2) + 1 = 5, whose last window would start at 8 >= 7 + 1: dropped, 4.
  const pools = {
    framework: 'pytorch', input: [1, 3, 14, 14],
    layers: [
      { type: 'max_pool', name: 'ceil_max', kernel: 3, stride: 2, ceil_mode: true },
      { type: 'avg_pool', name: 'ceil_avg', kernel: 2, stride: 2, padding: 1, ceil_mode: true, count_include_pad: true },
    ],
  };
  const first = await newPage(env);
  await openApp(env, first.page, await linkFor(pools, [['win', '1']]));
  await previewsDone(first.page);
  assert.equal(await cardOf(first.page, 0).locator('.fm-shape').innerText(), '7×7×3');
  assert.equal(await cardOf(first.page, 1).locator('.fm-shape').innerText(), '4×4×3');
  for (const i of [0, 1]) {
    assert.equal(await cardOf(first.page, i).getAttribute('data-engine'), 'simd', `layer ${i + 1}: the SIMD pooling kernel agreed with the report`);
    assert.equal(await cardOf(first.page, i).locator('canvas.fm-thumb').count(), 3, `layer ${i + 1}: three maps`);
  }
  const figure = first.page.locator('#window-figure');
  await endOfOutput(first.page);
  assert.equal(await figure.getAttribute('data-out'), '6,6');
  assert.equal(await figure.getAttribute('data-rows'), '12,13,14', 'ceil mode\'s extra window');
  assert.match(await first.page.locator('#window-readout').innerText(), /rows 12…14 \(row 14 is outside the padded input\)/);
  assert.match(await first.page.locator('#window-desc').innerText(), /ceil mode/);
  await first.page.locator('#window-layer').selectOption('1');
  await first.page.waitForFunction(() => document.querySelector('#window-figure').dataset.layer === '1');
  await endOfOutput(first.page);
  assert.equal(await figure.getAttribute('data-out'), '3,3');
  assert.equal(await figure.getAttribute('data-rows'), '5,6', 'the last kept window; the one starting in the padding is gone');

  // TensorFlow SAME, stride 2: 15 -> 8 with padding 1 + 1; 16 -> 8 with 0 + 1 (the odd cell at the end).
  const same = {
    framework: 'tensorflow', input: [1, 15, 16, 3],
    layers: [{ type: 'conv', name: 'down', filters: 4, kernel: 3, stride: 2, padding: 'same' }, { type: 'relu' }],
  };
  const second = await newPage(env);
  await openApp(env, second.page, await linkFor(same, [['w0', 'identity']]));
  await previewsDone(second.page);
  assert.equal(await cardOf(second.page, 0).locator('.fm-shape').innerText(), '8×8×4');
  // The identity filter copies input channel 0 from the window's centre, (2 * oy - 1 + 1, 2 * ox - 0 + 1):
  // output column 0 is input column 1 (no padding before W), output row 0 is input row 0 (one before H).
  const input = (y, x) => hoverValue(second.page, -1, 0, (x + 0.5) / 16, (y + 0.5) / 15);
  const output = (y, x) => hoverValue(second.page, 0, 0, (x + 0.5) / 8, (y + 0.5) / 8);
  const [in00, in01, in014, in015] = [await input(0, 0), await input(0, 1), await input(0, 14), await input(0, 15)];
  assert.notEqual(in00, in01, 'neighbouring input cells differ, so a shifted window would show');
  assert.notEqual(in014, in015);
  assert.equal(await output(0, 0), in01, 'output (0, 0) is input (0, 1)');
  assert.equal(await output(0, 7), in015, 'output (0, 7) is input (0, 15): the odd padding cell is at the end');
  assert.equal(await cardOf(second.page, 0).getAttribute('data-engine'), 'simd', 'the conv kernel computed the reported 8×8');
  assert.equal(await cardOf(second.page, 0).locator('canvas.fm-thumb').count(), 4);
  const figure2 = second.page.locator('#window-figure');
  assert.equal(await figure2.getAttribute('data-layer'), '0');
  const out = second.page.locator('#window-output');
  await out.focus();
  await second.page.keyboard.press('Home');
  assert.equal(await figure2.getAttribute('data-rows'), '-1,0,1', 'H: one padding cell before');
  assert.equal(await figure2.getAttribute('data-cols'), '0,1,2', 'W: none before');
  await second.page.keyboard.press('End');
  assert.equal(await figure2.getAttribute('data-rows'), '13,14,15');
  assert.equal(await figure2.getAttribute('data-cols'), '14,15,16');
  assert.match(await second.page.locator('#window-readout').innerText(), /rows 13…15 \(row 15 is padding\) · columns 14…16 \(column 16 is padding\)/);
  for (const p of [first, second]) await assertClean(p.page, p.problems);
  await Promise.all([first.close(), second.close()]);
});

test('weights are reproduced from the link: same seed and filter give the same pixels after a reload', { timeout: TEST_TIMEOUT }, async () => {
  const network = {
    framework: 'tensorflow', input: [1, 24, 24, 3],
    layers: [
      { type: 'conv', name: 'edges', filters: 4, kernel: 3, padding: 'same' },
      { type: 'conv', name: 'deeper', filters: 6, kernel: 3, padding: 'same' },
    ],
  };
  const hash = await linkFor(network, [['img', 'camera'], ['seed', '7'], ['w0', 'sobel_x']]);
  const first = await newPage(env);
  await openApp(env, first.page, hash);
  await previewsDone(first.page);
  assert.equal(await first.page.locator('#preview-image').inputValue(), 'camera');
  assert.equal(await first.page.locator('#preview-seed').inputValue(), '7');
  assert.equal(await first.page.locator('#preview-filter').inputValue(), 'sobel_x');
  const a0 = await thumbPixels(first.page, 0);
  const a1 = await thumbPixels(first.page, 1);
  assert.equal(a0.length, 4);
  assert.ok(a0.every((u) => u.startsWith('data:image/png') && u.length > 200), 'thumbnails have pixels');

  const second = await newPage(env);
  await openApp(env, second.page, hash);
  await previewsDone(second.page);
  assert.deepEqual(await thumbPixels(second.page, 0), a0, 'first layer (Sobel x) identical');
  assert.deepEqual(await thumbPixels(second.page, 1), a1, 'seeded layer identical');

  // Another seed changes the seeded layer, not the Sobel one; the link says so.
  const gen = await previewGen(second.page);
  await second.page.locator('#preview-seed').fill('8');
  await previewsDone(second.page, gen);
  assert.match(await second.page.evaluate(() => location.hash), /seed=8/);
  assert.deepEqual(await thumbPixels(second.page, 0), a0);
  assert.notDeepEqual(await thumbPixels(second.page, 1), a1);

  // Typed values: the grid writes them into the link, and a reload brings them back.
  await second.page.locator('#preview-grid summary').click();
  const cell = second.page.locator('#preview-grid .kernel-cell').nth(4);
  assert.equal(await cell.inputValue(), '0', 'Sobel x has 0 in the middle');
  const gen2 = await previewGen(second.page);
  await cell.fill('3');
  await previewsDone(second.page, gen2);
  const typed = await second.page.evaluate(() => location.hash);
  assert.match(typed, /w0=3x3_-1_0_1_-2_3_2_-1_0_1/);
  assert.equal(await second.page.locator('#preview-filter').inputValue(), 'custom');
  const b0 = await thumbPixels(second.page, 0);
  assert.notDeepEqual(b0, a0);
  const third = await newPage(env);
  await openApp(env, third.page, typed.slice(1));
  await previewsDone(third.page);
  await third.page.locator('#preview-grid summary').click();
  assert.equal(await third.page.locator('#preview-grid .kernel-cell').nth(4).inputValue(), '3');
  assert.deepEqual(await thumbPixels(third.page, 0), b0);
  for (const p of [first, second, third]) await assertClean(p.page, p.problems);
  await Promise.all([first.close(), second.close(), third.close()]);
});

test('an image chosen with the file input, or dropped, becomes the input', { timeout: TEST_TIMEOUT }, async () => {
  const network = { framework: 'tensorflow', input: [1, 16, 16, 3], layers: [{ type: 'conv', name: 'c', filters: 2, kernel: 3 }] };
  const { page, problems, close } = await newPage(env);
  await openApp(env, page, await linkFor(network));
  await previewsDone(page);
  const hash = await page.evaluate(() => location.hash);
  // 1. The file input: a 40x30 PNG, left half red, right half blue.
  let gen = await previewGen(page);
  await page.locator('#preview-file').setInputFiles({ name: 'halves.png', mimeType: 'image/png', buffer: twoColourPng(40, 30) });
  await previewsDone(page, gen);
  assert.match(await page.locator('#preview-image option:checked').innerText(), /Your image: halves\.png/);
  // Centre-cropped to 30x30 then resized to 16x16: the left quarter is red, the right quarter blue.
  assert.ok(await hoverValue(page, -1, 0, 0.15, 0.5) > 0.95, 'red channel on the left');
  assert.ok(await hoverValue(page, -1, 0, 0.85, 0.5) < 0.05, 'no red on the right');
  assert.ok(await hoverValue(page, -1, 2, 0.85, 0.5) > 0.95, 'blue channel on the right');
  assert.equal(await page.evaluate(() => location.hash), hash, 'the image is not in the link');
  // 2. A synthetic drop of another PNG on the previews panel (blue on the left this time).
  gen = await previewGen(page);
  const flipped = twoColourPng(20, 20);
  await page.evaluate(async (bytes) => {
    const file = new File([new Uint8Array(bytes)], 'dropped.png', { type: 'image/png' });
    // Mirror it: draw into a canvas flipped, so the drop carries a different image.
    const bitmap = await createImageBitmap(file);
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d');
    ctx.translate(bitmap.width, 0);
    ctx.scale(-1, 1);
    ctx.drawImage(bitmap, 0, 0);
    const blob = await canvas.convertToBlob({ type: 'image/png' });
    const dt = new DataTransfer();
    dt.items.add(new File([blob], 'dropped.png', { type: 'image/png' }));
    const target = document.querySelector('#previews');
    target.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, [...flipped]);
  await previewsDone(page, gen);
  assert.match(await page.locator('#preview-image option:checked').innerText(), /Your image: dropped\.png/);
  assert.ok(await hoverValue(page, -1, 2, 0.15, 0.5) > 0.95, 'blue on the left after the drop');
  assert.ok(await hoverValue(page, -1, 0, 0.85, 0.5) > 0.95, 'red on the right after the drop');
  assert.equal(await page.locator('#fm-list .fm-layer[data-index="0"] canvas.fm-thumb').count(), 2, 'the conv ran on it');
  // 3. Back to a sample.
  gen = await previewGen(page);
  await page.locator('#preview-image').selectOption('coffee');
  await previewsDone(page, gen);
  assert.match(await page.evaluate(() => location.hash), /img=coffee/);
  // 4. Not an image: a clear message, no page error.
  gen = await previewGen(page);
  await page.locator('#preview-file').setInputFiles({ name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('not a png') });
  await page.waitForFunction(() => /could not be read as an image/.test(document.querySelector('#preview-notices')?.textContent || ''));
  await assertClean(page, problems);
  await close();
});

test('compact counts keep the zeros of whole numbers (the cap notice and the table use them)', () => {
  assert.equal(compactCount(100e9), '100 G');
  assert.equal(compactCount(120e6), '120 M');
  assert.equal(compactCount(2e9), '2 G');
  assert.equal(compactCount(1.946e9), '1.95 G');
  assert.equal(compactCount(10_000), '10 K');
});

test('a network over the MAC cap previews its first layers and says where it stopped', { timeout: TEST_TIMEOUT }, async () => {
  const network = {
    framework: 'pytorch', input: [1, 3, 128, 128],
    layers: [
      { type: 'conv', name: 'stem', filters: 16, kernel: 3, padding: 1 },
      { type: 'relu', name: 'act' },
      { type: 'conv', name: 'huge', filters: 512, kernel: 3, padding: 1 }, // 128*128*16*512*9 = 1.2 G
      { type: 'conv', name: 'huger', filters: 512, kernel: 3, padding: 1 }, // 128*128*512*512*9 = 38.7 G
    ],
  };
  const { page, problems, close } = await newPage(env);
  await openApp(env, page, await linkFor(network));
  await previewsDone(page);
  const notice = page.locator('#preview-cap-notice');
  await notice.waitFor();
  assert.match(await notice.innerText(), /MAC cap: this network needs 39\.9 G multiply-accumulates for one image; previews stop before layer 4 \(huger\)/);
  assert.equal(await page.locator('#fm-list .fm-layer[data-index="0"] canvas.fm-thumb').count(), 16);
  assert.equal(await page.locator('#fm-list .fm-layer[data-index="2"] canvas.fm-thumb').count(), 32, '512 channels: 32 shown');
  assert.match(await page.locator('#fm-list .fm-layer[data-index="2"]').innerText(), /Showing channels 1–16 of 512 \(previews compute the first 32\)/);
  assert.match(await page.locator('#fm-list .fm-layer[data-index="3"] .fm-note').innerText(), /over the 2 G cap/);
  await assertClean(page, problems);
  await close();
});

test('editing the network again cancels the stale run: only the newest state is drawn', { timeout: TEST_TIMEOUT }, async () => {
  const { page, problems, close } = await newPage(env);
  await openApp(env, page);
  await previewsDone(page);
  const gen = await previewGen(page);
  // Three quick edits of the first layer's filters: 32 -> 8 -> 5 -> 3 maps.
  const filters = page.locator('#layer-0-filters');
  for (const n of ['8', '5', '3']) await filters.fill(n);
  await previewsDone(page, gen);
  await page.waitForFunction(() => document.querySelectorAll('#fm-list .fm-layer[data-index="0"] canvas.fm-thumb').length === 3);
  assert.match(await page.locator('#fm-list .fm-layer[data-index="0"] .fm-shape').innerText(), /30×30×3/);
  await assertClean(page, problems);
  await close();
});

test('an edit recomputes from the first changed layer only, with the same pixels as a fresh load', { timeout: TEST_TIMEOUT }, async () => {
  const network = {
    framework: 'pytorch', input: [1, 3, 48, 48],
    layers: [
      { type: 'conv', name: 'a', filters: 6, kernel: 3, padding: 1 },
      { type: 'relu', name: 'r' },
      { type: 'max_pool', name: 'p', kernel: 2 },
      { type: 'conv', name: 'b', filters: 4, kernel: 3 },
    ],
  };
  const { page, problems, close } = await newPage(env);
  await openApp(env, page, await linkFor(network, [['seed', '3']]));
  await previewsDone(page);
  assert.equal(await page.locator('#previews').getAttribute('data-resumed'), '-2', 'the first run computes everything');
  const firstCanvas = await page.locator('#fm-list .fm-layer[data-index="0"] canvas.fm-thumb').first().elementHandle();
  const gen = await previewGen(page);
  await page.locator('#layer-3-filters').fill('5');
  await previewsDone(page, gen);
  assert.equal(await page.locator('#previews').getAttribute('data-resumed'), '2', 'layers 1-3 are kept, layer 4 recomputed');
  assert.ok(await firstCanvas.evaluate((c) => c.isConnected), 'the first layer\'s maps were not redrawn');
  assert.equal(await page.locator('#fm-list .fm-layer[data-index="3"] canvas.fm-thumb').count(), 5);
  const resumed = await thumbPixels(page, 3);
  const fresh = await newPage(env);
  await openApp(env, fresh.page, (await page.evaluate(() => location.hash)).slice(1));
  await previewsDone(fresh.page);
  assert.deepEqual(await thumbPixels(fresh.page, 3), resumed, 'resuming gives the pixels of a full run');
  // The seed changes every conv layer: everything is recomputed.
  const gen2 = await previewGen(page);
  await page.locator('#preview-seed').fill('4');
  await previewsDone(page, gen2);
  assert.equal(await page.locator('#previews').getAttribute('data-resumed'), '-1', 'only the input is kept');
  await assertClean(page, problems);
  await assertClean(fresh.page, fresh.problems);
  await fresh.close();
  await close();
});

test('the previews keep the page accessible (axe, light and dark) and usable at 360 px', { timeout: TEST_TIMEOUT }, async () => {
  for (const colorScheme of ['light', 'dark']) {
    const { page, close } = await newPage(env, { colorScheme, bypassCSP: true });
    await openApp(env, page);
    await previewsDone(page);
    await page.locator('#preview-grid summary').click();
    await page.locator('#preview-filter').selectOption('laplacian');
    await previewsDone(page);
    await page.evaluate(AXE_SOURCE);
    const bad = await page.evaluate(async () => {
      const r = await window.axe.run(document, { resultTypes: ['violations'] });
      return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
    });
    assert.deepEqual(bad, [], JSON.stringify(bad, null, 2));
    await close();
  }
  const dir = ensureOutputDir();
  for (const [width, file] of [[360, 'previews-360.png'], [1280, 'previews-desktop.png']]) {
    const { page, problems, close } = await newPage(env, { width, height: 740 });
    await openApp(env, page);
    await previewsDone(page);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `page scrolls sideways by ${overflow}px at ${width}px`);
    // Keyboard: the first map of a layer takes focus, arrows move between maps and the probe.
    const firstMap = page.locator('#fm-list .fm-layer[data-index="0"] .fm-cell[tabindex="0"]');
    await firstMap.focus();
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.evaluate(() => document.activeElement?.closest('.fm-layer')?.dataset.index), '0');
    await page.keyboard.press('Shift+ArrowLeft');
    assert.match(await page.locator('#fm-list .fm-layer[data-index="0"] .fm-readout').innerText(), /ch 2 · row \d+, col \d+/);
    await page.locator('#previews-panel').screenshot({ path: path.join(dir, file) });
    await assertClean(page, problems);
    await close();
  }
});
