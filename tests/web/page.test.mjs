// The playground's main flows in a real browser: the conv2d_3 story, one-click
// fixes, editing, reload from the produced URL, back/forward, framework switch.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setUp, newPage, openApp, waitForTable, tableText, hashOf, cspViolations, pickPreset, TEST_TIMEOUT } from './harness.mjs';

let env;
before(async () => { env = await setUp(); });
after(async () => { await env?.tearDown(); });

const failingRow = (page) => page.locator('#shape-table tr.row.is-error');
/** The editor id prefix of the story's failing layer (conv2d_3), e.g. 'layer-5'. */
async function failingLayerId(page) {
  return `layer-${await failingRow(page).getAttribute('data-index')}`;
}

test('the default page opens on the conv2d_3 story and explains the failing layer', { timeout: TEST_TIMEOUT }, async () => {
  const { page, problems, close } = await newPage(env);
  await openApp(env, page);
  const row = failingRow(page);
  assert.equal(await row.count(), 1, 'exactly one failing row');
  assert.match(await row.innerText(), /conv2d_3/);
  const detail = page.locator('#shape-table tr.detail.is-error');
  assert.match(await detail.locator('.formula').innerText(), /4 - 5/, 'formula with the numbers substituted');
  assert.match(await detail.locator('.fw-error').first().innerText(), /Negative dimension size caused by subtracting 5 from 4/,
    'the TensorFlow error text');
  assert.match(await page.locator('#verdict').innerText(), /conv2d_3/);
  assert.match(await page.locator('#min-input').innerText(), /\d+×\d+/, 'the smallest valid input is stated above the table');
  assert.match(await hashOf(page), /^v=1&fw=tensorflow&in=\d+x\d+x\d+x\d+&l=conv:/, 'a fresh visit gets a shareable hash at once');
  assert.ok(await page.locator('#shape-table tr.detail button.fix').count() >= 1, 'at least one fix is offered');
  assert.deepEqual(problems.pageErrors, []);
  assert.deepEqual(problems.consoleErrors, []);
  assert.deepEqual(await cspViolations(page), [], 'the page runs under its own CSP without violations');
  await close();
});

test('clicking a fix makes every row valid and is one Back step', { timeout: TEST_TIMEOUT }, async () => {
  const { page, problems, close } = await newPage(env);
  await openApp(env, page);
  const before = await hashOf(page);
  const fix = page.locator('#shape-table tr.detail li', { has: page.locator('.badge.ok') }).locator('button.fix').first();
  await fix.click();
  await page.waitForFunction(() => document.querySelectorAll('#shape-table tr.row.is-error').length === 0);
  const statuses = await page.$$eval('#shape-table tr.row', (rows) => rows.map((r) => r.className));
  assert.ok(statuses.length >= 1);
  for (const s of statuses) assert.doesNotMatch(s, /is-error|is-skipped/, `row ${s} is valid`);
  assert.match(await page.locator('#verdict').innerText(), /All \d+ layers valid/);
  assert.notEqual(await hashOf(page), before, 'the fix is written to the URL');
  await page.goBack();
  await page.waitForFunction(() => document.querySelectorAll('#shape-table tr.row.is-error').length === 1);
  assert.equal(await hashOf(page), before);
  assert.deepEqual(problems.pageErrors, []);
  await close();
});

test('an edited kernel size survives a reload of the URL it produced', { timeout: TEST_TIMEOUT }, async () => {
  const { page, close } = await newPage(env);
  await openApp(env, page);
  const id = await failingLayerId(page);
  const kernel = page.locator(`#${id}-kernel`);
  assert.equal(await kernel.inputValue(), '5');
  await kernel.fill('3');
  await page.waitForFunction(() => document.querySelectorAll('#shape-table tr.row.is-error').length === 0);
  const hash = await hashOf(page);
  assert.match(hash, /conv:16:k3/, 'the kernel is in the readable link');
  const rows = await tableText(page);
  const url = page.url();

  const fresh = await newPage(env);
  await fresh.page.goto(url);
  await waitForTable(fresh.page);
  assert.deepEqual(await tableText(fresh.page), rows, 'same table in a fresh window');
  assert.equal(await fresh.page.locator(`#${id}-kernel`).inputValue(), '3');
  assert.equal(await hashOf(fresh.page), hash, 'the link is left exactly as given');
  await fresh.close();
  await close();
});

test('back and forward restore earlier states', { timeout: TEST_TIMEOUT }, async () => {
  const { page, close } = await newPage(env);
  await openApp(env, page);
  const id = await failingLayerId(page);
  const kernel = page.locator(`#${id}-kernel`);
  const states = [{ hash: await hashOf(page), rows: await tableText(page) }];
  // Two separate edits of conv2d_3's kernel: 3, then 2.
  for (const k of ['3', '2']) {
    await kernel.fill(k);
    await kernel.blur();
    await page.waitForFunction((kk) => location.hash.includes(`conv:16:k${kk}`), k);
    states.push({ hash: await hashOf(page), rows: await tableText(page) });
  }
  assert.notDeepEqual(states[1].rows, states[0].rows);
  assert.notDeepEqual(states[2].rows, states[1].rows);
  for (const target of [1, 0]) {
    await page.goBack();
    await page.waitForFunction((h) => location.hash.slice(1) === h, states[target].hash);
    await page.waitForFunction((rows) => JSON.stringify([...document.querySelectorAll('#shape-table tbody tr.row')]
      .map((r) => r.innerText.replace(/\s+/g, ' ').trim())) === rows, JSON.stringify(states[target].rows));
  }
  assert.equal(await kernel.inputValue(), '5', 'the editor follows history too');
  await page.goForward();
  await page.waitForFunction((h) => location.hash.slice(1) === h, states[1].hash);
  await page.waitForFunction((sel) => document.querySelector(sel)?.value === '3', `#${id}-kernel`);
  assert.deepEqual(await tableText(page), states[1].rows);
  await close();
});

test('typing several characters in one field is a single history entry', { timeout: TEST_TIMEOUT }, async () => {
  const { page, close } = await newPage(env);
  await openApp(env, page);
  const start = await hashOf(page);
  const length = await page.evaluate(() => history.length);
  const filters = page.locator('#layer-0-filters');
  await filters.fill('');
  await filters.pressSequentially('128');
  await page.waitForFunction(() => location.hash.includes('conv:128:'));
  assert.equal(await page.evaluate(() => history.length), length + 1, 'one new entry for the whole word');
  await page.goBack();
  await page.waitForFunction((h) => location.hash.slice(1) === h, start);
  await close();
});

test('a typing run\'s link is written once the keys pause, at once on blur, and never lost to a push', { timeout: TEST_TIMEOUT }, async () => {
  const { page, close } = await newPage(env);
  await openApp(env, page);
  const filters = page.locator('#layer-0-filters');
  const pending = () => page.evaluate(() => document.documentElement.hasAttribute('data-link-pending'));
  const hash = () => page.evaluate(() => location.hash);
  // The first key pushes the entry at once; the next ones replace it once the keys pause.
  await filters.fill('12');
  await page.waitForFunction(() => location.hash.includes('conv:12:'));
  await filters.fill('123');
  const typedAt = Date.now();
  assert.equal(await pending(), true, 'a replace waits while keys come');
  assert.match(await hash(), /conv:12:/);
  await page.waitForFunction(() => location.hash.includes('conv:123:') && !document.documentElement.hasAttribute('data-link-pending'));
  assert.ok(Date.now() - typedAt >= 250, 'written after the pause, not at once');
  // Blur ends the run: the last value is in the link at once.
  await filters.fill('1234');
  assert.equal(await pending(), true);
  await filters.blur();
  assert.match(await hash(), /conv:1234:/, 'blur writes it');
  assert.equal(await pending(), false);
  // A discrete action after typing: the typed entry keeps its last value, then the new entry.
  await filters.fill('64');
  await filters.fill('65');
  const length = await page.evaluate(() => history.length);
  await page.locator('#framework').selectOption('pytorch');
  await page.waitForFunction(() => location.hash.includes('fw=pytorch'));
  assert.equal(await page.evaluate(() => history.length), length + 1);
  await page.goBack();
  await page.waitForFunction(() => location.hash.includes('fw=tensorflow'));
  assert.match(await hash(), /conv:65:/, 'the entry left behind has the last key typed');
  await close();
});

test('layers can be added, duplicated, reordered by keyboard and drag, and removed', { timeout: TEST_TIMEOUT }, async () => {
  const { page, problems, close } = await newPage(env);
  await openApp(env, page);
  const names = () => page.$$eval('#shape-table tr.row .layer-type', (els) => els.map((e) => e.textContent));
  const count = async () => page.locator('#shape-table tr.row').count();
  const n0 = await count();

  await page.locator('#add-type').selectOption('flatten');
  await page.locator('#add-layer').click();
  await page.waitForFunction((n) => document.querySelectorAll('#shape-table tr.row').length === n + 1, n0);
  assert.equal((await names()).at(-1), await page.locator('#add-type option[value="flatten"]').innerText());

  await page.locator('.layer-card').first().getByRole('button', { name: /^Duplicate/ }).click();
  await page.waitForFunction((n) => document.querySelectorAll('#shape-table tr.row').length === n + 2, n0);
  const afterDup = await names();
  assert.equal(afterDup[0], afterDup[1], 'the copy sits right after the original');

  // Keyboard: focus the second layer's handle and press ArrowDown.
  const before = await names();
  await page.locator('.layer-card').nth(1).locator('.handle').focus();
  await page.keyboard.press('ArrowDown');
  await page.waitForFunction((b) => {
    const now = [...document.querySelectorAll('#shape-table tr.row .layer-type')].map((e) => e.textContent);
    return now[1] === b[2] && now[2] === b[1];
  }, before);
  assert.ok(await page.evaluate(() => document.activeElement?.closest('.layer-card')?.dataset.index === '2'),
    'focus follows the moved layer');

  // Drag: the second card's handle above the first card (both on screen).
  const order = await page.$$eval('#shape-table tr.row .layer-name', (els) => els.map((e) => e.textContent));
  await page.locator('.layer-card').first().scrollIntoViewIfNeeded();
  const handle = page.locator('.layer-card').nth(1).locator('.handle');
  const hb = await handle.boundingBox();
  const tb = await page.locator('.layer-card').first().boundingBox();
  await page.mouse.move(hb.x + hb.width / 2, hb.y + hb.height / 2);
  await page.mouse.down();
  await page.mouse.move(hb.x + hb.width / 2, tb.y + 4, { steps: 12 });
  await page.mouse.up();
  await page.waitForFunction((o) => {
    const now = [...document.querySelectorAll('#shape-table tr.row .layer-name')].map((e) => e.textContent);
    return now[0] === o[1] && now[1] === o[0] && now.length === o.length;
  }, order);

  const total = await count();
  await page.locator('.layer-card').first().getByRole('button', { name: /^Remove/ }).click();
  await page.waitForFunction((n) => document.querySelectorAll('#shape-table tr.row').length === n - 1, total);
  assert.deepEqual(problems.pageErrors, []);
  assert.deepEqual(await cspViolations(page), [], 'dragging styles through CSSOM, not style attributes');
  await close();
});

test('switching framework renames parameters and moves the channel axis', { timeout: TEST_TIMEOUT }, async () => {
  const { page, close } = await newPage(env);
  await openApp(env, page);
  const [n, h, w, c] = (await page.locator('#input-shape').inputValue()).split('x');
  assert.equal(await page.locator('label[for="layer-0-filters"]').innerText(), 'filters*');
  await page.locator('#framework').selectOption('pytorch');
  await page.waitForFunction(() => location.hash.includes('fw=pytorch'));
  assert.equal(await page.locator('#input-shape').inputValue(), [n, c, h, w].join('x'), 'NHWC -> NCHW');
  assert.match(await page.locator('label[for="layer-0-filters"]').innerText(), /^out_channels/);
  assert.match(await page.locator('#shape-table thead').innerText(), /N×C×H×W/);
  await page.locator('#framework').selectOption('onnx');
  await page.waitForFunction(() => location.hash.includes('fw=onnx'));
  assert.match(await page.locator('label[for="layer-0-kernel"]').innerText(), /^kernel_shape/);
  await close();
});

test('an invalid value points at its field and leaves the link at the last valid state', { timeout: TEST_TIMEOUT }, async () => {
  const { page, close } = await newPage(env);
  await openApp(env, page);
  const hash = await hashOf(page);
  await page.locator('#layer-0-kernel').fill('-2');
  await page.waitForFunction(() => document.querySelector('#layer-0-kernel')?.getAttribute('aria-invalid') === 'true');
  assert.match(await page.locator('#layer-0-kernel-error').innerText(), /kernel/);
  assert.equal(await hashOf(page), hash);
  await page.locator('#layer-0-kernel').fill('abc');
  assert.match(await page.locator('#layer-0-kernel-error').innerText(), /whole number/);
  await page.locator('#layer-0-kernel').fill('3');
  await page.waitForFunction(() => !document.querySelector('#layer-0-kernel')?.hasAttribute('aria-invalid'));
  await close();
});

test('the preset menu loads every example without errors', { timeout: TEST_TIMEOUT }, async () => {
  const { page, problems, close } = await newPage(env);
  await openApp(env, page);
  const ids = await page.$$eval('#preset option', (opts) => opts.map((o) => o.value).filter(Boolean));
  assert.ok(ids.length >= 1);
  for (const id of ids) {
    await pickPreset(page, id);
    assert.equal(await page.locator('#banner .banner-item').count(), 0, `no banner for ${id}`);
  }
  assert.deepEqual(problems.pageErrors, []);
  await close();
});

test('copy link puts the current URL on the clipboard', { timeout: TEST_TIMEOUT }, async () => {
  const { page, close, context } = await newPage(env);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.server.url.replace(/\/$/, '') });
  await openApp(env, page);
  await page.locator('#copy-link').click();
  await page.waitForFunction(() => /copied/i.test(document.querySelector('#status').textContent));
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(new URL(copied).hash, new URL(page.url()).hash);
  await close();
});
