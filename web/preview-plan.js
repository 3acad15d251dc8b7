// From the engine's report to what the preview worker computes. Pure (no DOM,
// no module): the page builds the plan and posts it to the worker; the
// sliding-window view reads the same geometry, so the drawing and the
// numbers cannot disagree.
//
// Every size comes from the report: each layer's input and output shape and,
// for every layer with spatial windows, its resolved geometry per axis
// (`geometry.axes`: explicit pads as the framework resolves 'same' / 'valid',
// the effective kernel, the stride with the pooling default applied, ceil
// mode, a transposed conv's pads and output padding, crop as negative pads).
// The plan only copies those numbers into the worker's [H, W] pairs, and
// takes the layer options that decide values, not sizes (groups, depth
// multiplier, count_include_pad, the activation) from the layer or the
// engine's layer schema.
// Everything runs in NHWC for one image: a batch N > 1 previews image 0.
//
// A graph runs in the report's order (inputs always name earlier layers);
// each step names the maps it reads (`reads`: layer indexes, -1 = the
// image) from the report's `inputs`. crop_to / pad_to / resize_to read only
// their tensor: the reference gives its size, which the report already has.
import { splitShape, inputIndexes } from './format.js';
import { activationName } from './preview-ops.js';

export const CAPS = {
  macs: 2e9, // total multiply-accumulates of one refresh (a pooling tap counts as one)
  channels: 32, // channel thumbnails shown per layer
  elements: 1 << 24, // floats in one tensor (the SIMD kernels refuse more: 64 MiB)
  held: 1 << 26, // floats of every map one refresh keeps (the page holds each for hover; 256 MiB)
};

/** What the worker computes; every other type gets a card saying it is not previewed. */
const COMPUTED = new Set([
  'conv', 'depthwise_conv', 'conv_transpose', 'max_pool', 'avg_pool', 'global_avg_pool', 'global_max_pool',
  'adaptive_avg_pool', 'zero_pad', 'crop', 'upsample', 'batch_norm', 'relu', 'activation', 'dropout',
  'add', 'subtract', 'multiply', 'average', 'maximum', 'minimum', 'concat', 'crop_to', 'pad_to', 'resize_to',
  'channel_shuffle', 'channel_split', 'reshape',
]);
export const ELEMENTWISE = new Set(['add', 'subtract', 'multiply', 'average', 'maximum', 'minimum']);
// Element-wise layers also run on a vector [N, F] (after global pooling), as a row of F 1×1 maps;
// so does a reshape from or to [N, F] (x.view(b, c) of a pooled [N, C, 1, 1], and back).
const ON_VECTORS = new Set(['relu', 'activation', 'dropout', 'reshape', ...ELEMENTWISE]);
const TO_REFERENCE = new Set(['crop_to', 'pad_to', 'resize_to']);

export const WINDOWED = new Set(['conv', 'depthwise_conv', 'conv_transpose', 'max_pool', 'avg_pool']);
const CONV_LIKE = new Set(['conv', 'depthwise_conv', 'conv_transpose']);

/** A layer field, or the framework's default from the engine's schema. */
function field(schema, layer, name, fw) {
  if (layer[name] !== undefined) return layer[name];
  const f = schema?.types?.find((t) => t.type === layer.type)?.fields?.find((x) => x.field === name);
  return f?.defaults?.[fw];
}

/** [H, W, C] of a rank-4 report shape in NHWC order, or null. */
function hwc(shape, layout) {
  const parts = splitShape(shape, layout);
  if (!parts || parts.spatial.length !== 2) return null;
  return [parts.spatial[0], parts.spatial[1], parts.channels];
}

/**
 * The report's geometry of a 2-D layer as the worker's [H, W] pairs, or null
 * when the report has none (a layer refused before its sizes, or not spatial).
 */
export function stepGeometry(row) {
  const axes = row?.geometry?.axes;
  if (!Array.isArray(axes) || axes.length !== 2) return null;
  const both = (key) => axes.map((a) => a[key]);
  return {
    axes,
    kernel: both('kernel'),
    stride: both('stride'),
    dilation: both('dilation'),
    pads: axes.map((a) => [a.pad_begin, a.pad_end]),
    outputPadding: both('output_padding'),
    ceil: axes.some((a) => a.ceil_mode),
    scale: both('scale'),
    nominal: both('out'), // the framework's size, also where there is no output (<= 0)
  };
}

function noteFor(layer, step) {
  switch (layer.type) {
    case 'flatten': return 'Flattened to a vector: no spatial map from here on.';
    case 'dense': return 'Dense layer: not previewed (a vector in, a vector out).';
    default:
      if (!COMPUTED.has(layer.type)) return `Not previewed: the previews cannot compute a ${layer.type} layer yet (its shape above is exact).`;
      if (!step.inShape || step.inShapes.some((x) => !x)) return 'No spatial map here (an input is a vector).';
      if (step.axis === -1) return 'Not previewed: a concatenation along the batch axis (the previews run one image).';
      return null;
  }
}

/** A shape right-aligned to `rank` with 1s in front, as numpy broadcasting reads it. */
const aligned = (shape, rank) => (shape && shape.length < rank ? [...new Array(rank - shape.length).fill(1), ...shape] : shape);

/** A concat's axis in the worker's [H, W, C] (-1: the batch axis), from the framework-layout axis. */
function concatAxis(axis, rank, layout) {
  const a = axis < 0 ? axis + rank : axis;
  if (a === 0) return -1;
  if (layout === 'NHWC') return a - 1;
  return a === 1 ? 2 : a - 2;
}

/**
 * Build the preview plan.
 * network: the JSON contract; report: the engine's report for it; layout: 'NHWC' | 'NCHW';
 * schema: the engine's layerSchema() (for defaults).
 * Returns {supported: false, reason} or {supported: true, batch, input: [H, W, C], steps, firstConv, stop}.
 */
export function buildPlan(network, report, layout, schema, caps = CAPS) {
  const fw = network?.framework;
  const input = Array.isArray(network?.input) ? network.input : null;
  if (!input || !report) return { supported: false, reason: 'No report yet.' };
  if (input.length !== 4) {
    return { supported: false, reason: `Previews are drawn for 2-D networks (a rank-4 input); this input has rank ${input.length}.` };
  }
  const inHWC = hwc(input, layout);
  const batch = input[0];
  if (inHWC[0] * inHWC[1] * inHWC[2] > caps.elements) {
    return { supported: false, reason: `The input holds ${inHWC[0] * inHWC[1] * inHWC[2]} values per image, over the preview cap of ${caps.elements}.` };
  }
  const steps = [];
  let spent = 0;
  let held = inHWC[0] * inHWC[1] * inHWC[2];
  let stop = null; // {index, reason: 'macs' | 'elements' | 'held', ...}
  let firstConv = -1;
  const layers = report.layers || [];
  const sources = inputIndexes(report);
  layers.forEach((row, i) => {
    const layer = network.layers[i] || { type: row.type };
    const asMap = (shape) => hwc(shape, layout) || (ON_VECTORS.has(row.type) && shape?.length === 2 ? [1, 1, shape[1]] : null);
    const outShape = row.output ? asMap(row.output) : null;
    const inputs = sources[i];
    const reads = TO_REFERENCE.has(row.type) ? inputs.slice(0, 1) : inputs;
    // Element-wise merges broadcast numpy's way: shapes right-aligned in the framework's layout.
    const rank = row.output ? row.output.length : 4;
    const arriving = (row.arriving || [row.input]).slice(0, reads.length);
    const inShapes = arriving.map((a) => (a ? asMap(ELEMENTWISE.has(row.type) ? aligned(a, rank) : a) : null));
    const inShape = inShapes[0] || null;
    const step = {
      index: i, name: row.name || `#${i + 1}`, type: row.type, status: row.status,
      message: row.message || '', formula: row.formula || '', frameworkError: row.framework_error || '',
      inShape, outShape, inShapes, inputs, reads, inputNames: row.inputs || [], arriving: row.arriving || [],
      trace: row.trace?.text || '', compute: false, windowed: false, note: null, macs: 0,
    };
    if (row.type === 'concat') step.axis = concatAxis(Number(field(schema, layer, 'axis', fw) ?? 1), rank, layout);
    if (CONV_LIKE.has(row.type) && firstConv < 0) firstConv = i;
    if (row.type === 'global_avg_pool' || row.type === 'global_max_pool') {
      // Keras drops the 1x1 axes by default; the preview keeps them (a row of 1x1 maps).
      if (inShape && row.output) step.outShape = [1, 1, inShape[2]];
    }
    const geo = inShape ? stepGeometry(row) : null;
    if (geo) Object.assign(step, geo);
    if (geo && WINDOWED.has(row.type)) {
      step.windowed = true;
      if (row.type === 'conv' || row.type === 'conv_transpose') step.groups = field(schema, layer, 'groups', fw) ?? 1;
      if (row.type === 'depthwise_conv') step.multiplier = field(schema, layer, 'depth_multiplier', fw) ?? 1;
      if (row.type === 'avg_pool') step.countIncludePad = Boolean(field(schema, layer, 'count_include_pad', fw) ?? false);
    }
    if (row.type === 'channel_shuffle') step.groups = Number(field(schema, layer, 'groups', fw) ?? 1);
    if (row.type === 'channel_split' && inShape && step.outShape) {
      // torch.chunk's piece: it starts at index * ceil(C / chunks); its width is the report's output channels.
      const chunks = Number(field(schema, layer, 'chunks', fw) ?? 1);
      step.channelBegin = Number(field(schema, layer, 'index', fw) ?? 0) * Math.ceil(inShape[2] / chunks);
    }
    if (row.type === 'reshape') step.layout = layout;  // the values keep the framework's order
    if (row.type === 'activation') {
      step.fn = String(field(schema, layer, 'function', fw) ?? 'relu');
      if (!activationName(step.fn)) step.caveat = `The preview does not know the activation '${step.fn.slice(0, 40)}': its input is shown unchanged.`;
    }
    step.note = noteFor(layer, step);
    if (!step.note && row.type === 'reshape' && row.input && row.output && row.input[0] !== row.output[0]) {
      step.note = `Not previewed: this reshape changes the batch (${row.input[0]} to ${row.output[0]}), and the previews run one image.`;
    }
    const ok = row.status === 'ok' || row.status === 'warning';
    // A map is computed only from computed maps: the first input without one says why this has none.
    const missing = reads.find((r) => r >= 0 && !steps[r].compute);
    if (missing !== undefined) step.blockedBy = missing;
    if (ok && inShape && step.outShape && !step.note) {
      const outElems = step.outShape[0] * step.outShape[1] * step.outShape[2];
      const taps = (step.kernel ? step.kernel[0] * step.kernel[1] : 1);
      const macs = typeof row.macs === 'number' && row.macs > 0 ? row.macs / Math.max(1, batch)
        : row.type === 'adaptive_avg_pool' || row.type.startsWith('global')
          ? inShape[0] * inShape[1] * inShape[2] : outElems * taps * Math.max(1, reads.length - 1);
      step.macs = macs;
      if (missing === undefined && !stop) {
        if (outElems > caps.elements) stop = { index: i, reason: 'elements', elements: outElems };
        else if (spent + macs > caps.macs) stop = { index: i, reason: 'macs', needed: spent + macs };
        else if (held + outElems > caps.held) stop = { index: i, reason: 'held', held: held + outElems };
        step.compute = !stop;
        if (!stop) { spent += macs; held += outElems; }
      }
    }
    steps.push(step);
  });
  // The whole network's MACs (for the notice), whether previewed or not.
  const total = steps.reduce((sum, s) => sum + (s.macs || 0), 0);
  return { supported: true, batch, input: inHWC, steps, firstConv, stop, spent, held, total, caps };
}

// ---- the sliding window ---------------------------------------------------

/**
 * One spatial axis of a windowed step as the sliding-window view draws it,
 * from the report's geometry of that axis. Cells are numbered in input
 * coordinates for forward ops (padding < 0 or >= in) and in "stretched"
 * coordinates for transposed convs (the input with stride - 1 zeros between
 * cells, as conv_arithmetic draws them: the report's `stretched`).
 *   lo, hi: the drawn cells [lo, hi)
 *   kind(v): 'in' | 'pad' | 'zero' (inserted by a transposed conv's stride) | 'beyond' (outside the padding)
 *   source(v): the input index cell v shows, or -1
 *   taps(o): the cells output o reads, in order (k of them)
 *   out: the framework's output size (may be <= 0: no output)
 *   span: the drawn input's cells [0, span) (the stretched input for a transposed conv)
 */
export function windowAxis(step, a) {
  const g = step.axes[a];
  const { in: inSize, kernel: k, dilation: d, k_eff: ke, out } = g;
  if (g.stretched) {
    const s = g.stride;
    const { in: span, pad_begin: before, pad_end: after } = g.stretched; // negative: cropped
    return {
      transposed: true, inSize, span, k, d, ke, stride: 1, out, lo: Math.min(0, -before), hi: span + Math.max(0, after),
      padBefore: Math.max(0, before), padAfter: Math.max(0, after),
      kind(v) {
        if (v < -before || v >= span + after) return 'beyond';
        if (v < 0 || v >= span) return 'pad';
        return v % s === 0 ? 'in' : 'zero';
      },
      source(v) { return v >= 0 && v < span && v % s === 0 ? v / s : -1; },
      taps(o) { return Array.from({ length: k }, (_, i) => o - before + i * d); },
    };
  }
  const s = g.stride;
  const pb = g.pad_begin;
  const pe = g.pad_end;
  return {
    transposed: false, inSize, span: inSize, k, d, ke, stride: s, out, lo: -pb, hi: inSize + pe + g.overhang,
    padBefore: pb, padAfter: pe,
    kind(v) {
      if (v >= 0 && v < inSize) return 'in';
      return v >= -pb && v < inSize + pe ? 'pad' : 'beyond';
    },
    source(v) { return v >= 0 && v < inSize ? v : -1; },
    taps(o) { return Array.from({ length: k }, (_, i) => o * s - pb + i * d); },
  };
}
