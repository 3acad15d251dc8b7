// Graphs on the page: the padded U-Net's failing concat with both arriving
// shapes, the branch trace, PyTorch's text and the valid sizes, fixed in one
// click; ResNet-18's parameter count; the preview of a residual add equals
// the sum of its inputs' maps; a v2 link (inputs, mode) survives edits and a
// reload; the editor keeps references when layers are renamed or removed
// (after the removal dialog's choice).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setUp, newPage, openApp, waitForTable, tableText, hashOf, encodeLink, cspViolations, pickPreset, TEST_TIMEOUT } from './harness.mjs';

let env;
before(async () => { env = await setUp(); });
after(async () => { await env?.tearDown(); });

const PREVIEW_WAIT = 180_000; // ResNet-18 at 224x224 on a slow shared machine

async function assertClean(page, problems) {
  assert.deepEqual(problems.pageErrors, [], 'no page errors');
  assert.deepEqual(problems.consoleErrors, [], 'no console errors');
  assert.deepEqual(problems.dialogs, [], 'no dialogs');
  assert.deepEqual(await cspViolations(page), [], 'no CSP violations');
}


test('the padded U-Net: cat3 fails with both arriving shapes, the trace, PyTorch\'s text and the valid sizes; one click fixes it', { timeout: TEST_TIMEOUT }, async () => {
  const { page, problems, close } = await newPage(env);
  await openApp(env, page);
  await pickPreset(page, 'unet_padded');
  const row = page.locator('#shape-table tr.row.is-error');
  assert.equal(await row.count(), 1, 'one failing row');
  const rowText = await row.innerText();
  assert.match(rowText, /cat3/);
  assert.match(rowText, /enc3\.relu2\s+up3/, 'the inputs column names both inputs');
  assert.match(rowText, /1×256×25×25\s+1×256×24×24/, 'the input column lists every arriving shape');
  assert.equal(await page.locator('#shape-table thead th', { hasText: 'Inputs' }).count(), 1);

  const detail = page.locator('#shape-table tr.detail.is-error');
  const text = await detail.innerText();
  assert.match(text, /H differs: up3 arrives with 24, enc3\.relu2 with 25/);
  assert.match(text, /enc3\.relu2 1×256×25×25/);
  assert.match(text, /up3 1×256×24×24/);
  assert.match(await detail.locator('.trace').innerText(), /^enc3\.relu2 is 25x25; pool3 floors it to 12, up3 doubles it to 24: 24 ≠ 25 \(H\)$/);
  assert.match(text, /PyTorch says/i);
  assert.equal(await detail.locator('.fw-error').first().innerText(),
    'Sizes of tensors must match except in dimension 1. Expected size 25 but got size 24 for tensor number 1 in the list.');
  assert.match(await page.locator('#valid-input').innerText(), /valid H and W: 16, 32, 48, … \(multiples of 16\)/);
  assert.match(await page.locator('#min-input').innerText(), /16×16/);

  // The diagram: a graph, the failing merge drawn with both arriving shapes and naming its inputs.
  assert.equal(await page.locator('#diagram').getAttribute('data-graph'), 'true');
  const cat3 = page.locator('#diagram g.blk.is-error');
  assert.equal(await cat3.count(), 1);
  assert.match(await cat3.locator('title').textContent(), /^cat3 \(concat\) ← enc3\.relu2, up3: no valid output$/);
  assert.deepEqual(await cat3.locator('text.shape').allTextContents(), ['256×25×25', '256×24×24']);
  assert.match(await page.locator('#diagram-title').textContent(), /collapses at layer 32 \(cat3\)\. enc3\.relu2 brings 1×256×25×25, up3 brings 1×256×24×24/);
  assert.ok(await page.locator('#diagram path.arrow.skip').count() >= 4, 'the skips are drawn as curves');
  // Both paths back to where they split are highlighted: the direct skip, and the way through pool3 … up3.
  const traced = await page.$$eval('#diagram g.blk.is-trace title', (ts) => ts.map((t) => t.textContent.split(/[ :]/)[0]));
  for (const name of ['enc3.relu2', 'pool3', 'enc4.conv1', 'up3', 'cat3']) assert.ok(traced.includes(name), `${name} is on a path: ${traced}`);
  for (const name of ['enc1.conv1', 'pool2', 'dec3.conv1']) assert.ok(!traced.includes(name), `${name} is not on a path`);
  const keyOf = (name) => page.$eval(`#diagram g.blk[aria-label^="${name} "]`, (g) => g.dataset.key);
  const [split, pool3, up3] = await Promise.all(['enc3.relu2', 'pool3', 'up3'].map(keyOf));
  const cat3Key = await cat3.getAttribute('data-key');
  for (const [from, to] of [[split, cat3Key], [split, pool3], [up3, cat3Key]]) {
    assert.equal(await page.locator(`#diagram .arrow.is-trace[data-from="${from}"][data-to="${to}"]`).count(), 1, `edge ${from} -> ${to} highlighted`);
  }
  const pool1 = await keyOf('pool1');
  assert.equal(await page.locator(`#diagram .arrow.is-trace[data-to="${pool1}"]`).count(), 0, 'an edge off the paths is not');

  // The verified output_padding fix, one click; Back undoes it.
  const before = await hashOf(page);
  assert.match(before, /^v=2&/, 'a graph is a v=2 link');
  await detail.locator('button.fix', { hasText: 'output_padding=1 on up3' }).click();
  await page.waitForFunction(() => document.querySelectorAll('#shape-table tr.row.is-error').length === 0);
  assert.match(await page.locator('#verdict').innerText(), /All 49 layers valid/);
  assert.match(await hashOf(page), /conv_transpose:256:k2:s2:op1:n=up3/);
  assert.equal(await page.locator('#diagram g.blk.is-error').count(), 0);
  await page.goBack();
  await page.waitForFunction(() => document.querySelectorAll('#shape-table tr.row.is-error').length === 1);
  assert.equal(await hashOf(page), before);
  await assertClean(page, problems);
  await close();
});

test('ResNet-18: 11,689,512 parameters, and the first residual add previews the sum of its inputs\' maps', { timeout: 400_000 }, async () => {
  const { page, problems, close } = await newPage(env);
  await openApp(env, page);
  await page.waitForFunction(() => document.querySelector('#previews')?.dataset.state === 'done', null, { timeout: PREVIEW_WAIT });
  const gen = await page.evaluate(() => Number(document.querySelector('#previews').dataset.gen));
  await pickPreset(page, 'resnet18');
  const params = page.locator('#shape-table tfoot td.num').first();
  assert.equal(await params.getAttribute('title'), '11,689,512');
  assert.match(await params.textContent(), /11,689,512/, 'the exact count for screen readers');
  assert.match(await page.locator('#shape-table tbody tr.row[data-index="9"]').innerText(), /layer1\.0\.add[\s\S]*layer1\.0\.bn2\s+maxpool/);

  await page.waitForFunction((g) => {
    const el = document.querySelector('#previews');
    return el.dataset.state === 'done' && Number(el.dataset.gen) > g;
  }, gen, { timeout: PREVIEW_WAIT });
  const add = page.locator('#fm-list .fm-layer[data-index="9"]');
  assert.equal(await add.locator('canvas.fm-thumb').count(), 32, 'the add has maps');
  // Every value of the add's map against a float32 sum of its two inputs' maps, as the page holds them.
  const check = await page.evaluate(() => {
    const el = document.querySelector('#previews');
    const [sum, a, b] = [9, 8, 3].map((i) => el.previewValues(i));
    if (!sum || !a || !b) return { missing: [Boolean(sum), Boolean(a), Boolean(b)] };
    const expected = new Float32Array(a.length);
    for (let i = 0; i < a.length; i += 1) expected[i] = a[i] + b[i];
    let differ = 0;
    let nonzero = 0;
    for (let i = 0; i < sum.length; i += 1) {
      if (sum[i] !== expected[i]) differ += 1;
      if (sum[i] !== 0) nonzero += 1;
    }
    return { lengths: [sum.length, a.length, b.length], differ, nonzero, a: a[1234], b: b[1234], sum: sum[1234] };
  });
  assert.deepEqual(check.lengths, [56 * 56 * 64, 56 * 56 * 64, 56 * 56 * 64], JSON.stringify(check));
  assert.equal(check.differ, 0, 'the add is exactly the element-wise float32 sum');
  assert.ok(check.nonzero > 56 * 56 * 64 / 2, 'and not trivially zero');
  // The value under the pointer is the same number.
  const thumb = add.locator('.fm-cell:not(.is-composite) canvas').first();
  await thumb.scrollIntoViewIfNeeded();
  const box = await thumb.boundingBox();
  await page.mouse.move(box.x + box.width * (20.5 / 56), box.y + box.height * (10.5 / 56));
  const readout = add.locator('.fm-readout');
  await page.waitForFunction((el) => el.dataset.value !== undefined, await readout.elementHandle());
  const shown = Number(await readout.getAttribute('data-value'));
  const held = await page.evaluate(() => document.querySelector('#previews').previewValues(9)[(10 * 56 + 20) * 64]);
  assert.equal(shown, held);
  // Buffers are released as soon as no later layer reads them: the worker never held more than two 112×112×64 maps.
  const peak = Number(await page.locator('#previews').getAttribute('data-peak-floats'));
  assert.ok(peak > 0 && peak <= 2 * 112 * 112 * 64, `peak ${peak} floats held in the worker`);
  await assertClean(page, problems);
  await close();
});

test('a v2 link keeps its inputs and mode through edits and a reload; renames and removals keep references', { timeout: TEST_TIMEOUT }, async () => {
  const network = {
    framework: 'pytorch', mode: 'eval', input: [1, 3, 16, 16],
    layers: [
      { type: 'conv', name: 'stem', filters: 8, kernel: 3, padding: 'same' },
      { type: 'conv', name: 'branch', filters: 8, kernel: 3, padding: 1 },
      { type: 'add', name: 'sum', inputs: ['branch', 'stem'] },
      { type: 'concat', name: 'cat', inputs: ['sum', 'input'] },
    ],
  };
  const { page, problems, close } = await newPage(env);
  await openApp(env, page);
  const hash = await encodeLink(page, network);
  assert.match(hash, /^v=2&fw=pytorch&mode=eval&/);
  await openApp(env, page, hash);
  assert.equal(await hashOf(page), hash, 'the link is left exactly as given');
  assert.match(await page.locator('#shape-table tbody tr.row[data-index="2"]').innerText(), /branch\s+stem/);
  assert.match(await page.locator('#shape-table tfoot').innerText(), /1×11×16×16/);
  assert.equal(await page.locator('#layer-2-inputs').inputValue(), 'branch, stem');
  assert.equal(await page.locator('#inputs-hint').isVisible(), true, 'the editor says how inputs work');

  // Editing another field keeps the inputs and the mode.
  await page.locator('#layer-0-kernel').fill('5');
  await page.waitForFunction(() => /conv:8:k5/.test(location.hash));
  let now = await hashOf(page);
  assert.match(now, /mode=eval/);
  assert.match(now, /add:i=branch,stem:n=sum/);
  assert.match(now, /concat:i=sum,input:n=cat/);
  const rows = await tableText(page);

  // The URL it produced opens the same network in a fresh window.
  const fresh = await newPage(env);
  await fresh.page.goto(page.url());
  await waitForTable(fresh.page);
  assert.deepEqual(await tableText(fresh.page), rows, 'same table after a reload');
  assert.equal(await hashOf(fresh.page), now);
  assert.equal(await fresh.page.locator('#layer-3-inputs').inputValue(), 'sum, input');
  await assertClean(fresh.page, fresh.problems);
  await fresh.close();

  // Renaming a layer renames the references to it.
  await page.getByLabel('Name of layer 1').fill('trunk');
  await page.waitForFunction(() => /i=branch,trunk/.test(location.hash));
  assert.equal(await page.locator('#shape-table tr.row.is-error').count(), 0);
  // An unknown name: the field says what the engine says, and the link stays at the last valid state.
  now = await hashOf(page);
  await page.locator('#layer-2-inputs').fill('branch, nope');
  await page.waitForFunction(() => !document.querySelector('#layer-2-inputs-error').hidden);
  assert.match(await page.locator('#layer-2-inputs-error').innerText(), /layers\[2\]\.inputs\[1\]: no layer is named "nope"/);
  assert.equal(await hashOf(page), now);
  await page.locator('#layer-2-inputs').fill('branch, trunk');
  await page.waitForFunction(() => document.querySelector('#layer-2-inputs-error').hidden);
  // Removing a layer others read asks first (graph-editing.test.mjs has the whole dialog); rewiring connects them to what it read.
  await page.getByRole('button', { name: 'Remove layer 2 (branch)' }).click();
  await page.locator('#graph-dialog[open] #remove-rewire').click();
  await page.waitForFunction(() => /add:i=trunk,trunk:n=sum/.test(location.hash));
  assert.match(await page.locator('#status').innerText(), /sum now reads trunk/);
  assert.equal(await page.locator('#shape-table tr.row.is-error').count(), 0);
  // A merge added from the menu reads the two layers above it.
  await page.locator('#add-type').selectOption('add');
  await page.locator('#add-layer').click();
  await page.waitForFunction(() => /add:i=sum,cat/.test(location.hash) || document.querySelector('#layer-3-inputs-error') !== null);
  assert.equal(await page.locator('#layer-3-inputs').inputValue(), 'sum, cat');
  await assertClean(page, problems);
  await close();
});

test('the sliding-window view of a layer that reads an earlier map shows that map as its input, named', { timeout: TEST_TIMEOUT }, async () => {
  // b reads a, not the ReLU printed before it, though both are 8x8x4: the
  // input pane must show a's values (it took the previous layer's).
  const network = {
    framework: 'tensorflow', input: [1, 8, 8, 3],
    layers: [
      { type: 'conv', name: 'a', filters: 4, kernel: 3, padding: 'same' },
      { type: 'relu', name: 'r' },
      { type: 'conv', name: 'b', filters: 2, kernel: 3, padding: 'same', inputs: ['a'] },
      { type: 'add', name: 'sum', inputs: ['b', 'b'] },
    ],
  };
  const { page, problems, close } = await newPage(env);
  await openApp(env, page);
  await openApp(env, page, await encodeLink(page, network, [['win', '3']]));
  await page.waitForFunction(() => document.querySelector('#previews')?.dataset.state === 'done', null, { timeout: PREVIEW_WAIT });
  const figure = page.locator('#window-figure');
  await page.waitForFunction(() => document.querySelector('#window-figure')?.dataset.layer === '2');
  assert.equal(await figure.getAttribute('data-input-from'), '0', 'the input pane shows layer 1 (a), not layer 2 (r)');
  assert.match(await page.locator('#window-view').innerText(), /Input \(layer 1 \(a\)\), channel 1: all 10×10 cells/);
  // The first conv reads the image.
  await openApp(env, page, await encodeLink(page, network, [['win', '1']]));
  await page.waitForFunction(() => document.querySelector('#window-figure')?.dataset.layer === '0');
  assert.equal(await figure.getAttribute('data-input-from'), '-1');
  assert.match(await page.locator('#window-view').innerText(), /Input \(the image\), channel 1/);
  await assertClean(page, problems);
  await close();
});

test('every graph op previews on the worker\'s maps: pad_to, crop_to, resize_to, a gate, element-wise merges, concat along W and C', { timeout: TEST_TIMEOUT }, async () => {
  const network = {
    framework: 'tensorflow', input: [1, 12, 12, 3],
    layers: [
      { type: 'conv', name: 'a', filters: 4, kernel: 3 },
      { type: 'conv', name: 'b', filters: 4, kernel: 3, padding: 'same', inputs: ['input'] },
      { type: 'pad_to', name: 'pa', inputs: ['a', 'b'] },
      { type: 'crop_to', name: 'cr', inputs: ['b', 'a'] },
      { type: 'resize_to', name: 'rs', inputs: ['a', 'b'] },
      { type: 'global_avg_pool', name: 'sq', inputs: ['b'] },
      { type: 'activation', name: 'g', function: 'sigmoid' },
      { type: 'multiply', name: 'm', inputs: ['g', 'b'] },
      { type: 'subtract', name: 's', inputs: ['pa', 'rs'] },
      { type: 'average', name: 'av', inputs: ['pa', 'rs', 'm'] },
      { type: 'maximum', name: 'mx', inputs: ['pa', 'b'] },
      { type: 'minimum', name: 'mn', inputs: ['pa', 'b'] },
      { type: 'concat', name: 'cw', inputs: ['pa', 'b'], axis: 2 },
      { type: 'concat', name: 'ch', inputs: ['a', 'cr'] },
    ],
  };
  const { page, problems, close } = await newPage(env);
  await openApp(env, page);
  await openApp(env, page, await encodeLink(page, network));
  await page.waitForFunction(() => document.querySelector('#previews')?.dataset.state === 'done', null, { timeout: PREVIEW_WAIT });
  const thumbs = await page.$$eval('#fm-list .fm-layer', (lis) => lis.map((li) => li.querySelectorAll('.fm-cell:not(.is-composite) canvas').length));
  assert.deepEqual(thumbs, [3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 8], 'every layer has its maps');
  const v = await page.evaluate(() => {
    const el = document.querySelector('#previews');
    return Object.fromEntries(Array.from({ length: 14 }, (_, i) => [i, Array.from(el.previewValues(i))]));
  });
  const at = (x, W, C) => (y, xx, c) => x[(y * W + xx) * C + c];
  const [a, b, pa, cr, rs, , g, m, s, av, mx, mn, cw, ch] = Array.from({ length: 14 }, (_, i) => v[i]);
  const A = at(a, 10, 4); const B = at(b, 12, 4); const PA = at(pa, 12, 4); const CR = at(cr, 10, 4);
  const RS = at(rs, 12, 4); const M = at(m, 12, 4); const CW = at(cw, 24, 4); const CH = at(ch, 10, 8);
  const f = Math.fround;
  for (let y = 0; y < 12; y += 1) {
    for (let x = 0; x < 12; x += 1) {
      for (let c = 0; c < 4; c += 1) {
        const inside = y >= 1 && y <= 10 && x >= 1 && x <= 10;
        assert.equal(PA(y, x, c), inside ? A(y - 1, x - 1, c) : 0, 'pad_to: one zero cell each side');
        if (y < 10 && x < 10) {
          assert.equal(CR(y, x, c), B(y + 1, x + 1, c), 'crop_to: the centre');
          assert.equal(CH(y, x, c), A(y, x, c), 'concat along C: a first');
          assert.equal(CH(y, x, 4 + c), CR(y, x, c), 'then cr');
        }
        assert.equal(RS(y, x, c), A(Math.floor((y * 10) / 12), Math.floor((x * 10) / 12), c), 'resize_to: nearest');
        assert.equal(M(y, x, c), f(g[c] * B(y, x, c)), 'the gate broadcasts over H and W');
        const i = (y * 12 + x) * 4 + c;
        assert.equal(s[i], f(pa[i] - rs[i]));
        assert.equal(av[i], f(f(f(pa[i] + rs[i]) + m[i]) / 3));
        assert.equal(mx[i], Math.max(pa[i], b[i]));
        assert.equal(mn[i], Math.min(pa[i], b[i]));
        assert.equal(CW(y, x, c), PA(y, x, c), 'concat along W: pa on the left');
        assert.equal(CW(y, 12 + x, c), B(y, x, c), 'b on the right');
      }
    }
  }
  assert.ok(g.every((x) => x > 0 && x < 1), 'the gate is a sigmoid of the pooled map');
  await assertClean(page, problems);
  await close();
});
