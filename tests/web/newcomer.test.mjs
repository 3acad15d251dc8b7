// A new user's first minutes, in a real browser (issue 17): the skip links
// move focus and leave the URL alone; a new empty network is one click (and
// one Back); the add-layer picker keeps its type and is a few keys away;
// PyTorch's numeric layer names never read as positions; a phone shows the
// Output column and the fixes before the editor; and the smaller frictions
// (thumbnail counts, window indexes, a stale status line, duplicate copies,
// the inserted flatten's name, the unsaved own image). axe stays clean.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setUp, newPage, openApp, waitForTable, hashOf, encodeLink, cspViolations, ROOT, TEST_TIMEOUT, seriousAxe, previewsDone, previewGen } from './harness.mjs';

let env;
let links; // a page with the engine loaded, to encode test links
before(async () => {
  env = await setUp();
  links = await newPage(env);
  await openApp(env, links.page);
});
after(async () => { await links?.close(); await env?.tearDown(); });

const linkFor = (network, extras = []) => encodeLink(links.page, network, extras);

async function assertClean(page, problems) {
  assert.deepEqual(problems.pageErrors, [], 'no page errors');
  assert.deepEqual(problems.consoleErrors, [], 'no console errors');
  assert.deepEqual(problems.dialogs, [], 'no alert/confirm dialogs');
  assert.deepEqual(await cspViolations(page), [], 'no CSP violations');
}

const focusedId = (page) => page.evaluate(() => document.activeElement?.id || '');
const focusedText = (page) => page.evaluate(() => document.activeElement?.textContent.trim() || '');
const rowCount = (page) => page.locator('#shape-table tbody tr.row').count();
const statusText = (page) => page.locator('#status').innerText();

// PyTorch nn.Sequential names its layers "0", "1", …: here "4" (the 5th) fails.
const SEQUENTIAL = {
  framework: 'pytorch', input: [1, 3, 8, 8],
  layers: [
    { type: 'conv', name: '0', filters: 8, kernel: 3 },
    { type: 'relu', name: '1' },
    { type: 'conv', name: '2', filters: 8, kernel: 3 },
    { type: 'relu', name: '3' },
    { type: 'conv', name: '4', filters: 8, kernel: 5 },
  ],
};

// ---- item 1: the skip links -------------------------------------------------------

test('1. the first Tab stop skips to the shape table: focus moves, the URL and the network stay', { timeout: TEST_TIMEOUT }, async () => {
  const { page, problems, close } = await newPage(env);
  await openApp(env, page);
  const hash = await hashOf(page);
  const rows = await rowCount(page);
  await page.keyboard.press('Tab');
  assert.equal(await focusedText(page), 'Skip to the shape table', 'the first Tab stop');
  assert.ok(await page.evaluate(() => document.activeElement.getBoundingClientRect().top >= 0), 'the focused skip link is on screen');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.activeElement?.id === 'results');
  assert.equal(await hashOf(page), hash, 'the address bar still holds the network');
  assert.equal(await page.locator('#banner .banner-item').count(), 0, 'no "this link could not be opened" banner');
  assert.equal(await rowCount(page), rows, 'the same network, not the default example reloaded');
  assert.match(await page.locator('#verdict').innerText(), /conv2d_3/);
  // Activated another way (a screen reader's click on the link) it behaves the same.
  await page.locator('a.skip-link', { hasText: 'Skip to the shape table' }).evaluate((a) => a.click());
  assert.equal(await focusedId(page), 'results');
  assert.equal(await hashOf(page), hash);
  // From the table, Tab goes on into the table's own controls.
  await page.keyboard.press('Tab');
  assert.ok(await page.evaluate(() => document.querySelector('#results').contains(document.activeElement)), 'Tab continues inside the table');
  await assertClean(page, problems);
  await close();
});

test('1. a skip link on an edited (custom) network keeps that network', { timeout: TEST_TIMEOUT }, async () => {
  const { page, problems, close } = await newPage(env);
  await openApp(env, page, await linkFor(SEQUENTIAL));
  const hash = await hashOf(page);
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.activeElement?.id === 'results');
  assert.equal(await hashOf(page), hash);
  assert.equal(await rowCount(page), 5);
  assert.equal(await page.locator('#banner .banner-item').count(), 0);
  await assertClean(page, problems);
  await close();
});

// ---- item 5: starting from scratch, by mouse and by keyboard ------------------------------

test('5. "New network" empties the editor in one click, keeps framework and input, and Back restores the example', { timeout: TEST_TIMEOUT }, async () => {
  const { page, problems, close } = await newPage(env);
  await openApp(env, page);
  const exampleHash = await hashOf(page);
  const exampleRows = await rowCount(page);
  assert.ok(exampleRows > 1);
  const input = await page.inputValue('#input-shape');
  await page.getByRole('button', { name: 'New network' }).click();
  await page.waitForFunction(() => document.querySelectorAll('#editor .layer-card').length === 0);
  assert.match(await page.locator('#shape-table tbody').innerText(), /No layers yet/);
  assert.match(await page.locator('#verdict').innerText(), /No layers/);
  assert.equal(await page.inputValue('#framework'), 'tensorflow', 'the framework stays');
  assert.equal(await page.inputValue('#input-shape'), input, 'the input shape stays');
  assert.match(await hashOf(page), /&l=$|&l=&/, 'the empty network is in the link');
  assert.match(await statusText(page), /no layers.*Back/i, 'the status line says how to get the example back');
  assert.equal(await focusedId(page), 'add-type', 'focus goes where the next step is: the type picker');
  assert.equal(await page.locator('#preset').inputValue(), '', 'no longer the example');
  assert.deepEqual(await seriousAxe(page), [], 'axe: the empty state');
  await page.goBack();
  await page.waitForFunction((n) => document.querySelectorAll('#shape-table tbody tr.row').length === n, exampleRows);
  assert.equal(await hashOf(page), exampleHash, 'Back undoes it');
  await assertClean(page, problems);
  await close();
});

test('5. by keyboard: a few keys reach "add layer" (not 100 Tabs), and the picker keeps the type last chosen', { timeout: TEST_TIMEOUT }, async () => {
  const { page, problems, close } = await newPage(env);
  await openApp(env, page);
  const hash = await hashOf(page);
  // Walk the tab order from the top of the page until the type picker is focused.
  let tabs = 0;
  let reached = false;
  for (; tabs < 100 && !reached; tabs += 1) {
    await page.keyboard.press('Tab');
    const text = await focusedText(page);
    if (text === 'Skip to adding a layer') {
      await page.keyboard.press('Enter');
      reached = (await focusedId(page)) === 'add-type';
    }
  }
  assert.ok(reached, 'a skip link leads to the type picker');
  assert.ok(tabs <= 3, `Tab pressed ${tabs} times before the picker (was about 100)`);
  assert.equal(await hashOf(page), hash, 'the skip link left the URL alone');
  assert.equal(await page.locator('#banner .banner-item').count(), 0, 'the skip link left the network alone');
  // Start empty, then add two max pools and a conv without the mouse.
  await page.getByRole('button', { name: 'New network' }).focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelectorAll('#editor .layer-card').length === 0);
  assert.equal(await focusedId(page), 'add-type');
  const firstType = await page.inputValue('#add-type');
  await page.keyboard.press('ArrowDown'); // the next type in the list
  const lastType = await page.inputValue('#add-type');
  assert.notEqual(lastType, firstType, 'the arrow key chose another type');
  await page.keyboard.press('Tab');
  assert.equal(await focusedId(page), 'add-layer');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelectorAll('#editor .layer-card').length === 1);
  assert.equal(await page.inputValue('#add-type'), lastType, 'the picker keeps the type just added (it used to jump back to Convolution)');
  await page.locator('#add-type').selectOption('max_pool');
  await page.locator('#add-layer').click();
  await page.locator('#add-layer').click();
  await page.waitForFunction(() => document.querySelectorAll('#editor .layer-card').length === 3);
  const types = await page.$$eval('#editor .layer-card select.layer-type', (s) => s.map((x) => x.value));
  assert.deepEqual(types, [lastType, 'max_pool', 'max_pool']);
  assert.equal(await page.inputValue('#add-type'), 'max_pool');
  await assertClean(page, problems);
  await close();
});

test('5. the status line is about the last action: "Removed …" does not outlive the next add', { timeout: TEST_TIMEOUT }, async () => {
  const { page, problems, close } = await newPage(env);
  await openApp(env, page, await linkFor(SEQUENTIAL));
  await page.locator('#editor .layer-card').first().locator('[data-control="remove"]').click();
  await page.waitForFunction(() => document.querySelectorAll('#editor .layer-card').length === 4);
  assert.match(await statusText(page), /^Removed layer 1 \("0"\)/);
  await page.locator('#add-layer').click();
  await page.waitForFunction(() => document.querySelectorAll('#editor .layer-card').length === 5);
  assert.doesNotMatch(await statusText(page), /Removed/, 'the add replaced the stale status');
  await assertClean(page, problems);
  await close();
});

// ---- item 6: numeric names read as names ----------------------------------------------------

test('6. PyTorch Sequential names ("0" … "4") are quoted wherever a layer is named, next to 1-based positions', { timeout: TEST_TIMEOUT }, async () => {
  const { page, problems, close } = await newPage(env);
  await openApp(env, page, await linkFor(SEQUENTIAL));
  const verdict = await page.locator('#verdict').innerText();
  assert.match(verdict, /^✕\s*Layer 5 of 5 \("4"\) fails: /, verdict);
  const fixes = await page.$$eval('#shape-table tr.detail button.fix code', (c) => c.map((x) => x.textContent));
  assert.ok(fixes.length >= 1, 'fixes are offered');
  const onLayer = fixes.filter((f) => / on "\d+"/.test(f));
  assert.ok(onLayer.length >= 1, `a fix names the layer it changes as a name: ${fixes.join(' | ')}`);
  for (const f of fixes) assert.doesNotMatch(f, / on \d/, `no bare number reads as a position: ${f}`);
  assert.match(await page.locator('#diagram-title').textContent(), /collapses at layer 5 \("4"\)/, 'the diagram\'s summary');
  // The table keeps position and name in their own columns.
  const row = page.locator('#shape-table tr.row.is-error');
  assert.equal(await row.locator('.idx').innerText(), '5');
  assert.equal(await row.locator('.layer-name').innerText(), '4');
  // The editor's messages name layers the same way (the link leaves default names out: these are the engine's).
  await page.locator('#editor .layer-card').nth(3).locator('[data-control="dup"]').click();
  await page.waitForFunction(() => /^Duplicated layer 4 \("3"\)$/.test(document.querySelector('#status').textContent));
  await page.goBack();
  await page.waitForFunction(() => document.querySelectorAll('#editor .layer-card').length === 5);
  // Applying a fix says so in the same words.
  await page.locator('#shape-table tr.detail button.fix').filter({ hasText: / on "4"/ }).first().click();
  await page.waitForFunction(() => /Applied .* on "4"/.test(document.querySelector('#status').textContent));
  await assertClean(page, problems);
  await close();
});

// ---- item 7: a 360 px screen ------------------------------------------------------------------

for (const colorScheme of ['light', 'dark']) {
  test(`7. at 360 px (${colorScheme}) the Output column is in view, and the diagnosis with its fixes comes before the editor`, { timeout: TEST_TIMEOUT }, async () => {
    const { page, problems, close } = await newPage(env, { width: 360, height: 740, colorScheme });
    for (const hash of ['', await linkFor(SEQUENTIAL)]) {
      await openApp(env, page, hash);
      if (hash) await page.reload(); // a hash-only navigation does not reload the page
      await waitForTable(page);
      const geometry = await page.evaluate(() => {
        const wrap = document.querySelector('.table-wrap').getBoundingClientRect();
        const cells = [...document.querySelectorAll('#shape-table tbody tr.row td.out, #shape-table thead th')]
          .filter((c) => c.tagName === 'TD' || c.textContent === 'Output')
          .map((c) => c.getBoundingClientRect());
        const top = (s) => document.querySelector(s).getBoundingClientRect().top + scrollY;
        return {
          wrapLeft: wrap.left, wrapRight: wrap.right, cells: cells.map((r) => [r.left, r.right]),
          tableTop: top('#results'), fixTop: top('#shape-table button.fix'), editorTop: top('#editor-panel'),
          pageOverflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
        };
      });
      assert.ok(geometry.pageOverflow <= 0, `${hash || 'default'}: the page itself does not scroll sideways`);
      for (const [left, right] of geometry.cells) {
        assert.ok(left >= geometry.wrapLeft - 1 && right <= geometry.wrapRight + 1,
          `${hash || 'default'}: an Output cell at ${left}…${right} lies inside the visible table ${geometry.wrapLeft}…${geometry.wrapRight}`);
      }
      assert.ok(geometry.tableTop < geometry.editorTop, 'the table comes before the editor');
      assert.ok(geometry.fixTop < geometry.editorTop, `the first fix (y ${geometry.fixTop}) comes before the editor (y ${geometry.editorTop})`);
    }
    // The Output column's text is readable on its own background (axe checks contrast), light and dark.
    assert.deepEqual(await seriousAxe(page), [], `axe at 360 px, ${colorScheme}`);
    // Scrolled fully sideways, the Output column stays in view too.
    await page.locator('.table-wrap').evaluate((w) => { w.scrollLeft = w.scrollWidth; });
    const outInView = await page.evaluate(() => {
      const wrap = document.querySelector('.table-wrap').getBoundingClientRect();
      const out = document.querySelector('#shape-table tbody tr.row td.out').getBoundingClientRect();
      return out.left >= wrap.left - 1 && out.right <= wrap.right + 1;
    });
    assert.ok(outInView, 'scrolled sideways, Output is still visible');
    await assertClean(page, problems);
    await close();
  });
}

test('7. a graph at 360 px (an inputs column too): the Output column sticks to the right edge of the table', { timeout: TEST_TIMEOUT }, async () => {
  const { page, problems, close } = await newPage(env, { width: 360, height: 740 });
  await openApp(env, page);
  await page.locator('#preset').selectOption('unet_padded');
  await page.waitForFunction(() => document.querySelector('#shape-table tr.row.is-error .layer-name')?.textContent === 'cat3');
  const inside = await page.evaluate(() => {
    const wrap = document.querySelector('.table-wrap').getBoundingClientRect();
    return [...document.querySelectorAll('#shape-table tbody tr.row td.out')].every((c) => {
      const r = c.getBoundingClientRect();
      return r.left >= wrap.left - 1 && r.right <= wrap.right + 1;
    });
  });
  assert.ok(inside, 'every Output cell lies within the visible table');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth));
  await assertClean(page, problems);
  await close();
});

// ---- item 8: the smaller frictions --------------------------------------------------------------

test('8. a 64-channel layer: the thumbnails, the note and the button agree on what is shown', { timeout: TEST_TIMEOUT }, async () => {
  const network = { framework: 'pytorch', input: [1, 3, 16, 16], layers: [{ type: 'conv', name: 'wide', filters: 64, kernel: 3, padding: 1 }] };
  const { page, problems, close } = await newPage(env);
  await openApp(env, page, await linkFor(network));
  await previewsDone(page);
  const card = page.locator('#fm-list .fm-layer[data-index="0"]');
  const visibleThumbs = () => card.locator('canvas.fm-thumb').evaluateAll((cs) => cs.filter((c) => c.offsetParent !== null).length);
  assert.equal(await visibleThumbs(), 16);
  const note = card.locator('[data-role="shown"]');
  assert.equal(await note.innerText(), 'Showing channels 1–16 of 64 (previews compute the first 32).');
  const more = card.getByRole('button', { name: 'Show 16 more maps' });
  assert.equal(await more.getAttribute('aria-expanded'), 'false');
  assert.match(await page.locator('#preview-notices').innerText(), /1 layer has more than 32 channels: previews compute the first 32 of each\./);
  await more.focus();
  await page.keyboard.press('Enter');
  assert.equal(await visibleThumbs(), 32);
  assert.equal(await note.innerText(), 'Showing channels 1–32 of 64 (previews compute the first 32).');
  assert.equal(await card.locator('.fm-more').innerText(), 'Show fewer maps');
  assert.deepEqual(await seriousAxe(page), [], 'axe with the maps expanded');
  await assertClean(page, problems);
  await close();
});

test('8. the sliding window names padded rows and columns as indexes, not counts', { timeout: TEST_TIMEOUT }, async () => {
  const network = {
    framework: 'pytorch', input: [1, 1, 9, 9],
    layers: [{ type: 'conv', name: 'down', filters: 2, kernel: 3, stride: 2, padding: 1 }],
  };
  const { page, problems, close } = await newPage(env);
  await openApp(env, page, await linkFor(network));
  await previewsDone(page);
  const out = page.locator('#window-output');
  // By keyboard: Home is output (0, 0); then down to the last row.
  await out.focus();
  await page.keyboard.press('Home');
  await page.waitForFunction(() => document.querySelector('#window-figure').dataset.out === '0,0');
  const first = await page.locator('#window-readout').innerText();
  assert.match(first, /rows −1…1 \(row −1 is padding\) · columns −1…1 \(column −1 is padding\)/, first);
  assert.doesNotMatch(first, /\(−1 padding\)/);
  for (let k = 0; k < 4; k += 1) await page.keyboard.press('ArrowDown');
  await page.waitForFunction(() => document.querySelector('#window-figure').dataset.out === '4,0');
  assert.match(await page.locator('#window-readout').innerText(), /rows 7…9 \(row 9 is padding\)/);
  await assertClean(page, problems);
  await close();
});

test('8. duplicating a layer twice gives two different names', { timeout: TEST_TIMEOUT }, async () => {
  const network = { framework: 'pytorch', input: [1, 3, 32, 32], layers: [{ type: 'max_pool', name: 'pool', kernel: 2 }] };
  const { page, problems, close } = await newPage(env);
  await openApp(env, page, await linkFor(network));
  const dup = (i) => page.locator('#editor .layer-card').nth(i).locator('[data-control="dup"]');
  await dup(0).focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelectorAll('#editor .layer-card').length === 2);
  await dup(0).click();
  await page.waitForFunction(() => document.querySelectorAll('#editor .layer-card').length === 3);
  const names = await page.$$eval('#editor .layer-name-input', (inputs) => inputs.map((i) => i.value));
  assert.equal(new Set(names).size, 3, `three different names: ${names.join(', ')}`);
  assert.deepEqual([...names].sort(), ['pool', 'pool_copy', 'pool_copy2']);
  assert.equal(await page.locator('#banner .banner-item').count(), 0);
  await assertClean(page, problems);
  await close();
});

test('8. a print(model) with a Linear after a conv gets a flatten named "flatten", not "torch.flatten"', { timeout: TEST_TIMEOUT }, async () => {
  const text = [
    'Net(',
    '  (conv): Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1))',
    '  (fc): Linear(in_features=1568, out_features=10, bias=True)',
    ')',
  ].join('\n');
  const { page, problems, close } = await newPage(env);
  await openApp(env, page);
  await page.click('#open-import');
  await page.locator('#import-dialog[open]').waitFor();
  await page.fill('#import-text', text);
  await page.fill('#import-shape', '1x3x16x16');
  await page.click('#import-run');
  await page.waitForFunction(() => !document.querySelector('#import-dialog').open);
  await waitForTable(page);
  const names = await page.$$eval('#shape-table tbody tr.row .layer-name', (n) => n.map((x) => x.textContent));
  assert.deepEqual(names, ['conv', 'flatten', 'fc']);
  assert.match(await page.locator('#banner').innerText(), /inserted torch\.flatten\(x, 1\) before "fc"/, 'the note still says what forward() does');
  await assertClean(page, problems);
  await close();
});

test('8. your own image: the page says it is never stored, and a reload shows the sample again', { timeout: TEST_TIMEOUT }, async () => {
  const { page, problems, close } = await newPage(env);
  await openApp(env, page);
  await previewsDone(page);
  const note = page.locator('#preview-image-note');
  assert.match(await note.innerText(), /never uploaded or stored: a reload or a shared link shows the sample image/);
  const gen = await previewGen(page);
  await page.locator('#preview-file').setInputFiles({
    name: 'mine.png', mimeType: 'image/png', buffer: fs.readFileSync(path.join(ROOT, 'samples', 'brick.png')),
  });
  await previewsDone(page, gen);
  assert.equal(await page.inputValue('#preview-image'), 'own');
  assert.match(await statusText(page), /mine\.png.*never uploaded or stored/);
  await page.reload();
  await waitForTable(page);
  await previewsDone(page);
  assert.equal(await page.inputValue('#preview-image'), 'chelsea', 'after a reload: the sample, as the page said');
  assert.match(await page.locator('#preview-image-note').innerText(), /never uploaded or stored/);
  await assertClean(page, problems);
  await close();
});
