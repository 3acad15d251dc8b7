// Shared set-up for the browser tests: Debian's Chromium through
// playwright-core (never a downloaded browser), a static server for dist/,
// and helpers that wait for conditions rather than sleeping, because CI is
// a slow shared 2-core machine.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { startServer, ROOT, DIST_DIR } from './server.mjs';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--disable-quic', '--no-first-run',
];
export const OUTPUT_DIR = path.join(ROOT, 'test-output');
export const TEST_TIMEOUT = 180_000;
const WAIT = 60_000;

export { ROOT, DIST_DIR };

/**
 * Start server + browser once per test file. `isolated` (default true, as
 * scripts/serve.sh serves): the page is cross-origin isolated (server.mjs).
 */
export async function setUp({ extra = {}, isolated = true } = {}) {
  if (!fs.existsSync(path.join(DIST_DIR, 'convscope.js'))) {
    throw new Error(`${DIST_DIR}/convscope.js is missing: build the site first (the browser tests need the real engine)`);
  }
  const server = await startServer({ extra, isolated });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: WAIT });
  return {
    server,
    browser,
    extra,
    async tearDown() {
      await browser.close();
      await server.close();
    },
  };
}

/**
 * A fresh context + page that records what must never happen: page errors,
 * dialogs (alert/confirm/prompt from an injected payload) and console errors.
 */
export async function newPage(env, { colorScheme = 'light', width = 1280, height = 900, bypassCSP = false } = {}) {
  const context = await env.browser.newContext({
    viewport: { width, height }, colorScheme, bypassCSP, reducedMotion: 'reduce',
  });
  context.setDefaultTimeout(WAIT);
  const page = await context.newPage();
  // Record Content-Security-Policy violations from the first byte on: the
  // page must need nothing its own CSP forbids (inline styles, eval, ...).
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push(`${e.violatedDirective}: ${e.blockedURI || e.sample || ''}`);
    });
  });
  const problems = { dialogs: [], pageErrors: [], consoleErrors: [] };
  page.on('dialog', (d) => { problems.dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  page.on('pageerror', (e) => problems.pageErrors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') problems.consoleErrors.push(m.text()); });
  return { context, page, problems, close: () => context.close() };
}

/** Go to a page of the site and wait until the engine has drawn a table. */
export async function openApp(env, page, hash = '', file = '') {
  await page.goto(`${env.server.url}${file}${hash ? `#${hash.replace(/^#/, '')}` : ''}`);
  await waitForTable(page);
}

export async function waitForTable(page) {
  // The diagram's module loads after the first table: wait for its drawing too.
  await page.waitForFunction(() => !document.body.classList.contains('is-loading')
    && document.querySelectorAll('#shape-table tbody tr').length > 0
    && document.querySelector('#diagram')?.dataset.blocks !== undefined);
}

/** The visible table as text rows, for comparing states. */
export function tableText(page) {
  return page.$$eval('#shape-table tbody tr.row', (rows) => rows.map((r) => r.innerText.replace(/\s+/g, ' ').trim()));
}

/** The page's link, once written: a typing run's replace waits for the edits to pause (web/state.js). */
export async function hashOf(page) {
  await page.waitForFunction(() => !document.documentElement.hasAttribute('data-link-pending'));
  return page.evaluate(() => location.hash.slice(1));
}

export function ensureOutputDir() {
  fs.mkdirSync(OUTPUT_DIR, { recursive: true });
  return OUTPUT_DIR;
}

/**
 * Encode a network the way the page does, with the engine already loaded in
 * `page` (any page of the site): keeps the tests independent of how the
 * Emscripten module behaves under Node.
 */
export async function encodeLink(page, network, extras = []) {
  const r = await page.evaluate(async ([n, e]) => {
    const { encodeLink: encode } = await import('./engine.js');
    return encode(n, e);
  }, [network, extras]);
  if (r.error) throw new Error(`encodeShareLink failed: ${r.error}`);
  return r.hash;
}

/** CSP violations the page has reported so far (see newPage). */
export function cspViolations(page) {
  return page.evaluate(() => window.__cspViolations || []);
}

const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical violations on the page as it is now. */
export async function seriousAxe(page) {
  await page.evaluate(AXE_SOURCE);
  const found = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
  });
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Hover the channel-`ch` thumbnail of layer `index` at (fx, fy) of its size; returns the value read out. */
/** The previews' generation: each run started bumps it (data-gen on #previews). */
export function previewGen(page) {
  return page.evaluate(() => Number(document.querySelector('#previews')?.dataset.gen || 0));
}

/** Wait until a preview run newer than generation `afterGen` is done (thumbnails drawn and every value in). */
export async function previewsDone(page, afterGen = 0, { timeout = 120_000 } = {}) {
  await page.waitForFunction((g) => {
    const el = document.querySelector('#previews');
    return el && el.dataset.state === 'done' && Number(el.dataset.gen || 0) > g;
  }, afterGen, { timeout });
}

export async function hoverValue(page, index, ch, fx, fy) {
  const thumb = page.locator(`#fm-list .fm-layer[data-index="${index}"] .fm-cell:not(.is-composite) canvas`).nth(ch);
  await thumb.scrollIntoViewIfNeeded();
  const box = await thumb.boundingBox();
  await page.mouse.move(box.x + box.width * fx, box.y + box.height * fy);
  const readout = page.locator(`#fm-list .fm-layer[data-index="${index}"] .fm-readout`);
  await page.waitForFunction((el) => el.dataset.value !== undefined && /ch \d/.test(el.textContent), await readout.elementHandle());
  return Number(await readout.getAttribute('data-value'));
}

/**
 * Load preset `id` from the menu and wait until the page shows it: a preset's
 * JSON is fetched, so the table of the network before stays a moment; the
 * app says "Loaded …" in #status once the new one is applied.
 */
export async function pickPreset(page, id) {
  await page.evaluate(() => { document.querySelector('#status').textContent = ''; });
  await page.locator('#preset').selectOption(id);
  await page.waitForFunction(() => /^Loaded /.test(document.querySelector('#status')?.textContent || ''), null, { timeout: WAIT });
  await waitForTable(page);
}
