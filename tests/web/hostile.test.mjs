// Hardening in a real browser: a catalogue of hostile share links (script and
// event-handler payloads, javascript: links, huge numbers, deep nesting,
// invalid UTF-8, 100 KB strings) must run nothing, keep the page responsive
// and say what was rejected; and 1000 edits must not grow the WASM heap.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setUp, newPage, openApp, waitForTable, cspViolations, TEST_TIMEOUT } from './harness.mjs';

let env;
before(async () => { env = await setUp(); });
after(async () => { await env?.tearDown(); });

const base = 'v=1&fw=pytorch&in=1x3x16x16';
const enc = encodeURIComponent;
const big = 'A'.repeat(100 * 1024);

// `banner`: the link must be refused with a visible explanation.
// `text`: the link is valid; its payload must appear only as text.
// `row`: the link is well-formed but its sizes overflow: the failing row says so.
const CATALOGUE = [
  { hash: `${base}&l=conv:4:k3:n=${enc('<script>window.__pwned=1</script>')}`, expect: 'text' },
  { hash: `${base}&l=conv:4:k3:n=${enc('<img src=x onerror="window.__pwned=1">')}`, expect: 'text' },
  { hash: `${base}&l=conv:4:k3:n=${enc('<svg onload=window.__pwned=1>')}`, expect: 'text' },
  { hash: `${base}&l=conv:4:k3:n=${enc('javascript:window.__pwned=1')}`, expect: 'text' },
  { hash: `${base}&l=conv:4:k3:n=${enc('"><iframe src="javascript:parent.__pwned=1">')}`, expect: 'text' },
  { hash: `${base}&l=conv:4:k3:n=${enc('\u202eevil\u202c')}`, expect: 'text' },
  { hash: `${base}&l=activation:fn=${enc('<script>window.__pwned=1</script>')}`, expect: 'text' },
  { hash: `${base}&l=conv:4:k3:n=<img src=x onerror=window.__pwned=1>`, expect: 'any' },
  { hash: `${base}&l=conv:4:k3&hide=${enc('<script>window.__pwned=1</script>')}`, expect: 'banner' },
  { hash: `${base}&l=conv:4:k3&${enc('<img src=x onerror=window.__pwned=1>')}=1`, expect: 'banner' },
  { hash: `v=1&fw=${enc('<img src=x onerror=window.__pwned=1>')}&in=1x3x8x8&l=relu`, expect: 'banner' },
  { hash: `v=1&fw=pytorch&in=${enc('javascript:alert(1)')}&l=relu`, expect: 'banner' },
  { hash: `${base}&l=conv:4:k3:n=${enc(big)}`, expect: 'banner' },
  { hash: `${base}&l=conv:4:k${'9'.repeat(40)}`, expect: 'banner' },
  { hash: `v=1&fw=pytorch&in=1x3x${'9'.repeat(30)}x8&l=relu`, expect: 'banner' },
  { hash: 'v=1&fw=pytorch&in=1x2147483647x2147483647x2147483647&l=conv:2147483647:k1', expect: 'row' },
  { hash: `v=1&fw=pytorch&in=1x1x1x1&l=${'upsample:sc65535;'.repeat(5)}relu`, expect: 'row' },
  { hash: `${base}&l=${'relu;'.repeat(2100)}relu`, expect: 'banner' },
  { hash: `${base}&l=conv:4:k3:n=${'('.repeat(20000)}`, expect: 'banner' },
  { hash: `${base}&l=conv:4:k3:n=%FF%FE%FD`, expect: 'banner' },
  { hash: `${base}&l=conv:4:k3:n=%E0%A4%A`, expect: 'banner' },
  { hash: `${base}&l=conv:4:k3:n=%00%01`, expect: 'banner' },
  { hash: `${base}&l=conv:4:k3:n=%0A%0D`, expect: 'banner' },
  { hash: `${base}&l=conv:4:k3:k3`, expect: 'banner' },
  { hash: `${base}&l=conv:4:k0`, expect: 'banner' },
  { hash: `${base}&l=conv:4:k-1`, expect: 'banner' },
  { hash: `${base}&l=conv:4:k3;;relu`, expect: 'banner' },
  { hash: `${base}&l=conv:4:k1e5`, expect: 'banner' },
  { hash: 'v=2&fw=pytorch&in=1x3x8x8&l=relu', expect: 'banner' },
  { hash: '%', expect: 'banner' },
  { hash: '&&&&&&', expect: 'banner' },
  { hash: `${base}&l=relu&__proto__=1&constructor=x&prototype=y`, expect: 'banner' },
  { hash: `${base}&l=relu&hide=__proto__,constructor`, expect: 'banner' },
  { hash: 'x'.repeat(40000), expect: 'banner' },
];

test('the hostile-link catalogue has at least 30 entries', () => {
  assert.ok(CATALOGUE.length >= 30, `${CATALOGUE.length} entries`);
});

test('no hostile link runs a script, hangs the page or passes without an explanation', { timeout: 10 * TEST_TIMEOUT }, async () => {
  const { page, problems, close } = await newPage(env);
  for (const { hash, expect } of CATALOGUE) {
    const label = hash.slice(0, 80);
    await page.goto('about:blank');
    await openApp(env, page, hash);
    // Responsive: a trivial round trip answers promptly.
    const started = Date.now();
    assert.equal(await page.evaluate(() => 1 + 1), 2);
    assert.ok(Date.now() - started < 5000, `page unresponsive after ${label}`);
    assert.equal(await page.evaluate(() => window.__pwned), undefined, `payload ran: ${label}`);
    assert.equal(await page.evaluate(() => Object.prototype.polluted || ({}).__proto__.constructor === Object), true,
      `prototype intact after ${label}`);
    const banner = (await page.locator('#banner .banner-item').count()) > 0
      ? await page.locator('#banner').innerText() : '';
    if (expect === 'banner') {
      assert.ok(banner.trim().length > 0, `no banner explains the rejection of ${label}`);
      assert.ok(banner.length < 5000, `banner text stays short for ${label}`);
    }
    if (expect === 'row') {
      assert.match(await page.locator('#shape-table tr.detail.is-error').first().innerText(),
        /overflow|beyond the limit/, `the failing row explains ${label}`);
    }
    if (expect === 'text') {
      assert.equal(banner.trim(), '', `valid link ${label} was refused: ${banner}`);
    }
    assert.equal(await page.locator('script:not([src]), img[src="x"], iframe, svg[onload]').count(), 0,
      `payload markup reached the DOM for ${label}`);
  }
  assert.deepEqual(problems.dialogs, [], 'no alert/confirm/prompt dialog opened');
  assert.deepEqual(problems.pageErrors, [], 'no uncaught page error');
  assert.deepEqual(await cspViolations(page), [], 'nothing even tried to run or load');
  await close();
});

test('1000 edits leave the WASM heap size flat', { timeout: 10 * TEST_TIMEOUT }, async () => {
  const { page, problems, close } = await newPage(env);
  await openApp(env, page);
  const id = `layer-${await page.locator('#shape-table tr.row.is-error').getAttribute('data-index')}`;
  const kernel = page.locator(`#${id}-kernel`);
  const heap = () => page.evaluate(async () => (await import('./engine.js')).heapBytes());
  const sizes = {};
  for (let i = 1; i <= 1000; ++i) {
    await kernel.fill(String(1 + (i % 5)));
    if (i === 200 || i === 600 || i === 1000) {
      await waitForTable(page);
      sizes[i] = await heap();
    }
  }
  assert.ok(sizes[200] > 0, 'the heap size is readable');
  assert.equal(sizes[1000], sizes[600], `heap grew between edit 600 and 1000: ${JSON.stringify(sizes)}`);
  assert.equal(sizes[600], sizes[200], `heap grew between edit 200 and 600: ${JSON.stringify(sizes)}`);
  assert.deepEqual(problems.pageErrors, []);
  await close();
});
