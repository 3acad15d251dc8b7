// Accessibility (axe-core: no serious or critical violations) on the main
// page and the embed, light and dark; keyboard basics; and the screenshots
// the README uses, written to test-output/ (git-ignored).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { setUp, newPage, openApp, ensureOutputDir, TEST_TIMEOUT } from './harness.mjs';

const require = createRequire(import.meta.url);
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

let env;
before(async () => { env = await setUp(); });
after(async () => { await env?.tearDown(); });

async function axe(page) {
  // The page's CSP (script-src 'self') refuses injected <script> tags, so
  // evaluate the source directly; the context also bypasses CSP for safety.
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
  });
}

function serious(violations) {
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

for (const colorScheme of ['light', 'dark']) {
  test(`main page has no serious accessibility violations (${colorScheme})`, { timeout: TEST_TIMEOUT }, async () => {
    const { page, close } = await newPage(env, { colorScheme, bypassCSP: true });
    await openApp(env, page);
    const bad = serious(await axe(page));
    assert.deepEqual(bad, [], JSON.stringify(bad, null, 2));
    // With the embed dialog open too.
    await page.getByRole('button', { name: 'Embed…' }).click();
    await page.getByRole('dialog').waitFor();
    const badDialog = serious(await axe(page));
    assert.deepEqual(badDialog, [], JSON.stringify(badDialog, null, 2));
    await page.keyboard.press('Escape');
    // The import dialog with an error showing, and the export dialog.
    await page.getByRole('button', { name: 'Import…' }).click();
    await page.locator('#import-dialog[open]').waitFor();
    await page.fill('#import-text', 'not a model');
    await page.click('#import-run');
    await page.waitForFunction(() => document.querySelector('#import-error').textContent.length > 0);
    const badImport = serious(await axe(page));
    assert.deepEqual(badImport, [], JSON.stringify(badImport, null, 2));
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Export…' }).click();
    await page.waitForFunction(() => document.querySelector('#export-code')?.value.length > 0);
    const badExport = serious(await axe(page));
    assert.deepEqual(badExport, [], JSON.stringify(badExport, null, 2));
    await close();
  });

  test(`embed page has no serious accessibility violations (${colorScheme})`, { timeout: TEST_TIMEOUT }, async () => {
    const { page, close } = await newPage(env, { colorScheme, bypassCSP: true, width: 720 });
    await openApp(env, page, '', 'embed.html');
    const bad = serious(await axe(page));
    assert.deepEqual(bad, [], JSON.stringify(bad, null, 2));
    await close();
  });
}

test('a graph preset (the padded U-Net, failing) has no serious accessibility violations, light and dark', { timeout: TEST_TIMEOUT }, async () => {
  for (const colorScheme of ['light', 'dark']) {
    const { page, close } = await newPage(env, { colorScheme, bypassCSP: true });
    await openApp(env, page);
    await page.locator('#preset').selectOption('unet_padded');
    await page.waitForFunction(() => document.querySelector('#shape-table tr.row.is-error .layer-name')?.textContent === 'cat3');
    await page.waitForFunction(() => document.querySelector('#previews')?.dataset.state === 'done', null, { timeout: 120_000 });
    const bad = serious(await axe(page));
    assert.deepEqual(bad, [], `${colorScheme}: ${JSON.stringify(bad, null, 2)}`);
    await close();
  }
  // 360 px wide: the inputs column and the layered diagram scroll inside their panels, not the page.
  const { page, close } = await newPage(env, { width: 360, height: 740 });
  await openApp(env, page);
  await page.locator('#preset').selectOption('unet_padded');
  await page.waitForFunction(() => document.querySelector('#shape-table tr.row.is-error .layer-name')?.textContent === 'cat3');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `page scrolls sideways by ${overflow}px`);
  await page.screenshot({ path: path.join(ensureOutputDir(), 'graph-360.png'), fullPage: false });
  await close();
});

test('a banner page (broken link) has no serious accessibility violations', { timeout: TEST_TIMEOUT }, async () => {
  const { page, close } = await newPage(env, { bypassCSP: true });
  await openApp(env, page, 'v=1&fw=nope&in=1&l=');
  await page.locator('#banner .banner-item').first().waitFor();
  const bad = serious(await axe(page));
  assert.deepEqual(bad, [], JSON.stringify(bad, null, 2));
  await close();
});

test('every control is reachable by keyboard and shows a visible focus ring', { timeout: TEST_TIMEOUT }, async () => {
  const { page, close } = await newPage(env);
  await openApp(env, page);
  const seen = new Set();
  for (let i = 0; i < 60; i += 1) {
    await page.keyboard.press('Tab');
    const info = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return null;
      const style = getComputedStyle(el);
      return { id: el.id || el.getAttribute('aria-label') || el.textContent.trim().slice(0, 20), outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0 };
    });
    if (!info) continue;
    assert.ok(info.outline, `focused ${info.id} has a visible outline`);
    seen.add(info.id);
  }
  for (const id of ['preset', 'copy-link', 'framework', 'input-shape', 'layer-0-kernel']) assert.ok(seen.has(id), `${id} reached by Tab`);
  await close();
});

test('the page is usable at 360 px: no page-level horizontal scroll', { timeout: TEST_TIMEOUT }, async () => {
  const { page, close } = await newPage(env, { width: 360, height: 740 });
  await openApp(env, page);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `page scrolls sideways by ${overflow}px`);
  assert.equal(await page.locator('#shape-table tr.detail button.fix').first().isVisible(), true);
  await close();
});

test('screenshots of the main page and the embed (desktop and 360 px)', { timeout: TEST_TIMEOUT }, async () => {
  const dir = ensureOutputDir();
  const shots = [
    { file: 'main-desktop.png', page: '', width: 1280, height: 900 },
    { file: 'main-360.png', page: '', width: 360, height: 740 },
    { file: 'main-desktop-dark.png', page: '', width: 1280, height: 900, colorScheme: 'dark' },
    { file: 'embed-desktop.png', page: 'embed.html', width: 760, height: 600 },
    { file: 'embed-360.png', page: 'embed.html', width: 360, height: 600 },
  ];
  for (const s of shots) {
    const { page, close } = await newPage(env, { width: s.width, height: s.height, colorScheme: s.colorScheme || 'light' });
    await openApp(env, page, '', s.page);
    await page.evaluate(() => document.fonts.ready);
    const out = path.join(dir, s.file);
    await page.screenshot({ path: out, fullPage: true });
    assert.ok(fs.statSync(out).size > 5000, `${s.file} written`);
    await close();
  }
});
