// The preview pipeline's time budget (a benchmark script, NOT a test: it
// prints numbers for the README and asserts nothing). Run after the build:
//   node tests/web/preview_budget.mjs          (RUNS=20 by default; DIST_DIR as for the tests)
// In headless Chromium (Debian's, through playwright-core): a 256x256 RGB
// image through five 3x3 'same' conv layers 3 -> 8 -> 16 -> 16 -> 32 -> 32,
// each followed by a ReLU layer. One "full refresh" = a new seed (so every
// layer's weights are regenerated and re-packed and every map recomputed;
// the input image is unchanged), measured on the page from the edit to the
// last thumbnail drawn (performance measure 'convscope:preview'), plus the
// worker's own total and the layers alone; and, for comparison, a new image
// (resize + every layer) and an edit of the last conv layer (which resumes
// after the unchanged layers). Goal: < 16 ms per full refresh.
import { chromium } from 'playwright-core';
import { startServer } from './server.mjs';
import { CHROMIUM, CHROMIUM_ARGS, encodeLink } from './harness.mjs';

const RUNS = Number(process.env.RUNS || 20);
const WARMUP = 3;
const GOAL_MS = 16;

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
const f = (n) => `${n.toFixed(1)} ms`;

const network = {
  framework: 'tensorflow',
  input: [1, 256, 256, 3],
  layers: [8, 16, 16, 32, 32].flatMap((filters, i) => [
    { type: 'conv', name: `conv${i + 1}`, filters, kernel: 3, padding: 'same' },
    { type: 'relu', name: `relu${i + 1}` },
  ]),
};
const macs = [3, 8, 16, 16, 32, 32].slice(0, 5).reduce((sum, cin, i) => sum + 256 * 256 * 9 * cin * [8, 16, 16, 32, 32][i], 0);

const server = await startServer();
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(server.url);
  await page.waitForFunction(() => document.querySelectorAll('#shape-table tbody tr').length > 0, null, { timeout: 60_000 });
  const hash = await encodeLink(page, network, [['img', 'astronaut']]);
  await page.goto(`${server.url}#${hash}`);
  await page.reload();
  const done = (gen) => page.waitForFunction((g) => {
    const el = document.querySelector('#previews');
    return el && el.dataset.state === 'done' && Number(el.dataset.gen) >= g;
  }, gen, { timeout: 120_000 });
  await done(1);
  const engine = await page.locator('#preview-footer').innerText();
  const measure = async (edit) => {
    const rows = [];
    for (let i = 0; i < WARMUP + RUNS; i += 1) {
      const gen = Number(await page.evaluate(() => document.querySelector('#previews').dataset.gen));
      await edit(i);
      await done(gen + 1);
      const r = await page.evaluate(() => {
        const el = document.querySelector('#previews');
        const layers = [...document.querySelectorAll('#fm-list .fm-layer')].map((li) => li.querySelector('[data-role="time"]')?.textContent || '');
        return { total: Number(el.dataset.ms), worker: Number(el.dataset.workerMs), compute: Number(el.dataset.computeMs), layers };
      });
      if (i >= WARMUP) rows.push(r);
    }
    return rows;
  };
  const rows = await measure((i) => page.locator('#preview-seed').fill(String(1000 + i)));
  const imageRows = await measure((i) => page.locator('#preview-image').selectOption(i % 2 ? 'astronaut' : 'coffee'));
  const lastRows = await measure((i) => page.locator('#layer-8-filters').fill(String(31 + (i % 2))));
  const totals = rows.map((r) => r.total);
  const workers = rows.map((r) => r.worker);
  const computes = rows.map((r) => r.compute);
  const version = await browser.version();
  console.log(`Preview budget — ${new Date().toISOString().slice(0, 10)}, Chromium ${version} headless, ${RUNS} full refreshes after ${WARMUP} warm-up`);
  console.log(`network: 256x256x3 -> 5 x (3x3 conv 'same' + ReLU), 3->8->16->16->32->32; ${(macs / 1e9).toFixed(3)} G MACs per refresh`);
  console.log(`first load: ${engine}`);
  console.log('');
  const line = (label, xs, extra = '') => console.log(`${label.padEnd(34)} ${f(median(xs)).padStart(10)} ${f(pct(xs, 0.9)).padStart(10)}${extra}`);
  console.log(`${''.padEnd(34)} ${'median'.padStart(10)} ${'p90'.padStart(10)}`);
  line('full refresh: new seed (page)', totals, `   goal < ${GOAL_MS} ms: ${median(totals) < GOAL_MS ? 'met' : 'NOT met'}`);
  line('  of which in the worker', workers);
  line('  of which computing the layers', computes, `   (${((macs * 2) / (median(computes) * 1e6)).toFixed(1)} GFLOP/s)`);
  line('new image (resize + every layer)', imageRows.map((r) => r.total));
  line('last conv edited (resumes there)', lastRows.map((r) => r.total));
  console.log('');
  console.log(`last full refresh, per layer (conv, relu, …): ${rows.at(-1).layers.filter(Boolean).join(' · ')}`);
  await context.close();
} finally {
  await browser.close();
  await server.close();
}
