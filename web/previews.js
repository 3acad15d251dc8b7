// Feature-map previews: what every layer does to a real image. The page
// builds a plan from the engine's report (preview-plan.js), the worker
// (preview-worker.js) computes and colour-maps, and this file only draws:
// the controls (image, seed, first-layer filter and its values), one card
// per layer with its channel thumbnails and the value under the pointer, the
// card of the failing layer ("no output", with the report's formula), and
// the notices (MAC cap, channels shown, batch, engine). The sliding-window
// view lives in window-view.js and reads the same results.
import { h, fill } from './dom.js';
import { buildPlan, CAPS } from './preview-plan.js';
import { FILTERS, kernelValues, filterEquals } from './weights.js';
import { SAMPLES, MAX_GRID, DEFAULT_FILTER, numberText } from './state.js';
import { compactCount, countText, shapeText, layerRef, capitalize } from './format.js';
import { viridisCss } from './colormap.js';
import { createWindowView, channelRange } from './window-view.js';

const SAMPLE_LABELS = {
  chelsea: 'Chelsea the cat', coffee: 'Coffee cup', astronaut: 'Astronaut', camera: 'Cameraman',
  brick: 'Brick wall', horse: 'Horse silhouette', text: 'Printed text',
};
const THUMB_MAX_PX = 72; // CSS width of a channel thumbnail
const STUCK_MS = 2000; // a run still busy after this long is dropped with its worker when the user edits again

const fmt = (v) => {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2).replace('-', '−');
  return v.toFixed(a >= 100 ? 1 : 4).replace(/\.?0+$/, '').replace('-', '−') || '0';
};
const ms = (t) => (t < 10 ? `${t.toFixed(1)} ms` : `${Math.round(t)} ms`);

/** cyrb53: a fast 53-bit string hash (public domain, bryc), for the per-layer keys below. */
function hash53(text, seed = 0) {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

const CONV_TYPES = new Set(['conv', 'depthwise_conv', 'conv_transpose']);

/**
 * One key per computed layer (and -1 for the input) that changes exactly when
 * that layer's pixels can: it chains the keys of the maps it reads, the step
 * itself (without names and messages), the seed for conv layers and the
 * first layer's filter; the input's key is the image and the input shape.
 * Equal keys let a run resume after the unchanged layers instead of
 * recomputing the whole network.
 */
function pixelKeys(plan, image, seed, filter) {
  const keys = new Map([[-1, String(hash53(JSON.stringify([image.kind, image.name, image.id, plan.input])))]]);
  for (const step of plan.steps) {
    if (!step.compute) continue;
    const { name, message, formula, frameworkError, status, note, caveat, inputNames, arriving, trace, ...rest } = step;
    const weights = CONV_TYPES.has(step.type) ? [seed, step.index === plan.firstConv ? filter : 'he'] : null;
    keys.set(step.index, String(hash53(JSON.stringify([step.reads.map((r) => keys.get(r)), rest, weights]))));
  }
  return keys;
}

export function createPreviews({ root, windowRoot, getSchema, onUi, endTyping, announce }) {
  let ctx = null; // {network, report, layout, ui, typeLabel}
  let plan = null;
  let gen = 0;
  let runKey = '';
  let runKeys = new Map(); // pixelKeys() of the current run: each result is stamped with its layer's key
  let runStarted = 0;
  let editAt = 0; // when the edit the next run answers came in (update()); 0: the run starts it itself
  let runEditAt = 0; // the same for the run in flight: its refresh is measured from there
  let ownImage = null; // {id, name, blob}: a file the user opened or dropped (never uploaded)
  let useOwn = false;
  let fileCounter = 0;
  const results = new Map(); // layer index (-1 = input) -> {shape, shown, values, min, max, lo, hi, ms, engine}
  const cards = new Map(); // layer index -> card parts
  let worker = null;
  let inFlight = false; // a run was posted and its 'done' (or 'error') has not arrived
  let workerFailed = null;

  // ---- controls ---------------------------------------------------------------

  const imageSelect = h('select', { id: 'preview-image', 'aria-describedby': 'preview-image-note' });
  const fileInput = h('input', { type: 'file', id: 'preview-file', accept: 'image/*', class: 'sr-only' });
  const fileLabel = h('label', { for: 'preview-file', class: 'btn file-btn' }, 'Open image…');
  const imageNote = h('span', { id: 'preview-image-note', class: 'hint' }, 'Or drop an image here. It is never uploaded or stored: a reload or a shared link shows the sample image again.');
  const seedInput = h('input', {
    type: 'text', id: 'preview-seed', class: 'mono', inputmode: 'numeric', autocomplete: 'off', spellcheck: 'false',
    'aria-describedby': 'preview-seed-error',
  });
  const seedError = h('span', { id: 'preview-seed-error', class: 'field-error', hidden: true });
  const seedButton = h('button', { type: 'button', class: 'btn', id: 'preview-reseed' }, 'New seed');
  const filterSelect = h('select', { id: 'preview-filter', 'aria-describedby': 'preview-filter-note' });
  const filterNote = h('span', { id: 'preview-filter-note', class: 'hint' });
  const gridBody = h('div', { class: 'kernel-grid', role: 'group', 'aria-label': 'Filter values' });
  const gridReset = h('button', { type: 'button', class: 'btn', id: 'preview-grid-reset' }, 'Reset values');
  const gridNote = h('p', { class: 'hint' });
  const gridDetails = h('details', { class: 'kernel-editor', id: 'preview-grid' },
    h('summary', null, 'Edit the values'), gridNote, gridBody, h('div', { class: 'kernel-actions' }, gridReset));
  const notices = h('div', { class: 'preview-notices', id: 'preview-notices', 'aria-live': 'polite' });
  const legend = h('div', { class: 'preview-legend', 'aria-hidden': 'true' },
    h('span', null, 'low'), h('span', { class: 'legend-bar' }), h('span', null, 'high'),
    h('span', { class: 'muted' }, '(each map scaled to its own range)'));
  const list = h('ol', { class: 'fm-list', id: 'fm-list', 'aria-label': 'Feature maps per layer' });
  const footer = h('p', { class: 'preview-footer hint', id: 'preview-footer' });

  fill(root,
    h('div', { class: 'preview-controls' },
      h('div', { class: 'control control-image' },
        h('label', { for: 'preview-image' }, 'Image'),
        h('div', { class: 'control-row' }, imageSelect, fileLabel, fileInput),
        imageNote),
      h('div', { class: 'control control-seed' },
        h('label', { for: 'preview-seed' }, 'Seed (random weights)'),
        h('div', { class: 'control-row' }, seedInput, seedButton),
        seedError),
      h('div', { class: 'control control-filter' },
        h('label', { for: 'preview-filter' }, 'First conv layer’s filter'),
        filterSelect, filterNote, gridDetails)),
    notices, legend, list, footer);
  root.dataset.state = 'idle';
  // For tests and developer tools: a layer's values (NHWC, image 1) as the page holds them (-1: the input).
  root.previewValues = (index) => results.get(index)?.values || null;

  const view = createWindowView(windowRoot, {
    onSelect: (win) => onUi({ win }),
  });

  // The colour bar: a CSS gradient set through CSSOM (the CSP forbids style attributes).
  legend.querySelector('.legend-bar').style.background = `linear-gradient(to right, ${[0, 64, 128, 191, 255].map(viridisCss).join(', ')})`;

  imageSelect.addEventListener('change', () => {
    if (imageSelect.value === 'own') { useOwn = true; rerun(); return; }
    useOwn = false;
    onUi({ img: imageSelect.value });
  });
  fileInput.addEventListener('change', () => {
    const file = fileInput.files && fileInput.files[0];
    if (file) setOwnImage(file);
    fileInput.value = '';
  });
  root.addEventListener('dragover', (e) => {
    if (![...(e.dataTransfer?.types || [])].includes('Files')) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
    root.classList.add('is-drop-target');
  });
  root.addEventListener('dragleave', (e) => { if (!root.contains(e.relatedTarget)) root.classList.remove('is-drop-target'); });
  root.addEventListener('drop', (e) => {
    root.classList.remove('is-drop-target');
    const file = e.dataTransfer?.files?.[0];
    if (!file) return;
    e.preventDefault();
    setOwnImage(file);
  });
  seedInput.addEventListener('input', () => {
    const t = seedInput.value.trim();
    const ok = /^\d{1,10}$/.test(t) && Number(t) <= 0xffffffff;
    seedError.textContent = ok ? '' : 'A whole number from 0 to 4294967295.';
    seedError.hidden = ok;
    if (ok) seedInput.removeAttribute('aria-invalid'); else seedInput.setAttribute('aria-invalid', 'true');
    if (ok) onUi({ seed: Number(t) }, { typing: 'seed' });
  });
  seedInput.addEventListener('blur', () => endTyping());
  seedButton.addEventListener('click', () => {
    const seed = crypto.getRandomValues(new Uint32Array(1))[0];
    onUi({ seed });
    announce(`New seed ${seed}: every random layer has new weights.`);
  });
  filterSelect.addEventListener('change', () => {
    if (filterSelect.value === 'custom') return;
    onUi({ w0: filterSelect.value });
  });
  gridReset.addEventListener('click', () => {
    const base = ctx?.ui?.w0;
    onUi({ w0: typeof base === 'string' ? base : 'identity' });
  });

  function setOwnImage(file) {
    fileCounter += 1;
    ownImage = { id: fileCounter, name: file.name || 'image', blob: file };
    useOwn = true;
    announce(`Previewing your image ${ownImage.name}. It is never uploaded or stored: a reload or a shared link shows the sample image again.`);
    syncControls();
    rerun();
  }

  function firstConvStep() {
    return plan?.supported && plan.firstConv >= 0 ? plan.steps[plan.firstConv] : null;
  }

  function syncControls() {
    const ui = ctx.ui;
    fill(imageSelect,
      SAMPLES.map((s) => h('option', { value: s }, SAMPLE_LABELS[s] || s)),
      ownImage ? h('option', { value: 'own' }, `Your image: ${ownImage.name}`) : null);
    imageSelect.value = useOwn && ownImage ? 'own' : ui.img;
    if (document.activeElement !== seedInput) {
      seedInput.value = String(ui.seed);
      seedError.hidden = true;
      seedInput.removeAttribute('aria-invalid');
    }
    const custom = typeof ui.w0 !== 'string';
    fill(filterSelect,
      FILTERS.map((f) => h('option', { value: f.id }, f.label)),
      custom ? h('option', { value: 'custom' }, 'Typed values') : null);
    filterSelect.value = custom ? 'custom' : ui.w0;
    const step = firstConvStep();
    filterSelect.disabled = !step?.kernel;
    if (!step?.kernel) {
      // No kernel: the first convolution was refused before its sizes (the table says why).
      filterNote.textContent = step ? `${capitalize(layerRef(step.index, step.name))} is not computed: see the table.` : 'No convolution in this network.';
      gridDetails.hidden = true;
      return;
    }
    const cin = step.inShape[2];
    filterNote.textContent = step.type === 'depthwise_conv'
      ? `${capitalize(layerRef(step.index, step.name))}: applied to every channel.`
      : `${capitalize(layerRef(step.index, step.name))}: filter f reads input channel f mod ${cin / (step.groups || 1)}${ui.w0 === DEFAULT_FILTER ? '' : '; other layers: seeded random'}.`;
    renderGrid(step, ui.w0);
  }

  function renderGrid(step, w0) {
    const [kh, kw] = step.kernel;
    gridDetails.hidden = false;
    if (kh > MAX_GRID || kw > MAX_GRID) {
      gridNote.textContent = `A ${kh}×${kw} kernel is too large to edit here (up to ${MAX_GRID}×${MAX_GRID}).`;
      fill(gridBody);
      gridReset.hidden = true;
      return;
    }
    gridReset.hidden = typeof w0 === 'string';
    if (w0 === 'he') {
      gridNote.textContent = 'He init draws every filter separately. Pick a classic filter to see and edit its values.';
      fill(gridBody);
      return;
    }
    gridNote.textContent = `${kh}×${kw}, as the layer uses them${typeof w0 === 'string' ? '' : ' (typed)'}. Typing a value makes a typed filter.`;
    const values = kernelValues(w0, kh, kw);
    const active = document.activeElement;
    const focusedIndex = active && gridBody.contains(active) ? Number(active.dataset.cell) : -1;
    if (focusedIndex >= 0 && gridBody.childElementCount === kh * kw) return; // mid-typing: keep the caret
    gridBody.classList.toggle('is-wide', kw > 5);
    gridBody.dataset.cols = String(kw);
    fill(gridBody, values.map((v, i) => {
      const input = h('input', {
        type: 'text', class: 'mono kernel-cell', inputmode: 'decimal', autocomplete: 'off', spellcheck: 'false',
        value: numberText(v), 'aria-label': `Row ${Math.floor(i / kw) + 1}, column ${(i % kw) + 1}`, dataset: { cell: String(i) },
      });
      input.addEventListener('input', () => onCellInput(input, step));
      input.addEventListener('blur', () => endTyping());
      return input;
    }));
    gridBody.style.gridTemplateColumns = `repeat(${kw}, minmax(0, 1fr))`;
  }

  function onCellInput(input, step) {
    const t = input.value.trim();
    const v = /^[-−]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t) ? Number(t.replace('−', '-')) : NaN;
    if (!Number.isFinite(v) || Math.abs(v) > 1e6) { input.setAttribute('aria-invalid', 'true'); return; }
    input.removeAttribute('aria-invalid');
    const [kh, kw] = step.kernel;
    const values = kernelValues(ctx.ui.w0 === 'he' ? 'identity' : ctx.ui.w0, kh, kw);
    values[Number(input.dataset.cell)] = v;
    const next = { rows: kh, cols: kw, values };
    if (typeof ctx.ui.w0 !== 'string' && filterEquals(ctx.ui.w0, next)) return;
    onUi({ w0: next }, { typing: 'w0' });
  }

  // ---- worker --------------------------------------------------------------------

  function restartWorker() {
    worker?.terminate();
    worker = null;
    inFlight = false;
  }

  function ensureWorker() {
    if (worker || workerFailed) return worker;
    try {
      worker = new Worker(new URL('./preview-worker.js', import.meta.url), { type: 'module' });
    } catch (err) {
      workerFailed = String(err?.message || err);
      return null;
    }
    worker.addEventListener('message', (e) => onMessage(e.data));
    worker.addEventListener('error', (e) => {
      e.preventDefault?.();
      restartWorker();
      showGlobalError(`The preview worker failed: ${e.message || 'it could not start'}.`);
    });
    return worker;
  }

  function imageSource() {
    if (useOwn && ownImage) return { kind: 'file', id: ownImage.id, name: ownImage.name, blob: ownImage.blob };
    return { kind: 'sample', name: ctx.ui.img };
  }

  /** The last layer (-1: the input) whose map the page holds and this run would compute identically. */
  function resumePoint(keys) {
    let last = null;
    for (const [index, key] of keys) {
      const r = results.get(index);
      if (!r || r.key !== key || !r.values) break;
      last = index;
    }
    return last;
  }

  /**
   * The maps up to `last` that later steps read, as [index, values] pairs:
   * copied to the worker (structured clone), never transferred, since the
   * page keeps showing them.
   */
  function resumeMaps(last) {
    const needed = new Set(plan.steps.filter((s) => s.compute && s.index > last).flatMap((s) => s.reads));
    return [...needed].filter((r) => r <= last).map((r) => [r, results.get(r).values]);
  }

  function rerun({ force = true } = {}) {
    if (!plan?.supported) return;
    const image = imageSource();
    const keys = pixelKeys(plan, image, ctx.ui.seed, ctx.ui.w0);
    const key = [...keys.values()].join(',');
    if (!force && key === runKey) return;
    runKey = key;
    // Layers before the first changed one keep their maps: the run resumes after them.
    const last = resumePoint(keys);
    runKeys = keys;
    // A run can only stop between layers. One stuck in a long layer for more
    // than STUCK_MS is abandoned with its worker (the next one starts fresh).
    if (inFlight && worker && performance.now() - runStarted > STUCK_MS) restartWorker();
    const w = ensureWorker();
    if (!w) { showGlobalError(`Previews need Web Workers: ${workerFailed}`); return; }
    gen += 1;
    runStarted = performance.now();
    runEditAt = editAt || runStarted;
    drawnMs = null;
    editAt = 0;
    root.dataset.state = 'running';
    root.dataset.gen = String(gen);
    inFlight = true;
    // Maps the run will replace are dimmed only if it is slow to replace them:
    // a quick refresh neither flashes them nor restyles every card twice.
    clearTimeout(staleTimer);
    staleTimer = setTimeout(() => {
      for (const [index, card] of cards) if ((last === null || index > last) && results.get(index)?.gen !== gen) setStale(card, true);
    }, STALE_AFTER_MS);
    // Thumbnails are drawn at most ~72 CSS px wide: no bitmap needs more device pixels than that.
    const caps = { ...plan.caps, thumbPx: Math.ceil(72 * Math.min(3, window.devicePixelRatio || 1)) };
    const resume = last === null ? null : { index: last, maps: resumeMaps(last) };
    root.dataset.resumed = String(last === null ? -2 : last);
    // The sliding-window view's maps come as soon as they are computed; the others' values after the thumbnails.
    const firstValues = view.shownMaps();
    w.postMessage({ type: 'run', gen, plan, image, seed: ctx.ui.seed, filter: ctx.ui.w0, caps, resume, firstValues, ...engineOverrides() });
  }

  // ?workers=N and ?kernels=simd128|fma|threads in the page's address
  // (benchmarks, comparing builds): how many workers compute convolutions and
  // which kernel build they load; by default the threaded FMA build where the
  // page is cross-origin isolated and the browser has relaxed SIMD, else the
  // FMA build in one worker per core but the first (SIMD128 without relaxed
  // SIMD). The kernel build is read when the worker starts.
  function engineOverrides() {
    const params = new URLSearchParams(location.search);
    const out = {};
    const workers = Number(params.get('workers'));
    if (Number.isInteger(workers) && workers > 0) out.workers = workers;
    const kernels = params.get('kernels');
    if (kernels === 'simd128' || kernels === 'fma' || kernels === 'threads') out.kernels = kernels;
    return out;
  }

  // A run that has not replaced a map after this long dims it as out of date.
  const STALE_AFTER_MS = 250;
  let staleTimer = 0;
  /** Dim or undim a card (a class change restyles it: only when it changes). */
  function setStale(card, on) {
    if (card.el.classList.contains('is-stale') !== on) card.el.classList.toggle('is-stale', on);
  }

  /**
   * The refresh's figure, once per run: from the edit (or the control that
   * started the run) to the last thumbnail drawn (data-ms, the
   * 'convscope:preview' measure).
   */
  let drawnMs = null;
  function markDrawn() {
    if (drawnMs === null) {
      const end = performance.now();
      drawnMs = end - runEditAt;
      performance.measure('convscope:preview', { start: runEditAt, end });
      root.dataset.ms = drawnMs.toFixed(2);
    }
    return drawnMs;
  }

  const closeBitmaps = (msg) => {
    msg?.composite?.close?.();
  };

  // The layers' pictures are drawn together: at the run's end, and while a
  // slow run goes on, FIRST_DRAW_MS after it started and then at most every
  // DRAW_EVERY_MS. Each drawing is a frame that restyles, re-layers and
  // commits every thumbnail canvas on the page (one compositor layer each),
  // so a frame per layer cost the main thread more than the worker's whole
  // run and took the second core from it; a quick run is one frame.
  const FIRST_DRAW_MS = 200;
  const DRAW_EVERY_MS = 100;
  const toDraw = new Map(); // layer index -> its 'layer' message, not drawn yet
  let drawTimer = 0;
  function drawQueued() {
    clearTimeout(drawTimer);
    drawTimer = 0;
    const queued = [...toDraw.values()];
    toDraw.clear();
    // A result replaced since (a newer run's) is not drawn: its bitmap (the input's picture) is freed.
    for (const msg of queued) if (results.get(msg.index) === msg) drawLayer(msg); else closeBitmaps(msg);
  }

  function onMessage(msg) {
    if (!msg || msg.gen !== gen) {
      // A stale run's bitmap (the input's picture): free it at once.
      closeBitmaps(msg);
      return;
    }
    if (msg.type === 'layer') {
      msg.key = runKeys.get(msg.index);
      release(results.get(msg.index));
      results.set(msg.index, msg);
      closeBitmaps(toDraw.get(msg.index));
      toDraw.set(msg.index, msg);
      if (!drawTimer) drawTimer = setTimeout(drawQueued, Math.max(DRAW_EVERY_MS, runStarted + FIRST_DRAW_MS - performance.now()));
    } else if (msg.type === 'values') {
      // A layer's values follow its thumbnails (once the next layer has read them).
      const result = results.get(msg.index);
      if (result) {
        result.values = msg.values;
        // The sliding-window view redraws once the values it shows are all
        // here (while the worker computes later layers), not at the run's end.
        view.setResults(results, msg.index);
        // A focused map of this result waiting for its values: show them.
        const card = cards.get(msg.index);
        const active = card?.msg === result ? card.cells[card.active] : null;
        if (active && active.cell === document.activeElement) showProbe(card, result, active, card.probe.y, card.probe.x);
      }
    } else if (msg.type === 'thumbnails-done') {
      // Every layer's pictures are here: drawn now, the refresh's figure taken
      // (the values for hover and the sliding-window view follow).
      clearTimeout(staleTimer);
      drawQueued();
      markDrawn();
    } else if (msg.type === 'done') {
      clearTimeout(staleTimer);
      drawQueued();
      inFlight = false;
      view.setResults(results);
      const total = markDrawn();
      root.dataset.valuesMs = (performance.now() - runEditAt).toFixed(2);
      root.dataset.state = 'done';
      root.dataset.peakFloats = String(msg.peakFloats ?? '');
      root.dataset.workerMs = msg.totalMs.toFixed(2);
      root.dataset.computeMs = msg.computeMs.toFixed(2);
      root.dataset.publishMs = (msg.publishMs ?? 0).toFixed(2);
      root.dataset.kernels = msg.kernels || '';
      root.dataset.workers = String(msg.workers || 1);
      root.dataset.threads = String(msg.threads || 1);
      const build = msg.kernels === 'simd128' ? 'SIMD128 kernels' : 'SIMD kernels with fused multiply-add (relaxed SIMD)';
      const engine = msg.convEngine === 'simd' ? `convolutions in the ${build} (WebAssembly)`
        : msg.convEngine === 'js' ? 'convolutions in plain JS (no SIMD kernels in this build)' : 'no convolutions';
      const where = msg.threads > 1 ? `in a Web Worker, convolutions split by rows across ${msg.threads} threads (WebAssembly threads: the page is cross-origin isolated)`
        : msg.workers > 1 ? `in ${msg.workers} Web Workers (convolutions split by rows)` : 'in a Web Worker';
      // A host's hint: its page could run the threaded kernels with two headers.
      const unshared = msg.unshared ? '; WebAssembly threads would need the page cross-origin isolated (served with the COOP and COEP headers)' : '';
      footer.textContent = `Refreshed in ${ms(total)} (worker ${ms(msg.totalMs)}): ${engine}; pooling, upsampling, ReLU and the thumbnails in SIMD kernels too where they apply, other activations and the rest in JS; ${where}${unshared}.`;
      renderNotices(msg.engineNote);
      for (const [index, card] of cards) {
        setStale(card, false);
        // A layer the run did not reach (an earlier layer's preview failed): say so, not "Computing…".
        if (!results.has(index) && card.body.querySelector('.fm-wait')) {
          fill(card.body, h('p', { class: 'fm-note' }, 'Not previewed: an earlier layer\'s preview failed.'));
        }
      }
    } else if (msg.type === 'error') {
      drawQueued(); // the layers before it, as they were computed
      // A whole-run failure ends the run; a layer's failure is followed by 'done'.
      if (msg.index === null || msg.index === undefined) showGlobalError(`Previews could not run: ${msg.message}`);
      // A WebAssembly trap leaves the module unusable: the next run gets a new worker.
      if (/abort|RuntimeError|unreachable|out of memory/i.test(msg.message)) {
        restartWorker();
        root.dataset.state = 'done';
      }
      else {
        const card = cards.get(msg.index);
        if (card) {
          setStale(card, false);
          drop(msg.index);
          fill(card.body, msg.skipped ? h('p', { class: 'fm-note' }, msg.message)
            : h('div', { class: 'fm-void' }, h('p', { class: 'fm-void-title' }, 'Preview failed'), h('p', null, msg.message)));
        }
      }
    }
  }

  function drop(index) {
    release(results.get(index));
    results.delete(index);
  }

  /** A result the page no longer shows: its values go back to the worker for reuse. */
  function release(result) {
    const buffer = result?.values?.buffer;
    if (!buffer || !worker || buffer.byteLength < (1 << 16)) return;
    result.values = null;
    worker.postMessage({ type: 'recycle', buffers: [buffer] }, [buffer]);
  }

  function showGlobalError(text) {
    inFlight = false;
    view.setResults(results);
    root.dataset.state = 'done';
    renderNotices();
    notices.append(h('p', { class: 'preview-notice is-error' }, text));
  }

  // ---- cards ------------------------------------------------------------------------

  function cardFor(index) {
    let card = cards.get(index);
    if (card) return card;
    const head = h('div', { class: 'fm-head' });
    const body = h('div', { class: 'fm-body' });
    const readout = h('p', { class: 'fm-readout mono' });
    const el = h('li', { class: 'fm-layer', dataset: { index: String(index) } }, head, body, readout);
    card = { el, head, body, readout, grid: null, cells: [], active: 0 };
    cards.set(index, card);
    return card;
  }

  function headFor(card, { index, title, typeText, shape, status, windowed }) {
    // Unchanged heads are left alone: a refresh (a new seed) changes none.
    const sig = JSON.stringify([index, title, typeText, shape, status, Boolean(windowed)]);
    if (card.headSig === sig) return;
    card.headSig = sig;
    fill(card.head,
      h('span', { class: 'fm-index mono', 'aria-hidden': 'true' }, index < 0 ? '·' : String(index + 1)),
      h('span', { class: 'fm-name mono' }, title),
      typeText ? h('span', { class: 'fm-type' }, typeText) : null,
      h('span', { class: `fm-shape mono${status === 'error' ? ' is-error' : ''}` }, shape),
      h('span', { class: 'fm-time mono', dataset: { role: 'time' } }, index >= 0 ? timeText(results.get(index)) : ''),
      windowed ? h('button', {
        type: 'button', class: 'link-btn fm-window',
        'aria-label': `Show the sliding window of ${layerRef(index, title)}`,
        onclick: () => { onUi({ win: index + 1 }); view.focus(); },
      }, 'Sliding window') : null);
  }

  function renderCards() {
    const wanted = new Set([-1, ...plan.steps.map((s) => s.index)]);
    for (const [index, card] of cards) {
      if (!wanted.has(index)) { card.el.remove(); cards.delete(index); drop(index); }
    }
    const order = [];
    const input = cardFor(-1);
    headFor(input, { index: -1, title: 'input', shape: shapeText(plan.input), status: 'ok' });
    if (results.get(-1) && results.get(-1).shape.join() !== plan.input.join()) drop(-1);
    if (!results.has(-1)) fill(input.body, h('p', { class: 'fm-wait muted' }, 'Loading the image…'));
    order.push(input.el);
    for (const step of plan.steps) {
      const card = cardFor(step.index);
      const typeText = ctx.typeLabel(step.type);
      const shape = step.outShape ? shapeText(step.outShape) : step.status === 'error' ? 'no output' : '—';
      headFor(card, { index: step.index, title: step.name, typeText, shape, status: step.status, windowed: step.windowed && Boolean(step.inShape) });
      card.el.className = `fm-layer is-${step.status}`;
      if (step.status === 'error') {
        card.grid = null;
        fill(card.body, voidCard(step));
        fill(card.readout);
      } else if (step.compute) {
        // Old maps stay (dimmed) until the new ones arrive, unless they are another shape.
        const old = results.get(step.index);
        if (old && old.shape.join() !== step.outShape.join()) drop(step.index);
        if (!results.has(step.index)) {
          card.grid = null;
          fill(card.body, h('p', { class: 'fm-wait muted' }, 'Computing…'));
          fill(card.readout);
        }
      } else {
        card.grid = null;
        fill(card.body, h('p', { class: 'fm-note' }, whyNoMap(step)));
        fill(card.readout);
        drop(step.index);
      }
      order.push(card.el);
    }
    // Append in order (moves existing nodes; new ones are created), only when
    // the order changed: re-inserting every card restyled, relaid and
    // repainted all their canvases at each refresh.
    const current = list.children;
    if (order.length !== current.length || order.some((el, i) => current[i] !== el)) list.replaceChildren(...order);
  }

  /** Why a layer that is not failing has no map: never a silent blank card. */
  function whyNoMap(step) {
    if (step.status === 'skipped') return `Not computed: ${step.message || 'its input does not exist (an earlier layer failed)'}.`;
    if (step.note) return step.note;
    const stop = plan.stop;
    if (stop && step.index === stop.index) {
      if (stop.reason === 'macs') return `Not previewed: with this layer one refresh needs ${compactCount(stop.needed)} MACs, over the ${compactCount(plan.caps.macs)} cap.`;
      if (stop.reason === 'held') return `Not previewed: the maps up to here would hold ${countText(stop.held)} values, over the cap of ${countText(plan.caps.held)} per refresh.`;
      return `Not previewed: its output holds ${countText(stop.elements)} values, over the cap of ${countText(plan.caps.elements)} per map.`;
    }
    if (stop && step.index > stop.index) return 'Not previewed (after the cap).';
    if (step.blockedBy !== undefined) {
      const from = plan.steps[step.blockedBy];
      return `Not previewed: its input, ${layerRef(from.index, from.name)}, has no map${from.status === 'error' ? ' (it fails)' : ''}.`;
    }
    return 'Not previewed.';
  }

  function voidCard(step) {
    // The map vanishes here: the report's own words and formula, not a blank.
    const title = step.formula ? `No output: ${step.formula}` : 'No output';
    const merge = step.inputNames.length > 1;
    return h('div', { class: 'fm-void', role: 'note' },
      h('p', { class: 'fm-void-title' }, h('span', { 'aria-hidden': 'true' }, '✕ '), title),
      step.message ? h('p', null, step.message) : null,
      merge ? h('ul', { class: 'fm-arriving mono' }, step.inputNames.map((n, k) => h('li', null, `${n}: ${step.arriving[k] ? shapeText(step.arriving[k]) : 'no shape'}`))) : null,
      step.trace ? h('p', null, step.trace) : null,
      step.frameworkError ? h('pre', { class: 'fw-error' }, step.frameworkError) : null,
      step.windowed && step.inShape ? h('button', {
        type: 'button', class: 'btn',
        onclick: () => { onUi({ win: step.index + 1 }); view.focus(); },
      }, 'See the window not fit') : null);
  }

  function drawLayer(msg) {
    const card = cardFor(msg.index);
    const [H, W, C] = msg.shape;
    setStale(card, false);
    // Where the map was computed ('simd' kernels or 'js'), for the tests and developer tools.
    if (msg.index >= 0) card.el.dataset.engine = msg.engine || 'js';
    // How many workers computed it (a conv split by rows across the preview worker's helpers).
    if (msg.index >= 0) card.el.dataset.bands = String(msg.bands || 1);
    const time = card.head.querySelector('[data-role="time"]');
    if (time && msg.index >= 0) time.textContent = timeText(msg);
    // Many maps: the first few, and a button for the rest (the page stays scannable).
    const limit = matchMedia('(max-width: 560px)').matches ? 8 : 16;
    // The pictures, in cell order: the image the network sees (a bitmap), then
    // each channel's RGBA plane of msg.rgba (cols x rows, one after another).
    const plane = msg.cols * msg.rows * 4;
    const channel = (ch) => (ctx) => ctx.putImageData(new ImageData(new Uint8ClampedArray(msg.rgba, ch * plane, plane), msg.cols, msg.rows), 0, 0);
    const pictures = Array.from({ length: msg.shown }, (_, ch) => ({ width: msg.cols, height: msg.rows, paint: channel(ch) }));
    if (msg.composite) {
      const bitmap = msg.composite;
      pictures.unshift({ width: bitmap.width, height: bitmap.height, paint: (ctx) => { ctx.drawImage(bitmap, 0, 0); bitmap.close(); } });
    }
    const caveat = msg.index >= 0 ? plan.steps[msg.index]?.caveat || '' : '';
    const name = msg.index < 0 ? 'input' : plan.steps[msg.index]?.name || `layer ${msg.index + 1}`;
    const sig = [H, W, C, msg.shown, pictures.length, pictures[0]?.width, pictures[0]?.height, msg.cols, msg.rows, limit, caveat, name].join('\u0000');
    card.msg = msg; // what the grid's listeners read
    if (card.grid && card.sig === sig && card.body.contains(card.grid)) {
      // The same grid as the last run's (a new seed, filter or image): only
      // the pictures change. Rebuilding every cell each refresh cost the page
      // more than the worker's whole run (style, layout and a new compositor
      // layer per canvas).
      card.cells.forEach((c, i) => pictures[i].paint(c.ctx));
      // A focused map keeps its probe: the readout follows the new values (once they arrive).
      const active = card.cells[card.active];
      if (active && active.cell === document.activeElement) showProbe(card, msg, active, card.probe.y, card.probe.x);
      else card.readout.textContent = rangeText(msg);
      return;
    }
    card.sig = sig;
    const grid = h('div', { class: 'fm-grid', role: 'group', 'aria-label': `${name}: ${msg.shown} channel map${msg.shown === 1 ? '' : 's'}; arrow keys move between maps, Shift+arrows move the probe` });
    const cells = [];
    const small = W <= THUMB_MAX_PX && H <= THUMB_MAX_PX;
    const place = (picture, label, extraClass) => {
      // The picture may be smaller than the map (averaged down for a thumbnail); CSS keeps the map's aspect.
      const canvas = h('canvas', { class: `fm-thumb${small ? ' is-pixelated' : ''}`, width: String(picture.width), height: String(picture.height), role: 'img', 'aria-label': label });
      const ctx = canvas.getContext('2d');
      picture.paint(ctx);
      const probe = h('span', { class: 'fm-probe', hidden: true, 'aria-hidden': 'true' });
      const cell = h('div', { class: `fm-cell${extraClass ? ` ${extraClass}` : ''}`, tabindex: '-1' }, canvas, probe);
      // Height follows the map's aspect ratio (CSSOM, not a style attribute).
      canvas.style.aspectRatio = `${W} / ${H}`;
      return { cell, canvas, ctx, probe };
    };
    const offset = msg.composite ? 1 : 0;
    pictures.forEach((picture, i) => {
      const ch = i - offset;
      const c = ch < 0 ? place(picture, `The ${W}×${H} image the network sees`, 'is-composite') : place(picture, `Channel ${ch + 1} of ${C}`);
      c.channel = ch;
      cells.push(c);
    });
    const extra = msg.shown - limit;
    cells.forEach((c) => { if (c.channel >= limit) c.cell.classList.add('is-extra'); });
    for (const c of cells) grid.append(c.cell);
    card.el.classList.toggle('is-expanded', Boolean(card.expanded));
    const moreText = () => (card.expanded ? 'Show fewer maps' : `Show ${extra} more map${extra === 1 ? '' : 's'}`);
    const more = extra > 0 ? h('button', {
      type: 'button', class: 'link-btn fm-more', 'aria-expanded': card.expanded ? 'true' : 'false',
    }, moreText()) : null;
    // What the card says it shows is what is visible: the folded maps are not "shown".
    const shownNote = h('p', { class: 'fm-note', dataset: { role: 'shown' } });
    const writeShown = () => {
      const visible = card.expanded || extra <= 0 ? msg.shown : limit;
      shownNote.textContent = visible < C
        ? `Showing channels 1–${visible} of ${C}${C > msg.shown ? ` (previews compute the first ${msg.shown})` : ''}.` : '';
      shownNote.hidden = !shownNote.textContent;
    };
    writeShown();
    more?.addEventListener('click', () => {
      card.expanded = !card.expanded;
      card.el.classList.toggle('is-expanded', card.expanded);
      more.setAttribute('aria-expanded', card.expanded ? 'true' : 'false');
      more.textContent = moreText();
      writeShown();
      if (!card.expanded && card.cells[card.active]?.channel >= limit) {
        card.cells[card.active].cell.tabIndex = -1;
        card.active = 0;
        card.cells[0].cell.tabIndex = 0;
      }
    });
    card.cells = cells;
    card.grid = grid;
    card.probe = { ch: 0, y: Math.floor(H / 2), x: Math.floor(W / 2) };
    card.active = Math.min(card.active || 0, cells.length - 1);
    cells[card.active].cell.tabIndex = 0;
    const notes = [shownNote];
    if (caveat) notes.push(h('p', { class: 'fm-note' }, caveat));
    fill(card.body, grid, more, notes);
    card.readout.textContent = rangeText(msg);
    wireGrid(card);
  }

  /** A layer's compute time; a ReLU computed in one pass with the conv before it says so. */
  function timeText(msg) {
    if (typeof msg?.withLayer === 'number') return `with layer ${msg.withLayer + 1}`;
    return typeof msg?.ms === 'number' ? ms(msg.ms) : '';
  }

  function rangeText(msg) {
    return `${msg.shown} map${msg.shown === 1 ? '' : 's'} of ${msg.shape[0]}×${msg.shape[1]} · point at a map (or focus it) for values`;
  }

  function valueAt(msg, ch, y, x) {
    const [, W, C] = msg.shape;
    return msg.values ? msg.values[(y * W + x) * C + ch] : null;
  }

  function showProbe(card, msg, c, y, x) {
    const [H, W, C] = msg.shape;
    for (const other of card.cells) other.probe.hidden = true;
    if (c.channel < 0) {
      card.readout.textContent = `image · row ${y}, col ${x} · ${C === 1 ? 'grey' : C === 3 ? 'RGB' : `${C} channels from RGB`}`;
      return;
    }
    const v = valueAt(msg, c.channel, y, x);
    if (v === null) {
      card.readout.textContent = `ch ${c.channel + 1} · row ${y}, col ${x} · …`;
      return;
    }
    const [lo, hi] = channelRange(msg, c.channel);
    card.readout.textContent = `ch ${c.channel + 1} · row ${y}, col ${x} · ${fmt(v)}   (map ${fmt(lo)} … ${fmt(hi)})`;
    card.readout.dataset.value = String(v);
    if (W * H > 1) {
      c.probe.hidden = false;
      c.probe.style.left = `${(x / W) * 100}%`;
      c.probe.style.top = `${(y / H) * 100}%`;
      c.probe.style.width = `${100 / W}%`;
      c.probe.style.height = `${100 / H}%`;
    }
  }

  /** The grid's listeners: they read card.msg, the latest result drawn in it (the grid outlives a run). */
  function wireGrid(card) {
    const [H, W] = card.msg.shape;
    card.cells.forEach((c, i) => {
      const probeAt = (e) => {
        const r = c.canvas.getBoundingClientRect();
        const x = Math.min(W - 1, Math.max(0, Math.floor(((e.clientX - r.left) / r.width) * W)));
        const y = Math.min(H - 1, Math.max(0, Math.floor(((e.clientY - r.top) / r.height) * H)));
        card.probe.x = x;
        card.probe.y = y;
        showProbe(card, card.msg, c, y, x);
      };
      c.cell.addEventListener('pointermove', probeAt);
      c.cell.addEventListener('pointerdown', probeAt);
      c.cell.addEventListener('pointerleave', () => { c.probe.hidden = true; card.readout.textContent = rangeText(card.msg); });
      c.cell.addEventListener('focus', () => {
        // Roving tab stop: the map that has focus is the one Tab comes back to.
        if (card.cells[card.active]) card.cells[card.active].cell.tabIndex = -1;
        card.active = i;
        c.cell.tabIndex = 0;
        showProbe(card, card.msg, c, card.probe.y, card.probe.x);
      });
      c.cell.addEventListener('blur', () => { c.probe.hidden = true; });
      c.cell.addEventListener('click', () => { c.cell.focus(); view.pickChannel(card.msg.index, c.channel); });
    });
    card.grid.addEventListener('keydown', (e) => {
      const n = card.cells.filter((c) => c.cell.offsetParent !== null).length;
      let i = card.active;
      if (e.shiftKey && ['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown'].includes(e.key)) {
        const p = card.probe;
        if (e.key === 'ArrowLeft') p.x = Math.max(0, p.x - 1);
        if (e.key === 'ArrowRight') p.x = Math.min(W - 1, p.x + 1);
        if (e.key === 'ArrowUp') p.y = Math.max(0, p.y - 1);
        if (e.key === 'ArrowDown') p.y = Math.min(H - 1, p.y + 1);
        showProbe(card, card.msg, card.cells[i], p.y, p.x);
        e.preventDefault();
        return;
      }
      const perRow = Math.max(1, Math.round(card.grid.clientWidth / (card.cells[0].cell.offsetWidth + 6)));
      if (e.key === 'ArrowRight') i = Math.min(n - 1, i + 1);
      else if (e.key === 'ArrowLeft') i = Math.max(0, i - 1);
      else if (e.key === 'ArrowDown') i = Math.min(n - 1, i + perRow);
      else if (e.key === 'ArrowUp') i = Math.max(0, i - perRow);
      else if (e.key === 'Home') i = 0;
      else if (e.key === 'End') i = n - 1;
      else return;
      e.preventDefault();
      card.cells[card.active].cell.tabIndex = -1;
      card.active = i;
      card.cells[i].cell.tabIndex = 0;
      card.cells[i].cell.focus();
    });
  }

  function renderNotices(engineNote) {
    const items = [];
    if (!plan) return;
    if (!plan.supported) {
      items.push(h('p', { class: 'preview-notice' }, plan.reason));
    } else {
      if (plan.stop?.reason === 'macs') {
        const step = plan.steps[plan.stop.index];
        items.push(h('p', { class: 'preview-notice is-warning', id: 'preview-cap-notice' },
          h('strong', null, 'MAC cap: '),
          `this network needs ${compactCount(plan.total)} multiply-accumulates for one image; previews stop before ${layerRef(step.index, step.name)} to stay under ${compactCount(plan.caps.macs)}. Shapes above are still exact.`));
      } else if (plan.stop?.reason === 'held') {
        const step = plan.steps[plan.stop.index];
        items.push(h('p', { class: 'preview-notice is-warning', id: 'preview-cap-notice' },
          h('strong', null, 'Memory cap: '),
          `the maps up to ${layerRef(step.index, step.name)} would hold ${countText(plan.stop.held)} values, over the ${countText(plan.caps.held)} one refresh keeps; previews stop there. Shapes above are still exact.`));
      } else if (plan.stop?.reason === 'elements') {
        const step = plan.steps[plan.stop.index];
        items.push(h('p', { class: 'preview-notice is-warning', id: 'preview-cap-notice' },
          h('strong', null, 'Size cap: '),
          `${layerRef(step.index, step.name)} outputs ${countText(plan.stop.elements)} values, over the ${countText(plan.caps.elements)} a preview holds; previews stop there.`));
      }
      const wide = plan.steps.filter((s) => s.compute && s.outShape && s.outShape[2] > plan.caps.channels).length
        + (plan.input[2] > plan.caps.channels ? 1 : 0);
      if (wide) items.push(h('p', { class: 'preview-notice' }, `${wide} layer${wide === 1 ? ' has' : 's have'} more than ${plan.caps.channels} channels: previews compute the first ${plan.caps.channels} of each.`));
      if (plan.batch > 1) items.push(h('p', { class: 'preview-notice' }, `The input has a batch of ${plan.batch}; the previews run one image.`));
    }
    if (engineNote) items.push(h('p', { class: 'preview-notice is-warning' }, `Note: ${engineNote}.`));
    fill(notices, items);
  }

  let pending = null;
  let scheduled = false;

  function flush() {
    scheduled = false;
    const next = pending;
    pending = null;
    if (next) apply(next);
  }

  /** Re-plan, redraw the cards, re-run if anything a pixel depends on changed. */
  function apply(next) {
    const previousImg = ctx?.ui?.img;
    ctx = next;
    if (previousImg !== undefined && previousImg !== next.ui.img) useOwn = false;
    plan = buildPlan(next.network, next.report, next.layout, getSchema(), CAPS);
    syncControls();
    renderNotices();
    if (!plan.supported) {
      // Nothing to preview: the run in flight (if any) is stale now.
      gen += 1;
      inFlight = false;
      worker?.postMessage({ type: 'cancel', gen });
      list.replaceChildren();
      cards.clear();
      results.clear();
      footer.textContent = '';
      root.dataset.state = 'done';
      view.update({ plan, results, win: next.ui.win, typeLabel: next.typeLabel });
      return;
    }
    renderCards();
    view.update({ plan, results, win: next.ui.win, typeLabel: next.typeLabel });
    rerun({ force: false });
    // Nothing to recompute (e.g. a name changed): the cards keep their maps.
    if (!inFlight) {
      root.dataset.state = 'done';
      clearTimeout(staleTimer);
      for (const card of cards.values()) setStale(card, false);
    } else root.dataset.state = 'running';
  }

  return {
    /**
     * New network, report or UI keys. The work waits for the edit's own
     * script to end (a microtask), so edits made together cost one plan and
     * one run, and it still runs before the frame that shows the edit, so the
     * worker starts at once. (A task queued behind the edit ran after that
     * frame: Chromium draws first after input, ~10 ms of layout and paint
     * before the worker got the run; the next animation frame, before that,
     * was up to a frame later still.) data-state on the root: pending ->
     * running -> done (tests and the budget script wait on it).
     */
    update(next) {
      pending = next;
      if (!editAt) editAt = performance.now();
      root.dataset.state = 'pending';
      if (!scheduled) {
        scheduled = true;
        queueMicrotask(flush);
      }
    },
  };
}

