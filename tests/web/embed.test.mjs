// The embed: the main page's "Copy embed code" snippet pasted into a plain
// HTML host page. The frame must report its height (and only that), the
// host's listener must resize it, and the hide options must hold.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setUp, newPage, openApp, cspViolations, TEST_TIMEOUT } from './harness.mjs';

let env;
before(async () => { env = await setUp(); });
after(async () => { await env?.tearDown(); });

/** Open the main page, choose what the embed shows, and return the copied snippet. */
async function snippetFromMainPage({ showEditor, showTable, showDiagram }) {
  const { page, context, close } = await newPage(env);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.server.url.replace(/\/$/, '') });
  await openApp(env, page);
  await page.getByRole('button', { name: 'Embed…' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  await dialog.getByLabel('Layer editor').setChecked(showEditor);
  await dialog.getByLabel('Shape table').setChecked(showTable);
  await dialog.getByLabel('Data-flow diagram').setChecked(showDiagram);
  await dialog.getByRole('button', { name: 'Copy embed code' }).click();
  await page.waitForFunction(() => /copied/i.test(document.querySelector('#embed-status').textContent));
  const snippet = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(snippet, await page.locator('#embed-code').inputValue());
  await page.keyboard.press('Escape');
  await close();
  return snippet;
}

function hostPage(snippet) {
  // A plain page, as a blog would have it: some text, the snippet, and a
  // recorder of every message it receives (to check what the embed sends).
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host</title></head><body>
<h1>My blog post</h1><p>Why is my conv2d_3 negative?</p>
<script>window.__messages = []; addEventListener('message', (e) => window.__messages.push(e.data));</script>
${snippet}
<p>After the embed.</p></body></html>`;
}

test('the embed reports its height to the host page, which resizes the iframe', { timeout: TEST_TIMEOUT }, async () => {
  const snippet = await snippetFromMainPage({ showEditor: false, showTable: true, showDiagram: false });
  assert.match(snippet, /embed\.html#v=1&amp;fw=tensorflow/);
  assert.match(snippet, /hide=/);
  assert.match(snippet, /event\.source !== frame\.contentWindow/);
  env.extra['/host.html'] = { type: 'text/html; charset=utf-8', body: hostPage(snippet) };

  const { page, problems, close } = await newPage(env);
  await page.goto(`${env.server.url}host.html`);
  const frameEl = page.locator('iframe#convscope-embed');
  const frame = await (await frameEl.elementHandle()).contentFrame();
  await frame.waitForFunction(() => document.querySelectorAll('#shape-table tbody tr.row').length > 0);

  // The host received height messages carrying only {type, height}.
  await page.waitForFunction(() => window.__messages.some((m) => m && m.type === 'convscope:height'));
  const messages = await page.evaluate(() => window.__messages);
  for (const m of messages) {
    assert.deepEqual(Object.keys(m).sort(), ['height', 'type']);
    assert.equal(m.type, 'convscope:height');
    assert.ok(Number.isInteger(m.height) && m.height > 0);
  }
  // The snippet's listener applied the latest height to the iframe.
  await page.waitForFunction(() => {
    const last = window.__messages.filter((m) => m.type === 'convscope:height').at(-1);
    return document.querySelector('iframe').getBoundingClientRect().height === last.height;
  });
  const contentHeight = await frame.evaluate(() => Math.ceil(document.documentElement.getBoundingClientRect().height));
  const frameHeight = await frameEl.evaluate((f) => f.getBoundingClientRect().height);
  assert.equal(frameHeight, contentHeight, 'the iframe is exactly as tall as its content: no inner scrollbar');

  // Hide options held: table shown; editor and diagram hidden.
  assert.equal(await frame.locator('#editor-panel').isVisible(), false);
  assert.equal(await frame.locator('#diagram-panel').isVisible(), false);
  assert.equal(await frame.locator('#results').isVisible(), true);
  assert.match(await frame.locator('#shape-table').innerText(), /conv2d_3/);

  // The link back opens the full page with the same network and without embed-only keys.
  const back = frame.getByRole('link', { name: /Open in ConvScope/ });
  const href = await back.getAttribute('href');
  const embedHash = await frame.evaluate(() => location.hash);
  assert.match(href, /\/index\.html#v=1&fw=tensorflow/);
  assert.doesNotMatch(href, /hide=/);
  assert.equal(new URL(href).hash, embedHash.replace(/&hide=[^&]*/, ''));
  assert.equal(await back.getAttribute('target'), '_blank');
  assert.deepEqual(await frame.evaluate(() => window.__cspViolations || []), [], 'no CSP violations inside the embed');
  assert.deepEqual(problems.pageErrors, []);
  await close();
});

test('the embed grows the iframe when content changes (a fix applied inside it)', { timeout: TEST_TIMEOUT }, async () => {
  const snippet = await snippetFromMainPage({ showEditor: true, showTable: true, showDiagram: true });
  assert.doesNotMatch(snippet, /hide=/, 'nothing hidden, no hide key');
  env.extra['/host2.html'] = { type: 'text/html; charset=utf-8', body: hostPage(snippet) };
  const { page, close } = await newPage(env);
  await page.goto(`${env.server.url}host2.html`);
  const frame = await (await page.locator('iframe').elementHandle()).contentFrame();
  await frame.waitForFunction(() => document.querySelectorAll('#shape-table tbody tr.row').length > 0);
  assert.equal(await frame.locator('#editor-panel').isVisible(), true);
  assert.equal(await frame.locator('#diagram-panel').isVisible(), true);
  await page.waitForFunction(() => window.__messages.length > 0);
  const historyBefore = await page.evaluate(() => history.length);
  const count = await page.evaluate(() => window.__messages.length);
  await frame.locator('.layer-card').first().getByRole('button', { name: /^Duplicate/ }).click();
  await page.waitForFunction((n) => window.__messages.length > n, count);
  await page.waitForFunction(() => {
    const last = window.__messages.at(-1);
    return Math.abs(document.querySelector('iframe').getBoundingClientRect().height - last.height) < 1;
  });
  assert.equal(await page.evaluate(() => history.length), historyBefore, 'edits inside the embed never add to the host page history');
  await close();
});

test('embed.html opened directly shows everything unless told to hide it', { timeout: TEST_TIMEOUT }, async () => {
  const { page, close } = await newPage(env, { width: 480 });
  await openApp(env, page, '', 'embed.html');
  assert.equal(await page.locator('#editor-panel').isVisible(), true);
  await openApp(env, page, `${new URL(page.url()).hash.slice(1)}&hide=editor,diagram,table`, 'embed.html');
  await page.reload();
  await page.waitForFunction(() => !document.body.classList.contains('is-loading'));
  for (const id of ['#editor-panel', '#diagram-panel', '#results']) assert.equal(await page.locator(id).isVisible(), false, id);
  assert.equal(await page.locator('#verdict').isVisible(), true, 'the verdict line always stays');
  await close();
});
