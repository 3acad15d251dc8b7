// A refresh of the previews after a new seed, in a real browser: the page
// draws into the cards' existing canvases (web/previews.js reuses a grid
// whose shape did not change), and what it shows is what a fresh load with
// that seed shows — the pictures, the values under the pointer — with the
// ReLU and the thumbnails from the map kernels (core/convscope/kernels/
// map_ops.hpp) matching the ReLU's definition on the conv's own values. The
// page starts as many workers as the machine has cores less one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setUp, newPage, openApp, encodeLink, cspViolations, hoverValue, TEST_TIMEOUT, previewsDone, previewGen } from './harness.mjs';

let env;
before(async () => { env = await setUp(); });
after(async () => { await env?.tearDown(); });

const network = {
  framework: 'tensorflow', input: [1, 70, 90, 3],
  layers: [
    { type: 'conv', name: 'c1', filters: 6, kernel: 3, padding: 'same' },
    { type: 'relu', name: 'r1' },
    { type: 'conv', name: 'c2', filters: 20, kernel: 3, stride: 2, padding: 'valid' },
    { type: 'activation', name: 'a2', function: 'relu' },
  ],
};

const pixels = (page, index) => page.$$eval(`#fm-list .fm-layer[data-index="${index}"] canvas.fm-thumb`, (cs) => cs.map((c) => c.toDataURL()));
const values = (page, index) => page.evaluate((i) => {
  const v = document.querySelector('#previews').previewValues(i);
  return v ? Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length)) : null;
}, index);

test('a new seed redraws the same canvases with what a fresh load at that seed shows; ReLU = max(0, conv) on every value', { timeout: TEST_TIMEOUT }, async () => {
  const links = await newPage(env);
  await openApp(env, links.page);
  const at = (seed) => encodeLink(links.page, network, [['img', 'astronaut'], ['seed', String(seed)]]);
  const [hash1, hash2] = [await at(1), await at(2)];
  await links.close();

  const p = await newPage(env);
  await openApp(env, p.page, hash1);
  await previewsDone(p.page, 0);
  // Mark every thumbnail canvas: a redraw into the same elements keeps the marks.
  const marked = await p.page.$$eval('#fm-list canvas.fm-thumb', (cs) => cs.map((c, i) => { c.dataset.mark = String(i); return i; }).length);
  assert.ok(marked >= 3 + 6 + 6 + 20 + 20, `every shown channel has a canvas (${marked})`);
  const before = { pixels: await pixels(p.page, 2), hover: await hoverValue(p.page, 2, 3, 0.4, 0.6) };
  await p.page.mouse.move(0, 0); // away, so the next hover is a new pointer move
  const g = await previewGen(p.page);
  await p.page.locator('#preview-seed').fill('2');
  await previewsDone(p.page, g);
  const kept = await p.page.$$eval('#fm-list canvas.fm-thumb', (cs) => cs.filter((c) => c.dataset.mark !== undefined).length);
  assert.equal(kept, marked, 'the same canvases, redrawn');
  const after = { pixels: await pixels(p.page, 2), hover: await hoverValue(p.page, 2, 3, 0.4, 0.6) };
  assert.notDeepEqual(after.pixels, before.pixels, 'the new weights changed the pictures');
  assert.notEqual(after.hover, before.hover, 'and the values under the pointer');
  // The default worker count, as the page reports it.
  const cores = await p.page.evaluate(() => navigator.hardwareConcurrency || 1);
  assert.equal(await p.page.evaluate(() => document.querySelector('#previews').dataset.workers), String(Math.max(1, Math.min(4, cores - 1))));

  const fresh = await newPage(env);
  await openApp(env, fresh.page, hash2);
  await previewsDone(fresh.page, 0);
  for (const index of [-1, 0, 1, 2, 3]) {
    assert.deepEqual(await pixels(p.page, index), await pixels(fresh.page, index), `layer ${index}: the pictures of a fresh load at seed 2`);
    assert.deepEqual(await values(p.page, index), await values(fresh.page, index), `layer ${index}: its values`);
  }
  assert.equal(await hoverValue(fresh.page, 2, 3, 0.4, 0.6), after.hover, 'the value under the pointer of a fresh load');

  // The ReLU layer and the ReLU activation: max(0, x) of the conv before them,
  // every value (NaN and -0 would give +0), computed in the conv's thumbnail
  // pass (the cards say so).
  for (const [relu, conv] of [[1, 1], [3, 3]]) {
    assert.equal(await p.page.locator(`#fm-list .fm-layer[data-index="${relu}"] [data-role="time"]`).innerText(), `with layer ${conv}`);
  }
  const asFloats = (bits) => new Float32Array(new Uint32Array(bits).buffer);
  for (const [conv, relu] of [[0, 1], [2, 3]]) {
    const x = asFloats(await values(p.page, conv));
    const y = asFloats(await values(p.page, relu));
    assert.equal(y.length, x.length);
    let off = 0;
    x.forEach((v, i) => { if (!Object.is(y[i], v > 0 ? v : 0)) off += 1; });
    assert.equal(off, 0, `layer ${relu}: ${off} values differ from max(0, x)`);
    assert.ok(x.some((v) => v < 0) && x.some((v) => v > 0), 'the conv has both signs, so the ReLU was tested');
  }
  // The sliding-window view (layer 0's window) shows the new values too:
  // its maps' values come first, mid-run; the rest after the thumbnails.
  const figure = p.page.locator('#window-figure');
  assert.equal(await figure.getAttribute('data-layer'), '0');
  const [wr, wc] = (await figure.getAttribute('data-out')).split(',').map(Number);
  const windowValue = Number(/= (−?[\d.e+-]+)/.exec(await p.page.locator('#window-readout').innerText())[1].replace('−', '-'));
  const c1 = asFloats(await values(p.page, 0))[(wr * 90 + wc) * 6];
  assert.equal(windowValue, Number(c1.toPrecision(4)), 'the window readout is the new map\'s value');
  const figures = await p.page.evaluate(() => ({ ...document.querySelector('#previews').dataset }));
  assert.ok(Number(figures.ms) > 0 && Number(figures.valuesMs) >= Number(figures.ms), `thumbnails drawn (${figures.ms} ms), then every value (${figures.valuesMs} ms)`);
  // A focused map keeps its probe across a refresh, and its readout follows the new values.
  const firstMap = p.page.locator('#fm-list .fm-layer[data-index="0"] .fm-cell:not(.is-composite)').first();
  await firstMap.focus();
  const readout = p.page.locator('#fm-list .fm-layer[data-index="0"] .fm-readout');
  await p.page.waitForFunction((el) => /^ch 1 · row 35, col 45 · -?\d/.test(el.textContent), await readout.elementHandle());
  const g3 = await previewGen(p.page);
  // The new seed arrives without taking the focus (as Back/Forward would bring it).
  await p.page.evaluate(() => {
    const seed = document.querySelector('#preview-seed');
    seed.value = '3';
    seed.dispatchEvent(new Event('input', { bubbles: true }));
    seed.dispatchEvent(new Event('change', { bubbles: true }));
  });
  await previewsDone(p.page, g3);
  const at3 = asFloats(await values(p.page, 0))[(35 * 90 + 45) * 6];
  await p.page.waitForFunction(([el, v]) => Number(el.dataset.value) === v && /^ch 1 · row 35, col 45 · /.test(el.textContent),
    [await readout.elementHandle(), at3]);
  assert.ok(await firstMap.evaluate((el) => el === document.activeElement), 'the map kept the focus');

  // The sliding-window view off screen skips its mid-run redraw (it would
  // only take the main thread from the refresh) and is drawn at the run's
  // end; on screen it is drawn as its values come, before the run ends.
  // Either way it shows the new values. The page's own record of the order:
  // a MutationObserver's batches (one per task) of readout changes ('R') and
  // #previews' data-state becoming 'running' (the run starts) and 'done' (it ends).
  const setSeed = (seed) => p.page.evaluate((s) => {
    window.windowLog = [];
    const state = document.querySelector('#previews');
    const log = (records) => {
      // A record holds the old value: the new one is the next record's old value, or the current one.
      const batch = records.map((r, i) => {
        if (r.type !== 'attributes') return 'R';
        const next = records.slice(i + 1).find((n) => n.type === 'attributes');
        const now = next ? next.oldValue : state.dataset.state;
        return now === 'done' ? 'end' : now === 'running' && r.oldValue !== 'running' ? 'start' : 'state';
      });
      window.windowLog.push([...new Set(batch)]);
    };
    window.windowObserver?.disconnect();
    window.windowObserver = new MutationObserver(log);
    window.windowObserver.observe(document.querySelector('#window-readout'), { childList: true, characterData: true, subtree: true });
    window.windowObserver.observe(document.querySelector('#previews'), { attributes: true, attributeFilter: ['data-state'], attributeOldValue: true });
    const input = document.querySelector('#preview-seed');
    input.value = String(s);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }, seed);
  const windowShows = async (seed, where) => {
    const g = await previewGen(p.page);
    await setSeed(seed);
    await previewsDone(p.page, g);
    const shown = Number(/= (−?[\d.e+-]+)/.exec(await p.page.locator('#window-readout').innerText())[1].replace('−', '-'));
    const want = asFloats(await values(p.page, 0))[(wr * 90 + wc) * 6];
    assert.equal(shown, Number(want.toPrecision(4)), `seed ${seed}, the view ${where}: the readout is the new map's value`);
    const batches = await p.page.evaluate(() => window.windowLog);
    const start = batches.findIndex((b) => b.includes('start'));
    const end = batches.findIndex((b, i) => i > start && b.includes('end'));
    assert.ok(start >= 0 && end > start, `the run's start and end were seen (${JSON.stringify(batches)})`);
    return batches.slice(start + 1, end).filter((b) => b.includes('R')).length; // redraws in the run's tasks before its last
  };
  await p.page.evaluate(() => window.scrollTo(0, 0));
  const offScreen = await p.page.evaluate(() => document.querySelector('#window-view').getBoundingClientRect().top > innerHeight + 200);
  assert.ok(offScreen, 'the view starts below the fold');
  assert.equal(await windowShows(4, 'off screen'), 0, 'off screen: no redraw before the run\'s end');
  await p.page.locator('#window-view').scrollIntoViewIfNeeded();
  await p.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))); // the observer has seen it
  const midRun = await windowShows(5, 'on screen');
  assert.ok(midRun >= 1, 'on screen: redrawn mid-run, as its values came');

  for (const q of [p, fresh]) {
    assert.deepEqual(q.problems.pageErrors, [], 'no page errors');
    assert.deepEqual(q.problems.consoleErrors, [], 'no console errors');
    assert.deepEqual(await cspViolations(q.page), [], 'no CSP violations');
  }
  await p.close();
  await fresh.close();
});
