// Where a preview refresh's time goes, thread by thread (a benchmark script,
// never a test): headless Chromium's trace of N full refreshes of the
// preview-budget network, summed per thread (RunTask = the thread busy).
//   node bench/preview_trace.mjs [query]   e.g. '?workers=2&kernels=fma'
import { chromium } from 'playwright-core';
import { startServer } from '../tests/web/server.mjs';
import { CHROMIUM, CHROMIUM_ARGS, encodeLink } from '../tests/web/harness.mjs';

const query = process.argv[2] || '?workers=1&kernels=fma';
const RUNS = Number(process.env.RUNS || 5);
const network = {
  framework: 'tensorflow', input: [1, 256, 256, 3],
  layers: [8, 16, 16, 32, 32].flatMap((filters, i) => [
    { type: 'conv', name: `conv${i + 1}`, filters, kernel: 3, padding: 'same' }, { type: 'relu', name: `relu${i + 1}` }]),
};
const server = await startServer();
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(server.url);
  await page.waitForFunction(() => document.querySelectorAll('#shape-table tbody tr').length > 0, null, { timeout: 60_000 });
  const hash = await encodeLink(page, network, [['img', 'astronaut']]);
  const done = (g) => page.waitForFunction((gg) => { const el = document.querySelector('#previews'); return el && el.dataset.state === 'done' && Number(el.dataset.gen) >= gg; }, g, { timeout: 120_000, polling: 100 });
  await page.goto(`${server.url}${query}#${hash}`);
  await done(1);
  for (let i = 0; i < 3; i += 1) { const g = Number(await page.evaluate(() => document.querySelector('#previews').dataset.gen)); await page.locator('#preview-seed').fill(String(500 + i)); await done(g + 1); }
  await browser.startTracing(page, { categories: ['toplevel', 'devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8', 'blink', 'cc', 'gpu', '__metadata'] });
  const totals = [];
  for (let i = 0; i < RUNS; i += 1) {
    const g = Number(await page.evaluate(() => document.querySelector('#previews').dataset.gen));
    await page.locator('#preview-seed').fill(String(1000 + i));
    await done(g + 1);
    totals.push(await page.evaluate(() => { const d = document.querySelector('#previews').dataset; return `${d.ms} (worker ${d.workerMs}, compute ${d.computeMs}, publish ${d.publishMs})`; }));
  }
  const trace = JSON.parse((await browser.stopTracing()).toString());
  const events = trace.traceEvents || trace;
  const names = new Map();
  for (const e of events) if (e.ph === 'M' && e.name === 'thread_name') names.set(`${e.pid}:${e.tid}`, e.args.name);
  const busy = new Map();
  const top = new Map();
  for (const e of events) {
    if (e.ph !== 'X' || !e.dur) continue;
    const key = `${e.pid}:${e.tid}`;
    if (e.name === 'ThreadControllerImpl::RunTask' || e.name === 'RunTask') busy.set(key, (busy.get(key) || 0) + e.dur / 1000);
    const k2 = `${names.get(key) || key} ${e.name}`;
    top.set(k2, (top.get(k2) || 0) + e.dur / 1000);
  }
  const bmf = events.filter((e) => e.ph === 'X' && e.name === 'ProxyMain::BeginMainFrame');
  console.log('BeginMainFrame count per refresh', (bmf.length / RUNS).toFixed(1), 'durations', bmf.slice(0, 40).map((e) => (e.dur / 1000).toFixed(1)).join(' '));
  if (process.env.TIMELINE) {
    // The last refresh's busy intervals per thread (RunTask), ms from its first worker task.
    const tasks = events.filter((e) => e.ph === 'X' && e.name === 'ThreadControllerImpl::RunTask' && e.dur > 300);
    const workerKeys = [...names].filter(([, n]) => n === 'DedicatedWorker thread').map(([k]) => k);
    const mainKey = [...names].find(([, n]) => n === 'CrRendererMain')[0];
    const end = Math.max(...tasks.filter((e) => workerKeys.includes(`${e.pid}:${e.tid}`)).map((e) => e.ts + e.dur));
    const t0 = end - 260000;
    for (const key of [mainKey, ...workerKeys]) {
      const list = tasks.filter((e) => `${e.pid}:${e.tid}` === key && e.ts + e.dur > t0).map((e) => `${((e.ts - t0) / 1000).toFixed(0)}+${(e.dur / 1000).toFixed(1)}`);
      console.log(`${names.get(key)} ${key}: ${list.join(' ')}`);
    }
  }
  if (process.env.DETAIL) {
    const mainKey = [...names].find(([, n]) => n === 'CrRendererMain')[0];
    const mainEv = events.filter((e) => e.ph === 'X' && `${e.pid}:${e.tid}` === mainKey);
    const long = mainEv.filter((e) => e.name === 'ProxyMain::BeginMainFrame' && e.dur > 20000);
    const agg = new Map();
    for (const f of long) for (const e of mainEv) if (e.ts >= f.ts && e.ts + e.dur <= f.ts + f.dur && e !== f) agg.set(e.name, (agg.get(e.name) || 0) + e.dur / 1000);
    console.log(`inside ${long.length} long frames (ms per frame):`);
    for (const [k, v] of [...agg].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`  ${(v / long.length).toFixed(1).padStart(7)} ${k}`);
  }
  console.log(`${query}: ${RUNS} refreshes: ${totals.join(' | ')}`);
  console.log('busy per thread (ms per refresh):');
  for (const [k, v] of [...busy].sort((a, b) => b[1] - a[1]).slice(0, 14)) console.log(`  ${(v / RUNS).toFixed(1).padStart(8)}  ${names.get(k) || k}`);
  console.log('top events (ms per refresh, nested events counted in each):');
  for (const [k, v] of [...top].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`  ${(v / RUNS).toFixed(1).padStart(8)}  ${k}`);
} finally { await browser.close(); await server.close(); }
