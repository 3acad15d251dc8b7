// Pasted model code on the page (issue 14): a network read from code keeps
// each layer's line; the shape table, the diagnosis and the diagram link a
// layer to its line in the Code panel (text only, line numbers, on demand);
// the code survives a reload of the tab (sessionStorage) but never goes into
// a link; hand edits keep the other layers' lines; keyboard and axe clean at
// 360 px. With the code reader in the core, the U-Net without F.pad pasted in
// the Import dialog fails at its torch.cat line with PyTorch's text.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { setUp, newPage, openApp, waitForTable, hashOf, encodeLink, cspViolations, ROOT, TEST_TIMEOUT, seriousAxe } from './harness.mjs';


// The small U-Net without F.pad and its network as the code reader reads it
// (every layer with its line), written by hand for these mechanics.
const CODE = fs.readFileSync(path.join(ROOT, 'tests', 'fixtures', 'sources', 'small_unet_nopad.py'), 'utf8');
const NETWORK = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests', 'fixtures', 'sources', 'small_unet_nopad.json'), 'utf8'));
// PyTorch 1.13 on that file at 1x3x100x100 (tests/fixtures/sources/small_unet_nopad.py): line 44 raises
const CAT_LINE = 44;
const CAT_CODE = 'x = torch.cat([x3, x], dim=1)';
const TORCH_TEXT = 'Sizes of tensors must match except in dimension 1. Expected size 25 but got size 24 for tensor number 1 in the list.';
// Untrusted code: a line that would run if it were ever parsed as HTML.
const HOSTILE = '# <img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';

let env;
before(async () => { env = await setUp(); });
after(async () => { await env?.tearDown(); });

async function assertClean(page, problems) {
  assert.deepEqual(problems.pageErrors, [], 'no page errors');
  assert.deepEqual(problems.consoleErrors, [], 'no console errors');
  assert.deepEqual(problems.dialogs, [], 'no alert/confirm dialogs');
  assert.deepEqual(await cspViolations(page), [], 'no CSP violations');
  assert.equal(await page.evaluate(() => window.__pwned), undefined, 'the pasted code never ran');
}

/**
 * The page as a tab that imported this code would have it after a reload:
 * the code and the state's sources in sessionStorage (what the Code panel
 * writes), the network in the address bar (which has no sources).
 */
async function openWithStoredCode(page, { code = CODE } = {}) {
  await openApp(env, page);
  const hash = await encodeLink(page, NETWORK);
  const session = { code, models: ['DoubleConv', 'SmallUNet'], model: 'SmallUNet', options: { inputShape: '1x3x100x100', framework: '' } };
  const states = [[hash, NETWORK.layers.map((l) => l.source)]];
  await page.evaluate(([h, saved, known]) => {
    location.hash = h;
    sessionStorage.setItem('convscope:code', JSON.stringify(saved));
    sessionStorage.setItem('convscope:code-states', JSON.stringify(known));
  }, [hash, session, states]);
  await page.reload();
  await waitForTable(page);
  await page.locator('#code-panel:not([hidden])').waitFor();
  return hash;
}

const rowOf = (page, name) => page.locator('#shape-table tr.row', { has: page.locator('.layer-name', { hasText: new RegExp(`^${name.replace(/\./g, '\\.')}$`) }) });
const currentLine = (page) => page.evaluate(() => {
  const li = document.querySelector('#code-view li.is-current');
  return li ? { id: li.id, focused: document.activeElement === li, text: li.querySelector('.code-text').textContent } : null;
});
const lineInView = (page, line) => page.evaluate((n) => {
  const li = document.querySelector(`#code-line-${n}`);
  const view = document.querySelector('#code-view').getBoundingClientRect();
  const r = li.getBoundingClientRect();
  return r.top >= view.top - 1 && r.bottom <= view.bottom + 1 && r.top >= 0 && r.bottom <= innerHeight;
}, line);

test('each layer read from code links to its line: the table, the diagnosis and the diagram, keyboard first', { timeout: TEST_TIMEOUT }, async () => {
  const { page, problems, close } = await newPage(env);
  const hash = await openWithStoredCode(page, { code: `${CODE}${HOSTILE}\n` });
  // The panel: every line, numbered, as text.
  const lines = CODE.split('\n').length + 1;
  assert.equal(await page.locator('#code-view li').count(), lines);
  assert.equal(await page.locator(`#code-line-${CAT_LINE} .ln`).innerText(), String(CAT_LINE));
  assert.equal(await page.locator(`#code-line-${CAT_LINE} .code-text`).innerText(), `        ${CAT_CODE}`);
  assert.equal(await page.locator(`#code-line-${lines - 1} .code-text`).innerText(), HOSTILE, 'markup in the code is shown as text');
  assert.equal(await page.locator('#code-view img, #code-view script').count(), 0);
  assert.equal(await page.locator('#code-model').evaluate((s) => [...s.options].map((o) => o.value).join()), 'DoubleConv,SmallUNet');

  // The failing cat: its row links to line 44, its diagnosis quotes the line.
  const cat = rowOf(page, 'cat');
  assert.match(await cat.getAttribute('class'), /is-error/);
  const link = cat.locator('button.line-link');
  assert.equal(await link.innerText(), `line ${CAT_LINE}`);
  const diagnosis = page.locator('#shape-table tr.detail.is-error .source-line button');
  assert.equal(await diagnosis.innerText(), `line ${CAT_LINE}: ${CAT_CODE}`);
  assert.equal(await page.locator('#shape-table tr.detail.is-error .fw-error').first().innerText(), TORCH_TEXT);
  // Every layer of the fixture has its line in the table.
  assert.equal(await page.locator('#shape-table tr.row button.line-link').count(), NETWORK.layers.length);

  // Keyboard: Tab to the row's link, Enter: the code panel scrolls to line 44, highlighted and focused.
  await link.focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction((n) => document.querySelector(`#code-line-${n}`)?.classList.contains('is-current'), CAT_LINE);
  assert.deepEqual(await currentLine(page), { id: `code-line-${CAT_LINE}`, focused: true, text: `        ${CAT_CODE}` });
  assert.ok(await lineInView(page, CAT_LINE), 'line 44 is scrolled into view');
  assert.match(await page.locator('#status').innerText(), new RegExp(`Line ${CAT_LINE} of the code`));

  // Another row (a pool called on line 40) moves the highlight; the old line is plain again.
  await rowOf(page, 'pool').locator('button.line-link').click();
  await page.waitForFunction(() => document.querySelector('#code-line-40')?.classList.contains('is-current'));
  assert.equal(await page.locator('#code-view li.is-current').count(), 1);
  // The diagnosis' link, by keyboard too.
  await diagnosis.focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction((n) => document.querySelector(`#code-line-${n}`)?.classList.contains('is-current'), CAT_LINE);

  // The diagram's node detail names the line.
  const block = page.locator('#diagram g.blk[aria-label^="cat (concat)"]');
  assert.match(await block.getAttribute('aria-label'), new RegExp(`line ${CAT_LINE}: ${CAT_CODE.replace(/[[\]()]/g, '\\$&')}$`));

  // The panel folds away and comes back; a line link opens it.
  await page.click('#code-toggle');
  assert.equal(await page.locator('#code-body').isHidden(), true);
  assert.equal(await page.locator('#code-toggle').getAttribute('aria-expanded'), 'false');
  await link.click();
  assert.equal(await page.locator('#code-body').isVisible(), true);

  // Nothing of the code is in the link.
  assert.ok(hash.length > 0);
  assert.doesNotMatch(decodeURIComponent(await hashOf(page)), /torch\.cat|source/);
  await assertClean(page, problems);
  await close();
});

test('hand edits keep the other layers\' lines; a layer added by hand has none; Back and reload keep them', { timeout: TEST_TIMEOUT }, async () => {
  const { page, problems, close } = await newPage(env);
  await openWithStoredCode(page);
  const links = () => page.locator('#shape-table tr.row button.line-link').count();
  const layers = NETWORK.layers.length;
  assert.equal(await links(), layers);

  // Add a layer at the end by hand.
  await page.click('#add-layer');
  await page.waitForFunction((n) => document.querySelectorAll('#shape-table tr.row').length === n + 1, layers);
  assert.equal(await links(), layers, 'the new layer has no line; every other keeps its own');
  assert.equal(await page.locator('#shape-table tr.row').last().locator('.line-link').count(), 0);
  assert.equal(await rowOf(page, 'cat').locator('button.line-link').innerText(), `line ${CAT_LINE}`);
  assert.doesNotMatch(decodeURIComponent(await hashOf(page)), /torch\.cat|source/);

  // A reload of this state keeps the code and the lines.
  await page.reload();
  await waitForTable(page);
  await page.locator('#code-panel:not([hidden])').waitFor();
  await page.waitForFunction((n) => document.querySelectorAll('#shape-table tr.row button.line-link').length === n, layers);
  assert.equal(await page.locator('#shape-table tr.row').count(), layers + 1);

  // Back: the imported network again, with its lines.
  await page.goBack();
  await page.waitForFunction((n) => document.querySelectorAll('#shape-table tr.row').length === n, layers);
  await page.waitForFunction((n) => document.querySelectorAll('#shape-table tr.row button.line-link').length === n, layers);

  // An example has no lines in this code: the panel hides; Back shows it again.
  await page.selectOption('#preset', { index: 1 });
  await page.waitForFunction(() => document.querySelector('#code-panel').hidden);
  assert.equal(await page.locator('#shape-table .line-link').count(), 0);
  await page.goBack();
  await page.locator('#code-panel:not([hidden])').waitFor();
  await assertClean(page, problems);
  await close();
});

test('a contract JSON with sources but no code shows each line as text, and replaces the code of an earlier import', { timeout: TEST_TIMEOUT }, async () => {
  const { page, problems, close } = await newPage(env);
  await openWithStoredCode(page);
  await page.click('#open-import');
  await page.locator('#import-dialog[open]').waitFor();
  await page.fill('#import-text', JSON.stringify({ ...NETWORK, input: [1, 3, 96, 96] }));
  await page.click('#import-run');
  await page.waitForFunction(() => !document.querySelector('#import-dialog').open);
  await page.waitForFunction(() => document.querySelector('#code-panel').hidden);
  assert.equal(await page.locator('#shape-table tr.row.is-error').count(), 0, 'at 96x96 every layer is valid');
  assert.equal(await page.locator('#shape-table button.line-link').count(), 0, 'no links into code the page does not have');
  assert.equal(await rowOf(page, 'cat').locator('span.line-link').innerText(), `line ${CAT_LINE}`);
  assert.deepEqual(await page.evaluate(() => [sessionStorage.getItem('convscope:code'), sessionStorage.getItem('convscope:code-states')]),
    [null, null], 'the earlier code is gone');
  await assertClean(page, problems);
  await close();
});

for (const colorScheme of ['light', 'dark']) {
  test(`the Code panel at 360 px, ${colorScheme}: reachable, readable, axe clean`, { timeout: TEST_TIMEOUT }, async () => {
    const { page, problems, close } = await newPage(env, { width: 360, height: 740, colorScheme });
    await openWithStoredCode(page);
    await rowOf(page, 'cat').locator('button.line-link').click();
    await page.waitForFunction((n) => document.querySelector(`#code-line-${n}`)?.classList.contains('is-current'), CAT_LINE);
    // One column: the code comes right after the table (before the editor).
    const top = (sel) => page.locator(sel).evaluate((el) => el.getBoundingClientRect().top + scrollY);
    assert.ok(await top('#results') < await top('#code-panel') && await top('#code-panel') < await top('#editor-panel'));
    // Long lines scroll inside the panel, not the page.
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth + 1), 'no sideways page scroll');
    assert.ok(await page.locator('#code-view').evaluate((v) => v.scrollWidth > v.clientWidth || v.scrollHeight > v.clientHeight));
    assert.deepEqual(await seriousAxe(page), [], `axe at 360 px, ${colorScheme}`);
    await assertClean(page, problems);
    await close();
  });
}

// ---- end to end, with the code reader in the core ----------------------------------

// The corpus' U-Net without F.pad (tests/fixtures/code/unet_nopad.py) when it
// is there, else this folder's small one; what real PyTorch says of it.
const CORPUS = path.join(ROOT, 'tests', 'fixtures', 'code', 'unet_nopad.py');
const E2E = fs.existsSync(CORPUS)
  ? { file: CORPUS, build: "ns['UNet'](n_channels=3, n_classes=2)" }
  : { file: path.join(ROOT, 'tests', 'fixtures', 'sources', 'small_unet_nopad.py'), build: "ns['SmallUNet']()" };

function torchTruth() {
  const script = `
import json, runpy, sys, torch, traceback
ns = runpy.run_path(sys.argv[1], run_name='convscope_test')
model = ${E2E.build}
out = {}
for n in (100, 96):
    try:
        model(torch.zeros(1, 3, n, n)); out[n] = {'ok': True}
    except RuntimeError as e:
        frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename == sys.argv[1]]
        out[n] = {'ok': False, 'text': str(e), 'line': frames[-1].lineno}
print(json.dumps(out))`;
  const run = spawnSync('/usr/bin/python3', ['-c', script, E2E.file], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout);
}

async function importCode(page, text, shape) {
  await page.click('#open-import');
  await page.locator('#import-dialog[open]').waitFor();
  await page.fill('#import-text', text);
  await page.fill('#import-shape', shape);
  await page.click('#import-run');
  await page.waitForFunction(() => { const d = document.querySelector('#import-dialog'); return !d.open || d.dataset.state === 'idle'; });
  return page.evaluate(() => (document.querySelector('#import-dialog').open ? document.querySelector('#import-error').textContent : ''));
}

test('pasting the U-Net without F.pad: the failing torch.cat with PyTorch\'s text, linked to its line; valid at 96x96', { timeout: TEST_TIMEOUT }, async (t) => {
  const { page, problems, close } = await newPage(env);
  await openApp(env, page);
  const code = fs.readFileSync(E2E.file, 'utf8');
  const refused = await importCode(page, code, '1x3x100x100');
  assert.equal(refused, '', 'the code is imported');
  const truth = torchTruth();
  assert.equal(truth[100].ok, false);
  assert.equal(truth[96].ok, true);
  await page.locator('#code-panel:not([hidden])').waitFor();
  await page.waitForFunction(() => document.querySelectorAll('#shape-table tr.row button.line-link').length > 0);

  const failing = page.locator('#shape-table tr.row.is-error').first();
  assert.match(await failing.locator('.layer-type').innerText(), /cat|Concat/i);
  const detail = page.locator('#shape-table tr.detail.is-error').first();
  assert.equal(await detail.locator('.fw-error').first().innerText(), truth[100].text);
  const lineCode = code.split('\n')[truth[100].line - 1].trim();
  assert.match(lineCode, /torch\.cat/);
  assert.equal(await detail.locator('.source-line button').innerText(), `line ${truth[100].line}: ${lineCode}`);
  await failing.locator('button.line-link').click();
  await page.waitForFunction((n) => document.querySelector(`#code-line-${n}`)?.classList.contains('is-current'), truth[100].line);
  assert.equal((await page.locator('#code-view li.is-current .code-text').innerText()).trim(), lineCode);
  // The models the code defines are offered; the one read is selected.
  const models = await page.locator('#code-model').evaluate((s) => [...s.options].map((o) => o.value));
  assert.ok(models.length > 1 && models.includes(await page.locator('#code-model').inputValue()), models.join());
  assert.doesNotMatch(decodeURIComponent(await hashOf(page)), /torch\.cat|source/);

  // At 96x96 every layer is valid, and every row still has its line.
  assert.equal(await importCode(page, code, '1x3x96x96'), '');
  await page.waitForFunction(() => document.querySelectorAll('#shape-table tr.row.is-error').length === 0);
  const rows = await page.locator('#shape-table tr.row').count();
  assert.equal(await page.locator('#shape-table tr.row button.line-link').count(), rows);
  await assertClean(page, problems);
  await close();
});

/** The output shape real PyTorch gives model class `name` of `file` at `shape`. */
function torchOutput(file, name, shape) {
  const script = `import runpy, sys, torch
ns = runpy.run_path(sys.argv[1], run_name='convscope_test')
print(list(ns[sys.argv[2]]()(torch.zeros(${shape.join(', ')})).shape))`;
  const run = spawnSync('/usr/bin/python3', ['-c', script, file, name], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout);
}

test('"Model to read" reads the pasted code again with another model; one that cannot be built says why', { timeout: TEST_TIMEOUT }, async (t) => {
  const { page, problems, close } = await newPage(env);
  await openApp(env, page);
  const file = path.join(ROOT, 'tests', 'fixtures', 'sources', 'two_models.py');
  const refused = await importCode(page, fs.readFileSync(file, 'utf8'), '1x3x32x32');
  assert.equal(refused, '');
  await page.locator('#code-panel:not([hidden])').waitFor();
  const footOutput = () => page.locator('#shape-table tfoot .out').innerText();
  const shapeText = (s) => s.join('×');
  assert.equal(await footOutput(), shapeText(torchOutput(file, 'Big', [1, 3, 32, 32])));
  assert.equal(await page.locator('#code-model').inputValue(), 'Big');
  assert.deepEqual(await page.locator('#code-model option').allInnerTexts(), ['Small', 'Big']);

  // Keyboard: focus the select and pick Small.
  await page.locator('#code-model').focus();
  await page.selectOption('#code-model', 'Small');
  await page.waitForFunction(() => document.querySelector('#code-model').value === 'Small');
  await page.waitForFunction((want) => document.querySelector('#shape-table tfoot .out').innerText === want,
    shapeText(torchOutput(file, 'Small', [1, 3, 32, 32])));
  const lines = await page.locator('#shape-table tr.row button.line-link').allInnerTexts();
  assert.ok(lines.length > 0 && lines.every((l) => l === 'line 13'), lines.join());
  await page.locator('#shape-table tr.row button.line-link').first().click();
  await page.waitForFunction(() => document.querySelector('#code-line-13')?.classList.contains('is-current'));

  // The U-Net's DoubleConv is never built with arguments in the code: the panel says why, the table stays.
  assert.equal(await importCode(page, CODE, '1x3x100x100'), '');
  await page.waitForFunction(() => document.querySelector('#code-model').value === 'SmallUNet');
  const before = await page.locator('#shape-table tr.row').count();
  await page.selectOption('#code-model', 'DoubleConv');
  await page.waitForFunction(() => document.querySelector('#code-error').textContent !== '');
  assert.match(await page.locator('#code-error').innerText(), /^DoubleConv could not be read: .*missing required argument 'in_channels'.*DoubleConv/);
  assert.equal(await page.locator('#code-model').inputValue(), 'SmallUNet', 'the select still names the model shown');
  assert.equal(await page.locator('#shape-table tr.row').count(), before);
  await assertClean(page, problems);
  await close();
});
