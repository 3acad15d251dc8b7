// Bring your own model, in a real browser: paste the conv2d_3 TensorFlow
// message and see its diagnosis; every import fixture gives the diagnosis the
// native CLI gives; drop an ONNX file; bad input leaves the editor as it was;
// paste anywhere opens the importer; export shows the CLI's code with Copy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { setUp, newPage, openApp, waitForTable, tableText, hashOf, cspViolations, ROOT, TEST_TIMEOUT } from './harness.mjs';

let env;
before(async () => { env = await setUp(); });
after(async () => { await env?.tearDown(); });

const FIXTURES = join(ROOT, 'tests', 'fixtures', 'import');
const ONNX = join(ROOT, 'fuzz', 'corpus', 'import_fuzz', 'small_cnn.onnx');
const CLI = process.env.CONVSCOPE_CLI || join(ROOT, 'build', 'convscope');
const fixture = (name) => readFileSync(join(FIXTURES, name), 'utf8');

async function openImport(page) {
  await page.click('#open-import');
  await page.locator('#import-dialog[open]').waitFor();
}

/** Resolves when the import started by the last click has finished (the dialog closed, or it is idle again). */
function importSettled(page) {
  return page.waitForFunction(() => {
    const dialog = document.querySelector('#import-dialog');
    return !dialog.open || dialog.dataset.state === 'idle';
  });
}

/** Paste `text` into the import dialog and press Import; resolves when the import has finished. */
async function importText(page, text, { shape = '' } = {}) {
  await openImport(page);
  await page.fill('#import-text', text);
  await page.fill('#import-shape', shape);
  await page.click('#import-run');
  await importSettled(page);
}

/** Drop a file with `bytes` on the page, as a user dragging it from the desktop. */
async function dropFile(page, name, bytes) {
  const dataTransfer = await page.evaluateHandle(([fileName, data]) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(data)], fileName));
    return dt;
  }, [name, Array.from(bytes)]);
  await page.dispatchEvent('main', 'dragover', { dataTransfer });
  await page.dispatchEvent('main', 'drop', { dataTransfer });
}

/** The native CLI's report for a file (status per layer), or {error} with its message when it refuses the file. */
function cliReport(file) {
  const run = spawnSync(CLI, ['analyze', file], { encoding: 'utf8' });
  if (run.status === 2) return { error: run.stderr.trim().split('\n').at(-1).replace(/^convscope: /, '') };
  assert.ok(run.status === 0 || run.status === 1, `convscope analyze ${file}: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

const rowStatuses = (page) => page.$$eval('#shape-table tr.row', (rows) => rows.map((r) => {
  for (const s of ['error', 'warning', 'skipped']) if (r.classList.contains(`is-${s}`)) return s;
  return 'ok';
}));

test('pasting the conv2d_3 TensorFlow message shows its diagnosis, formula and fixes', { timeout: TEST_TIMEOUT }, async () => {
  const { page, problems, close } = await newPage(env);
  await openApp(env, page, 'v=1&fw=pytorch&in=1x3x32x32&l=conv:8:k3');
  const before = await hashOf(page);
  await importText(page, fixture('error_tf2_graph_conv2d_3.txt'));
  assert.equal(await page.locator('#import-dialog').evaluate((d) => d.open), false, 'the dialog closes');
  await page.waitForFunction(() => document.querySelectorAll('#shape-table tr.row.is-error').length === 1);
  const row = page.locator('#shape-table tr.row.is-error');
  assert.match(await row.innerText(), /conv2d_3/);
  const detail = page.locator('#shape-table tr.detail.is-error');
  assert.match(await detail.locator('.formula').innerText(), /4 - 5/, 'the formula with the numbers substituted');
  assert.match(await detail.locator('.fw-error').first().innerText(), /Negative dimension size caused by subtracting 5 from 4/);
  assert.ok(await detail.locator('button.fix').count() >= 1, 'fixes are offered');
  const banner = await page.locator('#banner').innerText();
  assert.match(banner, /TensorFlow graph mode error message/, 'the banner says what was recognised');
  assert.match(banner, /assumed batch 1/, 'and what was assumed');
  assert.match(await hashOf(page), /^v=1&fw=tensorflow&in=1x4x4x64&l=conv:16:k5/, 'the import is written to the URL');
  await page.goBack();
  await page.waitForFunction((h) => location.hash.slice(1) === h, before);
  await waitForTable(page);
  assert.equal(await page.locator('#shape-table tr.row.is-error').count(), 0, 'Back returns to the network before the import');
  assert.deepEqual(problems.pageErrors, []);
  assert.deepEqual(problems.consoleErrors, []);
  assert.deepEqual(await cspViolations(page), []);
  await close();
});

test('every import fixture gives the same layers and diagnosis in the page as the CLI', { timeout: 6 * TEST_TIMEOUT }, async () => {
  const { page, problems, close } = await newPage(env);
  await openApp(env, page);
  // Not models: summaries are cross-checked against the editor's network (below).
  const files = readdirSync(FIXTURES).filter((f) => /\.(txt|json)$/.test(f) && !f.includes('_summary_'));
  assert.ok(files.length >= 25, `${files.length} fixtures`);
  for (const name of files) {
    const report = cliReport(join(FIXTURES, name));
    await importText(page, fixture(name));
    if (report.error) {
      assert.equal(await page.locator('#import-error').innerText(), report.error, `${name}: the CLI's message`);
      await page.click('#import-close');
      continue;
    }
    assert.equal(await page.locator('#import-error').innerText(), '', `${name} imports without an error`);
    await page.waitForFunction((n) => document.querySelectorAll('#shape-table tr.row').length === n, report.layers.length);
    assert.deepEqual(await rowStatuses(page), report.layers.map((l) => (l.status === 'skipped' ? 'skipped' : l.status)),
      `${name}: row statuses`);
    const failing = report.layers.find((l) => l.status === 'error');
    const verdict = await page.locator('#verdict').innerText();
    if (failing) {
      assert.ok(verdict.includes(failing.message), `${name}: the verdict carries the CLI's message "${failing.message}"`);
    } else {
      assert.match(verdict, /All \d+ layers valid|The layer is valid/, `${name}: valid as in the CLI`);
    }
  }
  assert.deepEqual(problems.pageErrors, []);
  await close();
});

test('a pasted Keras model.summary() is checked against the network in the editor, row by row', { timeout: TEST_TIMEOUT }, async () => {
  const { page, problems, close } = await newPage(env);
  await openApp(env, page);
  await importText(page, fixture('keras2_functional.json'));
  await waitForTable(page);
  const hash = await hashOf(page);
  const cli = (summary) => spawnSync(CLI, ['check-summary', '--json', join(FIXTURES, 'keras2_functional.json'), join(FIXTURES, summary)], { encoding: 'utf8' });

  const agree = cli('keras2_summary_functional.txt');
  assert.equal(agree.status, 0, agree.stderr);
  await importText(page, fixture('keras2_summary_functional.txt'));
  assert.equal(await page.locator('#import-dialog').evaluate((d) => d.open), true, 'the dialog stays open with the check');
  assert.match(await page.locator('.summary-verdict').innerText(), /agrees/);
  assert.ok((await page.locator('.summary-verdict').innerText()).includes(JSON.parse(agree.stdout).verdict), 'the CLI\'s verdict');
  assert.equal(await page.locator('.summary-table tbody tr.is-error').count(), 0);
  await page.click('#import-close');

  const wrong = cli('keras2_summary_functional_wrong.txt');
  assert.equal(wrong.status, 1);
  const expected = JSON.parse(wrong.stdout);
  await importText(page, fixture('keras2_summary_functional_wrong.txt'));
  assert.match(await page.locator('.summary-verdict').innerText(), /disagrees/);
  const rows = await page.$$eval('.summary-table tbody tr', (trs) => trs.map((tr) => [tr.cells[0].innerText, tr.cells[5].innerText]));
  assert.deepEqual(rows.map((r) => r[1]), expected.rows.map((r) => r.verdict), 'the verdict of every row, as the CLI');
  assert.match(rows.find((r) => r[1] === 'shape differs')[0], /conv2d_1/);
  await page.click('#import-close');

  // Cut short: the summary reader's own message (line and column), not "import the model's JSON instead".
  const cut = fixture('keras2_summary_functional.txt').split('\n').slice(0, 9).join('\n');
  const native = spawnSync(CLI, ['check-summary', join(FIXTURES, 'keras2_functional.json'), '-'], { input: cut, encoding: 'utf8' });
  assert.equal(native.status, 2);
  await importText(page, cut);
  assert.equal(await page.locator('#import-error').innerText(), native.stderr.trim().replace(/^convscope: summary: /, ''));
  assert.match(await page.locator('#import-error').innerText(), /^line \d+, column \d+: /);
  await page.click('#import-close');
  assert.equal(await hashOf(page), hash, 'a cross-check changes nothing');
  assert.deepEqual(problems.pageErrors, []);
  await close();
});

test('dropping an ONNX file imports it; a truncated one is refused and the editor keeps its state', { timeout: TEST_TIMEOUT }, async () => {
  const { page, problems, close } = await newPage(env);
  await openApp(env, page);
  const bytes = readFileSync(ONNX);
  const report = cliReport(ONNX);

  await dropFile(page, 'small_cnn.onnx', bytes);
  await page.waitForFunction((n) => document.querySelectorAll('#shape-table tr.row').length === n
    && document.querySelector('#shape-table').textContent.includes('/conv2/Conv'), report.layers.length);
  assert.equal(await page.locator('#import-dialog').evaluate((d) => d.open), false);
  assert.deepEqual(await rowStatuses(page), report.layers.map((l) => l.status));
  assert.match(await page.locator('#banner').innerText(), /read 7 of 7 nodes from "x" \(opset 13\): 7 layers/);
  assert.match(await hashOf(page), /^v=2&fw=onnx&in=1x3x16x16/, 'its Add(x, x) makes it a graph: a v2 link');

  const hash = await hashOf(page);
  const rows = await tableText(page);
  await dropFile(page, 'broken.onnx', bytes.subarray(0, Math.floor(bytes.length / 2)));
  await page.waitForFunction(() => document.querySelector('#import-error')?.textContent.length > 0);
  const error = await page.locator('#import-error').innerText();
  assert.match(error, /ONNX|protobuf|truncated|field/i, `the message says what is wrong: ${error}`);
  assert.match(await page.locator('#import-file-info').innerText(), /broken\.onnx/);
  await page.click('#import-close');
  assert.equal(await hashOf(page), hash, 'the URL is unchanged');
  assert.deepEqual(await tableText(page), rows, 'the table is unchanged');
  assert.deepEqual(problems.pageErrors, []);
  await close();
});

test('a malformed paste names the line and column, selects it, and changes nothing', { timeout: TEST_TIMEOUT }, async () => {
  const { page, problems, close } = await newPage(env);
  await openApp(env, page);
  const hash = await hashOf(page);
  const rows = await tableText(page);
  const broken = 'Sequential(\n  (0): Conv2d(3, 16, kernel_size=(3, 3), stride=(1,\n';
  await importText(page, broken);
  assert.match(await page.locator('#import-error').innerText(), /^line 2, column \d+: /);
  const caret = await page.locator('#import-text').evaluate((t) => t.selectionStart);
  assert.ok(caret > broken.indexOf('\n'), `the caret is on line 2 (offset ${caret})`);
  await page.fill('#import-shape', '1x3x');
  await page.click('#import-run');
  await importSettled(page);
  assert.equal(await page.locator('#import-error').innerText(),
    'Input shape "1x3x": expected 3 to 5 positive sizes joined by \'x\', like 1x3x224x224', 'the field is named as the dialog labels it');
  await page.click('#import-close');
  assert.equal(await hashOf(page), hash);
  assert.deepEqual(await tableText(page), rows);
  assert.deepEqual(problems.pageErrors, []);
  await close();
});

test('an import cancelled while the importer loads applies nothing; focus goes to the verdict after an import', { timeout: TEST_TIMEOUT }, async () => {
  const { page, problems, close } = await newPage(env);
  // Hold the full module back until the dialog has been cancelled.
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  let served = false;
  await page.route('**/convscope.js', async (route) => {
    await held;
    await route.continue();
    served = true;
  });
  await openApp(env, page);
  const hash = await hashOf(page);
  await openImport(page);
  await page.fill('#import-text', fixture('error_tf2_graph_conv2d_3.txt'));
  await page.click('#import-run');
  assert.equal(await page.locator('#import-dialog').getAttribute('data-state'), 'busy');
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !document.querySelector('#import-dialog').open);
  release();
  await page.waitForFunction(() => document.querySelector('#import-dialog').dataset.state === 'idle');
  assert.ok(served, 'the module was served after the cancel');
  assert.equal(await hashOf(page), hash, 'the cancelled import changed nothing');
  // Now for real: the import applies, the dialog closes and the verdict has the focus.
  await importText(page, fixture('error_tf2_graph_conv2d_3.txt'));
  await page.waitForFunction(() => document.querySelectorAll('#shape-table tr.row.is-error').length === 1);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'verdict');
  assert.deepEqual(problems.pageErrors, []);
  await close();
});

test('pasting outside a form field opens the importer with the text; the input shape overrides', { timeout: TEST_TIMEOUT }, async () => {
  const { page, problems, close } = await newPage(env);
  await openApp(env, page);
  await page.evaluate((text) => {
    const dt = new DataTransfer();
    dt.setData('text/plain', text);
    document.body.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  }, fixture('pytorch_cifar_net.txt'));
  await page.locator('#import-dialog[open]').waitFor();
  assert.match(await page.locator('#import-text').inputValue(), /Conv2d/);
  await page.fill('#import-shape', '1x3x64x64');
  await page.click('#import-run');
  await importSettled(page);
  assert.match(await hashOf(page), /^v=1&fw=pytorch&in=1x3x64x64&/, 'the given input shape is used');
  assert.deepEqual(problems.pageErrors, []);
  await close();
});

test('a graph exports from the page as the CLI writes it: an nn.Module with forward() and Keras\' functional API', { timeout: TEST_TIMEOUT }, async () => {
  const { page, problems, close } = await newPage(env);
  const file = join(ROOT, 'examples', 'residual_forgot_stride.json');
  const link = spawnSync(CLI, ['export', '--link', file], { encoding: 'utf8' }).stdout.trim();
  await openApp(env, page, link.slice(link.indexOf('#') + 1));
  await page.click('#open-export');
  await page.locator('#export-dialog[open]').waitFor();
  for (const [label, flag, form] of [['PyTorch', '--pytorch', /\nclass Model\(nn\.Module\):\n/],
    ['Keras', '--keras', /\nmodel = keras\.Model\(inputs=inputs, outputs=relu_1\)\n/]]) {
    const expected = spawnSync(CLI, ['export', flag, file], { encoding: 'utf8' }).stdout;
    assert.match(expected, form, `convscope export ${flag} writes a graph's form`);
    await page.locator('.export-target', { hasText: label }).click();
    await page.waitForFunction((e) => document.querySelector('#export-code').value === e, expected, { timeout: 10000 })
      .catch(() => {});
    assert.equal(await page.locator('#export-code').inputValue(), expected, `${label} matches convscope export ${flag}`);
    assert.equal((await page.locator('#export-status').textContent()).trim(), '', `${label}: no refusal`);
  }
  assert.deepEqual(problems.pageErrors, []);
  await close();
});

test('export shows the CLI\'s PyTorch, Keras and JSON text and the link, each with Copy', { timeout: TEST_TIMEOUT }, async () => {
  const { page, problems, close } = await newPage(env);
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await openApp(env, page); // the default example, examples/conv2d_3.json
  const cli = (flag) => spawnSync(CLI, ['export', flag, join(ROOT, 'examples', 'conv2d_3.json')], { encoding: 'utf8' }).stdout;
  await page.click('#open-export');
  await page.locator('#export-dialog[open]').waitFor();
  for (const [label, flag] of [['PyTorch', '--pytorch'], ['Keras', '--keras'], ['JSON', '--json']]) {
    await page.locator('.export-target', { hasText: label }).click();
    await page.waitForFunction(() => document.querySelector('#export-code').value.length > 0);
    const expected = cli(flag);
    assert.ok(expected.length > 0);
    assert.equal(await page.locator('#export-code').inputValue(), expected, `${label} matches convscope export ${flag}`);
    await page.click('#export-copy');
    await page.waitForFunction(() => /copied/.test(document.querySelector('#export-status').textContent));
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), expected, `${label} is on the clipboard`);
    assert.match(await page.locator('#export-download').getAttribute('href'), /^blob:/);
  }
  await page.locator('.export-target', { hasText: 'Link' }).click();
  await page.waitForFunction(() => document.querySelector('#export-code').value.startsWith('http'));
  const link = await page.locator('#export-code').inputValue();
  assert.ok(link.endsWith(`#${await hashOf(page)}`), 'the link reproduces the page');
  assert.deepEqual(problems.pageErrors, []);
  assert.deepEqual(await cspViolations(page), []);
  await close();
});
