// Page wiring: one state object, one edit path (apply), one render.
// index.html and embed.html both load this file; <html data-mode="embed">
// switches to the compact, hideable embed layout.
import { h, svg, fill, $ } from './dom.js';
import { loadEngine, analyze, version, getSchema } from './engine.js';
import { readLink, writeLink, encodeNetworkLink, createHistory, defaultUi, HIDEABLE } from './state.js';
import { createEditor } from './editor.js';
import { renderTable, renderMinInput } from './table.js';
import { createBanner } from './banner.js';
import { convertLayout, shapeText, nameText, layerRef } from './format.js';
import { pageUrl, embedSnippet, copyText, reportHeightToParent } from './share.js';
import { createPresets } from './presets.js';

const EMBED = document.documentElement.dataset.mode === 'embed';

// Shown only if examples/ cannot be fetched: the conv2d_3 story, inline, so
// the page always has a safe state to fall back to.
const FALLBACK_NETWORK = {
  framework: 'tensorflow',
  input: [1, 4, 4, 3],
  layers: [{ type: 'conv', name: 'conv2d_3', filters: 16, kernel: 5, padding: 'valid' }],
};

const els = {
  banner: $('#banner'),
  verdict: $('#verdict'),
  status: $('#status'),
  story: $('#story'),
  editor: $('#editor'),
  editorPanel: $('#editor-panel'),
  tablePanel: $('#results'),
  diagramPanel: $('#diagram-panel'),
  minInput: $('#min-input'),
  table: $('#shape-table'),
  diagram: $('#diagram'),
  preset: $('#preset'),
  newNetwork: $('#new-network'),
  copyLink: $('#copy-link'),
  openImport: $('#open-import'),
  openExport: $('#open-export'),
  openEmbed: $('#open-embed'),
  dialog: $('#embed-dialog'),
  embedCode: $('#embed-code'),
  copyEmbed: $('#copy-embed'),
  openFull: $('#open-full'),
  version: $('#engine-version'),
  previews: $('#previews'),
  windowView: $('#window-view'),
  compareToggle: $('#toggle-compare'),
  comparePanel: $('#compare-panel'),
  compare: $('#compare'),
  embedCompare: $('#embed-view-compare'),
};

const state = {
  network: null, // the network being edited (JSON contract)
  ui: defaultUi(), // page keys carried in the link (state.js)
  report: null, // last report from the engine (null while malformed)
  goodHash: '', // hash of the last analysable state: what "Copy link" shares
  linkProblem: false, // the status line says the URL could not be updated
};

let schema = null;
let editor = null;
let banner = null;
let hist = null;
let firstTableMarked = false;
let previews = null; // previews.js, loaded after the first table (the full page only)
const presets = createPresets();

const frameworkInfo = (id) => schema.frameworks.find((f) => f.id === id) || { id, label: id, layout: 'NCHW' };
const typeLabel = (type) => schema.types.find((t) => t.type === type)?.label || type;

function announce(text) {
  if (els.status) els.status.textContent = text || '';
}

// ---- presets --------------------------------------------------------------

function renderPresetMenu() {
  if (!els.preset) return;
  fill(els.preset,
    h('option', { value: '' }, 'Custom network'),
    presets.index.map((p) => h('option', { value: p.id }, p.title || p.id)));
}

function renderStory() {
  const match = state.goodHash ? presets.match(state.network) : null;
  if (els.preset) els.preset.value = match ? match.id : '';
  if (els.story) {
    els.story.textContent = presets.story(match);
    els.story.hidden = !els.story.textContent;
  }
}

// ---- render ---------------------------------------------------------------

function renderVerdict(report) {
  if (!els.verdict) return;
  const layers = report.layers || [];
  const failing = layers.find((l) => l.status === 'error');
  const warnings = layers.filter((l) => l.status === 'warning').length;
  const more = layers.filter((l) => l.status === 'error').length - 1;
  if (failing) {
    fill(els.verdict,
      h('span', { class: 'verdict-icon', 'aria-hidden': 'true' }, '✕'),
      h('span', null, `Layer ${failing.index + 1} of ${layers.length}`,
        failing.name ? [' (', h('strong', { class: 'mono' }, nameText(failing.name)), ')'] : null,
        ' fails: ', failing.message || 'no valid output',
        more ? ` · ${more} more layer${more > 1 ? 's fail' : ' fails'} on another branch` : ''),
      EMBED && state.ui.hide.includes('table') ? null
        : h('button', { type: 'button', class: 'link-btn verdict-link', onclick: jumpToDiagnosis(failing.index) }, 'See diagnosis'));
  } else {
    fill(els.verdict,
      h('span', { class: 'verdict-icon', 'aria-hidden': 'true' }, '✓'),
      // On an importer's guess (report.guessed) the verdict holds for that reading, not for the user's code.
      h('span', null, (layers.length > 1 ? `All ${layers.length} layers valid` : layers.length ? 'The layer is valid' : 'No layers')
        + (report.guessed && layers.length ? ' in this reading of your model' : ''),
        report.totals?.output ? [' → ', h('code', null, shapeText(report.totals.output))] : null,
        warnings ? ` · ${warnings} warning${warnings > 1 ? 's' : ''}` : ''));
  }
  els.verdict.className = `verdict ${failing ? 'is-error' : warnings ? 'is-warning' : 'is-ok'}`;
}

// A button, not an anchor: location.hash is the state, so in-page anchors are out.
function jumpToDiagnosis(index) {
  return () => {
    const row = document.getElementById(`diag-${index}`);
    const still = matchMedia('(prefers-reduced-motion: reduce)').matches;
    row?.scrollIntoView({ block: 'center', behavior: still ? 'auto' : 'smooth' });
    row?.querySelector('button, summary')?.focus({ preventScroll: true });
  };
}

function render(report, { rebuild, focus }) {
  const fw = frameworkInfo(state.network.framework);
  const rank = Array.isArray(state.network.input) ? state.network.input.length : 4;
  if (rebuild) editor.render(state.network, { focus }); else editor.setNetwork(state.network);
  editor.clearEngineErrors();
  editor.showReport(report);
  renderVerdict(report);
  renderMinInput(els.minInput, report, fw.layout, rank);
  // Rows read from pasted code link to their line while the page has that code.
  const onLine = code?.sync(state.network) ? (line) => code.goTo(line) : null;
  renderTable(els.table, report, { layout: fw.layout, rank, frameworkLabel: fw.label, typeLabel, onFix: applyFix, onLine });
  els.table.classList.remove('is-stale');
  drawDiagram();
  updatePreviews();
  updateComparison();
  if (!firstTableMarked) {
    firstTableMarked = true;
    performance.mark('convscope:first-table');
  }
}

function applyHides() {
  if (!EMBED) return; // the full page always shows everything; `hide` is an embed option
  const hidden = new Set(state.ui.hide);
  els.editorPanel.hidden = hidden.has('editor');
  els.tablePanel.hidden = hidden.has('table');
  els.diagramPanel.hidden = hidden.has('diagram');
  document.body.classList.toggle('editor-hidden', hidden.has('editor'));
}

function updateLinks() {
  if (els.openFull) {
    // Back to the full playground with the same network; embed-only keys stay behind.
    els.openFull.href = pageUrl('index.html', writeLink(state.network, { ...state.ui, hide: [] }) || '');
  }
  if (els.dialog?.open) renderEmbedCode();
}

// ---- the one edit path ------------------------------------------------------

/**
 * Show `network`: analyse, render, and (unless told not to) write the hash.
 * opts.history: 'push' | 'typing' | 'none'; opts.typing: the field key that coalesces.
 */
function apply(network, { rebuild = true, focus, typing, history = 'push', note, analysis = analyze(network) } = {}) {
  const start = performance.now();
  state.network = network;
  if (analysis.exitCode === 2) {
    // Keep the last table (muted) and point at the field the engine names.
    state.report = null;
    if (rebuild) editor.render(network, { focus }); else editor.setNetwork(network);
    editor.showEngineError(analysis.error);
    els.table.classList.add('is-stale');
    fill(els.verdict, h('span', { class: 'verdict-icon', 'aria-hidden': 'true' }, '✕'), h('span', null, analysis.error));
    els.verdict.className = 'verdict is-error';
    announce('');
    updateComparison();
    return false;
  }
  state.report = analysis.report;
  render(analysis.report, { rebuild, focus });
  const link = encodeNetworkLink(network, state.ui);
  if (link.error) {
    // Valid for the engine but not spellable in a link (e.g. a control
    // character in a name): say so rather than leave a stale URL silently.
    note = `The address bar still shows the previous state: ${link.error}`;
    state.linkProblem = true;
  } else {
    state.linkProblem = false;
    state.goodHash = link.hash;
    if (history === 'push' || history === 'typing') hist.write(link.hash, { typing: history === 'typing' ? typing : undefined });
    code?.remember(link.hash, network);
  }
  updateLinks();
  renderStory();
  // Every change replaces the status line: "Removed layer 1" must not outlive the next add.
  announce(note);
  // Render + link after the analysis (budgets.mjs reads it for an imported ResNet-50).
  performance.measure('convscope:render', { start, end: performance.now() });
  return true;
}

// ---- previews (feature maps, sliding window) ---------------------------------

function updatePreviews() {
  if (!previews || !state.report) return;
  previews.update({
    network: state.network, report: state.report, layout: frameworkInfo(state.network.framework).layout,
    ui: state.ui, typeLabel,
  });
}

/** A preview control changed a UI key (image, seed, filter, window layer): write the link, redraw. */
function setUi(patch, { typing } = {}) {
  state.ui = { ...state.ui, ...patch };
  if (state.report) {
    const link = encodeNetworkLink(state.network, state.ui);
    if (!link.error) {
      state.goodHash = link.hash;
      hist.write(link.hash, { typing });
      code?.remember(link.hash, state.network);
    }
    updateLinks();
  }
  updatePreviews();
}

/** A stylesheet that is not needed for the first view; resolves when it applies (or failed). */
function loadStylesheet(href) {
  return new Promise((resolve) => {
    const link = h('link', { rel: 'stylesheet', href });
    link.addEventListener('load', resolve);
    link.addEventListener('error', resolve);
    document.head.append(link);
  });
}

// ---- compare frameworks (compare-view.js + the full module, on first use) ------

let compareReady = null;

function compareView() {
  compareReady ??= Promise.all([import('./compare-view.js'), loadStylesheet('compare.css')])
    .then(([{ createCompareView }]) => createCompareView(els.compare, {
      frameworkInfo, typeLabel, onClose: () => { toggleComparison(); els.compareToggle?.focus(); },
    }))
    .catch((err) => { compareReady = null; throw err; });
  return compareReady;
}

/** Show or hide the comparison as `view` says; while shown, redraw it for the current network. */
async function updateComparison() {
  if (!els.comparePanel) return;
  const open = state.ui.view === 'compare';
  els.compareToggle?.setAttribute('aria-pressed', String(open));
  els.comparePanel.hidden = !open;
  if (!open) return;
  let view;
  try {
    view = await compareView();
  } catch (err) {
    fill(els.compare, h('p', { class: 'error-rank' }, `The comparison could not be loaded: ${err?.message || err}`));
    return;
  }
  if (state.report) view.update(state.network); else view.markStale();
}

function toggleComparison() {
  const open = state.ui.view !== 'compare';
  setUi({ view: open ? 'compare' : 'table' });
  updateComparison();
  if (open) compareView().then((view) => view.reveal(els.comparePanel)).catch(() => {});
  announce(open ? 'Comparing PyTorch, TensorFlow/Keras and ONNX under the table.' : 'Closed the comparison.');
}

// ---- the data-flow diagram (diagram.js, loaded after the first table) ---------

let diagram = null;

function drawDiagram() {
  if (!diagram || !state.report) return;
  const fw = frameworkInfo(state.network.framework);
  diagram.renderDiagram(els.diagram, state.report, { layout: fw.layout, inputShape: state.network.input, summaryId: 'diagram-title' });
}

/** The diagram with its zoom, pan and arrow keys: not part of the first view's budget. */
async function loadDiagram() {
  try {
    const [drawing, view] = await Promise.all([import('./diagram.js'), import('./diagram-view.js')]);
    diagram = drawing;
    drawDiagram();
    view.attachDiagramView(els.diagram);
  } catch (err) {
    fill(els.diagram, svg('title', { id: 'diagram-title' }, `The diagram could not be loaded: ${err?.message || err}`));
  }
}

async function loadPreviews() {
  if (!els.previews || !els.windowView || EMBED) return;
  try {
    const [{ createPreviews }] = await Promise.all([import('./previews.js'), loadStylesheet('previews.css')]);
    previews = createPreviews({
      root: els.previews, windowRoot: els.windowView, getSchema, onUi: setUi,
      endTyping: () => hist.endTyping(), announce,
    });
    updatePreviews();
  } catch (err) {
    els.previews.textContent = `Previews could not start: ${err?.message || err}`;
  }
}

function commit(mutate, { typing, rebuild = false, focus, announce: note } = {}) {
  const next = structuredClone(state.network);
  mutate(next);
  apply(next, { rebuild, focus, typing, history: typing ? 'typing' : 'push', note });
}

function applyFix(fix) {
  apply(structuredClone(fix.network), { note: `Applied ${fix.summary}.` });
  els.verdict?.focus();
}

/** One click to a blank slate: same framework and input, no layers; Back restores what was there. */
function newNetwork() {
  const { framework, mode, input } = state.network;
  const blank = mode === undefined ? { framework, input, layers: [] } : { framework, mode, input, layers: [] };
  apply(structuredClone(blank), { note: 'Started a new network with no layers; the browser’s Back button brings the previous one back.' });
  document.getElementById('add-type')?.focus();
}

function setFramework(id) {
  const dropped = [];
  commit((n) => {
    const from = frameworkInfo(n.framework).layout;
    n.input = convertLayout(n.input, from, frameworkInfo(id).layout);
    n.framework = id;
    // Fields the new framework does not have would be rejected by the engine.
    n.layers.forEach((layer, i) => {
      const fields = schema.types.find((t) => t.type === layer.type)?.fields || [];
      for (const f of fields) {
        if (layer[f.field] !== undefined && f.names?.[id] === undefined) {
          delete layer[f.field];
          dropped.push(`${f.field} of ${layerRef(i, layer.name)}`);
        }
      }
    });
  }, { rebuild: true });
  const label = frameworkInfo(id).label;
  announce(dropped.length ? `Switched to ${label}; removed ${dropped.join(', ')} (not in ${label}).` : `Switched to ${label}.`);
}

// ---- skip links -----------------------------------------------------------------

// Skip links are anchors (what every screen reader expects), but the hash is
// the page state: following one would replace the network with "#results".
// Move focus by hand and leave the address bar alone.
function wireSkipLinks() {
  for (const link of document.querySelectorAll('a.skip-link')) {
    link.addEventListener('click', (e) => {
      e.preventDefault();
      const target = document.getElementById(link.getAttribute('href').slice(1));
      if (!target) return; // still loading: the editor is not built yet
      if (!target.matches('a[href], button, input, select, textarea, [tabindex]')) target.tabIndex = -1;
      target.focus({ preventScroll: true });
      const still = matchMedia('(prefers-reduced-motion: reduce)').matches;
      target.scrollIntoView({ block: 'start', behavior: still ? 'auto' : 'smooth' });
    });
  }
}

// ---- loading states -----------------------------------------------------------

async function defaultNetwork() {
  const entry = presets.index[0];
  if (!entry) return structuredClone(FALLBACK_NETWORK);
  try {
    return await presets.network(entry);
  } catch (err) {
    banner.show({ title: 'The default example could not be loaded; showing a built-in copy.', details: [err.message] });
    return structuredClone(FALLBACK_NETWORK);
  }
}

/** Show whatever the location hash says; on a broken link, say what is wrong and show the default. */
async function showLocation({ initial }) {
  const link = readLink(location.hash);
  if (link.empty || link.fatal) {
    if (link.fatal) {
      banner.show({
        title: 'This link could not be opened, so the default example is shown instead.',
        details: [link.fatal],
      });
    }
    state.ui = defaultUi();
    apply(await defaultNetwork(), { history: 'none' });
    // A fresh visit gets a shareable URL at once; a broken link stays in the
    // address bar so its owner can correct it.
    if (link.empty && state.goodHash) hist.replace(state.goodHash);
    else hist.adopt();
  } else {
    if (link.problems.length) banner.show({ level: 'warning', title: 'Parts of this link were ignored.', details: link.problems });
    state.ui = link.ui;
    // A link has no sources; the code panel has them for the states of this tab's code import.
    apply(code ? code.restore(location.hash.slice(1), link.network) : link.network, { history: 'none' });
    hist.adopt();
  }
  applyHides();
  if (!initial) announce('Restored the network from the address bar.');
}

function onNavigate() {
  if (!hist.isForeign()) return; // our own pushState/replaceState, or popstate+hashchange pair
  hist.adopt(); // before any await, so the twin event of this navigation is ignored
  banner.clear();
  showLocation({ initial: false });
}

// ---- share / embed ------------------------------------------------------------------

function embedHides() {
  return HIDEABLE.filter((part) => {
    const box = document.getElementById(`embed-show-${part}`);
    return box && !box.checked;
  });
}

function renderEmbedCode() {
  const view = els.embedCompare?.checked ? 'compare' : 'table';
  const hash = writeLink(state.network, { ...state.ui, hide: embedHides(), view }) || '';
  const count = state.network.layers.length;
  const title = `ConvScope: ${count} layer${count === 1 ? '' : 's'}, ${frameworkInfo(state.network.framework).label}`;
  els.embedCode.value = embedSnippet({ src: pageUrl('embed.html', hash), title });
}

function wireShare() {
  els.copyLink?.addEventListener('click', async () => {
    const url = pageUrl('index.html', state.goodHash);
    announce(await copyText(url) ? 'Link copied to the clipboard.' : `Copy failed; the link is: ${url}`);
  });
  if (!els.dialog) return;
  els.openEmbed.addEventListener('click', () => {
    if (els.embedCompare) els.embedCompare.checked = state.ui.view === 'compare';
    renderEmbedCode();
    els.dialog.showModal();
  });
  els.dialog.addEventListener('change', renderEmbedCode);
  els.copyEmbed.addEventListener('click', async () => {
    renderEmbedCode();
    const copied = await copyText(els.embedCode.value, els.embedCode);
    $('#embed-status').textContent = copied ? 'Embed code copied.' : 'Copy failed: select the code and copy it by hand.';
  });
  $('#embed-close').addEventListener('click', () => els.dialog.close());
}

// ---- import / export (full page only; their modules load on first use) -----------------

let importDialog = null;
let exportDialog = null;

/** Apply an imported network, or say why not (the editor then keeps its state). */
function applyImport(network, notes, source, read) {
  const check = analyze(network);
  if (check.exitCode === 2) return `The imported network was not accepted: ${check.error}`;
  banner.clear();
  if (read && read.format !== 'python_code') code?.clear(); // the code shown is no longer this network's
  apply(network, { note: `Imported ${source}.`, analysis: check }); // a big model: analyse once, not twice
  banner.show({ level: 'info', title: network.description || `Imported ${source}.`, details: notes });
  if (read?.format === 'python_code' && read.code) {
    codePanel().then((panel) => {
      panel.show(read, state.goodHash, state.network);
      render(state.report, { rebuild: false }); // the rows' lines become links
    }).catch(fail);
  }
  return '';
}

// ---- the Code panel (code-panel.js, loaded after an import of code) -------------

let code = null;
let codeReady = null;
const fail = (err) => banner.show({ title: 'The importer could not be loaded.', details: [String(err?.message || err)] });

function codePanel() {
  codeReady ??= Promise.all([import('./code-panel.js'), loadStylesheet('code.css')])
    .then(([{ createCodePanel }]) => (code = createCodePanel({ anchor: els.tablePanel, onImport: applyImport, announce })))
    .catch((err) => { codeReady = null; throw err; });
  return codeReady;
}

async function importDialogReady() {
  if (!importDialog) {
    const [{ createImportDialog }] = await Promise.all([import('./import-dialog.js'), loadStylesheet('transfer.css')]);
    importDialog ??= createImportDialog({
      onImport: applyImport,
      afterImport: () => els.verdict?.focus(), // once the modal dialog has let go of the page
      getNetwork: () => state.network,
    });
  }
  return importDialog;
}

async function openExport() {
  if (!exportDialog) {
    const [{ createExportDialog }] = await Promise.all([import('./export-dialog.js'), loadStylesheet('transfer.css')]);
    exportDialog ??= createExportDialog({
      getNetwork: () => state.network,
      getLink: () => ({
        url: pageUrl('index.html', state.goodHash),
        note: state.report ? '' : 'The network in the editor has an error, so this is the link of its last valid state.',
      }),
    });
  }
  exportDialog.open();
}

const isEditable = (el) => el instanceof Element && (el.closest('input, textarea, select, [contenteditable]') !== null);
const carriesFiles = (e) => Array.from(e.dataTransfer?.types || []).includes('Files');

function wireImportExport() {
  if (EMBED || !els.openImport) return;
  els.openImport.addEventListener('click', () => importDialogReady().then((d) => d.open()).catch(fail));
  els.openExport?.addEventListener('click', () => openExport().catch(fail));
  // Drop a model file anywhere on the page.
  document.addEventListener('dragover', (e) => {
    if (!carriesFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
  });
  document.addEventListener('drop', (e) => {
    const file = e.dataTransfer?.files?.[0];
    if (!file || e.defaultPrevented) return; // the previews panel takes images dropped on it
    e.preventDefault();
    // Not behind another dialog (the export would go on showing the old network).
    if (document.querySelector('dialog[open]:not(#import-dialog)')) return;
    if (file.type.startsWith('image/')) {
      announce('To preview your own image, drop it on the feature maps; models and error texts go anywhere else.');
      return;
    }
    importDialogReady().then((d) => d.dropFile(file)).catch(fail);
  });
  // Paste an error message or a model anywhere outside a form field: open the importer with it.
  document.addEventListener('paste', (e) => {
    if (isEditable(e.target) || document.querySelector('dialog[open]')) return;
    const text = e.clipboardData?.getData('text/plain') || '';
    if (!text.trim()) return;
    e.preventDefault();
    importDialogReady().then((d) => d.open({ text })).catch(fail);
  });
}

// ---- boot -----------------------------------------------------------------------

async function boot() {
  wireSkipLinks();
  banner = createBanner(els.banner);
  hist = createHistory({ embed: EMBED });
  const indexPromise = presets.loadIndex().catch((err) => {
    banner.show({ level: 'warning', title: 'The example networks could not be loaded.', details: [err.message] });
    return [];
  });
  // Without a hash the default story is shown: fetch it while the engine compiles.
  if (!location.hash) indexPromise.then((index) => presets.prefetch(index[0]));
  try {
    schema = await loadEngine();
  } catch (err) {
    banner.show({ title: 'The shape engine could not be loaded.', details: [String(err?.message || err)] });
    fill(els.verdict, h('span', null, 'ConvScope needs WebAssembly; the engine did not start in this browser.'));
    els.verdict.className = 'verdict is-error';
    return;
  }
  if (els.version) els.version.textContent = version();
  await indexPromise;
  editor = createEditor(els.editor, schema, {
    commit,
    setFramework,
    endTyping: () => hist.endTyping(),
    check: analyze, // the graph dialogs preview a choice with the engine's verdict
    announce,
  });
  renderPresetMenu();
  // This tab imported code before a reload: its panel first, so the table links the lines.
  let savedCode = false;
  try { savedCode = !EMBED && sessionStorage.getItem('convscope:code') !== null; } catch { /* storage off */ }
  if (savedCode) await codePanel().catch(() => {});
  await showLocation({ initial: true });
  document.body.classList.remove('is-loading');
  window.addEventListener('popstate', onNavigate);
  window.addEventListener('hashchange', onNavigate);
  els.preset?.addEventListener('change', async () => {
    const entry = presets.index.find((p) => p.id === els.preset.value);
    if (!entry) return;
    try {
      apply(await presets.network(entry), { note: `Loaded ${entry.title || entry.id}.` });
    } catch (err) {
      banner.show({ title: `The example “${entry.title || entry.id}” could not be loaded.`, details: [err.message] });
    }
  });
  els.newNetwork?.addEventListener('click', newNetwork);
  els.compareToggle?.addEventListener('click', toggleComparison);
  wireShare();
  wireImportExport();
  if (EMBED) reportHeightToParent();
  presets.loadAll().then(renderStory);
  loadDiagram();
  loadPreviews();
}

boot();
