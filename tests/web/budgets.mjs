// Budgets for the playground (a benchmark script, NOT a test: it prints
// numbers for the README and asserts nothing). Run after the build:
//   node tests/web/budgets.mjs            (DIST_DIR to measure another folder)
// 1. transfer for the first view, gzip (HTML + JS + CSS + WASM + examples);
// 2. navigation -> first shape table (performance.mark 'convscope:first-table'),
//    median of several cold loads in headless Chromium on localhost;
// 3. re-analysis after an edit on a 50-layer network: the engine call alone,
//    and the whole edit path (analyse + table + diagram + hash);
// 4. an imported ResNet-50 ONNX (torchvision's, written by make_models.py into
//    build/models/ when missing): from the file's drop to its table and
//    diagram drawn, with the importer's module ready and on a page's first import.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import os from 'node:os';
import { startServer, DIST_DIR, ROOT } from './server.mjs';
import { CHROMIUM, CHROMIUM_ARGS, encodeLink } from './harness.mjs';
import { modelFile } from './models.mjs';

const LOADS = Number(process.env.LOADS || 9);
const EDITS = Number(process.env.EDITS || 40);
const IMPORTS = Number(process.env.IMPORTS || 5);

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const ms = (n) => `${n.toFixed(2)} ms`;

function fiftyLayerNetwork() {
  // A VGG-like stack: 50 layers, same-size 3x3 convs with ReLU, a pool every 10.
  const layers = [];
  let channels = 16;
  for (let i = 0; layers.length < 50; i += 1) {
    if (i > 0 && i % 5 === 0) { layers.push({ type: 'max_pool', name: `pool${i}`, kernel: 2 }); channels = Math.min(channels * 2, 256); continue; }
    layers.push({ type: 'conv', name: `conv${i}`, filters: channels, kernel: 3, padding: 1 });
    if (layers.length < 50) layers.push({ type: 'relu' });
  }
  return { framework: 'pytorch', input: [1, 3, 224, 224], layers: layers.slice(0, 50) };
}

const server = await startServer({ gzip: true });
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
try {
  // ---- 1 + 2: cold loads ----------------------------------------------------
  // First view = the document plus every resource requested before the first
  // table was drawn (Resource Timing, encodedBodySize = gzip bytes on the
  // wire); the other presets, fetched afterwards in the background, are
  // listed separately.
  const firstTable = [];
  let transfer = null;
  for (let i = 0; i < LOADS; i += 1) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(server.url);
    await page.waitForFunction(() => performance.getEntriesByName('convscope:first-table').length > 0, null, { timeout: 60_000 });
    firstTable.push(await page.evaluate(() => performance.getEntriesByName('convscope:first-table')[0].startTime));
    if (i === 0) {
      await page.waitForLoadState('networkidle');
      transfer = await page.evaluate(() => {
        const mark = performance.getEntriesByName('convscope:first-table')[0].startTime;
        const nav = performance.getEntriesByType('navigation')[0];
        return [{ name: '/ (index.html)', bytes: nav.encodedBodySize, first: true }].concat(
          performance.getEntriesByType('resource').map((r) => ({
            name: new URL(r.name).pathname, bytes: r.encodedBodySize, first: r.startTime < mark,
          })));
      });
    }
    await context.close();
  }

  const sum = (xs) => xs.reduce((a, r) => a + r.bytes, 0);
  const first = transfer.filter((r) => r.first).sort((a, b) => b.bytes - a.bytes);
  const later = transfer.filter((r) => !r.first);
  console.log(`ConvScope budgets — ${new Date().toISOString().slice(0, 10)}, Chromium ${browser.version()}, Node ${process.version}, dist: ${DIST_DIR}`);
  console.log('\n1. First-view transfer (gzip -9 as served; requests before the first table):');
  for (const r of first) console.log(`   ${r.name.padEnd(32)} ${kb(r.bytes).padStart(10)}`);
  console.log(`   ${'FIRST VIEW TOTAL'.padEnd(32)} ${kb(sum(first)).padStart(10)}   (budget 150 KB)`);
  console.log(`   afterwards, in the background: ${later.length} requests, ${kb(sum(later))} (${later.map((r) => r.name).join(', ')})`);
  const wasmSizes = (file) => {
    const bytes = fs.readFileSync(path.join(DIST_DIR, file));
    return `${kb(bytes.length)} uncompressed, ${kb(zlib.gzipSync(bytes, { level: 9 }).length)} gzip`;
  };
  console.log(`   convscope-shapes.wasm (first view): ${wasmSizes('convscope-shapes.wasm')} (budget 250 KB uncompressed)`);
  console.log(`   convscope.wasm (previews, import; loaded on demand): ${wasmSizes('convscope.wasm')}`);

  console.log(`\n2. Navigation -> first shape table (${LOADS} cold loads, localhost):`);
  console.log(`   median ${ms(median(firstTable))}, min ${ms(Math.min(...firstTable))}, max ${ms(Math.max(...firstTable))}   (budget 300 ms)`);

  // ---- 3: edits on a 50-layer network ---------------------------------------
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(server.url);
  await page.waitForFunction(() => performance.getEntriesByName('convscope:first-table').length > 0, null, { timeout: 60_000 });
  const hash = await encodeLink(page, fiftyLayerNetwork());
  await page.goto(`${server.url}#${hash}`);
  await page.reload();
  await page.waitForFunction(() => document.querySelectorAll('#shape-table tr.row').length === 50, null, { timeout: 60_000 });
  const timings = await page.evaluate(async (edits) => {
    const { analyze, decodeLink } = await import('./engine.js');
    const input = document.querySelector('#layer-0-filters');
    const engineOnly = [];
    const editPath = [];
    for (let i = 0; i < edits; i += 1) {
      // The whole edit path is synchronous in the input handler.
      input.value = String(16 + (i % 2));
      const t0 = performance.now();
      input.dispatchEvent(new Event('input', { bubbles: true }));
      editPath.push(performance.now() - t0);
    }
    const entries = performance.getEntriesByName('convscope:analyze').slice(-edits).map((e) => e.duration);
    engineOnly.push(...entries);
    // And the bare call, repeated, for a steadier number.
    const decoded = decodeLink(location.hash.slice(1)).network;
    const bare = [];
    for (let i = 0; i < edits; i += 1) { const t0 = performance.now(); analyze(decoded); bare.push(performance.now() - t0); }
    return { engineOnly, editPath, bare, rows: document.querySelectorAll('#shape-table tr.row').length };
  }, EDITS);
  await context.close();
  console.log(`\n3. Re-analysis after an edit, 50-layer network (${EDITS} edits, headless Chromium):`);
  console.log(`   engine analyze() alone:     median ${ms(median(timings.bare))}   (budget 5 ms)`);
  console.log(`   analyze during the edits:   median ${ms(median(timings.engineOnly))}`);
  console.log(`   whole edit -> table+diagram+hash: median ${ms(median(timings.editPath))}`);

  // ---- 4: an imported ResNet-50 ----------------------------------------------
  // Each run is a fresh page showing the default story. "Cold": the drop
  // also loads the importer's module (convscope.js, 225 KB gzip). "Warm": a
  // small ONNX file was imported first, so the module is ready, as for any
  // second import; the page then holds a 7-layer network.
  const onnx = fs.readFileSync(modelFile('resnet50'));
  const small = fs.readFileSync(path.join(ROOT, 'fuzz', 'corpus', 'import_fuzz', 'small_cnn.onnx'));
  const dropAndWait = async (page, bytes, name, rows) => {
    const t0 = await page.evaluate(([data, file]) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(data)], file));
      const start = performance.now();
      document.querySelector('main').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      return start;
    }, [Array.from(bytes), name]);
    // The end is the edit path's render measure (table, diagram, editor, link) after the import's analysis.
    const done = await page.waitForFunction(([start, n]) => {
      const render = performance.getEntriesByName('convscope:render').find((e) => e.startTime > start);
      if (!render || (n && document.querySelectorAll('#shape-table tr.row').length !== n)) return null;
      const analyses = performance.getEntriesByName('convscope:analyze').filter((e) => e.startTime > start && e.startTime < render.startTime);
      return {
        total: render.startTime + render.duration - start,
        analyze: analyses.reduce((a, e) => a + e.duration, 0),
        render: render.duration,
        rows: document.querySelectorAll('#shape-table tr.row').length,
        blocks: Number(document.querySelector('#diagram').dataset.blocks),
      };
    }, [t0, rows], { timeout: 120_000, polling: 10 });
    return done.jsonValue();
  };
  const runs = { cold: [], warm: [] };
  for (let i = 0; i < IMPORTS; i += 1) {
    for (const kind of ['cold', 'warm']) {
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const p = await ctx.newPage();
      await p.goto(server.url);
      await p.waitForFunction(() => performance.getEntriesByName('convscope:first-table').length > 0, null, { timeout: 60_000 });
      if (kind === 'warm') await dropAndWait(p, small, 'small_cnn.onnx', 0);
      runs[kind].push(await dropAndWait(p, onnx, 'resnet50.onnx', 0));
      await ctx.close();
    }
  }
  const pick = (list, k) => median(list.map((d) => d[k]));
  const [{ rows: bigRows, blocks: bigBlocks }] = runs.warm;
  console.log(`\n4. Imported ResNet-50 ONNX (${onnx.length} bytes, ${bigRows} layers, diagram of ${bigBlocks} blocks), drop -> table + diagram drawn, ${IMPORTS} fresh pages each:`);
  console.log(`   importer ready (warm): median ${ms(pick(runs.warm, 'total'))}, of which analyze ${ms(pick(runs.warm, 'analyze'))} and table+diagram+editor+link ${ms(pick(runs.warm, 'render'))}   (budget 1000 ms)`);
  console.log(`   first import of the page (loads the importer): median ${ms(pick(runs.cold, 'total'))}`);
  console.log(`   machine load average while measuring: ${os.loadavg().map((x) => x.toFixed(1)).join(', ')} (${os.cpus().length} cores)`);
} finally {
  await browser.close();
  await server.close();
}
