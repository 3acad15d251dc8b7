// Share links that are broken or hostile: the page says which part is wrong,
// falls back to the default story, and never runs anything from the link.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { setUp, newPage, openApp, tableText, hashOf, encodeLink, cspViolations, TEST_TIMEOUT, ROOT } from './harness.mjs';

const CLI = process.env.CONVSCOPE_CLI || path.join(ROOT, 'build', 'convscope');

let env;
let links; // a page with the engine loaded, used to encode test links
before(async () => {
  env = await setUp();
  links = await newPage(env);
  await openApp(env, links.page);
});
after(async () => { await links?.close(); await env?.tearDown(); });

const PAYLOADS = [
  '<img src=x onerror="window.__pwned=1;alert(1)">',
  '<script>window.__pwned=2;alert(2)</script>',
  '"><svg onload=alert(3)>',
];

async function defaultRows() {
  const { page, close } = await newPage(env);
  await openApp(env, page);
  const rows = await tableText(page);
  await close();
  return rows;
}

function linkWithName(name) {
  return encodeLink(links.page, {
    framework: 'tensorflow', input: [1, 8, 8, 3],
    layers: [{ type: 'conv', name, filters: 4, kernel: 3 }, { type: 'flatten' }],
  });
}

async function assertNothingRan(page, problems) {
  assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no payload script ran');
  assert.deepEqual(problems.dialogs, [], 'no alert/confirm/prompt dialog opened');
  assert.deepEqual(await cspViolations(page), [], 'nothing even tried to run or load');
  assert.equal(await page.locator('#shape-table img, #shape-table script, #banner img, #banner script, #editor img, #editor script, #diagram script').count(), 0);
}

test('a malformed hash shows a banner naming the part and falls back to the default story', { timeout: TEST_TIMEOUT }, async () => {
  const expected = await defaultRows();
  const cases = [
    { hash: 'v=1&fw=tensorflowz&in=1x4x4x3&l=conv:16:k5', part: /fw/ },
    { hash: 'v=1&fw=tensorflow&in=1xAx4x3&l=conv:16:k5', part: /in/ },
    { hash: 'v=1&fw=tensorflow&in=1x4x4x3&l=conv:16:k5;max_pool:zz9', part: /l|zz9/ },
    { hash: 'v=99&fw=tensorflow&in=1x4x4x3&l=conv:16:k5', part: /\bv\b|version/ },
  ];
  for (const { hash, part } of cases) {
    const { page, problems, close } = await newPage(env);
    await openApp(env, page, hash);
    const banner = page.getByRole('alert');
    await banner.locator('.banner-item').first().waitFor();
    const text = await banner.innerText();
    assert.match(text, /could not be opened/i, `banner for ${hash}`);
    assert.match(text, part, `banner names the wrong part of ${hash}: ${text}`);
    assert.deepEqual(await tableText(page), expected, 'the default story is shown');
    assert.equal(await hashOf(page), hash, 'the broken link stays in the address bar for its owner to correct');
    await assertNothingRan(page, problems);
    await close();
  }
});

test('a hash that decodes but fails validation shows the engine message with its JSON path', { timeout: TEST_TIMEOUT }, async () => {
  const expected = await defaultRows();
  const { page, problems, close } = await newPage(env);
  await openApp(env, page, 'v=1&fw=tensorflow&in=1x4x4x3&l=conv:0:k5');
  const text = await page.getByRole('alert').innerText();
  assert.match(text, /layers\[0\]/, `the JSON path is named: ${text}`);
  assert.deepEqual(await tableText(page), expected);
  await assertNothingRan(page, problems);
  await close();
});

test('script payloads in a layer name are shown as text and never run', { timeout: TEST_TIMEOUT }, async () => {
  for (const payload of PAYLOADS) {
    const { page, problems, close } = await newPage(env);
    const hash = await linkWithName(payload);
    await openApp(env, page, hash);
    const bannerItems = await page.locator('#banner .banner-item').count();
    if (bannerItems === 0) {
      // Accepted by the engine: the name is plain text in the table, the editor and the diagram.
      assert.equal(await page.locator('#shape-table tr.row .layer-name').first().textContent(), payload);
      assert.equal(await page.locator('.layer-name-input').first().inputValue(), payload);
      assert.ok(await page.locator('#diagram text').filter({ hasText: payload.slice(0, 10) }).count() >= 1);
    } else {
      // Refused by the engine: then the banner says why, as text.
      assert.match(await page.getByRole('alert').innerText(), /name|l\b|layers/);
    }
    await assertNothingRan(page, problems);
    await close();
  }
});

test('a hand-typed payload in the raw hash (not percent-encoded by us) is harmless', { timeout: TEST_TIMEOUT }, async () => {
  const { page, problems, close } = await newPage(env);
  await openApp(env, page, 'v=1&fw=tensorflow&in=1x8x8x3&l=conv:4:k3:n=<img src=x onerror=alert(1)>');
  await assertNothingRan(page, problems);
  assert.ok(await page.locator('#shape-table tr.row').count() >= 1);
  await close();
});

test('unknown link parameters are reported, not silently dropped', { timeout: TEST_TIMEOUT }, async () => {
  const { page, close } = await newPage(env);
  const base = await linkWithName('conv_a');
  await openApp(env, page, `${base}&colour=blue&hide=editor,sidebar`);
  const text = await page.getByRole('alert').innerText();
  assert.match(text, /colour/);
  assert.match(text, /sidebar/);
  assert.match(await page.locator('#shape-table tr.row .layer-name').first().textContent(), /conv_a/, 'the network itself still loads');
  await close();
});

test('editing the hash by hand re-reads it (hashchange)', { timeout: TEST_TIMEOUT }, async () => {
  const { page, close } = await newPage(env);
  await openApp(env, page);
  const hash = await linkWithName('by_hand');
  await page.evaluate((h) => { location.hash = h; }, hash);
  await page.waitForFunction(() => document.querySelector('#shape-table tr.row .layer-name')?.textContent === 'by_hand');
  await close();
});

test('every v=1 link in the README opens the network it always meant (the CLI decodes the same hash)', { timeout: TEST_TIMEOUT }, async () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const hashes = [...new Set([...readme.matchAll(/#(v=1&[^\s"'`)<>]+)/g)].map((m) => m[1].replace(/&amp;/g, '&')))];
  assert.ok(hashes.length >= 2, `the README has v1 links (${hashes.length})`);
  for (const hash of hashes) {
    const decoded = spawnSync(CLI, ['unlink', hash], { encoding: 'utf8' });
    assert.equal(decoded.status, 0, `${hash}: ${decoded.stderr}`);
    const report = JSON.parse(spawnSync(CLI, ['analyze', '-'], { input: decoded.stdout, encoding: 'utf8' }).stdout);
    const { page, close } = await newPage(env);
    await openApp(env, page, hash);
    assert.equal(await page.locator('#banner').innerText().then((t) => /could not be opened/.test(t)), false, `${hash}: opened`);
    const rows = await tableText(page);
    assert.equal(rows.length, report.layers.length, `${hash}: one row per layer`);
    report.layers.forEach((l, i) => {
      assert.ok(rows[i].includes(l.name), `${hash}: row ${i + 1} names ${l.name}: ${rows[i]}`);
      if (l.output) assert.ok(rows[i].includes(l.output.join('×')), `${hash}: row ${i + 1} shows ${l.output.join('×')}: ${rows[i]}`);
    });
    assert.match(await hashOf(page), /^v=1&/, `${hash}: a chain keeps a v1 link`);
    await close();
  }
});
