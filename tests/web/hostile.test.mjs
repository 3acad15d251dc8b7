// Hardening in a real browser: catalogues of hostile share links and of
// hostile pasted texts and dropped files (script and event-handler payloads,
// javascript: links, huge numbers, deep nesting, invalid UTF-8, 100 KB
// strings, oversized input; graph links with cycles, forward and self
// references, 10 000 inputs, duplicate names, deep nesting) must run nothing,
// keep the page responsive and say what was rejected; and 1000 edits must not
// grow the WASM heap.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setUp, newPage, openApp, waitForTable, cspViolations, TEST_TIMEOUT } from './harness.mjs';

let env;
before(async () => { env = await setUp(); });
after(async () => { await env?.tearDown(); });

const base = 'v=1&fw=pytorch&in=1x3x16x16';
const enc = encodeURIComponent;
const big = 'A'.repeat(100 * 1024);

// Graph forms: `says` is what the banner must name. A layer reads only earlier
// layers, so a cycle is always a forward (or self) reference.
const v2 = 'v=2&fw=pytorch&in=1x3x8x8&l=';
const deepChain = Array.from({ length: 600 }, (_, k) => `add:n=d${k + 1}:i=${k ? `d${k}` : 'input'},input`).join(';');
const GRAPH_LINKS = [
  { hash: `${v2}conv:4:k3:n=a:i=b;conv:4:k3:n=b:i=a`, expect: 'banner', says: /layers\[0\]\.inputs\[0\]: "b" is layers\[1\], which comes later/ },
  { hash: `${v2}add:n=x:i=input,later;conv:3:k1:n=later`, expect: 'banner', says: /layers\[0\]\.inputs\[1\]: "later" is layers\[1\], which comes later/ },
  { hash: `${v2}conv:4:k3:n=a:i=a`, expect: 'banner', says: /layers\[0\]\.inputs\[0\]: "a" is this layer itself/ },
  { hash: `${v2}relu:n=a;add:n=s:i=${'a,'.repeat(9999)}a`, expect: 'banner', says: /the link is \d+ characters long; the limit is 16384/ },
  { hash: `${v2}relu:n=a;add:n=s:i=${'a,'.repeat(4999)}a`, expect: 'banner', says: /add takes at most 64 inputs, got 5000/ },
  { hash: `${v2}relu:n=a;add:n=s:i=${','.repeat(10000)}`, expect: 'banner', says: /empty name/ },
  { hash: `${v2}conv:4:k3:n=a;conv:4:k3:n=a;add:i=a,a`, expect: 'banner', says: /"a" is also the name of layers\[0\]; layer names must be unique/ },
  { hash: `${v2}relu:n=a;add:i=a,${enc('<img src=x onerror=window.__pwned=1>')}`, expect: 'banner', says: /no layer is named "<img src=x onerror=window\.__pwned=1>"/ },
  { hash: `${v2}relu:n=a;add:i=a,${enc('__proto__')}`, expect: 'banner', says: /no layer is named "__proto__"/ },
  { hash: `${v2}relu:n=a;concat:i=a,a:ax${'['.repeat(5000)}1${']'.repeat(5000)}`, expect: 'banner', says: /l: layer 1 "concat:i=a,a:ax\[\[\[.*": ax: expected an axis like ax1 or ax-1/ },
  { hash: `${v2}relu:n=a;zero_pad:i=a:p${'['.repeat(3000)}1${']'.repeat(3000)}`, expect: 'banner', says: /l: layer 1 "zero_pad:i=a:p\[\[.*": p: expected a number/ },
  // Deep nesting that is valid: 600 adds, each reading the one before and the input; it must analyse promptly.
  { hash: `${v2}${deepChain}`, expect: 'text', rows: 600 },
];

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
  { hash: 'v=1&fw=pytorch&in=1x3x16x16&l=conv:8:k2147483647', expect: 'row' },
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
  { hash: 'v=3&fw=pytorch&in=1x3x8x8&l=relu', expect: 'banner' },
  { hash: '%', expect: 'banner' },
  { hash: '&&&&&&', expect: 'banner' },
  { hash: `${base}&l=relu&__proto__=1&constructor=x&prototype=y`, expect: 'banner' },
  { hash: `${base}&l=relu&hide=__proto__,constructor`, expect: 'banner' },
  { hash: 'x'.repeat(40000), expect: 'banner' },
  // Graph forms (v2 `i=`): each refused with the engine's message naming the layer and input at fault.
  ...GRAPH_LINKS,
];

test('the hostile-link catalogue has at least 30 entries', () => {
  assert.ok(CATALOGUE.length >= 30, `${CATALOGUE.length} entries`);
});

test('no hostile link runs a script, hangs the page or passes without an explanation', { timeout: 10 * TEST_TIMEOUT }, async () => {
  const { page, problems, close } = await newPage(env);
  for (const { hash, expect, says, rows } of CATALOGUE) {
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
      if (says) assert.match(banner, says, `the banner names what is wrong in ${label}`);
    }
    if (rows) assert.equal(await page.locator('#shape-table tr.row').count(), rows, `every layer of ${label} has its row`);
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

// Pasted into the import dialog (or dropped as a file when `bytes`).
// `error`: refused with a message in the dialog; `text`: imported, the payload shown only as text;
// `any`: either, but never run.
const script = '<script>window.__pwned=1</script>';
const onerror = '<img src=x onerror="window.__pwned=1">';
const tfMessage = (node) => `ValueError: Negative dimension size caused by subtracting 5 from 4 for '{{node ${node}/Conv2D}} = Conv2D[T=DT_FLOAT, data_format="NHWC", dilations=[1, 1, 1, 1], explicit_paddings=[], padding="VALID", strides=[1, 1, 1, 1], use_cudnn_on_gpu=true](Placeholder, ${node}/Conv2D/ReadVariableOp)' with input shapes: [?,4,4,64], [5,5,64,16].`;
const contract = (name) => JSON.stringify({ framework: 'pytorch', input: [1, 3, 16, 16], layers: [{ type: 'conv', name, filters: 4, kernel: 3 }] });
const keras = (name, className = 'Conv2D') => JSON.stringify({
  class_name: 'Sequential',
  config: { name: 'm', layers: [
    { class_name: 'InputLayer', config: { batch_input_shape: [null, 16, 16, 3], name: 'in' } },
    { class_name: className, config: { name, filters: 4, kernel_size: [3, 3], strides: [1, 1], padding: 'valid' } }] },
});
const torch = (line) => `Net(\n  (features): Sequential(\n    ${line}\n  )\n)`;
const PASTES = [
  { text: tfMessage(script), expect: 'any' },
  { text: tfMessage(onerror), expect: 'any' },
  { text: tfMessage('conv2d_3" onmouseover="window.__pwned=1'), expect: 'any' },
  { text: contract(script), expect: 'text' },
  { text: contract(onerror), expect: 'text' },
  { text: contract('javascript:window.__pwned=1'), expect: 'text' },
  { text: contract('\u202eevil\u202c\u200b'), expect: 'text' },
  { text: keras('<svg onload=window.__pwned=1>'), expect: 'text' },
  { text: keras('c', '<script>window.__pwned=1</script>'), expect: 'error' },
  { text: torch(`(${script}): Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1))`), expect: 'any' },
  { text: torch('(0): Conv2d(3, 99999999999999999999999, kernel_size=(3, 3), stride=(1, 1))'), expect: 'error' },
  { text: torch('(0): Conv2d(3, 8, kernel_size=(2147483647, 2147483647), stride=(1, 1))'), expect: 'any' },
  { text: torch('(0): Conv2d(3, 8, kernel_size=(-3, 3), stride=(1, 1))'), expect: 'error' },
  { text: `${'Sequential(\n'.repeat(5000)}`, expect: 'error' },
  { text: '['.repeat(100000), expect: 'error' },
  { text: '{"framework":'.repeat(20000), expect: 'error' },
  { text: 'A'.repeat(100 * 1024), expect: 'error' },
  { text: contract('B'.repeat(100 * 1024)), expect: 'error' },
  { text: `RuntimeError: ${'x'.repeat(5 * 1024 * 1024)}`, expect: 'error' },
  { text: 'RuntimeError: Calculated padded input size per channel: (99999999999999999999 x 2). Kernel size: (3 x 3). Kernel size can\'t be greater than actual input size', expect: 'error' },
  { text: 'RuntimeError: mat1 and mat2 shapes cannot be multiplied (1x999999999999999999999 and 3x4)', expect: 'error' },
  { text: `ValueError: Negative dimension size caused by subtracting 99999999999999999999999 from 4 for '{{node c/Conv2D}}'`, expect: 'any' },
  { text: JSON.stringify({ __proto__: null, framework: 'pytorch', input: [1, 3, 8, 8], layers: [], constructor: { prototype: { polluted: 1 } } }), expect: 'error' },
  { text: '{"framework":"pytorch","input":[1,3,8,8],"layers":[{"type":"relu","__proto__":{"polluted":1}}]}', expect: 'error' },
  { text: `v=1&fw=pytorch&in=1x3x8x8&l=conv:4:k3:n=${encodeURIComponent(script)}`, expect: 'text' },
  { text: 'javascript:window.__pwned=1', expect: 'error' },
  { text: 'data:text/html,<script>parent.__pwned=1</script>', expect: 'error' },
  { text: '</textarea><script>window.__pwned=1</script>', expect: 'error' },
  { text: '${window.__pwned=1}', expect: 'error' },
  { text: "__import__('os').system('echo pwned')", expect: 'error' },
  { text: `Traceback (most recent call last):\n${'  File "x.py", line 1, in <module>\n'.repeat(20000)}${tfMessage('conv2d_3')}`, expect: 'any' },
  { text: `{"framework":"pytorch","input":[1,3,8,8],"layers":[${'{"type":"relu"},'.repeat(3000)}{"type":"relu"}]}`, expect: 'error' },
  { text: 'a\u0000b\u0000', expect: 'error' },
  { bytes: [0xff, 0xfe, 0xfd, 0x00, 0x80, 0xc3, 0x28], name: 'garbage.onnx', expect: 'error' },
  { bytes: [0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1], name: 'invalid-utf8.txt', expect: 'error' },
  { bytes: Array.from(Buffer.from(`{"framework":"pytorch","input":[1,3,8,8],"layers":[{"type":"conv","name":"\xff","filters":1,"kernel":1}]}`, 'latin1')), name: 'latin1.json', expect: 'error' },
];

test('the hostile-paste catalogue has at least 30 entries', () => {
  assert.ok(PASTES.length >= 30, `${PASTES.length} entries`);
});

test('no hostile pasted text or dropped file runs a script, hangs the page or passes without an explanation', { timeout: 10 * TEST_TIMEOUT }, async () => {
  const { page, problems, close } = await newPage(env);
  await openApp(env, page);
  for (const entry of PASTES) {
    const label = entry.name || JSON.stringify((entry.text || '').slice(0, 70));
    if (entry.bytes) {
      const dataTransfer = await page.evaluateHandle(([name, data]) => {
        const dt = new DataTransfer();
        dt.items.add(new File([new Uint8Array(data)], name));
        return dt;
      }, [entry.name, entry.bytes]);
      await page.dispatchEvent('main', 'drop', { dataTransfer });
      await page.locator('#import-dialog[open]').waitFor();
    } else {
      if (!(await page.locator('#import-dialog[open]').count())) await page.click('#open-import');
      await page.locator('#import-text').evaluate((t, text) => { t.value = text; }, entry.text);
      await page.click('#import-run');
    }
    // From the click (or drop) to the import settling: a hang inside the import shows here.
    const started = Date.now();
    await page.waitForFunction(() => {
      const dialog = document.querySelector('#import-dialog');
      return !dialog.open || dialog.dataset.state === 'idle';
    });
    assert.equal(await page.evaluate(() => 1 + 1), 2);
    assert.ok(Date.now() - started < 10000, `page unresponsive after ${label}: ${Date.now() - started} ms`);
    assert.equal(await page.evaluate(() => window.__pwned), undefined, `payload ran: ${label}`);
    assert.equal(await page.evaluate(() => ({}).polluted), undefined, `prototype polluted by ${label}`);
    const refused = await page.locator('#import-dialog').evaluate((d) => d.open);
    const error = refused ? await page.locator('#import-error').innerText() : '';
    if (entry.expect === 'error') assert.ok(refused && error.trim().length > 0, `no message explains the rejection of ${label}`);
    if (entry.expect === 'text') assert.ok(!refused, `valid input ${label} was refused: ${error}`);
    assert.ok(error.length < 5000, `the message stays short for ${label}`);
    assert.equal(await page.locator('script:not([src]), img[src="x"], iframe, svg[onload]').count(), 0,
      `payload markup reached the DOM for ${label}`);
    if (!refused) await waitForTable(page);
  }
  if (await page.locator('#import-dialog[open]').count()) await page.click('#import-close');
  await waitForTable(page);
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
