// The reshape layer on the page: the editor's type picker offers it with its
// fields (the engine's schema: shape, batch), the table renders the core's
// shapes and PyTorch's own text, and the link carries it (v=2).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setUp, newPage, openApp, tableText, hashOf, TEST_TIMEOUT } from './harness.mjs';

let env;
before(async () => { env = await setUp(); });
after(async () => { await env?.tearDown(); });

// LeNet's feature extractor in PyTorch at 28x28: [1, 16, 4, 4] arrives at the head.
const LENET = 'v=1&fw=pytorch&in=1x1x28x28&l=conv:6:k5;max_pool:k2;conv:16:k5;max_pool:k2';

test('a reshape added from the picker views [1, 16, 4, 4] as [1, 256]; x.view(-1, 400) then fails with PyTorch\'s text',
  { timeout: TEST_TIMEOUT }, async () => {
    const { page, problems, close } = await newPage(env);
    await openApp(env, page, LENET);
    const rows = () => page.locator('#shape-table tr.row').count();
    const n0 = await rows();
    assert.ok(await page.locator('#add-type option[value="reshape"]').count() === 1, 'the picker offers reshape');
    await page.locator('#add-type').selectOption('reshape');
    await page.locator('#add-layer').click();
    await page.waitForFunction((n) => document.querySelectorAll('#shape-table tr.row').length === n + 1, n0);
    const at = n0;  // the new layer's index
    // A new reshape is x.view(x.size(0), -1): the core's output for what arrives.
    assert.equal(await page.locator(`#layer-${at}-shape`).inputValue(), '-1');
    assert.equal(await page.locator(`#layer-${at}-batch`).inputValue(), '', 'batch left to its default');
    assert.equal(await page.locator(`#layer-${at}-batch`).getAttribute('placeholder'), 'keep');
    const added = (await tableText(page)).at(-1);
    assert.match(added, /Reshape \(view\) 1×16×4×4 1×256 0 0/, added);
    assert.match(await hashOf(page), /^v=2&.*;reshape:sh-1$/);

    // x.view(-1, 16 * 5 * 5): 256 values are no multiple of 400.
    const shape = page.locator(`#layer-${at}-shape`);
    await shape.fill('400');
    await page.locator(`#layer-${at}-batch`).fill('infer');
    await page.waitForFunction(() => document.querySelectorAll('#shape-table tr.row.is-error').length === 1);
    const detail = page.locator('#shape-table tr.detail.is-error');
    assert.match(await detail.innerText(), /not a multiple of the 400 per sample/);
    assert.equal((await detail.locator('.fw-error').first().innerText()).trim(),
      "shape '[-1, 400]' is invalid for input of size 256");
    assert.match(await hashOf(page), /reshape:sh400:binfer$/);

    // A shape of the wrong rank is refused by the engine, naming the field.
    await shape.fill('4x8');
    const error = page.locator(`#layer-${at}-shape-error`);
    await page.waitForFunction((id) => !document.getElementById(id).hidden, `layer-${at}-shape-error`);
    assert.match(await error.innerText(), /^layers\[4\]\.shape: expected 1 size \(an \[N, features\] output\) or 3 \(C, H, W, the input's rank\), got 2; ConvScope analyses one spatial rank per network$/);
    assert.equal(await shape.getAttribute('aria-invalid'), 'true');
    assert.deepEqual(problems.pageErrors, []);
    await close();
  });
