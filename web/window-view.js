// The sliding-window view: for one conv or pooling layer, hovering (or
// moving with the arrow keys over) an output cell highlights the input cells
// its window reads, on the real input map, with the padding ring, the
// dilation gaps and — for a transposed conv — the zeros its stride inserts
// drawn as in Dumoulin & Visin's conv_arithmetic animations and ezyang's
// convolution visualizer. A layer with no output (size 0 or negative) shows
// its one attempted window hanging over the edge of the padded input.
// All geometry comes from the report (each layer's `geometry`), through
// windowAxis() in preview-plan.js; values from the preview worker's results.
// Canvas only (a 224x224 map is 50k cells).
import { h, fill } from './dom.js';
import { windowAxis } from './preview-plan.js';
import { viridisRgb, viridisLut } from './colormap.js';
import { shapeText, nameText, layerRef } from './format.js';

const CROP_MIN_CELL = 9; // smaller cells than this: show a zoomed crop around the window
const CROP_CELL = 16;
// The view walks every drawn cell of an axis and lists every channel: a
// hostile or absurd layer (a 2^31 kernel, 10^6 channels) would freeze the
// page, so beyond these it explains instead of drawing.
const MAX_AXIS_CELLS = 4096;
const MAX_CHANNELS = 4096;
const MAX_INPUT_PX = 440;
const MAX_OUTPUT_PX = 280;

const COLORS = Array.from({ length: 256 }, (_, i) => `rgb(${viridisRgb(i).join(' ')})`);
const clamp = (v, lo, hi) => Math.max(lo, Math.min(hi, v));
const minus = (n) => String(n).replace('-', '−');

function rangeText(list) {
  if (!list.length) return '';
  const step = list.length > 1 ? list[1] - list[0] : 1;
  if (step === 1) return list.length === 1 ? minus(list[0]) : `${minus(list[0])}…${minus(list[list.length - 1])}`;
  return list.map(minus).join(', ');
}

function cssVar(el, name, fallback) {
  return getComputedStyle(el).getPropertyValue(name).trim() || fallback;
}

function sizeCanvas(canvas, w, h) {
  const dpr = Math.max(1, Math.min(3, window.devicePixelRatio || 1));
  canvas.width = Math.max(1, Math.round(w * dpr));
  canvas.height = Math.max(1, Math.round(h * dpr));
  canvas.style.width = `${w}px`;
  canvas.style.height = `${h}px`;
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

/**
 * A channel's exact [min, max] over its map, computed here (and cached on the
 * result) rather than in the worker for every channel of every layer.
 */
export function channelRange(res, ch) {
  if (res.exact && ch < res.shown) return [res.lo[ch], res.hi[ch]];
  res.ranges = res.ranges || new Map();
  if (res.ranges.has(ch)) return res.ranges.get(ch);
  if (!res.values) return ch < res.shown ? [res.lo[ch], res.hi[ch]] : [0, 1];
  const C = res.shape[2];
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = ch; i < res.values.length; i += C) {
    const v = res.values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  res.ranges.set(ch, [lo, hi]);
  return [lo, hi];
}

/** The range colours are scaled to: the thumbnail's (so both views match), else the exact one. */
function displayRange(res, ch) {
  return ch < res.shown ? [res.lo[ch], res.hi[ch]] : channelRange(res, ch);
}

/** [offset, scale] taking a value to a LUT index. */
function lutScale(res, ch) {
  const [lo, hi] = displayRange(res, ch);
  return [lo, hi > lo ? 255 / (hi - lo) : 0];
}

/**
 * Channel `ch` of a W x H NHWC map of C channels as viridis pixels, the
 * value v at LUT index (v - offset) * scale: one table load a pixel (the
 * colour polynomial per pixel cost ~20 ms a refresh).
 */
function channelImage(values, W, H, C, ch, offset, scale) {
  const img = new ImageData(W, H);
  const px = new Uint32Array(img.data.buffer);
  const lut = viridisLut();
  for (let p = 0; p < H * W; p += 1) px[p] = lut[clamp(Math.floor((values[p * C + ch] - offset) * scale), 0, 255)];
  return img;
}

/**
 * A cell marked as read: a white ring inside a dark one, plus a light wash.
 * A tap outside the padded input (no such cell) is a dashed cross instead.
 */
function tapRing(ctx, x, y, cell, outer, missing) {
  if (missing) {
    ctx.strokeStyle = missing;
    ctx.lineWidth = cell >= 8 ? 1.5 : 1;
    ctx.setLineDash([3, 2]);
    ctx.strokeRect(x + 1, y + 1, cell - 2, cell - 2);
    ctx.setLineDash([]);
    if (cell >= 8) {
      const m = cell * 0.3;
      ctx.beginPath();
      ctx.moveTo(x + m, y + m); ctx.lineTo(x + cell - m, y + cell - m);
      ctx.moveTo(x + cell - m, y + m); ctx.lineTo(x + m, y + cell - m);
      ctx.stroke();
    }
    return;
  }
  ctx.fillStyle = '#fff';
  ctx.globalAlpha = 0.22;
  ctx.fillRect(x, y, cell, cell);
  ctx.globalAlpha = 1;
  if (cell < 5) {
    ctx.strokeStyle = outer;
    ctx.lineWidth = 1;
    ctx.strokeRect(x + 0.5, y + 0.5, cell - 1, cell - 1);
    return;
  }
  ctx.lineWidth = 1.5;
  ctx.strokeStyle = outer;
  ctx.strokeRect(x + 0.75, y + 0.75, cell - 1.5, cell - 1.5);
  ctx.strokeStyle = '#fff';
  ctx.strokeRect(x + 2.25, y + 2.25, cell - 4.5, cell - 4.5);
}

export function createWindowView(root, { onSelect }) {
  let plan = null;
  let results = new Map();
  let step = null;
  let axes = null;
  let sel = [0, 0];
  let inCh = 0;
  let outCh = 0;
  let typeLabel = (t) => t;
  let winNote = '';
  let crop = null; // {r0, c0, rows, cols} of the zoomed input, or null when everything fits
  let tooLarge = ''; // why the chosen layer is not drawn, or ''

  const layerSelect = h('select', { id: 'window-layer' });
  const inSelect = h('select', { id: 'window-in-channel' });
  const outSelect = h('select', { id: 'window-out-channel' });
  const desc = h('p', { class: 'window-desc mono', id: 'window-desc' });
  const note = h('p', { class: 'hint', id: 'window-note' });
  const inputCanvas = h('canvas', { id: 'window-input', class: 'window-canvas', role: 'img', 'aria-label': 'Input map with the window' });
  const overview = h('canvas', { id: 'window-overview', class: 'window-overview', role: 'img', 'aria-label': 'Whole input map; the frame marks the zoomed part' });
  const outputCanvas = h('canvas', {
    id: 'window-output', class: 'window-canvas is-interactive', tabindex: '0', role: 'img',
    'aria-label': 'Output map: hover a cell, or use the arrow keys, to see the window it reads',
  });
  const outputVoid = h('div', { class: 'fm-void', id: 'window-void', hidden: true });
  const inputTitle = h('h3', { class: 'window-pane-title' }, 'Input');
  const outputTitle = h('h3', { class: 'window-pane-title' }, 'Output');
  const readout = h('p', { class: 'window-readout', id: 'window-readout', 'aria-live': 'polite' });
  const figure = h('div', { class: 'window-figure', id: 'window-figure' },
    h('div', { class: 'window-pane' }, inputTitle, inputCanvas, overview),
    h('div', { class: 'window-pane' }, outputTitle, outputCanvas, outputVoid));
  const legendItem = (cls, text) => h('span', { class: 'window-key' }, h('span', { class: `key-swatch ${cls}`, 'aria-hidden': 'true' }), text);
  const keys = {
    tap: legendItem('is-tap', 'read by the window'),
    pad: legendItem('is-pad', 'padding'),
    zero: legendItem('is-zero', 'zero inserted by the stride'),
    beyond: legendItem('is-beyond', 'outside the padded input'),
  };
  const legend = h('p', { class: 'window-legend' }, Object.values(keys));
  const empty = h('p', { class: 'muted', id: 'window-empty', hidden: true });
  const body = h('div', { class: 'window-body' },
    h('div', { class: 'window-controls' },
      h('div', { class: 'control' }, h('label', { for: 'window-layer' }, 'Layer'), layerSelect),
      h('div', { class: 'control' }, h('label', { for: 'window-in-channel' }, 'Input channel'), inSelect),
      h('div', { class: 'control' }, h('label', { for: 'window-out-channel' }, 'Output channel'), outSelect)),
    desc, note, figure, readout, legend);
  fill(root, empty, body);

  layerSelect.addEventListener('change', () => onSelect(Number(layerSelect.value) + 1));
  inSelect.addEventListener('change', () => { inCh = Number(inSelect.value); draw(); });
  outSelect.addEventListener('change', () => {
    outCh = Number(outSelect.value);
    const linked = linkedInput(outCh);
    if (linked !== null && linked < inSelect.options.length) { inCh = linked; inSelect.value = String(inCh); }
    draw();
  });
  // Mouse: hover; touch and pen: tap or drag (pointerdown too, as a tap has no hover).
  const pick = (e) => {
    if (!step || !outputSize()) return;
    const [OH, OW] = outputSize();
    const r = outputCanvas.getBoundingClientRect();
    const y = clamp(Math.floor(((e.clientY - r.top) / r.height) * OH), 0, OH - 1);
    const x = clamp(Math.floor(((e.clientX - r.left) / r.width) * OW), 0, OW - 1);
    if (y !== sel[0] || x !== sel[1]) { sel = [y, x]; draw(); }
  };
  outputCanvas.addEventListener('pointermove', pick);
  outputCanvas.addEventListener('pointerdown', pick);
  outputCanvas.addEventListener('keydown', (e) => {
    if (!step || !outputSize()) return;
    const [OH, OW] = outputSize();
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (e.key === 'Home') sel = [0, 0];
    else if (e.key === 'End') sel = [OH - 1, OW - 1];
    else if (moves[e.key]) sel = [clamp(sel[0] + moves[e.key][0], 0, OH - 1), clamp(sel[1] + moves[e.key][1], 0, OW - 1)];
    else return;
    e.preventDefault();
    draw();
  });
  new ResizeObserver(() => { if (step) draw(); }).observe(root);
  // Whether the view is on screen (or nearly): a mid-run redraw of a view
  // nobody sees only took the main thread from the refresh (a few ms of
  // drawing and a frame), so it waits for the run's end, or for the view to
  // scroll in: then setResults draws it if what it shows is not what it drew
  // and the values are in.
  let onScreen = true;
  new IntersectionObserver((entries) => {
    onScreen = entries[entries.length - 1].isIntersecting; // the latest, when several changes queued
    if (onScreen && step) setResults(results, step.index);
  }, { rootMargin: '200px' }).observe(root);

  /** '' when the chosen layer can be drawn, else the reason it is not. */
  function drawLimit() {
    const spans = axes.map((a) => a.hi - a.lo);
    if (spans.some((n) => !(n <= MAX_AXIS_CELLS)) || axes.some((a) => !(a.k <= MAX_AXIS_CELLS))) {
      return `Too large to draw: the input with its padding and the windows' reach spans ${spans.join('×')} cells (kernel ${step.kernel.join('×')}); the view draws up to ${MAX_AXIS_CELLS} cells per axis.`;
    }
    const channels = Math.max(step.inShape[2], step.outShape ? step.outShape[2] : 0);
    if (!(channels <= MAX_CHANNELS)) return `This layer has ${channels} channels: too many to list; the view lists up to ${MAX_CHANNELS}.`;
    return '';
  }

  /** [OH, OW] when the layer has an output of at least one cell per axis. */
  function outputSize() {
    const o = [axes[0].out, axes[1].out];
    return o[0] > 0 && o[1] > 0 ? o : null;
  }

  /** The input channel an output channel reads, when there is exactly one (pooling, depthwise). */
  function linkedInput(f) {
    if (!step) return null;
    if (step.type === 'max_pool' || step.type === 'avg_pool') return f;
    if (step.type === 'depthwise_conv') return Math.floor(f / (step.multiplier || 1));
    return null;
  }

  // The map the layer reads: its first input in the graph (-1: the image),
  // not the layer printed before it (a residual block's shortcut conv reads
  // the block's input; an Inception branch, the block's input).
  function inputIndex() {
    return step.reads[0]; // every plan step names what it reads (preview-plan.js); -1 is the image
  }

  /** The map the input pane shows, in words: "the image" or "layer 3 (relu)". */
  function inputName() {
    const from = inputIndex();
    return from < 0 ? 'the image' : layerRef(from, plan.steps[from]?.name);
  }

  // Values only when they are this step's shapes (a re-run may still be on its way).
  function inputResult() {
    const r = step ? results.get(inputIndex()) : null;
    return r && r.shape.join() === step.inShape.join() ? r : null;
  }
  function outputResult() {
    const r = step ? results.get(step.index) : null;
    return r && step.outShape && r.shape.join() === step.outShape.join() ? r : null;
  }

  function channelOptions(select, count, current) {
    const n = Math.max(1, count);
    if (select.options.length !== n || select.dataset.count !== String(count)) {
      fill(select, Array.from({ length: n }, (_, i) => h('option', { value: String(i) }, `${i + 1} of ${count}`)));
      select.dataset.count = String(count);
    }
    const v = clamp(current, 0, n - 1);
    select.value = String(v);
    return v;
  }

  function choose(candidates, win) {
    if (win && candidates.some((s) => s.index === win - 1)) { winNote = ''; return plan.steps[win - 1]; }
    winNote = win ? `Layer ${win} in the link has no sliding window (not a convolution or pooling layer with an input); showing another.` : '';
    return candidates.find((s) => s.status === 'error') || candidates[0];
  }

  let lastSig = null; // what update() last drew from
  let drawnFrom = []; // the results (and their values) the last draw() read
  function update({ plan: nextPlan, results: nextResults, win, typeLabel: label }) {
    plan = nextPlan;
    results = nextResults;
    typeLabel = label || typeLabel;
    const candidates = plan?.supported ? plan.steps.filter((s) => s.windowed && s.inShape) : [];
    if (!candidates.length) {
      step = null;
      lastSig = null;
      body.hidden = true;
      empty.hidden = false;
      empty.textContent = plan?.supported === false ? plan.reason : 'This network has no convolution or pooling layer to slide.';
      return;
    }
    body.hidden = false;
    empty.hidden = true;
    const next = choose(candidates, win);
    // Nothing it shows changed (a new seed or image: the values follow in
    // setResults): no redraw, which cost the main thread a few ms a refresh.
    const sig = JSON.stringify([next, candidates.map((s) => [s.index, s.name, s.type, s.status]), label ? label(next.type) : '']);
    if (sig === lastSig && step) return;
    lastSig = sig;
    const changed = !step || step.index !== next.index || step.type !== next.type
      || JSON.stringify([step.inShape, step.outShape, step.kernel, step.stride, step.dilation, step.pads]) !== JSON.stringify([next.inShape, next.outShape, next.kernel, next.stride, next.dilation, next.pads]);
    step = next;
    axes = [windowAxis(step, 0), windowAxis(step, 1)];
    tooLarge = drawLimit();
    inSelect.disabled = Boolean(tooLarge);
    outSelect.disabled = Boolean(tooLarge);
    if (tooLarge) {
      fill(inSelect);
      fill(outSelect);
    }
    figure.hidden = Boolean(tooLarge);
    readout.hidden = Boolean(tooLarge);
    legend.hidden = Boolean(tooLarge);
    fill(layerSelect, candidates.map((s) => h('option', { value: String(s.index) },
      `${s.index + 1} · ${nameText(s.name)} (${typeLabel(s.type)})${s.status === 'error' ? ' — no output' : ''}`)));
    layerSelect.value = String(step.index);
    if (changed) {
      const o = outputSize();
      sel = o ? [clamp(sel[0], 0, o[0] - 1), clamp(sel[1], 0, o[1] - 1)] : [0, 0];
    }
    draw();
  }

  /**
   * New values arrived for layer `index` (-1: the input), or a run is done
   * (no index). Redraws only when what the view shows changed, and mid-run
   * only once its input's and output's values have both arrived: the view
   * is drawn while the worker computes the later layers, not after the run
   * (when it is on screen; else at the run's end or once it scrolls in).
   */
  function setResults(next, index) {
    results = next;
    if (!step || (index !== undefined && index !== step.index && index !== inputIndex())) return;
    const inRes = inputResult();
    const outRes = outputResult();
    if (sameAsDrawn(inRes, outRes)) return;
    if (index !== undefined && ((inRes && !inRes.values) || (outRes && !outRes.values))) return;
    if (index !== undefined && !onScreen) return;
    draw();
  }

  function sameAsDrawn(inRes, outRes) {
    const from = [inRes, inRes?.values, outRes, outRes?.values];
    return from.length === drawnFrom.length && from.every((x, i) => x === drawnFrom[i]);
  }

  function describe() {
    const [[pt, pb], [pl, pr]] = step.pads;
    const parts = [
      `kernel ${step.kernel.join('×')}`, `stride ${step.stride.join('×')}`, `dilation ${step.dilation.join('×')}`,
      `padding ${pt === pb && pl === pr && pt === pl ? pt : `top ${pt}, bottom ${pb}, left ${pl}, right ${pr}`}`,
    ];
    if (step.type === 'conv_transpose' && step.outputPadding.some(Boolean)) parts.push(`output padding ${step.outputPadding.join('×')}`);
    if (step.ceil) parts.push('ceil mode');
    if (step.groups > 1) parts.push(`groups ${step.groups}`);
    if (step.type === 'depthwise_conv' && step.multiplier > 1) parts.push(`depth multiplier ${step.multiplier}`);
    const out = step.outShape ? shapeText(step.outShape) : `no output (${step.nominal.map(minus).join('×')} by the formula)`;
    return `${nameText(step.name)}: ${parts.join(' · ')} · ${shapeText(step.inShape)} → ${out}`;
  }

  function channelRelation() {
    const C = step.inShape[2];
    if (step.type === 'max_pool' || step.type === 'avg_pool') return 'Each output channel pools the same input channel.';
    if (step.type === 'depthwise_conv') return `Output channel f reads input channel ⌊f / ${step.multiplier || 1}⌋ only.`;
    const g = step.groups || 1;
    const verb = step.type === 'conv_transpose' ? 'spreads into' : 'reads';
    if (C === 1) return 'One input channel, one window per output cell.';
    if (g === 1) return step.type === 'conv_transpose'
      ? `Every output cell sums the window over all ${C} input channels.`
      : `Each output cell sums this window over all ${C} input channels (one is drawn).`;
    return `Groups ${g}: output channel f ${verb} input channels of its group only (${C / g} per group).`;
  }

  function draw() {
    if (!step) return;
    if (tooLarge) {
      desc.textContent = describe();
      note.textContent = tooLarge;
      return;
    }
    const colors = {
      text: cssVar(root, '--text', '#1b1f24'), muted: cssVar(root, '--muted', '#5a6472'), border: cssVar(root, '--border-strong', '#c3cad3'),
      panel: cssVar(root, '--panel', '#fff'), panel2: cssVar(root, '--panel-2', '#f9fafb'), accent: cssVar(root, '--accent', '#1d4ed8'),
      err: cssVar(root, '--err', '#b42318'),
    };
    const inRes = inputResult();
    const outRes = outputResult();
    drawnFrom = [inRes, inRes?.values, outRes, outRes?.values];
    inCh = channelOptions(inSelect, step.inShape[2], inCh);
    const o = outputSize();
    outSelect.disabled = !o;
    if (o && step.outShape) outCh = channelOptions(outSelect, step.outShape[2], outCh);
    else fill(outSelect, h('option', { value: '0' }, 'none'));
    if (o) sel = [clamp(sel[0], 0, o[0] - 1), clamp(sel[1], 0, o[1] - 1)];
    else sel = [0, 0];
    desc.textContent = describe();
    const present = (kind) => axes.some((a) => {
      for (let v = a.lo; v < a.hi; v += 1) if (a.kind(v) === kind) return true;
      return false;
    });
    keys.pad.hidden = !present('pad');
    keys.pad.lastChild.textContent = step.type === 'max_pool' ? 'padding (never the maximum)' : step.type === 'avg_pool'
      ? `padding (${step.countIncludePad ? 'counted in the average' : 'not counted in the average'})` : 'padding (zeros)';
    keys.zero.hidden = !present('zero');
    keys.beyond.hidden = !present('beyond');
    const missing = !inRes
      ? ' The input values are not computed (see the notices above): the geometry is exact, the colours are not drawn.'
      : o && !outRes && step.status !== 'error' ? ' The output values are not computed (see the notices above).' : '';
    note.textContent = `${winNote ? `${winNote} ` : ''}${channelRelation()}${missing}`;
    const taps = [axes[0].taps(sel[0]), axes[1].taps(sel[1])];
    drawInput(colors, inRes, taps, !o);
    drawOutput(colors, outRes, o);
    writeReadout(taps, o, outRes);
  }

  function drawInput(colors, res, taps, failing) {
    const [ay, ax] = axes;
    const rows = ay.hi - ay.lo;
    const cols = ax.hi - ax.lo;
    const avail = Math.max(160, Math.min(MAX_INPUT_PX, (figure.clientWidth || MAX_INPUT_PX) - 8));
    let cell = Math.min(48, Math.floor(Math.min(avail / cols, MAX_INPUT_PX / rows)));
    crop = null;
    let r0 = ay.lo;
    let c0 = ax.lo;
    let nr = rows;
    let nc = cols;
    if (cell < CROP_MIN_CELL) {
      // Zoom: a crop of the drawn cells around the window, and the whole map as an overview.
      cell = CROP_CELL;
      nc = Math.min(cols, Math.floor(avail / cell));
      nr = Math.min(rows, nc);
      const centre = (t) => (t[0] + t[t.length - 1]) / 2;
      r0 = clamp(Math.round(centre(taps[0]) - nr / 2), ay.lo, ay.hi - nr);
      c0 = clamp(Math.round(centre(taps[1]) - nc / 2), ax.lo, ax.hi - nc);
      crop = { r0, c0, rows: nr, cols: nc };
    }
    cell = Math.max(2, cell);
    const ctx = sizeCanvas(inputCanvas, nc * cell, nr * cell);
    const plane = res && res.values ? res : null;
    const [, W, C] = step.inShape;
    const [offset, scale] = plane ? lutScale(plane, inCh) : [0, 0];
    for (let r = 0; r < nr; r += 1) {
      const vy = r0 + r;
      const ky = ay.kind(vy);
      for (let c = 0; c < nc; c += 1) {
        const vx = c0 + c;
        const kx = ax.kind(vx);
        const x = c * cell;
        const y = r * cell;
        const kind = ky === 'beyond' || kx === 'beyond' ? 'beyond' : ky === 'pad' || kx === 'pad' ? 'pad' : ky === 'zero' || kx === 'zero' ? 'zero' : 'in';
        if (kind === 'in') {
          if (plane) {
            const v = plane.values[(ay.source(vy) * W + ax.source(vx)) * C + inCh];
            ctx.fillStyle = COLORS[clamp(Math.floor((v - offset) * scale), 0, 255)];
          } else ctx.fillStyle = colors.panel2;
          ctx.fillRect(x, y, cell, cell);
        } else if (kind === 'pad' || kind === 'zero') {
          ctx.fillStyle = colors.panel;
          ctx.fillRect(x, y, cell, cell);
          ctx.save();
          ctx.beginPath();
          ctx.rect(x, y, cell, cell);
          ctx.clip();
          ctx.strokeStyle = colors.border;
          ctx.fillStyle = colors.border;
          ctx.lineWidth = 1;
          ctx.beginPath();
          if (kind === 'pad') {
            // Hatched: padding.
            const gap = Math.max(4, cell / 3);
            for (let t = -cell; t < cell; t += gap) { ctx.moveTo(x + t, y + cell); ctx.lineTo(x + t + cell, y); }
            ctx.stroke();
          } else {
            // A dot: a zero the stride inserted.
            ctx.arc(x + cell / 2, y + cell / 2, Math.max(1, cell / 8), 0, 2 * Math.PI);
            ctx.fill();
          }
          ctx.restore();
        }
        if (cell >= 6) {
          ctx.strokeStyle = colors.border;
          ctx.globalAlpha = kind === 'beyond' ? 0.9 : 0.45;
          ctx.lineWidth = 1;
          if (kind === 'beyond') ctx.setLineDash([3, 3]);
          ctx.strokeRect(x + 0.5, y + 0.5, cell - 1, cell - 1);
          ctx.setLineDash([]);
          ctx.globalAlpha = 1;
        }
      }
    }
    // The window: every tap ringed white-on-black (readable on any viridis colour,
    // and on the padding), the frame around the taps dashed (the gaps are dilation).
    const color = failing ? colors.err : colors.text;
    for (const ty of taps[0]) {
      for (const tx of taps[1]) {
        if (ty < r0 || ty >= r0 + nr || tx < c0 || tx >= c0 + nc) continue;
        const outside = ay.kind(ty) === 'beyond' || ax.kind(tx) === 'beyond';
        tapRing(ctx, (tx - c0) * cell, (ty - r0) * cell, cell, failing ? colors.err : '#000', outside ? colors.err : null);
      }
    }
    // The real input's border, solid; the padded input's, dashed.
    const edge = (v0, v1, u0, u1, dash, color) => {
      const x0 = (clamp(u0, c0, c0 + nc) - c0) * cell;
      const x1 = (clamp(u1, c0, c0 + nc) - c0) * cell;
      const y0 = (clamp(v0, r0, r0 + nr) - r0) * cell;
      const y1 = (clamp(v1, r0, r0 + nr) - r0) * cell;
      if (x1 <= x0 || y1 <= y0) return;
      ctx.strokeStyle = color;
      ctx.lineWidth = 1.5;
      ctx.setLineDash(dash);
      ctx.strokeRect(x0 + 0.75, y0 + 0.75, x1 - x0 - 1.5, y1 - y0 - 1.5);
      ctx.setLineDash([]);
    };
    const spanY = [0, ay.span];
    const spanX = [0, ax.span];
    edge(spanY[0] - ay.padBefore, spanY[1] + ay.padAfter, spanX[0] - ax.padBefore, spanX[1] + ax.padAfter, [4, 3], colors.muted);
    edge(spanY[0], spanY[1], spanX[0], spanX[1], [], colors.text);
    const fy0 = (clamp(taps[0][0], r0, r0 + nr) - r0) * cell;
    const fy1 = (clamp(taps[0][taps[0].length - 1] + 1, r0, r0 + nr) - r0) * cell;
    const fx0 = (clamp(taps[1][0], c0, c0 + nc) - c0) * cell;
    const fx1 = (clamp(taps[1][taps[1].length - 1] + 1, c0, c0 + nc) - c0) * cell;
    ctx.lineWidth = 2;
    ctx.strokeStyle = color;
    ctx.setLineDash([6, 4]);
    if (fx1 > fx0 && fy1 > fy0) ctx.strokeRect(fx0 - 2, fy0 - 2, fx1 - fx0 + 4, fy1 - fy0 + 4);
    ctx.setLineDash([]);
    const what = crop ? `rows ${minus(r0)}…${minus(r0 + nr - 1)}, columns ${minus(c0)}…${minus(c0 + nc - 1)} (zoomed)` : `all ${rows}×${cols} cells`;
    inputTitle.textContent = `Input${ay.transposed ? ' (stretched by the stride)' : ''} (${inputName()}), channel ${inCh + 1}: ${what}`;
    inputCanvas.setAttribute('aria-label', `Input map${ay.padBefore || ay.padAfter || ax.padBefore || ax.padAfter ? ' with its padding' : ''}; the window of output row ${sel[0]}, column ${sel[1]} is highlighted`);
    drawOverview(colors, plane, offset, scale);
  }

  function drawOverview(colors, plane, offset, scale) {
    if (!crop || axes[0].transposed) { overview.hidden = true; return; }
    overview.hidden = false;
    const [H, W, C] = step.inShape;
    const f = Math.min(1, 160 / Math.max(H, W));
    const w = Math.max(1, Math.round(W * f));
    const hgt = Math.max(1, Math.round(H * f));
    const ctx = sizeCanvas(overview, w, hgt);
    if (plane) {
      const img = channelImage(plane.values, W, H, C, inCh, offset, scale);
      const tmp = new OffscreenCanvas(W, H);
      tmp.getContext('2d').putImageData(img, 0, 0);
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(tmp, 0, 0, w, hgt);
    } else {
      ctx.fillStyle = colors.panel2;
      ctx.fillRect(0, 0, w, hgt);
    }
    ctx.strokeStyle = colors.accent;
    ctx.lineWidth = 1.5;
    ctx.strokeRect(crop.c0 * f + 0.75, crop.r0 * f + 0.75, Math.max(2, crop.cols * f - 1.5), Math.max(2, crop.rows * f - 1.5));
  }

  function drawOutput(colors, res, o) {
    if (!o) {
      outputCanvas.hidden = true;
      outputVoid.hidden = false;
      const need = axes.map((a, i) => ({ a, i })).filter(({ a }) => a.out <= 0).map(({ a, i }) => {
        const have = a.transposed ? a.inSize : a.inSize + a.padBefore + a.padAfter;
        return `${i === 0 ? 'H' : 'W'}: the window spans ${a.ke} cell${a.ke === 1 ? '' : 's'}, the padded input has ${have} → ${minus(a.out)} output${a.out === 1 ? '' : 's'}`;
      });
      fill(outputVoid,
        h('p', { class: 'fm-void-title' }, h('span', { 'aria-hidden': 'true' }, '✕ '), step.formula ? `No output: ${step.formula}` : 'No output'),
        need.map((t) => h('p', { class: 'mono' }, t)),
        step.message ? h('p', null, step.message) : null);
      outputTitle.textContent = 'Output';
      return;
    }
    outputCanvas.hidden = false;
    outputVoid.hidden = true;
    const [OH, OW] = o;
    const avail = Math.max(120, Math.min(MAX_OUTPUT_PX, (figure.clientWidth || MAX_OUTPUT_PX) - 8));
    // Whole pixels per cell while they fit; a bigger map is scaled down to fit.
    const fit = Math.min(40, avail / OW, MAX_OUTPUT_PX / OH);
    const cell = fit >= 1 ? Math.floor(fit) : fit;
    const w = Math.max(1, Math.round(OW * cell));
    const hgt = Math.max(1, Math.round(OH * cell));
    const ctx = sizeCanvas(outputCanvas, w, hgt);
    const plane = res && res.values ? res : null;
    if (plane && step.status !== 'error') {
      const OC = step.outShape[2];
      const [offset, scale] = lutScale(plane, outCh);
      const img = channelImage(plane.values, OW, OH, OC, outCh, offset, scale);
      const tmp = new OffscreenCanvas(OW, OH);
      tmp.getContext('2d').putImageData(img, 0, 0);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(tmp, 0, 0, w, hgt);
    } else {
      ctx.fillStyle = colors.panel2;
      ctx.fillRect(0, 0, w, hgt);
    }
    if (cell >= 6) {
      ctx.strokeStyle = colors.border;
      ctx.globalAlpha = 0.45;
      ctx.lineWidth = 1;
      for (let r = 0; r <= OH; r += 1) { ctx.beginPath(); ctx.moveTo(0, r * cell + 0.5); ctx.lineTo(w, r * cell + 0.5); ctx.stroke(); }
      for (let c = 0; c <= OW; c += 1) { ctx.beginPath(); ctx.moveTo(c * cell + 0.5, 0); ctx.lineTo(c * cell + 0.5, hgt); ctx.stroke(); }
      ctx.globalAlpha = 1;
    }
    ctx.strokeStyle = colors.text;
    if (cell >= 4) {
      tapRing(ctx, sel[1] * cell, sel[0] * cell, cell, '#000');
    } else {
      // Tiny cells: a crosshair finds the cell.
      ctx.lineWidth = 1;
      ctx.globalAlpha = 0.8;
      ctx.beginPath();
      ctx.moveTo(0, sel[0] * cell + cell / 2); ctx.lineTo(w, sel[0] * cell + cell / 2);
      ctx.moveTo(sel[1] * cell + cell / 2, 0); ctx.lineTo(sel[1] * cell + cell / 2, hgt);
      ctx.stroke();
      ctx.globalAlpha = 1;
    }
    outputTitle.textContent = `Output, channel ${outCh + 1}: ${OH}×${OW}`;
  }

  function writeReadout(taps, o, outRes) {
    figure.dataset.out = `${sel[0]},${sel[1]}`;
    figure.dataset.rows = taps[0].join(',');
    figure.dataset.cols = taps[1].join(',');
    figure.dataset.layer = String(step.index);
    figure.dataset.inputFrom = String(inputIndex()); // the map the input pane shows (-1: the image)
    const [ay, ax] = axes;
    // The numbers are row/column indexes, never counts: "row 9 is padding", not "9 padding".
    const padNote = (list, axis, noun) => {
      const said = (kind, what) => {
        const at = list.filter((v) => axis.kind(v) === kind).map(minus);
        return at.length ? `${noun}${at.length > 1 ? 's' : ''} ${at.join(', ')} ${at.length > 1 ? 'are' : 'is'} ${what}` : null;
      };
      const parts = [said('pad', 'padding'), said('zero', 'inserted zeros'), said('beyond', 'outside the padded input')].filter(Boolean);
      return parts.length ? ` (${parts.join('; ')})` : '';
    };
    const where = `rows ${rangeText(taps[0])}${padNote(taps[0], ay, 'row')} · columns ${rangeText(taps[1])}${padNote(taps[1], ax, 'column')}`;
    if (!o) {
      readout.textContent = `The only window there could be starts at row ${minus(taps[0][0])}, column ${minus(taps[1][0])} and reads ${where}: it does not fit, so there is no output.`;
      return;
    }
    const value = outRes && outRes.values && step.status !== 'error'
      ? outRes.values[(sel[0] * o[1] + sel[1]) * step.outShape[2] + outCh] : null;
    const valueText = value === null ? '' : ` = ${Number(value.toPrecision(4))}`.replace('-', '−');
    const space = ay.transposed ? ' of the stretched input' : '';
    let real = '';
    if (ay.transposed) {
      const ry = taps[0].map((v) => ay.source(v)).filter((v) => v >= 0);
      const rx = taps[1].map((v) => ax.source(v)).filter((v) => v >= 0);
      real = ry.length && rx.length ? `; input rows ${ry.join(', ')}, columns ${rx.join(', ')}` : '; only zeros';
    }
    readout.textContent = `Output row ${sel[0]}, column ${sel[1]}${valueText} reads ${where}${space}${real}.`;
  }

  /** A thumbnail was clicked: show that channel if it is this layer's input or output. */
  function pickChannel(index, channel) {
    if (!step || channel < 0) return;
    if (index === inputIndex() && channel < step.inShape[2]) { inCh = channel; draw(); }
    if (index === step.index && step.outShape && channel < step.outShape[2]) {
      outCh = channel;
      const linked = linkedInput(outCh);
      if (linked !== null) inCh = linked;
      draw();
    }
  }

  return {
    update,
    setResults,
    pickChannel,
    /** The maps whose values the view draws (layer indexes, -1: the image): a run sends them first. */
    shownMaps: () => (step ? [inputIndex(), step.index] : []),
    focus() {
      root.closest('section')?.scrollIntoView({ block: 'start', behavior: matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth' });
      (outputCanvas.hidden ? layerSelect : outputCanvas).focus({ preventScroll: true });
    },
  };
}
