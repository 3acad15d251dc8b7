// The preview worker (a module worker): loads its own copy of the engine,
// decodes and resizes the image, runs the network layer by layer on it
// (NHWC, one image) and posts back, per layer, the colour-mapped RGBA
// thumbnails of its shown channels (one buffer), then the layer's values (for
// hover and the sliding-window view). The page's main thread only draws.
//
// Convolutions (conv, depthwise, transposed) run in the module's SIMD
// kernels through createConvOp (web/kernels.js): on a cross-origin-isolated
// page the threaded FMA build (convscope-fma-mt.*), whose conv ops split
// themselves by bands of output rows across the module's threads on shared
// memory; else the FMA build (convscope-fma.wasm) where the engine has
// relaxed SIMD, else SIMD128, and a conv or depthwise conv big enough is
// split by the same bands across this worker and its helpers
// (web/conv-helper.js, one per extra core, see web/conv-split.js). Either
// way the result is identical to one worker's; max / average / global
// pooling and nearest upsampling through createPoolOp, with the results of
// the JS ops (web/preview-ops.js), which they fall back to when the module
// has no pool kernels or a layer is not one the kernels express; every other
// layer is plain JS. A module without the conv kernels falls back to a JS
// convolution, and says so.
//
// Messages in:  {type: 'run', gen, plan, image, seed, filter, caps, resume, firstValues?, workers?, kernels?}
//               (firstValues: map indexes whose values go out as soon as they are read, before the thumbnails-done)
//               (workers: how many workers compute convs, default one per core but the first, up to MAX_WORKERS,
//               and 1 with the threaded build, whose ops split themselves;
//               kernels: 'auto' | 'simd128' | 'fma' | 'threads', read by the first run only)
//               | {type: 'cancel', gen} | {type: 'recycle', buffers}
// Messages out: {type: 'layer', gen, index, shape, shown, lo, hi, exact, rgba, cols, rows, ms, withLayer?, …}
//               (rgba: an ArrayBuffer of `shown` RGBA planes of cols x rows pixels, one after another;
//               withLayer: a ReLU computed in that conv's thumbnail pass)
//               | {type: 'values', gen, index, values}
//               | {type: 'thumbnails-done', gen}  (every layer's thumbnails are posted; values may follow)
//               | {type: 'done', gen, kernels, workers, threads, unshared, …}  (after the last values;
//               unshared: more than one core, but no shared memory, as the page is not cross-origin isolated)
//               | {type: 'error', gen, index, message, skipped}  (skipped: an input's preview failed)
// A newer 'run' (or a 'cancel') makes older runs stop at their next layer boundary.
import createConvScope from './convscope.js';
import { createConvOp, createPoolOp, createMapOps, chooseKernelBuild, cores, kernelModuleOptions, KERNEL_GLUE } from './kernels.js';
import { SPLITTABLE, rowBands, bandOptions } from './conv-split.js';
import { convWeights } from './weights.js';
import * as ops from './preview-ops.js';
import { viridisLut } from './colormap.js';

let latest = 0;

// Recycled buffers: the page sends back the values of maps it no longer
// shows, and the next run writes its outputs into them.
const pool = new Map(); // float count -> [Float32Array]
const POOL_FLOATS = 1 << 25; // at most 128 MB kept
let pooled = 0;
function take(n, zeroed = false) {
  const list = pool.get(n);
  if (list && list.length) {
    pooled -= n;
    const buffer = list.pop();
    return zeroed ? buffer.fill(0) : buffer;
  }
  return new Float32Array(n);
}
function recycle(buffer) {
  const n = buffer.byteLength / 4;
  if (!Number.isInteger(n) || n === 0 || pooled + n > POOL_FLOATS) return;
  if (!pool.has(n)) pool.set(n, []);
  pool.get(n).push(new Float32Array(buffer));
  pooled += n;
}
ops.setAllocator(take);
let lastInput = null; // the image as the network's input, kept while image and input shape stay
let modulePromise = null;
const imageCache = new Map(); // key -> {width, height, rgb: Float32Array (planar R, G, B in [0, 1])}
const opCache = new Map(); // layer index -> conv {shapeKey, weightsKey, op, ...} (packedOp) | pool {key, op}: packed weights and buffers reused; pool op null: the layer runs in JS
const OP_CACHE_FLOATS = 1 << 22; // ops holding more (input + output) are deleted after use
const MAX_SOURCE_SIDE = 2048; // a bigger photo is scaled down once, when decoded

let kernelBuild = null; // 'threads' | 'fma' | 'simd128', once the engine loaded

/**
 * The engine, loaded once: the kernel build `want` asks for (chooseKernelBuild;
 * ?workers=N above 1 asks for the split across workers, which the threaded
 * build replaces, so it is then not chosen unasked), and the next build down
 * when one does not load (threads -> fma -> simd128: a host without
 * convscope-fma-mt.* or convscope-fma.wasm, or whose isolation lapsed).
 */
function engine(want = 'auto', workers = 0) {
  if (!modulePromise) {
    const build = chooseKernelBuild(want === 'auto' && workers > 1 ? 'fma' : want);
    const load = (b) => (b === 'threads' ? import(`./${KERNEL_GLUE.threads}`).then((glue) => glue.default()) : createConvScope(kernelModuleOptions(b)))
      .then((mod) => { kernelBuild = b; return mod; });
    modulePromise = load(build)
      .catch((err) => (build === 'threads' ? load('fma') : Promise.reject(err)))
      .catch((err) => (build === 'simd128' ? Promise.reject(err) : load('simd128')))
      .catch((err) => { modulePromise = null; throw err; });
  }
  return modulePromise;
}

// ---- helpers: convolutions split across workers ----------------------------------

// Each helper holds its own engine and every split layer's packed weights;
// not measured beyond 2 cores here, so the cap is a guess kept modest.
const MAX_WORKERS = 4;
// A conv below this many multiply-adds runs whole: posting bands and their
// copies (~0.2-0.5 ms) would cost more than the split saves. (The threaded
// build splits by its own rule, split_min_macs in core/convscope/kernels/
// conv_op.cpp, which weighs a thread's wake-up instead; both are 2^21 today.)
const SPLIT_MIN_MACS = 1 << 21;
let helpers = []; // {worker, ready, has: Map(layer index -> key sent), pending: Map(job id -> {resolve, reject})}
let helpersFailed = null; // why helpers are off for good (one failed to start or run)
let nextJob = 1;

/**
 * How many workers compute convolutions: ?workers=N when given, else one
 * per core but the first. A refresh keeps more than the preview worker busy:
 * the page's main thread draws the maps and the browser composites them, a
 * core's worth of work on a 2-core machine. There a second worker only
 * competed with them (bench/preview_trace.mjs: both cores busy for the
 * whole refresh, and 2 workers no faster than 1 in tests/web/preview_budget.mjs).
 */
function workerCount(msg) {
  if (kernelBuild === 'threads') return 1; // the module's threads split each conv, on shared memory
  const wanted = Number.isInteger(msg.workers) && msg.workers > 0 ? msg.workers : cores() - 1;
  return Math.max(1, Math.min(MAX_WORKERS, wanted));
}

function startHelper() {
  const worker = new Worker(new URL('./conv-helper.js', import.meta.url), { type: 'module' });
  const h = { worker, ready: false, has: new Map(), pending: new Map() };
  const failAll = (message) => {
    for (const p of h.pending.values()) p.reject(new Error(message));
    h.pending.clear();
  };
  worker.onmessage = (event) => {
    const m = event.data;
    if (m.type === 'ready') { h.ready = true; return; }
    if (m.type === 'error' && m.id === null) { stopHelpers(`a helper worker failed: ${m.message}`); return; }
    const p = h.pending.get(m.id);
    if (!p) return;
    h.pending.delete(m.id);
    if (m.type === 'band') p.resolve(m.output); else p.reject(new Error(m.message));
  };
  worker.onerror = (event) => {
    event.preventDefault?.();
    failAll(`a helper worker failed (${event.message || 'it did not start'})`);
    stopHelpers(`a helper worker failed (${event.message || 'it did not start'})`);
  };
  worker.postMessage({ type: 'init', build: kernelBuild });
  h.band = (index, key, part, weights, bias, input) => new Promise((resolve, reject) => {
    const id = nextJob++;
    h.pending.set(id, { resolve, reject });
    const first = h.has.get(index) !== key;
    h.has.set(index, key);
    const message = { type: 'band', id, index, key, options: part.options, input };
    if (first) Object.assign(message, { weights, bias });
    worker.postMessage(message, [input.buffer]);
  });
  return h;
}

function stopHelpers(reason) {
  for (const h of helpers) {
    h.worker.terminate();
    for (const p of h.pending.values()) p.reject(new Error(reason || 'helpers stopped'));
  }
  helpers = [];
  if (reason) helpersFailed = reason;
}

/** As many helpers as `count` workers need (this worker is one of them). */
function ensureHelpers(count) {
  if (helpersFailed || typeof Worker !== 'function') return;
  while (helpers.length > count - 1) helpers.pop().worker.terminate();
  try {
    while (helpers.length < count - 1) helpers.push(startHelper());
  } catch (err) {
    stopHelpers(`a helper worker could not start (${err?.message || err})`);
  }
}

self.onmessage = (event) => {
  const msg = event.data;
  if (msg && msg.type === 'recycle') { (msg.buffers || []).forEach(recycle); return; }
  if (msg && msg.type === 'cancel') { latest = Math.max(latest, msg.gen); return; }
  if (!msg || msg.type !== 'run') return;
  latest = Math.max(latest, msg.gen);
  run(msg).catch((err) => {
    if (msg.gen === latest) self.postMessage({ type: 'error', gen: msg.gen, index: null, message: String(err?.message || err) });
  });
};

// ---- the image ---------------------------------------------------------------

async function decode(image) {
  const key = image.kind === 'sample' ? `sample:${image.name}` : `file:${image.id}`;
  if (imageCache.has(key)) return imageCache.get(key);
  let blob;
  if (image.kind === 'sample') {
    const response = await fetch(`samples/${encodeURIComponent(image.name)}.png`);
    if (!response.ok) throw new Error(`samples/${image.name}.png: HTTP ${response.status}`);
    blob = await response.blob();
  } else {
    blob = image.blob;
  }
  let bitmap;
  try {
    bitmap = await createImageBitmap(blob, { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  } catch {
    throw new Error(`${image.kind === 'sample' ? image.name : `“${image.name || 'the file'}”`} could not be read as an image (PNG, JPEG, GIF, WebP, BMP or AVIF).`);
  }
  const big = Math.max(bitmap.width, bitmap.height);
  if (big > MAX_SOURCE_SIDE) {
    const f = MAX_SOURCE_SIDE / big;
    const smaller = await createImageBitmap(bitmap, {
      resizeWidth: Math.max(1, Math.round(bitmap.width * f)), resizeHeight: Math.max(1, Math.round(bitmap.height * f)), resizeQuality: 'high',
    });
    bitmap.close();
    bitmap = smaller;
  }
  const { width, height } = bitmap;
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const rgba = ctx.getImageData(0, 0, width, height).data;
  // Planar RGB in [0, 1]; transparent pixels composited over white (the horse's background).
  const n = width * height;
  const rgb = new Float32Array(3 * n);
  for (let i = 0; i < n; i += 1) {
    const a = rgba[4 * i + 3] / 255;
    for (let c = 0; c < 3; c += 1) rgb[c * n + i] = (rgba[4 * i + c] / 255) * a + (1 - a);
  }
  const entry = { width, height, rgb };
  imageCache.set(key, entry);
  while (imageCache.size > 3) imageCache.delete(imageCache.keys().next().value);
  return entry;
}

/**
 * 1-D resampling weights from a source span [start, start + length) to n
 * cells: a triangle (bilinear) filter widened by the scale when shrinking, so
 * a 256 px photo becomes a 32 px input without aliasing. Deterministic in
 * every browser, unlike canvas scaling.
 */
function resampleTaps(start, length, n, limit) {
  const scale = length / n;
  const support = Math.max(1, scale);
  const taps = [];
  for (let i = 0; i < n; i += 1) {
    const centre = start + (i + 0.5) * scale - 0.5;
    const lo = Math.floor(centre - support) + 1;
    const hi = Math.ceil(centre + support) - 1;
    const idx = [];
    const w = [];
    let sum = 0;
    for (let j = lo; j <= hi; j += 1) {
      const weight = Math.max(0, 1 - Math.abs(j - centre) / support);
      if (weight <= 0) continue;
      idx.push(Math.min(limit - 1, Math.max(0, j)));
      w.push(weight);
      sum += weight;
    }
    if (!idx.length) { idx.push(Math.min(limit - 1, Math.max(0, Math.round(centre)))); w.push(1); sum = 1; }
    taps.push({ idx, w: w.map((x) => x / sum) });
  }
  return taps;
}

/**
 * The decoded image as the network's input [H, W, C] (NHWC floats in [0, 1]):
 * centre-cropped to the input's aspect ratio ("cover"), resized, and mapped
 * to C channels: 1 = grey (Rec. 601 luma), 3 = RGB, any other count repeats
 * R, G, B, R, … (2 channels: R, G; 4: R, G, B, R).
 */
function toInput(img, [H, W, C]) {
  const aspect = W / H;
  let cw = img.width;
  let ch = img.height;
  if (cw / ch > aspect) cw = ch * aspect; else ch = cw / aspect;
  const x0 = (img.width - cw) / 2;
  const y0 = (img.height - ch) / 2;
  const tx = resampleTaps(x0, cw, W, img.width);
  const ty = resampleTaps(y0, ch, H, img.height);
  const n = img.width * img.height;
  const rows = new Float32Array(3 * img.height * W); // horizontal pass: [c][srcY][x]
  for (let c = 0; c < 3; c += 1) {
    for (let y = 0; y < img.height; y += 1) {
      const src = c * n + y * img.width;
      const dst = (c * img.height + y) * W;
      for (let x = 0; x < W; x += 1) {
        const { idx, w } = tx[x];
        let v = 0;
        for (let k = 0; k < idx.length; k += 1) v += img.rgb[src + idx[k]] * w[k];
        rows[dst + x] = v;
      }
    }
  }
  const rgb = new Float32Array(3 * H * W); // vertical pass: [c][y][x]
  for (let c = 0; c < 3; c += 1) {
    for (let y = 0; y < H; y += 1) {
      const { idx, w } = ty[y];
      for (let x = 0; x < W; x += 1) {
        let v = 0;
        for (let k = 0; k < idx.length; k += 1) v += rows[(c * img.height + idx[k]) * W + x] * w[k];
        rgb[(c * H + y) * W + x] = v;
      }
    }
  }
  const out = new Float32Array(H * W * C);
  const plane = H * W;
  for (let p = 0; p < plane; p += 1) {
    if (C === 1) {
      out[p] = 0.299 * rgb[p] + 0.587 * rgb[plane + p] + 0.114 * rgb[2 * plane + p];
    } else {
      for (let c = 0; c < C; c += 1) out[p * C + c] = rgb[(c % 3) * plane + p];
    }
  }
  return { data: out, rgb };
}

// ---- thumbnails ----------------------------------------------------------------

let kernelModule = null; // the engine, once loaded: its map kernels make thumbnails and ReLUs
const mapOpsCache = new Map(); // "HxWxC/shown/f" -> {ops, holds, unread, reluAhead} (a few shapes recur: one per layer)
const MAP_OPS_FLOATS = 1 << 23; // their buffers (input + output per shape) kept at most: 32 MB

// The map the step before computed, where it also lies in the module's
// memory: {data, conv} (a conv op's output) or {data, maps} (a map host's
// ReLU output), else null. The next step reads it there (conv.runOn,
// maps.reluOf, maps.thumbnailOf) instead of copying `data` back in. Each
// step starts with it cleared (run()), so it never outlives the buffers.
let inModule = null;

// Values not copied out of the module yet. A conv's or a ReLU's output is
// read where it lies (by the next step, by its thumbnail); the page's copy
// of it (the values for hover and the sliding-window view) is taken once
// the run's thumbnails are all posted, off the refresh's path: ~13 ms of
// copies a refresh of the default network. `unread`: such a map's
// Float32Array (allocated, not filled) -> the copy that fills it. Whatever
// reads a map's values in JS calls filled() first, and a buffer about to be
// overwritten (a map host's next ReLU, an op deleted) is copied first. A
// run starts with none (an abandoned run's copies are dropped with it).
const unread = new Map();
function later(out, view) {
  unread.set(out, () => out.set(view()));
  return out;
}
/** `data` with its values in it: copied out of the module now if they were not. */
function filled(data) {
  const copy = unread.get(data);
  if (copy) {
    unread.delete(data);
    copy();
  }
  return data;
}

/** The thumbnail's box size: a thumbnail is shown at most thumbPx device pixels wide. */
const thumbFactor = ([H, W], thumbPx) => Math.max(1, Math.ceil(Math.max(H, W) / thumbPx));

/**
 * The map kernels (web/kernels.js's createMapOps) for maps of `shape`
 * whose first `shown` channels get thumbnails, or null without them (the
 * JS paths below run instead). `holds` is the map last copied into its
 * input buffer, so a ReLU reading the map just published copies nothing.
 */
function mapOpsFor(shape, shown, f) {
  if (!kernelModule || typeof kernelModule.MapOpsHost !== 'function') return null;
  const key = `${shape.join('x')}/${shown}/${f}`;
  let held = mapOpsCache.get(key);
  if (held) return held;
  const floats = 2 * shape[0] * shape[1] * shape[2];
  if (floats > MAP_OPS_FLOATS) return null; // the module's memory is capped: the JS paths
  let total = floats;
  for (const kept of mapOpsCache.values()) total += 2 * kept.ops.inputLength;
  if (total > MAP_OPS_FLOATS || mapOpsCache.size >= 16) {
    for (const old of mapOpsCache.values()) {
      keepOutput(old);
      old.ops.delete();
    }
    mapOpsCache.clear();
    if (inModule?.maps) inModule = null;
  }
  try {
    held = { ops: createMapOps(kernelModule, { h: shape[0], w: shape[1], c: shape[2], shown, factor: f, lut: viridisLut() }), holds: null, unread: null, reluAhead: null };
  } catch {
    return null;
  }
  mapOpsCache.set(key, held);
  return held;
}

/**
 * A map host's output is about to be overwritten (or the host deleted): the
 * ReLU it holds whose values have not been copied out yet is copied first.
 */
function keepOutput(held) {
  if (held.unread) filled(held.unread);
}

/** ReLU in the map kernels (and its thumbnail's input left there), or null: the JS op. */
function reluKernel(x, shape, caps, from) {
  const shown = Math.min(shape[2], caps.channels);
  const held = mapOpsFor(shape, shown, thumbFactor(shape, caps.thumbPx || 128));
  if (!held) return null;
  keepOutput(held);
  const ahead = held.reluAhead === x;
  if (ahead) held.reluAhead = null; // computed with the conv's thumbnail (thumbnails())
  else if (from?.conv && from.data === x) held.ops.reluOf(from.conv);
  else {
    if (held.holds !== x) held.ops.inputView().set(filled(x));
    held.ops.relu();
  }
  held.holds = null; // x may be recycled once read
  const y = later(take(x.length), () => held.ops.outputView());
  held.unread = y;
  inModule = { data: y, maps: held.ops };
  return { y, thumbFrom: held, ahead };
}

/**
 * One viridis RGBA plane per shown channel (all in one buffer: {rgba, cols,
 * rows}, transferred in one piece), normalised to that channel's
 * own range. A map bigger than `thumbPx` is box-averaged down first (a
 * thumbnail is shown that small anyway): one pass reads every value once in
 * NHWC order, and the range is the thumbnail's own (`exact` false); a small
 * map is used as it is, with its exact min/max. The map kernels do it where
 * the engine loaded (core/convscope/kernels/map_ops.hpp), the loop below
 * where not; `reluOf`: the map is the ReLU those kernels just computed. Maps of a single cell
 * (global pooling) are normalised across the channels instead, so the
 * colours still compare something. The page computes a channel's exact
 * range itself when it needs one (hover), so no pass here does it for all.
 */
function thumbnails(data, [H, W, C], shown, thumbPx, reluOf = null, reluNext = false) {
  const f = thumbFactor([H, W], thumbPx);
  // The map kernels: one pass over the map (box average, ranges, colours); a
  // ReLU's output is already in their buffer.
  const held = reluOf || mapOpsFor([H, W, C], shown, f);
  if (held) {
    let t;
    if (reluOf) t = held.ops.thumbnail(true);
    else if (inModule?.conv && inModule.data === data && reluNext) {
      // The next step is this conv's ReLU: computed now, in the same pass
      // over the conv's output as this thumbnail (reluKernel takes it).
      keepOutput(held);
      t = held.ops.reluAndThumbnailOf(inModule.conv);
      held.reluAhead = data;
    } else if (inModule?.conv && inModule.data === data) t = held.ops.thumbnailOf(inModule.conv);
    else {
      held.ops.inputView().set(filled(data));
      held.holds = data;
      t = held.ops.thumbnail(false);
    }
    return { lo: t.lo, hi: t.hi, exact: f === 1, rgba: t.rgba[0]?.buffer ?? new ArrayBuffer(0), cols: t.cols, rows: t.rows };
  }
  filled(data); // the loops below read the values
  const tw = Math.ceil(W / f);
  const th = Math.ceil(H / f);
  let src = data; // what the LUT pass reads: [tw * th][stride]
  let stride = C;
  if (f > 1) {
    const sums = new Float32Array(th * tw * shown);
    let base = 0;
    for (let y = 0; y < H; y += 1) {
      const row = Math.floor(y / f) * tw * shown;
      for (let x = 0; x < W; x += 1) {
        const o = row + Math.floor(x / f) * shown;
        for (let c = 0; c < shown; c += 1) sums[o + c] += data[base + c];
        base += C;
      }
    }
    for (let ty = 0, p = 0; ty < th; ty += 1) {
      const rows = Math.min(H, (ty + 1) * f) - ty * f;
      for (let tx = 0; tx < tw; tx += 1, p += 1) {
        const inv = 1 / (rows * (Math.min(W, (tx + 1) * f) - tx * f));
        for (let c = 0, o = p * shown; c < shown; c += 1) sums[o + c] *= inv;
      }
    }
    src = sums;
    stride = shown;
  }
  const n = tw * th;
  const lo = new Array(shown).fill(Infinity);
  const hi = new Array(shown).fill(-Infinity);
  for (let p = 0, base = 0; p < n; p += 1, base += stride) {
    for (let c = 0; c < shown; c += 1) {
      const v = src[base + c];
      if (v < lo[c]) lo[c] = v;
      if (v > hi[c]) hi[c] = v;
    }
  }
  if (H * W === 1) {
    const a = Math.min(...lo);
    const b = Math.max(...hi);
    lo.fill(a);
    hi.fill(b);
  }
  const lut = viridisLut();
  const rgba = new ArrayBuffer(shown * n * 4);
  const words = [];
  const scale = new Float64Array(shown);
  for (let c = 0; c < shown; c += 1) {
    words.push(new Uint32Array(rgba, c * n * 4, n));
    const range = hi[c] - lo[c];
    scale[c] = range > 0 && Number.isFinite(range) ? 255 / range : 0;
  }
  for (let p = 0, base = 0; p < n; p += 1, base += stride) {
    for (let c = 0; c < shown; c += 1) {
      const t = (src[base + c] - lo[c]) * scale[c];
      words[c][p] = lut[t >= 255 ? 255 : t > 0 ? t | 0 : 0];
    }
  }
  return { lo, hi, exact: f === 1, rgba, cols: tw, rows: th };
}

async function compositeBitmap(rgb, H, W, C) {
  const image = new ImageData(W, H);
  const px = image.data;
  const plane = H * W;
  for (let p = 0; p < plane; p += 1) {
    for (let c = 0; c < 3; c += 1) {
      const v = C === 1 ? 0.299 * rgb[p] + 0.587 * rgb[plane + p] + 0.114 * rgb[2 * plane + p] : rgb[c * plane + p];
      px[4 * p + c] = Math.round(Math.min(1, Math.max(0, v)) * 255);
    }
    px[4 * p + 3] = 255;
  }
  return createImageBitmap(image);
}

let publishMs = 0; // this run's time in publish(): thumbnails, colour mapping, posting (the 'done' message's overhead figure)

/** Post one layer's thumbnails (its values follow in a 'values' message). */
function publish(gen, index, data, shape, caps, extra = {}, reluOf = null, reluNext = false) {
  const t0 = performance.now();
  const shown = Math.min(shape[2], caps.channels);
  const t = thumbnails(data, shape, shown, caps.thumbPx || 128, reluOf, reluNext);
  publishMs += performance.now() - t0;
  if (gen !== latest) { extra.composite?.close(); return false; }
  self.postMessage({
    type: 'layer', gen, index, shape, shown, lo: t.lo, hi: t.hi, exact: t.exact, rgba: t.rgba, cols: t.cols, rows: t.rows, ...extra,
  }, [t.rgba, ...(extra.composite ? [extra.composite] : [])]);
  return true;
}

/**
 * Post a layer's values (NHWC, every channel: the value under the pointer,
 * the sliding-window view). Sent once the next layer has read them, so the
 * buffer is transferred, not copied, unless the worker still holds it.
 */
function sendValues(gen, index, data, own) {
  const values = own ? data : take(data.length);
  if (!own) values.set(data);
  self.postMessage({ type: 'values', gen, index, values }, [values.buffer]);
}

// ---- layers ----------------------------------------------------------------------

function convOptions(step) {
  const [H, W, C] = step.inShape;
  const o = {
    kind: step.type, inputShape: [1, H, W, C], filters: step.outShape[2], kernel: step.kernel,
    stride: step.stride, dilation: step.dilation, padding: step.pads, relu: false,
  };
  if (step.type === 'depthwise_conv') o.depthMultiplier = step.multiplier;
  else o.groups = step.groups || 1;
  if (step.type === 'conv_transpose') o.outputPadding = step.outputPadding;
  return o;
}

/**
 * The kernels take padding >= 0 only. ONNX ConvTranspose's SAME padding is
 * negative by the spec when the kernel is smaller than the stride (the
 * output begins with a cell no input reaches): the JS convolution computes
 * that one, from the report's pads as they are.
 */
function kernelPads(step) {
  return step.pads.every(([begin, end]) => begin >= 0 && end >= 0);
}

/**
 * The layer's op, packed with this run's weights: the cached one when its
 * options (`shapeKey`) and weights (`weightsKey`) stay; re-packed in place
 * when only the weights changed (a new seed or filter: the buffers stay);
 * else a new op from `create(weights, bias)`.
 */
function packedOp(step, shapeKey, weightsKey, msg, useFilter, create) {
  let cached = opCache.get(step.index);
  if (cached && cached.shapeKey === shapeKey && cached.weightsKey === weightsKey) return cached;
  const { weights, bias } = convWeights(step, msg.seed, msg.filter, useFilter);
  if (cached && cached.shapeKey === shapeKey) {
    cached.op.setWeights(weights, bias);
    return Object.assign(cached, { weightsKey, weights, bias });
  }
  if (cached?.op) cached.op.delete();
  opCache.delete(step.index);
  cached = { shapeKey, weightsKey, weights, bias, ...create(weights, bias) };
  if (cached.op.inputLength + cached.op.outputLength <= OP_CACHE_FLOATS) opCache.set(step.index, cached);
  return cached;
}

const weightsKeyOf = (msg, useFilter) => JSON.stringify([msg.seed, useFilter ? msg.filter : 'he']);

function convSimd(mod, step, input, msg, useFilter, from) {
  const options = convOptions(step);
  const cached = packedOp(step, JSON.stringify(options), weightsKeyOf(msg, useFilter), msg, useFilter, (weights, bias) => {
    const op = createConvOp(mod, { ...options, weights, bias });
    const expect = [1, ...step.outShape];
    if (op.outputShape.some((d, i) => d !== expect[i])) {
      op.delete();
      throw new Error(`the kernel computes ${op.outputShape.join('×')}, the report says ${expect.join('×')}`);
    }
    return { op };
  });
  const bands = cached.op.bands; // more than 1 in the threaded build: the op splits itself across its threads
  return { y: runOp(cached.op, step.index, input, from), bands };
}

/** Helpers whose engine has loaded: a run never waits for one still loading (the conv runs with fewer bands). */
const readyHelpers = () => helpers.filter((h) => h.ready);

function splits(step) {
  if (!readyHelpers().length || !SPLITTABLE.has(step.type) || step.outShape[0] < 2) return false;
  const [OH, OW, F] = step.outShape;
  const perOutput = step.kernel[0] * step.kernel[1] * (step.type === 'depthwise_conv' ? 1 : step.inShape[2] / (step.groups || 1));
  return OH * OW * F * perOutput >= SPLIT_MIN_MACS;
}

/**
 * A conv or depthwise conv split by bands of output rows: band 0 here, the
 * others on the helpers, at the same time; the bands land in one output in
 * row order. Identical to convSimd's result (web/conv-split.js says why).
 */
async function convSplit(mod, step, input, msg, useFilter) {
  const options = convOptions(step);
  const team = readyHelpers();
  const bands = rowBands(mod, step.outShape[0], team.length + 1);
  const weightsKey = weightsKeyOf(msg, useFilter);
  const key = JSON.stringify([options, bands, weightsKey]); // a helper re-packs its band's op when it changes
  const cached = packedOp(step, JSON.stringify([options, bands]), weightsKey, msg, useFilter, (weights, bias) => {
    const parts = bands.map((band) => bandOptions(mod, options, band));
    const op = createConvOp(mod, { ...parts[0].options, weights, bias });
    if (op.outputShape[1] !== bands[0][1] || op.outputShape[2] !== step.outShape[1]) {
      op.delete();
      throw new Error(`the kernel computes a band of ${op.outputShape.slice(1, 3).join('×')}, expected ${bands[0][1]}×${step.outShape[1]}`);
    }
    return { op, parts };
  });
  const { op, parts } = cached;
  filled(input); // its bands are copied to the helpers and into band 0's op
  const [, W, C] = step.inShape;
  const [OH, OW, F] = step.outShape;
  const rowIn = W * C;
  const rowOut = OW * F;
  const jobs = parts.slice(1).map((part, i) => team[i].band(step.index, key, part, cached.weights, cached.bias,
    input.slice(part.inRows[0] * rowIn, part.inRows[1] * rowIn)));
  jobs.forEach((job) => job.catch(() => {})); // awaited below; not "unhandled" if band 0 throws first
  const out = take(OH * rowOut);
  try {
    op.inputView().set(input.subarray(parts[0].inRows[0] * rowIn, parts[0].inRows[1] * rowIn));
    op.runInPlace();
    out.set(op.outputView());
    const results = await Promise.all(jobs);
    results.forEach((y, i) => {
      if (y.length !== (bands[i + 1][1] - bands[i + 1][0]) * rowOut) throw new Error(`helper ${i + 1} returned ${y.length} values for its band`);
      out.set(y, bands[i + 1][0] * rowOut);
      recycle(y.buffer);
    });
  } catch (err) {
    recycle(out.buffer);
    throw err;
  } finally {
    if (!opCache.has(step.index)) op.delete();
  }
  return out;
}

/** A conv on the kernels: split across the helpers where it pays, else whole here. */
async function convStep(mod, step, x, msg, useFilter, from) {
  if (splits(step)) {
    try {
      const team = readyHelpers().length + 1;
      return { y: await convSplit(mod, step, x, msg, useFilter), bands: Math.min(team, step.outShape[0]) };
    } catch (err) {
      // A helper that failed once is not trusted again: one worker from here on.
      stopHelpers(`previews run in one worker: ${err?.message || err}`);
      const cached = opCache.get(step.index);
      if (cached) { cached.op?.delete(); opCache.delete(step.index); }
    }
  }
  return convSimd(mod, step, x, msg, useFilter, from);
}

/**
 * Run a conv or pool op of layer `index` on its own buffers, the output
 * copied into a recycled buffer (run() would allocate one); an op too big
 * for opCache is deleted after its one use.
 */
function runOp(op, index, input, from = null) {
  if (input.length !== op.inputLength) throw new Error(`input has ${input.length} values, the op takes ${op.inputLength}`);
  if (from?.maps && from.data === input && op.runOn) op.runOn(from.maps);
  else {
    op.inputView().set(filled(input));
    op.runInPlace();
  }
  const out = take(op.outputLength);
  if (!opCache.has(index)) {
    out.set(op.outputView());
    op.delete();
  } else if (op.runOn) {
    // A conv op's output stays in its buffer until the op runs again (next
    // run): the next step and the thumbnail read it there, the copy comes later.
    later(out, () => op.outputView());
    inModule = { data: out, conv: op };
  } else out.set(op.outputView()); // a pool op: its output is patched in JS (poolSimd)
  return out;
}

/**
 * createPoolOp's options for a pooling or upsampling step, or null when the
 * kernels do not compute what the JS op does (average pooling with dilation:
 * the JS op's divisor counts dilated taps).
 */
function poolOptions(step) {
  const [H, W, C] = step.inShape;
  const inputShape = [1, H, W, C];
  switch (step.type) {
    case 'max_pool':
      return {
        kind: 'max_pool', inputShape, kernel: step.kernel, stride: step.stride, dilation: step.dilation,
        padding: step.pads, ceilMode: Boolean(step.ceil),
      };
    case 'avg_pool':
      if (step.dilation[0] !== 1 || step.dilation[1] !== 1) return null;
      return {
        kind: 'avg_pool', inputShape, kernel: step.kernel, stride: step.stride, padding: step.pads,
        ceilMode: Boolean(step.ceil), countIncludePad: Boolean(step.countIncludePad),
      };
    case 'global_max_pool':
    case 'global_avg_pool':
      return { kind: step.type, inputShape };
    case 'upsample':
      return { kind: 'upsample_nearest', inputShape, outputSize: [step.outShape[0], step.outShape[1]] };
    default:
      return null;
  }
}

/**
 * Output indices along each axis whose max-pool window holds no input cell
 * (only in the padding, or dilated past the input): the kernel gives
 * -Infinity there, the JS op 0, and the preview keeps the JS op's 0.
 */
function emptyWindows(step) {
  return [0, 1].map((a) => {
    const empty = [];
    for (let o = 0; o < step.outShape[a]; o += 1) {
      let hit = false;
      for (let i = 0; i < step.kernel[a] && !hit; i += 1) {
        const v = o * step.stride[a] - step.pads[a][0] + i * step.dilation[a];
        hit = v >= 0 && v < step.inShape[a];
      }
      if (!hit) empty.push(o);
    }
    return empty;
  });
}

/** A pooling or upsampling step in the SIMD kernels, or null: run the JS op. */
function poolSimd(mod, step, input) {
  const options = poolOptions(step);
  if (!options) return null;
  const key = JSON.stringify(['pool', options]);
  let cached = opCache.get(step.index);
  if (!cached || cached.key !== key) {
    if (cached?.op) cached.op.delete();
    opCache.delete(step.index);
    let op = null;
    try {
      op = createPoolOp(mod, options);
    } catch {
      op = null; // options the kernels refuse: the JS op computes the reported shape as before
    }
    const expect = [1, ...step.outShape];
    if (op && op.outputShape.some((d, i) => d !== expect[i])) {
      // The kernel's size rule and the report disagree: the JS op follows the report.
      op.delete();
      op = null;
    }
    cached = { key, op, empty: op && step.type === 'max_pool' ? emptyWindows(step) : null };
    if (!op || op.inputLength + op.outputLength <= OP_CACHE_FLOATS) opCache.set(step.index, cached);
  }
  const { op, empty } = cached;
  if (!op) return null;
  const out = runOp(op, step.index, input);
  if (empty && (empty[0].length || empty[1].length)) {
    const [OH, OW, C] = step.outShape;
    for (const oy of empty[0]) out.fill(0, oy * OW * C, (oy + 1) * OW * C);
    for (const ox of empty[1]) {
      for (let oy = 0; oy < OH; oy += 1) out.fill(0, (oy * OW + ox) * C, (oy * OW + ox + 1) * C);
    }
  }
  return out;
}

/** Pooling or upsampling: the SIMD kernels when the module has them, else (or when not expressible) the JS op. */
function poolStep(mod, step, x, js) {
  const y = mod && typeof mod.PoolOpHost === 'function' ? poolSimd(mod, step, x) : null;
  return y ? { y, engine: 'simd', conv: false } : { y: js(), engine: 'js', conv: false };
}

async function runStep(mod, step, xs, msg, plan, from) {
  const useFilter = step.index === plan.firstConv;
  const x = xs[0];
  // Convs and ReLUs may read their input where it lies in the module (and
  // fill it where they do not); every other op reads the values in JS.
  const reluStep = isRelu(step);
  if (!CONV_STEPS.has(step.type) && !reluStep) xs.forEach(filled);
  switch (step.type) {
    case 'conv':
    case 'depthwise_conv':
    case 'conv_transpose':
      if (mod && typeof mod.ConvOpHost === 'function' && kernelPads(step)) return { ...(await convStep(mod, step, x, msg, useFilter, from)), engine: 'simd', conv: true };
      return { y: ops.convJs(step, filled(x), convWeights(step, msg.seed, msg.filter, useFilter).weights), engine: 'js', conv: true };
    case 'max_pool': return poolStep(mod, step, x, () => ops.pool(step, x, 'max'));
    case 'avg_pool': return poolStep(mod, step, x, () => ops.pool(step, x, 'avg'));
    case 'global_max_pool': return poolStep(mod, step, x, () => ops.globalPool(step, x, 'max'));
    case 'global_avg_pool': return poolStep(mod, step, x, () => ops.globalPool(step, x, 'avg'));
    case 'adaptive_avg_pool': return { y: ops.adaptiveAvgPool(step, x) };
    case 'zero_pad':
    case 'crop': return { y: ops.padOrCrop(step, x) };
    case 'upsample': return poolStep(mod, step, x, () => ops.upsampleNearest(step, x));
    case 'batch_norm': return { y: ops.batchNorm(step, x) };
    // Never in place: x is posted to the page (transferred) once this layer has read it.
    case 'relu': return reluKernel(x, step.inShape, msg.caps, from) || { y: ops.activation(step, filled(x), 'relu') };
    case 'activation':
      if (reluStep) return reluKernel(x, step.inShape, msg.caps, from) || { y: ops.activation(step, filled(x), 'relu') };
      return { y: ops.activation(step, x, step.fn) };
    case 'dropout': return { y: x }; // inference: identity
    case 'add':
    case 'subtract':
    case 'multiply':
    case 'average':
    case 'maximum':
    case 'minimum': return { y: ops.elementwise(step, xs, step.type) };
    case 'concat': return { y: ops.concat(step, xs) };
    // The reference input gave only its size (the report's): pads or the output shape.
    case 'crop_to':
    case 'pad_to': return { y: ops.padOrCrop(step, x) };
    case 'resize_to': return { y: ops.upsampleNearest(step, x) };
    case 'channel_shuffle': return { y: ops.channelShuffle(step, x) };
    case 'channel_split': return { y: ops.channelSplit(step, x) };
    case 'reshape': return { y: ops.reshape(step, x) };
    default: throw new Error(`no preview for ${step.type}`);
  }
}

const CONV_STEPS = new Set(['conv', 'depthwise_conv', 'conv_transpose']);
const isRelu = (step) => step.type === 'relu' || (step.type === 'activation' && ops.activationName(step.fn) === 'relu');

/** A macrotask boundary without setTimeout's 4 ms clamp, so a newer 'run' gets read. */
function yieldToMessages() {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => { channel.port1.close(); resolve(); };
    channel.port2.postMessage(null);
  });
}

/**
 * Run the plan's steps from `first` on. Each step reads its inputs by index
 * (the report's `inputs`); a map stays in `maps` while later steps of this
 * run still read it, and the moment its last reader is done its values go to
 * the page (transferred when no other live map shares the buffer). So the
 * worker holds only the maps some later step needs: the skips of a U-Net,
 * the shortcut of a residual block.
 */
async function run(msg) {
  const { gen, plan, caps } = msg;
  const started = performance.now();
  publishMs = 0;
  let mod = null;
  let engineNote = null;
  try {
    mod = await engine(msg.kernels, msg.workers);
    kernelModule = mod;
  } catch (err) {
    engineNote = `the engine did not load in the worker (${err?.message || err}); convolutions ran in plain JS`;
  }
  if (mod && typeof mod.ConvOpHost !== 'function') engineNote = 'this build of the engine has no SIMD kernels; convolutions ran in plain JS';
  // Ops of every layer this plan computes stay packed, whether or not this run reaches them.
  const live = new Set(plan.steps.filter((s) => s.compute).map((s) => s.index));
  const first = msg.resume ? msg.resume.index + 1 : 0;
  const todo = plan.steps.filter((s) => s.index >= first && s.compute);
  const readers = new Map(); // map index -> steps of this run still to read it
  for (const step of todo) for (const r of step.reads) readers.set(r, (readers.get(r) || 0) + 1);
  const maps = new Map(); // map index -> Float32Array (-1: the image)
  const owned = new Set(); // maps computed by this run: their values go to the page
  const toSend = []; // [index, data, own] of maps done with whose values are still in the module
  const firstValues = new Set(msg.firstValues || []); // maps the page draws from values (the sliding-window view): not deferred
  unread.clear();
  let input = null;
  let liveFloats = 0;
  let peakFloats = 0;
  const hold = (index, data) => {
    if (![...maps.values()].includes(data)) liveFloats += data.length;
    maps.set(index, data);
    peakFloats = Math.max(peakFloats, liveFloats);
  };
  const finish = (index) => {
    const data = maps.get(index);
    if (!data) return;
    maps.delete(index);
    const shared = [...maps.values()].includes(data);
    if (!shared) liveFloats -= data.length;
    if (!owned.has(index)) return;
    const own = !shared && data !== input?.data;
    if (unread.has(data) && !firstValues.has(index)) toSend.push([index, data, own]);
    else sendValues(gen, index, filled(data), own);
  };
  if (msg.resume) {
    // The page still shows layers 0 .. resume.index unchanged: it sends the maps later steps read.
    for (const [index, values] of msg.resume.maps) hold(index, values);
  } else {
    const img = await decode(msg.image);
    if (gen !== latest) return;
    const inputKey = JSON.stringify([msg.image.kind, msg.image.name, msg.image.id, plan.input]);
    if (!lastInput || lastInput.key !== inputKey) lastInput = { key: inputKey, ...toInput(img, plan.input) };
    input = lastInput;
    const [H, W, C] = plan.input;
    const composite = await compositeBitmap(input.rgb, H, W, C);
    if (!publish(gen, -1, input.data, plan.input, caps, { composite, ms: performance.now() - started })) return;
    hold(-1, input.data);
    owned.add(-1);
    if (!readers.get(-1)) finish(-1);
  }
  let computeMs = 0;
  const engines = new Set();
  inModule = null;
  for (const held of mapOpsCache.values()) held.reluAhead = null; // an abandoned run's
  for (const [i, step] of todo.entries()) {
    await yieldToMessages();
    if (gen !== latest) return;
    const xs = step.reads.map((r) => maps.get(r));
    // A conv whose next step is its ReLU: the ReLU is computed with the conv's thumbnail.
    const next = todo[i + 1];
    const reluNext = Boolean(next && isRelu(next) && next.reads.length === 1 && next.reads[0] === step.index);
    const lost = step.reads.find((r) => !maps.has(r));
    const from = inModule; // the step before's output, where it lies in the module's memory
    inModule = null;
    let result = null;
    if (lost !== undefined) {
      const name = lost < 0 ? 'the input' : `layer ${lost + 1} (${plan.steps[lost].name})`;
      self.postMessage({ type: 'error', gen, index: step.index, skipped: true, message: `Not previewed: the preview of its input ${name} failed.` });
    } else {
      const t0 = performance.now();
      try {
        result = await runStep(mod, step, xs, msg, plan, from);
      } catch (err) {
        self.postMessage({ type: 'error', gen, index: step.index, message: String(err?.message || err) });
      }
      if (result) {
        const ms = performance.now() - t0;
        computeMs += ms;
        if (result.conv) engines.add(result.engine); // the 'done' message's convEngine: convolutions only
        const extra = { ms, engine: result.engine || 'js', bands: result.bands || 1 };
        if (result.ahead) extra.withLayer = step.reads[0]; // its ReLU ran in that layer's thumbnail pass
        if (!publish(gen, step.index, result.y, step.outShape, caps, extra, result.thumbFrom, reluNext)) return;
        hold(step.index, result.y);
        owned.add(step.index);
      }
    }
    // The inputs this step has read: a map with no reader left goes to the page.
    for (const r of step.reads) {
      readers.set(r, readers.get(r) - 1);
      if (readers.get(r) === 0) finish(r);
    }
    if (result && !readers.get(step.index)) finish(step.index);
  }
  for (const index of [...maps.keys()]) finish(index);
  // Every thumbnail is posted: the page draws them now (the refresh it
  // measures), while the values still in the module are copied and follow.
  self.postMessage({ type: 'thumbnails-done', gen });
  for (const [index, data, own] of toSend) sendValues(gen, index, filled(data), own);
  // Ops of layers that no longer exist (or are no longer computed) free their memory.
  for (const [index, cached] of opCache) {
    if (!live.has(index)) { cached.op?.delete(); opCache.delete(index); }
  }
  for (const h of helpers) {
    for (const index of [...h.has.keys()]) if (!live.has(index)) h.has.delete(index);
    h.worker.postMessage({ type: 'keep', indexes: [...h.has.keys()] });
  }
  if (helpersFailed && !engineNote) engineNote = helpersFailed;
  self.postMessage({
    type: 'done', gen, totalMs: performance.now() - started, computeMs, peakFloats,
    convEngine: engines.has('js') ? 'js' : engines.has('simd') ? 'simd' : null, engineNote,
    kernels: kernelBuild, workers: 1 + readyHelpers().length, publishMs,
    threads: kernelBuild === 'threads' && mod ? mod.parallelParts() : 1,
    // Why a machine with cores to spare runs without threads: the page is not isolated (the host's headers).
    unshared: globalThis.crossOriginIsolated !== true && cores() > 1,
  });
  // Helpers start once a run is done, so loading their engines never slows
  // the first previews on a machine with few cores; later runs use them once ready.
  if (mod) ensureHelpers(workerCount(msg));
}
