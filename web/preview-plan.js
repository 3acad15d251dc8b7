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
import { splitShape } from './format.js';
import { activationName } from './preview-ops.js';

export const CAPS = {
  macs: 2e9, // total multiply-accumulates of one refresh (a pooling tap counts as one)
  channels: 32, // channel thumbnails shown per layer
  elements: 1 << 24, // floats in one tensor (the SIMD kernels refuse more: 64 MiB)
};

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
    default: return step.inShape ? null : 'No spatial map here (the input is a vector).';
  }
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
  let stop = null; // {index, reason: 'macs' | 'elements', ...}
  let firstConv = -1;
  const layers = report.layers || [];
  layers.forEach((row, i) => {
    const layer = network.layers[i] || { type: row.type };
    const inShape = row.input ? hwc(row.input, layout) : null;
    const outShape = row.output ? hwc(row.output, layout) : null;
    const step = {
      index: i, name: row.name || `#${i + 1}`, type: row.type, status: row.status,
      message: row.message || '', formula: row.formula || '', frameworkError: row.framework_error || '',
      inShape, outShape, vectorIn: Boolean(row.input && row.input.length === 2),
      vectorOut: Boolean(row.output && row.output.length === 2),
      compute: false, windowed: false, note: null, macs: 0,
    };
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
    if (row.type === 'activation') {
      step.fn = String(field(schema, layer, 'function', fw) ?? 'relu');
      if (!activationName(step.fn)) step.caveat = `The preview does not know the activation '${step.fn.slice(0, 40)}': its input is shown unchanged.`;
    }
    step.note = noteFor(layer, step);
    const ok = row.status === 'ok' || row.status === 'warning';
    if (ok && inShape && step.outShape && !step.note) {
      step.compute = true;
      const outElems = step.outShape[0] * step.outShape[1] * step.outShape[2];
      const taps = (step.kernel ? step.kernel[0] * step.kernel[1] : 1);
      const macs = typeof row.macs === 'number' && row.macs > 0 ? row.macs / Math.max(1, batch)
        : row.type === 'adaptive_avg_pool' || row.type.startsWith('global')
          ? inShape[0] * inShape[1] * inShape[2] : outElems * taps;
      step.macs = macs;
      if (!stop && outElems > caps.elements) {
        stop = { index: i, reason: 'elements', elements: outElems };
      } else if (!stop && spent + macs > caps.macs) {
        stop = { index: i, reason: 'macs', needed: spent + macs };
      }
      if (stop) step.compute = false; else spent += macs;
    }
    steps.push(step);
  });
  // The whole network's MACs (for the notice), whether previewed or not.
  const total = steps.reduce((sum, s) => sum + (s.macs || 0), 0);
  return { supported: true, batch, input: inHWC, steps, firstConv, stop, spent, total, caps };
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
