// The "Compare frameworks" view (issue 16): the page draws what
// `convscope compare` reports — every cell's status and shape, each
// differing row's rule and the frameworks' own texts, the verdicts and the
// port notes — compared here with the native CLI's JSON for the same
// network. Also: `view=compare` in links and embeds, the keyboard path,
// re-rendering after an edit, and axe at 360 px in light and dark.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { setUp, newPage, openApp, encodeLink, hashOf, cspViolations, ROOT, TEST_TIMEOUT, seriousAxe } from './harness.mjs';

const CLI = process.env.CONVSCOPE_CLI || path.join(ROOT, 'build', 'convscope');

// PyTorch refuses padding='same' with a stride; TensorFlow and ONNX pad it.
const PARTS = { framework: 'pytorch', input: [1, 3, 9, 9], layers: [{ type: 'conv', name: 'c', filters: 4, kernel: 3, stride: 2, padding: 'same' }] };
// Agrees, but Keras has no ceil_mode: the port pads instead, and says so.
const CEIL = { framework: 'pytorch', input: [1, 3, 9, 9], layers: [{ type: 'max_pool', name: 'p', kernel: 2, ceil_mode: true }] };

let env;
before(async () => { env = await setUp(); });
after(async () => { await env?.tearDown(); });

/** `convscope compare -` on the network: {status, report}. */
function cliCompare(network) {
  const r = spawnSync(CLI, ['compare', '-'], { input: JSON.stringify(network), encoding: 'utf8' });
  assert.ok(r.status === 0 || r.status === 1, `convscope compare exited ${r.status}: ${r.stderr}`);
  return { status: r.status, report: JSON.parse(r.stdout) };
}

/** A fresh document at `hash` (a hash-only goto would keep the old table and pass at once). */
async function openAt(page, hash, file = '') {
  await page.goto('about:blank');
  await openApp(env, page, hash, file);
}

const shapeText = (s) => (Array.isArray(s) ? s.join('×') : '—');

async function waitForComparison(page, root = '#compare') {
  await page.waitForFunction((sel) => document.querySelector(sel)?.dataset.state === 'done'
    && !document.querySelector('#compare-panel').hidden, root);
}

/** What the page drew, read from its DOM. */
function pageComparison(page) {
  return page.evaluate(() => {
    const root = document.querySelector('#compare');
    return {
      summary: root.querySelector('#compare-summary').textContent,
      verdicts: [...root.querySelectorAll('.compare-verdicts li')].map((li) => ({ framework: li.dataset.framework, text: li.textContent })),
      heads: [...root.querySelectorAll('#compare-table thead th[data-framework]')].map((th) => ({ framework: th.dataset.framework, text: th.textContent })),
      rows: [...root.querySelectorAll('#compare-table tr.compare-row')].map((tr) => ({
        index: Number(tr.dataset.index),
        differs: tr.classList.contains('is-differs'),
        cells: [...tr.querySelectorAll('td.compare-cell')].map((td) => ({
          framework: td.dataset.framework, status: td.dataset.status, shape: td.querySelector('.compare-shape').textContent,
        })),
      })),
      rules: [...root.querySelectorAll('tr.compare-rule-row')].map((tr) => ({
        index: Number(tr.dataset.index),
        rule: tr.querySelector('.compare-rule').textContent,
        texts: [...tr.querySelectorAll('.compare-texts li')].map((li) => li.textContent),
      })),
      notes: [...root.querySelectorAll('.compare-notes li')].map((li) => li.textContent),
    };
  });
}

/** Every cell, rule, text, verdict and note the CLI reports is on the page, in the same order. */
async function assertSameAsCli(page, network) {
  const { status, report } = cliCompare(network);
  const shown = await pageComparison(page);
  assert.equal(shown.summary, report.differences === 0
    ? 'The three frameworks agree on every layer.'
    : `The frameworks differ on ${report.differences} layer${report.differences === 1 ? '' : 's'}.`);
  assert.equal(status, report.differences === 0 ? 0 : 1);
  assert.deepEqual(shown.heads.map((th) => th.framework), report.frameworks.map((f) => f.framework));
  const source = shown.heads.find((th) => th.framework === report.source);
  assert.match(source.text, /\(source\)/);
  assert.deepEqual(shown.verdicts.map((v) => v.framework), report.frameworks.map((f) => f.framework));
  report.frameworks.forEach((f, k) => assert.ok(shown.verdicts[k].text.includes(f.verdict), `${shown.verdicts[k].text} has ${f.verdict}`));
  assert.deepEqual(shown.rows, report.rows.map((row) => ({
    index: row.index,
    differs: row.differs.length > 0,
    cells: row.cells.map((c) => ({ framework: c.framework, status: c.status, shape: shapeText(c.output) })),
  })));
  const differing = report.rows.filter((row) => row.differs.length);
  assert.deepEqual(shown.rules.map((r) => ({ index: r.index, rule: r.rule })), differing.map((row) => ({ index: row.index, rule: row.rule })));
  differing.forEach((row, k) => {
    for (const cell of row.cells.filter((c) => c.error_text)) {
      assert.ok(shown.rules[k].texts.some((t) => t.endsWith(`says: ${cell.error_text}`)), `${cell.framework}'s text under row ${row.index}`);
    }
  });
  assert.deepEqual(shown.notes, report.rows.flatMap((row) => row.notes.map((n) => `${row.name}: ${n}`)));
  return report;
}

async function noProblems(page, problems) {
  assert.deepEqual(problems.pageErrors, []);
  assert.deepEqual(problems.consoleErrors, []);
  assert.deepEqual(problems.dialogs, []);
  assert.deepEqual(await cspViolations(page), []);
}

test('a network that parts: the PyTorch error, TensorFlow and ONNX 5x5, and the rule, as convscope compare says', { timeout: TEST_TIMEOUT }, async () => {
  const { page, problems, close } = await newPage(env);
  await openApp(env, page);
  const hash = await encodeLink(page, PARTS, [['view', 'compare']]);
  await openAt(page, hash);
  await waitForComparison(page);
  assert.equal(await page.locator('#toggle-compare').getAttribute('aria-pressed'), 'true');
  const report = await assertSameAsCli(page, PARTS);
  // The story of issue 16, in the CLI's own report and therefore on the page.
  const [cells] = report.rows.map((row) => Object.fromEntries(row.cells.map((c) => [c.framework, c])));
  assert.equal(cells.pytorch.status, 'error');
  assert.deepEqual(cells.tensorflow.output, [1, 5, 5, 4]);
  assert.deepEqual(cells.onnx.output, [1, 4, 5, 5]);
  const rule = await page.locator('.compare-rule').innerText();
  assert.match(rule, /^PyTorch: fails: PyTorch refuses padding='same'/);
  assert.match(await page.locator('.compare-texts').innerText(), /PyTorch says: padding='same' is not supported for strided convolutions/);
  await page.screenshot({ path: path.join(ROOT, 'test-output', 'compare-parts.png'), fullPage: true });

  // The view survives a reload: it is in the link.
  assert.match(await hashOf(page), /(^|&)view=compare(&|$)/);
  await page.reload();
  await waitForComparison(page);
  await assertSameAsCli(page, PARTS);

  // An edit through the editor redraws it: stride 1 makes PyTorch accept 'same'.
  await page.locator('#layer-0-stride').fill('1');
  const edited = { ...PARTS, layers: [{ ...PARTS.layers[0], stride: 1 }] };
  await page.waitForFunction(() => document.querySelector('#compare').dataset.state === 'done'
    && document.querySelector('#compare').dataset.differences === '0');
  await assertSameAsCli(page, edited);
  // A malformed value greys the last comparison out (like the table) and leaves the link alone.
  const before = await hashOf(page);
  await page.locator('#layer-0-kernel').fill('-2');
  await page.waitForFunction(() => document.querySelector('#compare').dataset.state === 'stale');
  assert.ok(await page.locator('#compare').evaluate((el) => el.classList.contains('is-stale')));
  assert.equal(await hashOf(page), before);
  await page.locator('#layer-0-kernel').fill('3');
  await page.waitForFunction(() => document.querySelector('#compare').dataset.state === 'done');
  await assertSameAsCli(page, edited);
  await noProblems(page, problems);
  await close();
});

test('a preset that agrees says so; a failing graph matches the CLI and scrolls into view; port notes say how the ports are written', { timeout: TEST_TIMEOUT }, async () => {
  const { page, problems, close } = await newPage(env);
  await openApp(env, page);
  assert.equal(await page.locator('#compare-panel').isHidden(), true, 'closed by default');
  await page.selectOption('#preset', 'lenet5');
  const lenet = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', 'lenet5.json'), 'utf8'));
  await page.waitForFunction((n) => document.querySelectorAll('#shape-table tbody tr.row').length === n, lenet.layers.length);
  await page.locator('#toggle-compare').click();
  await waitForComparison(page);
  const report = await assertSameAsCli(page, lenet);
  assert.equal(report.differences, 0);
  assert.equal(await page.locator('#compare-summary').innerText(), 'The three frameworks agree on every layer.');
  assert.equal(await page.locator('tr.compare-rule-row').count(), 0);

  // A graph that fails (the padded U-Net at 100x100), 49 rows: the panel opens under a long
  // table, so opening it brings it into view.
  await page.locator('#toggle-compare').click();
  await page.waitForFunction(() => document.querySelector('#compare-panel').hidden);
  await page.selectOption('#preset', 'unet_padded');
  const unet = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', 'unet_padded.json'), 'utf8'));
  await page.waitForFunction((n) => document.querySelectorAll('#shape-table tbody tr.row').length === n, unet.layers.length);
  await page.locator('#toggle-compare').click();
  await waitForComparison(page);
  await assertSameAsCli(page, unet);
  await page.waitForFunction(() => document.querySelector('#compare-panel').getBoundingClientRect().top < innerHeight);

  // A network whose Keras port needs padding for ceil_mode: agrees, and the notes say why.
  const hash = await encodeLink(page, CEIL, [['view', 'compare']]);
  await openAt(page, hash);
  await waitForComparison(page);
  const ceil = await assertSameAsCli(page, CEIL);
  assert.equal(ceil.differences, 0);
  assert.ok(ceil.rows[0].notes.length > 0, 'the CLI has port notes for ceil_mode');
  assert.equal(await page.getByRole('heading', { name: 'How the ports are written' }).count(), 1);
  await noProblems(page, problems);
  await close();
});

test('links without view= are unchanged, and a bad view= is named in the banner', { timeout: TEST_TIMEOUT }, async () => {
  const { page, close } = await newPage(env);
  await openApp(env, page);
  const plain = await encodeLink(page, PARTS);
  await openAt(page, plain);
  assert.equal(await hashOf(page), plain);
  assert.equal(await page.locator('#compare-panel').isHidden(), true);
  assert.equal(await page.locator('#toggle-compare').getAttribute('aria-pressed'), 'false');
  // The view's code is not fetched for a link without it (the previews' worker
  // loads the full module for itself after the first table, whatever the view).
  assert.deepEqual(await page.evaluate(() => performance.getEntriesByType('resource').map((r) => r.name).filter((n) => /compare-view\.js|compare\.css/.test(n))), []);

  // Opened while the editor holds a malformed value: it says so, then draws once the value is fixed.
  await page.locator('#layer-0-kernel').fill('-2');
  await page.locator('#toggle-compare').click();
  await page.waitForFunction(() => document.querySelector('#compare').dataset.state === 'stale');
  assert.match(await page.locator('#compare').innerText(), /drawn once the network in the editor is well formed/);
  await page.locator('#layer-0-kernel').fill('3');
  await waitForComparison(page);
  await assertSameAsCli(page, PARTS);

  await openAt(page, `${plain}&view=sideways`);
  await page.locator('#banner').waitFor();
  assert.match(await page.locator('#banner').innerText(), /view: unknown view 'sideways' \(known: table, compare\)/);
  assert.equal(await page.locator('#compare-panel').isHidden(), true);
  await close();
});

test('keyboard: Tab to the toggle, Enter opens the comparison, Tab enters it at its Hide button, Space toggles', { timeout: TEST_TIMEOUT }, async () => {
  const { page, problems, close } = await newPage(env);
  await openApp(env, page);
  const start = await hashOf(page);
  let found = false;
  for (let i = 0; i < 200 && !found; i += 1) {
    await page.keyboard.press('Tab');
    found = await page.evaluate(() => document.activeElement?.id === 'toggle-compare');
  }
  assert.ok(found, 'the toggle is in the tab order');
  await page.keyboard.press('Enter');
  await waitForComparison(page);
  assert.equal(await page.locator('#toggle-compare').getAttribute('aria-pressed'), 'true');
  assert.match(await hashOf(page), /(^|&)view=compare(&|$)/);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'toggle-compare', 'focus stays on the toggle');
  assert.match(await page.locator('#status').innerText(), /PyTorch, TensorFlow\/Keras and ONNX/);
  // Tab goes on into the comparison; its first stop is its own "Hide comparison" button.
  let inside = false;
  for (let i = 0; i < 30 && !inside; i += 1) {
    await page.keyboard.press('Tab');
    inside = await page.evaluate(() => document.activeElement?.closest('#compare-panel') !== null);
  }
  assert.ok(inside, 'Tab reaches the comparison');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'close-compare');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('#compare-panel').hidden);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'toggle-compare', 'focus goes back to the toggle');
  assert.equal(await page.locator('#toggle-compare').getAttribute('aria-pressed'), 'false');
  assert.equal(await hashOf(page), start, 'closing writes the link without view=');
  // Space toggles it too.
  await page.keyboard.press('Space');
  await waitForComparison(page);
  assert.match(await hashOf(page), /(^|&)view=compare(&|$)/);
  await page.keyboard.press('Space');
  await page.waitForFunction(() => document.querySelector('#compare-panel').hidden);
  assert.equal(await hashOf(page), start);
  // Back reopens it (opening was one history step).
  await page.goBack();
  await waitForComparison(page);
  await noProblems(page, problems);
  await close();
});

test('an embed opens on the comparison, with hide= as for the other parts', { timeout: TEST_TIMEOUT }, async () => {
  const { page, context, close } = await newPage(env);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.server.url.replace(/\/$/, '') });
  const hash = await (async () => {
    await openApp(env, page);
    return encodeLink(page, PARTS, [['view', 'compare']]);
  })();
  // The main page's embed code carries the open view.
  await openAt(page, hash);
  await waitForComparison(page);
  await page.getByRole('button', { name: 'Embed…' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  assert.equal(await dialog.getByLabel('Framework comparison').isChecked(), true);
  await dialog.getByLabel('Layer editor').setChecked(false);
  await dialog.getByLabel('Data-flow diagram').setChecked(false);
  const snippet = await page.locator('#embed-code').inputValue();
  assert.match(snippet, /view=compare/);
  assert.match(snippet, /hide=editor%2Cdiagram/);
  await dialog.getByLabel('Framework comparison').setChecked(false);
  assert.doesNotMatch(await page.locator('#embed-code').inputValue(), /view=/);
  await page.keyboard.press('Escape');
  await close();

  env.extra['/compare-host.html'] = {
    type: 'text/html; charset=utf-8',
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host</title></head><body><h1>Porting</h1>${snippet}</body></html>`,
  };
  for (const colorScheme of ['light', 'dark']) {
    const host = await newPage(env, { width: 360, height: 800, colorScheme, bypassCSP: true });
    await host.page.goto(`${env.server.url}compare-host.html`);
    const frame = await (await host.page.locator('iframe#convscope-embed').elementHandle()).contentFrame();
    await waitForComparison(frame);
    assert.equal(await frame.locator('#editor-panel').isVisible(), false);
    assert.equal(await frame.locator('#diagram-panel').isVisible(), false);
    assert.equal(await frame.locator('#results').isVisible(), true);
    assert.equal(await frame.locator('#compare-panel').isVisible(), true);
    await assertSameAsCli(frame, PARTS);
    assert.deepEqual(await seriousAxe(frame), [], `axe in the embed, ${colorScheme}`);
    // "Open in ConvScope" keeps the view, drops hide.
    const href = await frame.getByRole('link', { name: /Open in ConvScope/ }).getAttribute('href');
    assert.match(href, /view=compare/);
    assert.doesNotMatch(href, /hide=/);
    await host.close();
  }
});

for (const colorScheme of ['light', 'dark']) {
  test(`at 360 px (${colorScheme}) the comparison follows the table and axe finds nothing serious`, { timeout: TEST_TIMEOUT }, async () => {
    const { page, problems, close } = await newPage(env, { width: 360, height: 800, colorScheme, bypassCSP: true });
    await openApp(env, page);
    await openAt(page, await encodeLink(page, PARTS, [['view', 'compare']]));
    await waitForComparison(page);
    const [tableBottom, compareTop, editorTop] = await page.evaluate(() => [
      document.querySelector('#results').getBoundingClientRect().bottom,
      document.querySelector('#compare-panel').getBoundingClientRect().top,
      document.querySelector('#editor-panel').getBoundingClientRect().top,
    ]);
    assert.ok(compareTop >= tableBottom && compareTop < editorTop, 'table, then comparison, then the editor');
    assert.deepEqual(await seriousAxe(page), [], `axe at 360 px, ${colorScheme}`);
    await page.screenshot({ path: path.join(ROOT, 'test-output', `compare-360-${colorScheme}.png`), fullPage: true });
    assert.deepEqual(problems.pageErrors, []);
    await close();
  });
}
