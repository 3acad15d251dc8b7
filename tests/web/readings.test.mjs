// Guessed structures and tracebacks, in a real browser: a PyTorch traceback
// names the module that raised (conv3, not the outer pool on its line) and
// points at the whole model; print(model) with a pool reused in forward()
// shows both readings, and its fixes say they hold for the reading, never
// "fixes every layer" of code ConvScope has not seen; reopening Import
// selects the old text so a paste replaces it; a traceback pasted with its
// model imports the model. The numbers come from real PyTorch
// (tests/fixtures/import/make_readings.py).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setUp, newPage, openApp, ROOT, TEST_TIMEOUT } from './harness.mjs';

let env;
before(async () => { env = await setUp(); });
after(async () => { await env?.tearDown(); });

const FIXTURES = join(ROOT, 'tests', 'fixtures', 'import');
const fixture = (name) => readFileSync(join(FIXTURES, name), 'utf8');
const truth = JSON.parse(fixture('pytorch_reused_pool_truth.json'));
const torchRun = (size) => truth.runs.find((r) => r.input.at(-1) === size);

async function openImport(page) {
  await page.click('#open-import');
  await page.locator('#import-dialog[open]').waitFor();
}

async function importText(page, text, { shape = '' } = {}) {
  await openImport(page);
  await page.fill('#import-text', text);
  await page.fill('#import-shape', shape);
  await page.click('#import-run');
  await page.waitForFunction(() => !document.querySelector('#import-dialog').open);
}

const failingName = (page) => page.locator('#shape-table tr.row.is-error .layer-name').first().innerText();

test('a traceback names the module that raised, and says the model is the way to the real fix', { timeout: TEST_TIMEOUT }, async () => {
  const { page, problems, close } = await newPage(env);
  await openApp(env, page);
  await importText(page, fixture('error_pytorch_conv_nested.txt'), { shape: '1x3x28x28' });
  await page.waitForFunction(() => document.querySelectorAll('#shape-table tr.row.is-error').length === 1);
  assert.equal(await failingName(page), 'conv3', 'conv3 raised, not the pool around it');
  const banner = await page.locator('#banner').innerText();
  assert.match(banner, /paste print\(model\) with the input shape/, 'the way on from one layer');
  assert.match(banner, /the input shape 1x3x28x28 was not used/);
  assert.doesNotMatch(banner, /--input/, 'no CLI option in the page');
  const detail = page.locator('#shape-table tr.detail.is-error');
  assert.match(await detail.locator('.fix-reading').innerText(), /rebuilt from the PyTorch \(convolution\) message alone/);
  assert.equal(await detail.getByText('fixes every layer', { exact: true }).count(), 0, 'no fix is badged for the user\'s code');
  assert.deepEqual(problems.pageErrors, []);
  await close();
});

test('print(model) with a pool reused in forward(): both readings, each fix verified for its reading', { timeout: TEST_TIMEOUT }, async () => {
  const { page, problems, close } = await newPage(env);
  await openApp(env, page);
  const run = torchRun(28);
  const reaching = run.fc1_input.at(-1); // PyTorch: the features that reach fc1
  await importText(page, fixture('pytorch_reused_pool_net.txt'), { shape: run.input.join('x') });
  await page.waitForFunction(() => document.querySelectorAll('#shape-table tr.row.is-error').length === 1);
  assert.equal(await failingName(page), 'fc1');
  const detail = page.locator('#shape-table tr.detail.is-error');
  assert.equal(await detail.locator('.fw-error').first().innerText(), run.error, 'PyTorch\'s own text for the real forward()');
  const fix = detail.locator('li', { hasText: `in_features=${reaching}` });
  assert.equal(await fix.count(), 1, `the fix in_features=${reaching} is offered`);
  assert.equal(await fix.locator('.badge').innerText(), 'fixes every layer of this reading');
  assert.equal(await detail.getByText('fixes every layer', { exact: true }).count(), 0);
  assert.match(await detail.locator('.fix-reading').innerText(), /reading 1 of 2, "pool" called after each conv/);
  const banner = await page.locator('#banner').innerText();
  assert.match(banner, /the fix depends on what your forward\(\) does/);
  assert.match(banner, /reading 2: the modules in the order printed.*in_features=7744/);
  assert.deepEqual(problems.pageErrors, []);
  await close();
});

test('reopening Import selects the old text, so a paste replaces it', { timeout: TEST_TIMEOUT }, async () => {
  const { page, problems, close } = await newPage(env);
  await openApp(env, page);
  await importText(page, fixture('error_pytorch_conv_nested.txt'));
  await openImport(page);
  const selection = await page.locator('#import-text').evaluate((t) => [t.selectionStart, t.selectionEnd, t.value.length, document.activeElement === t]);
  assert.ok(selection[2] > 0, 'the old text is still there');
  assert.deepEqual(selection, [0, selection[2], selection[2], true], 'all of it selected, with the focus');
  await page.keyboard.insertText(fixture('pytorch_reused_pool_net.txt'));
  assert.equal(await page.locator('#import-text').inputValue(), fixture('pytorch_reused_pool_net.txt'), 'the paste replaced it');
  assert.deepEqual(problems.pageErrors, []);
  await close();
});

test('a traceback pasted with print(model) imports the model and points at the layer that raised', { timeout: TEST_TIMEOUT }, async () => {
  const { page, problems, close } = await newPage(env);
  await openApp(env, page);
  const run = torchRun(16);
  await importText(page, `${fixture('pytorch_reused_pool_net.txt')}\n${fixture('error_pytorch_conv_nested.txt')}`,
    { shape: run.input.join('x') });
  await page.waitForFunction(() => document.querySelectorAll('#shape-table tr.row').length > 1);
  assert.equal(await failingName(page), 'conv3');
  const detail = page.locator('#shape-table tr.detail.is-error');
  assert.equal(await detail.locator('.fw-error').first().innerText(), run.error, 'PyTorch\'s text at this input');
  const banner = await page.locator('#banner').innerText();
  assert.match(banner, /the model was imported/);
  assert.match(banner, /says "conv3" raised; this reading fails there too/);
  assert.deepEqual(problems.pageErrors, []);
  await close();
});
