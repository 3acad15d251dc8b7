// Editing graphs on the page and drawing big ones: a residual shortcut and a
// concat skip added from a layer's card (previewed with the engine's verdict,
// one Back step each); removing a layer others read says what would break and
// offers rewiring or cancel; torchvision's ResNet-50 and DenseNet-121 as ONNX
// files (make_models.py, PyTorch 1.13) dropped on the page draw collapsed
// blocks that open by click or Enter, zoom and pan by buttons, keys, wheel and
// drag; a failing merge inside one is drawn with its arriving shapes and both
// paths; a graph in an embed (v2 link, hide=) inside a host page, at 360 px
// and in dark mode, with axe.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { setUp, newPage, openApp, waitForTable, hashOf, encodeLink, cspViolations, ROOT, TEST_TIMEOUT, seriousAxe } from './harness.mjs';
import { modelFile } from './models.mjs';

const CLI = process.env.CONVSCOPE_CLI || path.join(ROOT, 'build', 'convscope');

let env;
before(async () => { env = await setUp(); });
after(async () => { await env?.tearDown(); });

async function assertClean(page, problems) {
  assert.deepEqual(problems.pageErrors, [], 'no page errors');
  assert.deepEqual(problems.consoleErrors, [], 'no console errors');
  assert.deepEqual(problems.dialogs, [], 'no alert/confirm dialogs');
  assert.deepEqual(await cspViolations(page), [], 'no CSP violations');
}

async function dropFile(page, name, bytes) {
  const dataTransfer = await page.evaluateHandle(([fileName, data]) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(data)], fileName));
    return dt;
  }, [name, Array.from(bytes)]);
  await page.dispatchEvent('main', 'drop', { dataTransfer });
}

/** The native CLI's import of a model file: the network JSON the page must show. */
function cliImport(file) {
  const run = spawnSync(CLI, ['import', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(run.status, 0, `convscope import ${file}: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

const CHAIN = {
  framework: 'pytorch', input: [1, 8, 16, 16],
  layers: [
    { type: 'conv', name: 'stem', filters: 8, kernel: 3, padding: 1 },
    { type: 'conv', name: 'a', filters: 8, kernel: 3, padding: 1 },
    { type: 'conv', name: 'b', filters: 8, kernel: 3, padding: 1 },
    { type: 'relu', name: 'act' },
    { type: 'conv', name: 'wide', filters: 16, kernel: 1 },
  ],
};

test('a residual shortcut and a concat skip from a layer\'s card: the engine\'s verdict first, one history step each', { timeout: TEST_TIMEOUT }, async () => {
  const { page, problems, close } = await newPage(env);
  await openApp(env, page);
  await openApp(env, page, await encodeLink(page, CHAIN));
  const start = await hashOf(page);
  const opener = page.getByRole('button', { name: 'Add a shortcut or skip to layer 3 (b)…' });
  await opener.click();
  const dialog = page.locator('#graph-dialog[open]');
  await dialog.waitFor();
  assert.match(await dialog.locator('h2').innerText(), /layer 3 \(b\)/);
  // The default source is the nearest earlier layer of b's shape that is not its direct input.
  assert.equal(await dialog.locator('#shortcut-from').inputValue(), '0');
  assert.match(await dialog.locator('#shortcut-from option:checked').innerText(), /^stem — 1×8×16×16$/);
  assert.equal(await dialog.locator('#shortcut-outcome').innerText(), 'All 6 layers would be valid.');
  // A source of another channel count: the dialog says what the engine says before anything changes.
  await openApp(env, page, await encodeLink(page, { ...CHAIN, layers: CHAIN.layers.concat([{ type: 'conv', name: 'c', filters: 4, kernel: 1 }]) }));
  await page.getByRole('button', { name: 'Add a shortcut or skip to layer 6 (c)…' }).click();
  await dialog.waitFor();
  await dialog.locator('#shortcut-from').selectOption('0');
  await page.waitForFunction(() => /would fail/.test(document.querySelector('#shortcut-outcome').textContent));
  const refused = await dialog.locator('#shortcut-outcome').innerText();
  assert.match(refused, /^Layer 7 \(c_add\) would fail: /);
  assert.equal(await dialog.locator('#shortcut-outcome').getAttribute('class'), 'outcome is-error');
  // Concat accepts other channel counts: the verdict follows the kind.
  await dialog.getByLabel(/Concat skip/).check();
  await page.waitForFunction(() => /valid/.test(document.querySelector('#shortcut-outcome').textContent));
  assert.equal(await dialog.locator('#shortcut-outcome').innerText(), 'All 7 layers would be valid.');
  assert.match(await dialog.locator('[data-says="concat"]').innerText(), /concat: c, then stem, along the channels/);
  // Cancel changes nothing and gives focus back.
  const before = await hashOf(page);
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await page.waitForFunction(() => !document.querySelector('#graph-dialog').open);
  assert.equal(await hashOf(page), before);
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Add a shortcut or skip to layer 6 (c)…');

  // Back to the chain: insert the add after b; act (the layer below) now reads it.
  await page.goBack();
  await page.waitForFunction((h) => location.hash.slice(1) === h, start);
  await waitForTable(page);
  await opener.click();
  await dialog.waitFor();
  await dialog.locator('#shortcut-insert').click();
  await page.waitForFunction(() => /add:i=b,stem:n=b_add/.test(location.hash));
  assert.equal(await page.locator('#shape-table tr.row').count(), 6);
  assert.match(await page.locator('#shape-table tr.row[data-index="3"]').innerText(), /b_add[\s\S]*b\s+stem/);
  assert.match(await page.locator('#status').innerText(), /Inserted residual shortcut after b, from stem/);
  assert.equal(await page.locator('#shape-table tr.row.is-error').count(), 0);
  assert.equal(await page.evaluate(() => document.activeElement?.closest('.layer-card')?.dataset.index), '3', 'focus on the new layer');
  // One Back step undoes the whole action.
  await page.goBack();
  await page.waitForFunction((h) => location.hash.slice(1) === h, start);
  await waitForTable(page);
  assert.equal(await page.locator('#shape-table tr.row').count(), 5);

  // Unnamed layers: the references use the engine's names, which the layers then keep.
  const unnamed = { framework: 'pytorch', input: [1, 4, 8, 8], layers: [{ type: 'conv', filters: 4, kernel: 3, padding: 1 }, { type: 'conv', filters: 4, kernel: 3, padding: 1 }] };
  await openApp(env, page, await encodeLink(page, unnamed));
  const names = await page.$$eval('#shape-table tr.row .layer-name', (els) => els.map((e) => e.textContent));
  await page.getByRole('button', { name: /^Add a shortcut or skip to layer 2/ }).click();
  await dialog.waitFor();
  assert.equal(await dialog.locator('#shortcut-from').inputValue(), '-1', 'no earlier layer of its shape but its input: the network input');
  await dialog.locator('#shortcut-insert').click();
  await page.waitForFunction(() => document.querySelectorAll('#shape-table tr.row').length === 3);
  assert.equal(await page.locator('#layer-2-inputs').inputValue(), `${names[1]}, input`);
  assert.equal(await page.locator('.layer-card[data-index="1"] [data-control="name"]').inputValue(), names[1], 'the referenced layer keeps its name');
  assert.equal(await page.locator('#shape-table tr.row.is-error').count(), 0);
  await assertClean(page, problems);
  await close();
});

test('removing a layer others read says what would break and offers rewiring or cancel', { timeout: TEST_TIMEOUT }, async () => {
  const network = {
    framework: 'pytorch', input: [1, 3, 16, 16],
    layers: [
      { type: 'conv', name: 'stem', filters: 8, kernel: 3, padding: 1 },
      { type: 'conv', name: 'branch', filters: 8, kernel: 3, padding: 1 },
      { type: 'add', name: 'sum', inputs: ['branch', 'stem'] },
      { type: 'concat', name: 'cat', inputs: ['sum', 'branch'] },
    ],
  };
  const { page, problems, close } = await newPage(env);
  await openApp(env, page);
  await openApp(env, page, await encodeLink(page, network));
  const start = await hashOf(page);
  const remove = page.getByRole('button', { name: 'Remove layer 2 (branch)' });
  await remove.click();
  const dialog = page.locator('#graph-dialog[open]');
  await dialog.waitFor();
  assert.equal(await dialog.locator('h2').innerText(), 'Remove layer 2 (branch)?');
  assert.match(await dialog.innerText(), /sum, cat read branch\. Removed alone, the network would break:/);
  // The engine's own words for what breaks (layers renumbered after the removal).
  assert.equal(await dialog.locator('#remove-breaks').innerText(),
    'The engine would refuse it: layers[1].inputs[0]: no layer is named "branch" (inputs name earlier layers or "input")');
  assert.match(await dialog.innerText(), /Rewired, sum, cat read stem \(what branch reads first\) instead:/);
  assert.equal(await dialog.locator('#remove-rewired').innerText(), 'All 3 layers would be valid.');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'remove-rewire', 'the safe choice has focus');
  // Escape (or Cancel) keeps everything.
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !document.querySelector('#graph-dialog').open);
  assert.equal(await hashOf(page), start);
  assert.equal(await page.locator('#shape-table tr.row').count(), 4);
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Remove layer 2 (branch)');
  // Rewire: one action, one Back step.
  await remove.click();
  await dialog.waitFor();
  await dialog.getByRole('button', { name: 'Rewire to stem and remove' }).click();
  await page.waitForFunction(() => /add:i=stem,stem:n=sum/.test(location.hash) && /concat:i=sum,stem:n=cat/.test(location.hash));
  assert.equal(await page.locator('#shape-table tr.row').count(), 3);
  assert.match(await page.locator('#status').innerText(), /Removed layer 2 \(branch\); sum, cat now read stem/);
  await page.goBack();
  await page.waitForFunction((h) => location.hash.slice(1) === h, start);
  await waitForTable(page);
  assert.equal(await page.locator('#shape-table tr.row').count(), 4);
  // A layer nobody names is removed at once, as before.
  await page.getByRole('button', { name: 'Remove layer 4 (cat)' }).click();
  await page.waitForFunction(() => document.querySelectorAll('#shape-table tr.row').length === 3);
  assert.equal(await page.locator('#graph-dialog[open]').count(), 0);
  await assertClean(page, problems);
  await close();
});

test('the shortcut and removal dialogs have no serious accessibility violations, light and dark', { timeout: TEST_TIMEOUT }, async () => {
  const network = {
    framework: 'pytorch', input: [1, 3, 16, 16],
    layers: [
      { type: 'conv', name: 'stem', filters: 8, kernel: 3, padding: 1 },
      { type: 'conv', name: 'branch', filters: 8, kernel: 3, padding: 1 },
      { type: 'add', name: 'sum', inputs: ['branch', 'stem'] },
    ],
  };
  for (const colorScheme of ['light', 'dark']) {
    const { page, close } = await newPage(env, { colorScheme, bypassCSP: true });
    await openApp(env, page);
    await openApp(env, page, await encodeLink(page, network));
    await page.getByRole('button', { name: 'Add a shortcut or skip to layer 3 (sum)…' }).click();
    await page.locator('#graph-dialog[open]').waitFor();
    let bad = await seriousAxe(page);
    assert.deepEqual(bad, [], `${colorScheme} shortcut dialog: ${JSON.stringify(bad, null, 2)}`);
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Remove layer 2 (branch)' }).click();
    await page.locator('#graph-dialog[open]').waitFor();
    bad = await seriousAxe(page);
    assert.deepEqual(bad, [], `${colorScheme} removal dialog: ${JSON.stringify(bad, null, 2)}`);
    await close();
  }
});

test('an imported ResNet-50 draws collapsed blocks that open and close by click or keyboard, with zoom and pan', { timeout: 2 * TEST_TIMEOUT }, async () => {
  const file = modelFile('resnet50');
  const expected = cliImport(file);
  const { page, problems, close } = await newPage(env);
  await openApp(env, page);
  await dropFile(page, 'resnet50.onnx', fs.readFileSync(file));
  await page.waitForFunction((n) => document.querySelectorAll('#shape-table tr.row').length === n, expected.layers.length);
  await waitForTable(page);
  // The editor's type lists of a big network fill when used (a 27-option <select> per card is costly to build).
  const typeOf = page.locator('.layer-card[data-index="1"] [data-control="type"]');
  assert.equal(await typeOf.locator('option').count(), 1);
  assert.equal(await typeOf.inputValue(), 'relu');
  await typeOf.focus();
  assert.ok(await typeOf.locator('option').count() > 20, 'the full list on focus');
  assert.equal(await typeOf.inputValue(), 'relu', 'still the layer\'s own type');
  const diagram = page.locator('#diagram');
  const blocks = Number(await diagram.getAttribute('data-blocks'));
  assert.ok(blocks <= 60 && blocks >= 10, `${expected.layers.length} layers drawn as ${blocks} blocks`);
  // The stages open (their frames name them), each of the 16 bottlenecks one block.
  const bottlenecks = ['layer1.0', 'layer1.1', 'layer1.2', 'layer2.0', 'layer2.1', 'layer2.2', 'layer2.3',
    'layer3.0', 'layer3.1', 'layer3.2', 'layer3.3', 'layer3.4', 'layer3.5', 'layer4.0', 'layer4.1', 'layer4.2'];
  const groups = () => page.$$eval('#diagram g.blk.is-group .lbl.name', (ts) => ts.map((t) => t.textContent));
  assert.deepEqual(await groups(), bottlenecks);
  assert.deepEqual(await page.$$eval('#diagram .frame-label', (ts) => ts.map((t) => t.textContent)), ['▾ layer1', '▾ layer2', '▾ layer3', '▾ layer4']);
  const block = page.locator('#diagram g.blk.is-group', { hasText: 'layer2.0' });
  assert.equal(await block.getAttribute('role'), 'button');
  assert.equal(await block.getAttribute('aria-expanded'), 'false');
  assert.equal(await block.getAttribute('aria-label'), '/layer2/layer2.0: 8 layers (26 to 33), collapsed → 1×512×28×28. Press Enter to open.');
  assert.deepEqual(await block.locator('text.lbl').allTextContents(), ['layer2.0', '512×28×28', '8 layers']);
  assert.match(await page.locator('#diagram-title').textContent(), /a graph of 122 layers with 16 merges.*16 of them collapsed groups/);

  // A click opens layer2.0 (its shortcut now drawn); focus lands on its frame's button.
  await block.click();
  await page.waitForFunction((n) => Number(document.querySelector('#diagram').dataset.blocks) === n + 7, blocks);
  assert.deepEqual(await groups(), bottlenecks.filter((b) => b !== 'layer2.0'));
  assert.ok(await page.locator('#diagram g.blk[aria-label^="/layer2/layer2.0/downsample/downsample.0/Conv "]').count() === 1);
  const focused = () => page.evaluate(() => document.activeElement?.getAttribute('aria-label'));
  assert.equal(await focused(), 'Collapse /layer2/layer2.0 (8 layers)');
  // Keyboard: Enter closes it again; the block keeps focus.
  await page.keyboard.press('Enter');
  await page.waitForFunction((n) => Number(document.querySelector('#diagram').dataset.blocks) === n, blocks);
  assert.match(await focused(), /^\/layer2\/layer2\.0: 8 layers/);
  // Arrow keys move along the data flow.
  await page.keyboard.press('ArrowRight');
  assert.match(await focused(), /^\/layer2\/layer2\.1: /);
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  assert.match(await focused(), /^\/layer1\/layer1\.2: /);
  await page.keyboard.press('Home');
  assert.match(await focused(), /^input/);
  await page.keyboard.press('End');
  assert.match(await focused(), /^\/fc\/Gemm \(dense\)/);
  assert.equal(await page.locator('#diagram [tabindex="0"]').count(), 1, 'one tab stop');
  await page.keyboard.press('Space');
  assert.match(await focused(), /^\/fc\/Gemm/, 'Space on a layer block does nothing');

  // Zoom: keys, buttons, Ctrl+wheel; the redraw keeps the zoom.
  const size = () => diagram.evaluate((s) => [Number(s.getAttribute('width')), Number(s.dataset.width), Number(s.dataset.zoom || 1)]);
  const [w0, natural] = await size();
  assert.equal(w0, natural);
  await page.keyboard.press('+');
  let [w1, , z1] = await size();
  assert.equal(z1, 1.25);
  assert.equal(w1, Math.ceil(natural * 1.25));
  await page.keyboard.press('-');
  await page.keyboard.press('-');
  [w1, , z1] = await size();
  assert.equal(z1, 0.8);
  assert.equal(await page.locator('.diagram-tools output').innerText(), '80%');
  await page.getByRole('button', { name: 'Fit the width (0)' }).click();
  const wrapWidth = await page.locator('.diagram-wrap').evaluate((w) => w.clientWidth);
  [w1] = await size();
  assert.ok(w1 <= wrapWidth && w1 >= wrapWidth - 4, `fit: ${w1} in ${wrapWidth}`);
  await page.getByRole('button', { name: 'Actual size' }).click();
  const box = await page.locator('.diagram-wrap').boundingBox();
  await page.mouse.move(box.x + 200, box.y + 100);
  await page.keyboard.down('Control');
  await page.mouse.wheel(0, -300);
  await page.keyboard.up('Control');
  await page.waitForFunction(() => Number(document.querySelector('#diagram').dataset.zoom) > 1);
  // Drag pans (scrolls the panel) and is not a click: no block opens.
  const zoomed = Number(await diagram.getAttribute('data-zoom'));
  const scroll0 = await page.locator('.diagram-wrap').evaluate((w) => w.scrollLeft);
  await page.mouse.move(box.x + 300, box.y + 120);
  await page.mouse.down();
  await page.mouse.move(box.x + 200, box.y + 110, { steps: 5 });
  await page.mouse.up();
  const scroll1 = await page.locator('.diagram-wrap').evaluate((w) => w.scrollLeft);
  assert.equal(scroll1 - scroll0, 100, 'dragged 100 px left, scrolled 100 px right');
  assert.equal(Number(await diagram.getAttribute('data-blocks')), blocks, 'the drag opened nothing');
  // Expand all draws every layer; the zoom survives the redraw.
  await page.getByRole('button', { name: 'Expand all blocks' }).click();
  await page.waitForFunction((n) => Number(document.querySelector('#diagram').dataset.blocks) === n, expected.layers.length);
  assert.equal(Number(await diagram.getAttribute('data-zoom')), zoomed);
  assert.equal(await page.locator('#diagram g.blk.is-group').count(), 0);
  await page.getByRole('button', { name: 'Collapse blocks again' }).click();
  await page.waitForFunction((n) => Number(document.querySelector('#diagram').dataset.blocks) === n, blocks);
  await assertClean(page, problems);
  await close();
});

test('a failing residual add inside an imported ResNet-50: its block opens, both arriving shapes, both paths back to the split', { timeout: 2 * TEST_TIMEOUT }, async () => {
  const file = modelFile('resnet50');
  const expected = cliImport(file);
  const downsample = expected.layers.findIndex((l) => l.name === '/layer3/layer3.0/downsample/downsample.0/Conv');
  assert.ok(downsample > 0, 'the first downsample of layer3');
  const { page, problems, close } = await newPage(env);
  await openApp(env, page);
  await dropFile(page, 'resnet50.onnx', fs.readFileSync(file));
  await page.waitForFunction((n) => document.querySelectorAll('#shape-table tr.row').length === n, expected.layers.length);
  // The shortcut forgets its stride: 28x28 meets 14x14 at the add.
  await page.locator(`#layer-${downsample}-stride`).fill('1');
  await page.waitForFunction(() => document.querySelectorAll('#shape-table tr.row.is-error').length === 1);
  const failing = page.locator('#shape-table tr.row.is-error');
  assert.match(await failing.innerText(), /\/layer3\/layer3\.0\/Add/);
  const row = await page.locator('#shape-table tr.detail.is-error').innerText();
  const arriving = /(\/layer3\/layer3\.0\/conv3\/Conv) (1×1024×14×14)[\s\S]*(\/layer3\/layer3\.0\/downsample\/downsample\.0\/Conv) (1×1024×28×28)/.exec(row);
  assert.ok(arriving, `both arriving shapes in the table: ${row}`);
  // The diagram: layer3 and layer3.0 open, the rest of the stages stay collapsed.
  const add = page.locator('#diagram g.blk.is-error');
  assert.equal(await add.count(), 1);
  assert.deepEqual(await add.locator('text.shape').allTextContents(), ['1024×14×14', '1024×28×28']);
  assert.match(await add.getAttribute('aria-label'), /^\/layer3\/layer3\.0\/Add \(add\) ← \/layer3\/layer3\.0\/conv3\/Conv, \/layer3\/layer3\.0\/downsample\/downsample\.0\/Conv: no valid output$/);
  const groups = await page.$$eval('#diagram g.blk.is-group .lbl.name', (ts) => ts.map((t) => t.textContent));
  // layer3.0 opens for the add, layer2.3 for the split its paths start from.
  assert.deepEqual(groups, ['layer1.0', 'layer1.1', 'layer1.2', 'layer2.0', 'layer2.1', 'layer2.2',
    'layer3.1', 'layer3.2', 'layer3.3', 'layer3.4', 'layer3.5', 'layer4.0', 'layer4.1', 'layer4.2']);
  // Both paths from the split (layer2's last ReLU): conv1 → conv2 (stride 2) → conv3, and the downsample.
  const traced = await page.$$eval('#diagram g.blk.is-trace', (gs) => gs.map((g) => g.getAttribute('aria-label').split(' ')[0]).sort());
  assert.deepEqual(traced, [
    '/layer2/layer2.3/relu_2/Relu', '/layer3/layer3.0/Add', '/layer3/layer3.0/conv1/Conv', '/layer3/layer3.0/conv2/Conv',
    '/layer3/layer3.0/conv3/Conv', '/layer3/layer3.0/downsample/downsample.0/Conv', '/layer3/layer3.0/relu/Relu', '/layer3/layer3.0/relu_1/Relu',
  ].sort());
  assert.equal(await page.locator('#diagram .arrow.is-trace').count(), 8, 'split → 5 steps → add, and split → downsample → add');
  // The failing block is the diagram's tab stop.
  assert.equal(await add.getAttribute('tabindex'), '0');
  await assertClean(page, problems);
  await close();
});

test('an imported DenseNet-121 (368 layers, concats of up to 25 inputs) draws its blocks collapsed', { timeout: 2 * TEST_TIMEOUT }, async () => {
  const file = modelFile('densenet121');
  const expected = cliImport(file);
  const { page, problems, close } = await newPage(env);
  await openApp(env, page);
  await dropFile(page, 'densenet121.onnx', fs.readFileSync(file));
  await page.waitForFunction((n) => document.querySelectorAll('#shape-table tr.row').length === n, expected.layers.length);
  await waitForTable(page);
  const blocks = Number(await page.locator('#diagram').getAttribute('data-blocks'));
  assert.ok(blocks <= 60, `${expected.layers.length} layers drawn as ${blocks} blocks`);
  const groups = await page.$$eval('#diagram g.blk.is-group .lbl.name', (ts) => ts.map((t) => t.textContent));
  for (const name of ['denseblock1', 'transition1', 'denseblock4']) assert.ok(groups.includes(name), `${name} in ${groups}`);
  // Opening denseblock3 shows its 24 dense layers, each one block.
  await page.locator('#diagram g.blk.is-group', { hasText: 'denseblock3' }).click();
  await page.waitForFunction(() => [...document.querySelectorAll('#diagram g.blk.is-group .lbl.name')].some((t) => t.textContent === 'denselayer24'));
  const inside = await page.$$eval('#diagram g.blk.is-group .lbl.name', (ts) => ts.filter((t) => /^denselayer\d+$/.test(t.textContent)).length);
  assert.equal(inside, 24);
  await assertClean(page, problems);
  await close();
});

test('a graph in an embed (v2 link, hide=editor) inside a host page; 360 px and dark mode; axe finds nothing serious', { timeout: 2 * TEST_TIMEOUT }, async () => {
  const { page: helper, close: closeHelper } = await newPage(env);
  await openApp(env, helper);
  const unet = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', 'unet_padded.json'), 'utf8'));
  const hash = `${await encodeLink(helper, unet)}&hide=editor`;
  await closeHelper();
  assert.match(hash, /^v=2&/);
  env.extra['/graph-host.html'] = {
    type: 'text/html; charset=utf-8',
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host</title></head><body><h1>U-Net notes</h1>
<iframe id="convscope-embed" src="embed.html#${hash.replace(/&/g, '&amp;')}" title="ConvScope: a U-Net" width="100%" height="600" style="border:0"></iframe></body></html>`,
  };
  for (const [colorScheme, width] of [['light', 1024], ['dark', 360]]) {
    const { page, problems, close } = await newPage(env, { colorScheme, width, height: 800, bypassCSP: true });
    await page.goto(`${env.server.url}graph-host.html`);
    const frame = await (await page.locator('iframe').elementHandle()).contentFrame();
    await waitForTable(frame);
    await frame.waitForFunction(() => document.querySelector('#diagram-panel').dataset.view === 'ready');
    assert.equal(await frame.locator('#editor-panel').isVisible(), false, 'hide=editor holds');
    assert.equal(await frame.locator('#diagram-panel').isVisible(), true);
    assert.match(await frame.locator('#shape-table tr.row.is-error').innerText(), /cat3/);
    const cat3 = frame.locator('#diagram g.blk.is-error');
    assert.deepEqual(await cat3.locator('text.shape').allTextContents(), ['256×25×25', '256×24×24']);
    assert.ok(await frame.locator('#diagram .arrow.is-trace').count() > 2, 'the paths are drawn');
    assert.match(await frame.getByRole('link', { name: /Open in ConvScope/ }).getAttribute('href'), /index\.html#v=2&fw=pytorch/);
    // Keyboard inside the frame: the failing merge is the diagram's tab stop; + zooms.
    await cat3.focus();
    await page.keyboard.press('+');
    assert.equal(await frame.locator('#diagram').getAttribute('data-zoom'), '1.25');
    // The frame never scrolls sideways: the diagram and the table scroll inside their panels.
    const overflow = await frame.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `${colorScheme} ${width}px: the embed scrolls sideways by ${overflow}px`);
    const bad = await seriousAxe(frame);
    assert.deepEqual(bad, [], `${colorScheme} ${width}px: ${JSON.stringify(bad, null, 2)}`);
    assert.deepEqual(await frame.evaluate(() => window.__cspViolations || []), []);
    assert.deepEqual(problems.pageErrors, []);
    await close();
  }
});
