// Where a preview refresh's time goes, thread by thread (a benchmark script,
// never a test): Chromium's own trace of full refreshes of the preview-budget
// network (tests/web/preview_budget.mjs: 256x256 RGB through five 3x3 convs
// and ReLUs, a new seed each time), and for each thread the time it ran
// tasks, per refresh. On a machine with few cores the sum over the threads,
// divided by the cores, is a floor under the refresh: no split of the
// convolutions can go below it.
//   node bench/preview_trace.mjs                       (1 and 2 workers, FMA)
//   RUNS=8 node bench/preview_trace.mjs '?workers=2&kernels=simd128'
//   TIMELINE=1 node bench/preview_trace.mjs '?workers=2'   (the last refresh's tasks per thread)
// Build first (bash scripts/build.sh). The trace's task times are wall
// times: a thread waiting for a core inside a task counts as busy, so on a
// loaded machine the figures overstate the work.
import os from 'node:os';
import { chromium } from 'playwright-core';
import { startServer } from '../tests/web/server.mjs';
import { CHROMIUM, CHROMIUM_ARGS, encodeLink } from '../tests/web/harness.mjs';
import { PREVIEW_NETWORK } from '../tests/web/preview_network.mjs';

const RUNS = Number(process.env.RUNS || 6);
const WARMUP = 3;
const queries = process.argv.length > 2 ? process.argv.slice(2) : ['?workers=1&kernels=fma', '?workers=2&kernels=fma'];
const network = PREVIEW_NETWORK;
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
// Chromium's thread names, as this table calls them.
const THREADS = [
  ['CrRendererMain', "page's main thread"],
  ['DedicatedWorker thread', 'workers (preview worker, helpers)'],
  ['Compositor', 'compositor (renderer)'],
  ['CrBrowserMain', 'browser process main (incl. the harness)'],
  ['VizCompositorThread', 'display compositor'],
  ['CrGpuMain', 'GPU process (software)'],
];

const server = await startServer();
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(server.url);
  await page.waitForFunction(() => document.querySelectorAll('#shape-table tbody tr').length > 0, null, { timeout: 60_000 });
  const hash = await encodeLink(page, network, [['img', 'astronaut']]);
  // Polled every 50 ms, not every frame: a per-frame poll would make frames of its own.
  const done = (g) => page.waitForFunction((gg) => {
    const el = document.querySelector('#previews');
    return el && el.dataset.state === 'done' && Number(el.dataset.gen) >= gg;
  }, g, { timeout: 120_000, polling: 50 });
  const refresh = async (seed) => {
    const g = Number(await page.evaluate(() => document.querySelector('#previews').dataset.gen));
    await page.locator('#preview-seed').fill(String(seed));
    await done(g + 1);
    return page.evaluate(() => Number(document.querySelector('#previews').dataset.ms));
  };
  console.log(`Preview refresh, thread by thread — ${new Date().toISOString().slice(0, 10)}, Chromium ${browser.version()} headless, ${os.cpus().length} cores, ${RUNS} refreshes after ${WARMUP} warm-up`);
  for (const query of queries) {
    await page.goto(`${server.url}${query}#${hash}`);
    await done(1);
    for (let i = 0; i < WARMUP; i += 1) await refresh(500 + i);
    await browser.startTracing(page, { categories: ['toplevel', '__metadata'] });
    const totals = [];
    for (let i = 0; i < RUNS; i += 1) totals.push(await refresh(1000 + i));
    const trace = JSON.parse((await browser.stopTracing()).toString());
    const events = trace.traceEvents || trace;
    const names = new Map();
    for (const e of events) if (e.ph === 'M' && e.name === 'thread_name') names.set(`${e.pid}:${e.tid}`, e.args.name);
    const busy = new Map(); // thread name -> ms over the traced refreshes
    for (const e of events) {
      if (e.ph !== 'X' || e.name !== 'ThreadControllerImpl::RunTask') continue;
      const name = names.get(`${e.pid}:${e.tid}`) || 'other';
      busy.set(name, (busy.get(name) || 0) + e.dur / 1000);
    }
    const all = [...busy.values()].reduce((a, b) => a + b, 0) / RUNS;
    console.log(`\n${query}: refresh median ${median(totals).toFixed(1)} ms (page's own figure); threads' task time per refresh:`);
    for (const [name, label] of THREADS) console.log(`  ${((busy.get(name) || 0) / RUNS).toFixed(1).padStart(7)} ms  ${label}`);
    const listed = new Set(THREADS.map(([n]) => n));
    const rest = [...busy].filter(([n]) => !listed.has(n)).reduce((a, [, v]) => a + v, 0) / RUNS;
    console.log(`  ${rest.toFixed(1).padStart(7)} ms  other threads`);
    console.log(`  ${all.toFixed(1).padStart(7)} ms  in all: at least ${(all / os.cpus().length).toFixed(1)} ms a refresh on ${os.cpus().length} cores`);
    if (process.env.TIMELINE) {
      const tasks = events.filter((e) => e.ph === 'X' && e.name === 'ThreadControllerImpl::RunTask' && e.dur > 300);
      const end = Math.max(...tasks.map((e) => e.ts + e.dur));
      const t0 = end - 1000 * (median(totals) + 40);
      for (const [key, name] of names) {
        if (!['CrRendererMain', 'DedicatedWorker thread'].includes(name)) continue;
        const list = tasks.filter((e) => `${e.pid}:${e.tid}` === key && e.ts + e.dur > t0)
          .map((e) => `${((e.ts - t0) / 1000).toFixed(0)}+${(e.dur / 1000).toFixed(1)}`);
        if (list.length) console.log(`  ${name} (${key}) tasks, ms from the refresh's start + length: ${list.join(' ')}`);
      }
    }
  }
  await context.close();
} finally {
  await browser.close();
  await server.close();
}
