// From the engine's report to what the preview worker computes. Pure (no DOM,
// no module): the page builds the plan and posts it to the worker; the
// sliding-window view reads the same geometry, so the drawing and the
// numbers cannot disagree.
//
// The report gives every layer's input and output shape (the engine's rules,
// per framework). The plan only resolves what the report leaves implicit: the
// concrete padding of 'same'/'valid' (from the output size the report gives,
// split as the framework does: the odd cell at the end, or at the start for
// ONNX SAME_LOWER), defaults (from the engine's layer schema), and the
// output padding a transposed conv needs to reach the reported size.
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
const IDENTITY_LIKE = new Set(['relu', 'activation', 'batch_norm', 'dropout']);

const pair = (v, fallback) => {
  if (v === undefined || v === null) return fallback;
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number')) return v.slice();
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'number') return [v[0], v[0]];
  return fallback;
};

/** A layer field, or the framework's default from the engine's schema. */
function field(schema, layer, name, fw) {
  if (layer[name] !== undefined) return layer[name];
  const f = schema?.types?.find((t) => t.type === layer.type)?.fields?.find((x) => x.field === name);
  return f?.defaults?.[fw];
}

/** Explicit padding forms -> [[top, bottom], [left, right]], or null for a string mode. */
function explicitPads(p) {
  if (typeof p === 'number') return [[p, p], [p, p]];
  if (Array.isArray(p) && p.length === 2 && p.every((x) => typeof x === 'number')) return [[p[0], p[0]], [p[1], p[1]]];
  if (Array.isArray(p) && p.length === 2 && p.every((x) => Array.isArray(x) && x.length === 2)) return [p[0].slice(), p[1].slice()];
  if (Array.isArray(p) && p.length === 1 && typeof p[0] === 'number') return [[p[0], p[0]], [p[0], p[0]]];
  return null;
}

const keff = (k, d) => (k - 1) * d + 1;
const floorDiv = (a, b) => Math.floor(a / b);

/** A forward window op's output size along one axis with explicit pads (floor), may be <= 0. */
export function forwardSize(inSize, [pb, pe], k, s, d) {
  return floorDiv(inSize + pb + pe - keff(k, d), s) + 1;
}

function splitSame(total, lower) {
  const t = Math.max(0, total);
  const begin = lower ? Math.ceil(t / 2) : Math.floor(t / 2);
  return [begin, t - begin];
}

/** [H, W, C] of a rank-4 report shape in NHWC order, or null. */
function hwc(shape, layout) {
  const parts = splitShape(shape, layout);
  if (!parts || parts.spatial.length !== 2) return null;
  return [parts.spatial[0], parts.spatial[1], parts.channels];
}

function forwardGeometry(layer, schema, fw, inS, outS) {
  const kernel = pair(field(schema, layer, 'kernel', fw), [1, 1]);
  let stride = field(schema, layer, 'stride', fw);
  stride = stride === 'kernel' ? kernel.slice() : pair(stride, [1, 1]);
  const dilation = pair(field(schema, layer, 'dilation', fw), [1, 1]);
  const padding = field(schema, layer, 'padding', fw) ?? 0;
  let pads = explicitPads(padding);
  if (!pads) {
    const lower = padding === 'same_lower';
    if (padding === 'valid') pads = [[0, 0], [0, 0]];
    else {
      pads = [0, 1].map((a) => {
        // 'same': the output the report gives (ceil(in / s)); the total padding that reaches it.
        const out = outS ? outS[a] : Math.ceil(inS[a] / stride[a]);
        return splitSame((out - 1) * stride[a] + keff(kernel[a], dilation[a]) - inS[a], lower);
      });
    }
  }
  const nominal = [0, 1].map((a) => forwardSize(inS[a], pads[a], kernel[a], stride[a], dilation[a]));
  return { kernel, stride, dilation, pads, nominal };
}

function transposedGeometry(layer, schema, fw, inS, outS) {
  const kernel = pair(field(schema, layer, 'kernel', fw), [1, 1]);
  const stride = pair(field(schema, layer, 'stride', fw), [1, 1]);
  const dilation = pair(field(schema, layer, 'dilation', fw), [1, 1]);
  const padding = field(schema, layer, 'padding', fw) ?? 0;
  const given = pair(layer.output_padding, [0, 0]);
  const explicit = explicitPads(padding);
  const pads = explicit || [[0, 0], [0, 0]];
  const outputPadding = given.slice();
  const nominal = [0, 0];
  for (const a of [0, 1]) {
    const full = (inS[a] - 1) * stride[a] + keff(kernel[a], dilation[a]);
    if (explicit) {
      // PyTorch / ONNX pads: output = full - pads + output_padding.
      const base = full - pads[a][0] - pads[a][1];
      if (outS) outputPadding[a] = Math.max(0, outS[a] - base);
      nominal[a] = base + outputPadding[a];
    } else if (padding === 'valid') {
      // Keras: in * s + max(k - s, 0), or full + output_padding when given.
      const out = outS ? outS[a] : full + Math.max(given[a], stride[a] - keff(kernel[a], dilation[a]), 0);
      outputPadding[a] = Math.max(0, out - full);
      nominal[a] = out;
    } else {
      // 'same' / 'same_lower': the pads that reach the reported size, split like a forward conv's.
      const out = outS ? outS[a] : inS[a] * stride[a];
      let total = full + given[a] - out;
      if (total < 0) { outputPadding[a] = given[a] - total; total = 0; }
      pads[a] = splitSame(total, padding === 'same_lower');
      nominal[a] = out;
    }
  }
  return { kernel, stride, dilation, pads, outputPadding, nominal };
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
    if (inShape && WINDOWED.has(row.type)) {
      const geo = row.type === 'conv_transpose'
        ? transposedGeometry(layer, schema, fw, inShape, step.outShape)
        : forwardGeometry(layer, schema, fw, inShape, step.outShape);
      Object.assign(step, geo, { windowed: true });
      if (row.type === 'conv') step.groups = field(schema, layer, 'groups', fw) ?? 1;
      if (row.type === 'conv_transpose') step.groups = field(schema, layer, 'groups', fw) ?? 1;
      if (row.type === 'depthwise_conv') step.multiplier = field(schema, layer, 'depth_multiplier', fw) ?? 1;
      if (row.type === 'max_pool' || row.type === 'avg_pool') {
        step.ceil = Boolean(field(schema, layer, 'ceil_mode', fw));
        step.countIncludePad = Boolean(field(schema, layer, 'count_include_pad', fw) ?? false);
      }
    }
    if (row.type === 'activation') {
      step.fn = String(field(schema, layer, 'function', fw) ?? 'relu');
      if (!activationName(step.fn)) step.caveat = `The preview does not know the activation '${step.fn.slice(0, 40)}': its input is shown unchanged.`;
    }
    if (row.type === 'upsample' && inShape && step.outShape) {
      step.scale = [step.outShape[0] / inShape[0], step.outShape[1] / inShape[1]];
    }
    if ((row.type === 'zero_pad' || row.type === 'crop') && inShape) {
      step.pads = explicitPads(row.type === 'zero_pad' ? layer.padding : layer.cropping) || [[0, 0], [0, 0]];
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
 * One spatial axis of a windowed step as the sliding-window view draws it.
 * Cells are numbered in input coordinates for forward ops (padding < 0 or
 * >= in) and in "stretched" coordinates for transposed convs (the input with
 * stride - 1 zeros between cells, as conv_arithmetic draws them).
 *   lo, hi: the drawn cells [lo, hi)
 *   kind(v): 'in' | 'pad' | 'zero' (inserted by a transposed conv's stride) | 'beyond' (outside the padding)
 *   source(v): the input index cell v shows, or -1
 *   taps(o): the cells output o reads, in order (k of them)
 *   out: the output size (the report's, or the formula's when there is none: may be <= 0)
 */
export function windowAxis(step, a) {
  const inSize = step.inShape[a];
  const k = step.kernel[a];
  const d = step.dilation[a];
  const ke = keff(k, d);
  const [pb, pe] = step.pads[a];
  const out = step.outShape ? step.outShape[a] : step.nominal[a];
  if (step.type === 'conv_transpose') {
    const s = step.stride[a];
    const span = (inSize - 1) * s + 1;
    const before = ke - 1 - pb; // padding of the stretched input (negative: cropped)
    const after = ke - 1 - pe + (step.outputPadding?.[a] || 0);
    const lo = Math.min(0, -before);
    const hi = Math.max(span, span + after, out + lo + ke - 1);
    return {
      transposed: true, inSize, k, d, stride: 1, out, lo, hi, padBefore: Math.max(0, before), padAfter: Math.max(0, after),
      kind(v) {
        if (v < -before || v >= span + after) return 'beyond';
        if (v < 0 || v >= span) return 'pad';
        return v % s === 0 ? 'in' : 'zero';
      },
      source(v) { return v >= 0 && v < span && v % s === 0 ? v / s : -1; },
      taps(o) { return Array.from({ length: k }, (_, i) => o - before + i * d); },
    };
  }
  const s = step.stride[a];
  const lastEnd = out > 0 ? (out - 1) * s - pb + ke : -pb + ke; // end of the last window (or of the only try)
  return {
    transposed: false, inSize, k, d, stride: s, out, lo: -pb, hi: Math.max(inSize + pe, lastEnd), padBefore: pb, padAfter: pe,
    kind(v) {
      if (v >= 0 && v < inSize) return 'in';
      return v >= -pb && v < inSize + pe ? 'pad' : 'beyond';
    },
    source(v) { return v >= 0 && v < inSize ? v : -1; },
    taps(o) { return Array.from({ length: k }, (_, i) => o * s - pb + i * d); },
  };
}
