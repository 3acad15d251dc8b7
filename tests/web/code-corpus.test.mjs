// Every PyTorch file of the code corpus pasted into the Import dialog at
// every input size its cases try (tests/fixtures/code/cases.json): the shape
// table shows what real PyTorch 1.13 computed (truth.json, recorded by
// tests/conformance/code_truth.py, which code_import.test.mjs keeps current):
// each module's output shape and line, the output, and where PyTorch raises,
// the failing row at PyTorch's line with PyTorch's text. The cases that read
// another model than the file's own (`model` in cases.json) go through the
// "Model to read" list, which offers classes; a factory function is the CLI's
// --model, tested in code_import.test.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setUp, newPage, openApp, ROOT, TEST_TIMEOUT } from './harness.mjs';

const CODE_DIR = path.join(ROOT, 'tests', 'fixtures', 'code');
const CASES = JSON.parse(fs.readFileSync(path.join(CODE_DIR, 'cases.json'), 'utf8'));
const TRUTH = JSON.parse(fs.readFileSync(path.join(CODE_DIR, 'truth.json'), 'utf8'));

let env;
before(async () => { env = await setUp(); });
after(async () => { await env?.tearDown(); });

async function importCode(page, text, shape) {
  await page.click('#open-import');
  await page.locator('#import-dialog[open]').waitFor();
  await page.fill('#import-text', text);
  await page.fill('#import-shape', shape);
  await page.click('#import-run');
  await page.waitForFunction(() => { const d = document.querySelector('#import-dialog'); return !d.open || d.dataset.state === 'idle'; });
  return page.evaluate(() => (document.querySelector('#import-dialog').open ? document.querySelector('#import-error').textContent : ''));
}

// The table as the user sees it: per row its name, output text, line and status.
function rows(page) {
  return page.$$eval('#shape-table tbody tr.row', (trs) => trs.map((tr) => ({
    name: tr.querySelector('.layer-name').textContent,
    out: tr.querySelector('td.out').textContent,
    line: tr.querySelector('.line-link')?.textContent ?? '',
    failed: tr.classList.contains('is-error'),
    index: Number(tr.dataset.index),
  })));
}

const shapeText = (s) => s.join('×');

test('every corpus file pasted on the page at every size tried shows real PyTorch\'s shapes, lines and errors', { timeout: TEST_TIMEOUT * 4 }, async () => {
  assert.equal(CASES.length, TRUTH.length, 'truth.json records every case of cases.json');
  const { page, close } = await newPage(env);
  await openApp(env, page);
  const problems = [];
  let checked = 0;
  for (let k = 0; k < CASES.length; k++) {
    const c = CASES[k];
    const truth = TRUTH[k];
    assert.equal(truth.file, c.file);
    assert.deepEqual(truth.input, c.input);
    const where = `${c.file}${c.model ? ` (model ${c.model})` : ''} at ${c.input.join('x')}`;
    const text = fs.readFileSync(path.join(CODE_DIR, c.file), 'utf8');
    const refused = await importCode(page, text, c.input.join('x'));
    assert.equal(refused, '', `${where}: the import dialog refused the code`);
    await page.locator('#code-panel:not([hidden])').waitFor();
    if (c.model) {
      const offered = await page.locator('#code-model option').allInnerTexts();
      if (!offered.includes(c.model)) continue;  // a factory function: the CLI's --model (see above)
      await page.selectOption('#code-model', c.model);
      await page.waitForFunction((m) => document.querySelector('#code-model').value === m, c.model);
      // The table is drawn again for the chosen model: wait for its first module's row.
      const first = truth.events.find((e) => e.kind === 'module').name;
      await page.waitForFunction((name) => [...document.querySelectorAll('#shape-table tbody tr.row .layer-name')]
        .some((n) => n.textContent === name), first);
    }
    const table = await rows(page);
    const failing = table.find((r) => r.failed);
    const shown = failing ? table.filter((r) => r.index < failing.index) : table;
    const seen = new Set();
    for (const e of truth.events) {
      if (e.kind !== 'module' || seen.has(e.name)) continue;  // a module's first call; its later ones are named _2, _3 …
      seen.add(e.name);
      const row = table.find((r) => r.name === e.name);
      if (!row) { problems.push(`${where}: no row ${e.name}`); continue; }
      if (!shown.includes(row)) continue;  // at or after the failing row: PyTorch never got there either
      if (row.out !== shapeText(e.output)) problems.push(`${where}: ${e.name} shows ${row.out}, PyTorch ${shapeText(e.output)}`);
      if (row.line !== `line ${e.line}`) problems.push(`${where}: ${e.name} links ${row.line}, PyTorch called it at line ${e.line}`);
    }
    if (truth.error) {
      if (!failing) { problems.push(`${where}: PyTorch raises at line ${truth.error.line}, the table shows every layer valid`); continue; }
      if (failing.line !== `line ${truth.error.line}`) problems.push(`${where}: the failing row ${failing.name} links ${failing.line}, PyTorch raises at line ${truth.error.line}`);
      const said = await page.locator(`#diag-${failing.index} pre.fw-error`).first().innerText();
      if (said !== truth.error.message) problems.push(`${where}: the table says ${JSON.stringify(said)}, PyTorch ${JSON.stringify(truth.error.message)}`);
    } else {
      if (failing) problems.push(`${where}: PyTorch runs it, the table fails at ${failing.name}`);
      const out = await page.locator('#shape-table tfoot .out').innerText();
      if (out !== shapeText(truth.output)) problems.push(`${where}: the output shows ${out}, PyTorch ${shapeText(truth.output)}`);
    }
    checked += 1;
  }
  await close();
  assert.deepEqual(problems, []);
  assert.ok(checked >= CASES.length - 2, `checked ${checked} of ${CASES.length} cases on the page`);
});
