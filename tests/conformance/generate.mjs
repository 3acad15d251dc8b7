// Seeded generator of conformance cases: ConvScope networks (the JSON
// contract of the README) aimed at the traps where shape rules differ —
// kernels, dilated kernels and strides larger than the input, outputs of
// exactly 0 and 1, negative numerators with a stride, ceil-mode last
// windows, pool padding beyond half the kernel, `same` with strides, even
// kernels and dilation, groups, transposed output_padding, adaptive pools,
// BatchNorm after a global pool, and chains of 2-6 layers with a wrong
// in_features or in_channels. 1-D, 2-D and 3-D throughout.
//
//   node tests/conformance/generate.mjs --framework pytorch --count 1200 --seed 11 > cases.json
//
// The cases say nothing about the expected result: the runners ask the real
// framework, and compare.mjs compares its answer with ConvScope's.
//
// Graph cases (merges, skips, make-them-fit layers) come from
// generate_graphs.mjs and follow the others, from their own seeded stream.

import { generateGraphs } from './generate_graphs.mjs';

// mulberry32: small, seedable, the same sequence on every machine.
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = (xs) => xs[Math.floor(next() * xs.length)];
  const chance = (p) => next() < p;
  return { next, int, pick, chance };
}

// What each framework's runner can build. TensorFlow runs on tfjs ops, which
// have no grouped conv (a few are made all the same: the runner skips them,
// counted), and Keras takes only 'valid' / 'same'; 1-D depthwise and
// transposed convs run as Keras runs them, on a unit height.
const FRAMEWORKS = {
  pytorch: { ranks: [1, 2, 3], channelsLast: false },
  onnx: { ranks: [1, 2, 3], channelsLast: false },
  tensorflow: { ranks: [1, 2, 3], channelsLast: true },
};

const MAX_SIDE = { 1: 40, 2: 20, 3: 9 };

function inputShape(fw, batch, channels, spatial) {
  return FRAMEWORKS[fw].channelsLast ? [batch, ...spatial, channels] : [batch, channels, ...spatial];
}

// One value for every axis, or one per axis (both are the contract's forms).
function axes(r, rank, f) {
  const v = Array.from({ length: rank }, (_, i) => f(i));
  if (v.every((x) => x === v[0]) && r.chance(0.7)) return v[0];
  return v;
}
const at = (v, i) => (Array.isArray(v) ? v[i] : v);

// ---- Single window layers aimed at one trap ----------------------------------

// Params of a conv or pool on a given spatial input, steered by `trap`.
function windowParams(r, fw, type, sp, trap) {
  const rank = sp.length;
  const isPool = type === 'max_pool' || type === 'avg_pool';
  const dilOk = fw === 'onnx' ? type !== 'avg_pool' : fw === 'pytorch' ? type !== 'avg_pool' : !isPool;
  const L = {};
  let kernel, stride, dilation, pad;
  switch (trap) {
    case 'kernel_gt_input':
      kernel = axes(r, rank, (i) => Math.max(1, sp[i] + r.int(-1, 2)));
      break;
    case 'dilated_gt_input':
      dilation = dilOk ? axes(r, rank, () => r.int(2, 3)) : undefined;
      kernel = axes(r, rank, (i) => Math.max(2, Math.min(sp[i], r.int(2, 4))));
      break;
    case 'stride_gt_input':
      kernel = axes(r, rank, (i) => r.int(1, Math.max(1, Math.min(3, sp[i]))));
      stride = axes(r, rank, (i) => sp[i] + r.int(0, 3));
      break;
    case 'out_zero_one': {
      // padded input = k_eff - 1 (out 0) or k_eff (out 1), sometimes with a stride.
      kernel = axes(r, rank, () => r.int(1, 5));
      stride = r.chance(0.5) ? axes(r, rank, () => r.int(1, 3)) : undefined;
      break;
    }
    case 'neg_numerator':
      kernel = axes(r, rank, (i) => sp[i] + r.int(2, 4));
      stride = axes(r, rank, () => r.int(2, 4));
      break;
    case 'ceil_last_window':
      kernel = axes(r, rank, () => r.int(2, 4));
      stride = axes(r, rank, () => r.int(2, 3));
      break;
    case 'pool_pad_gt_half':
      kernel = axes(r, rank, () => r.int(1, 4));
      pad = axes(r, rank, (i) => Math.floor(at(kernel, i) / 2) + r.int(0, 1));
      break;
    case 'same':
      kernel = axes(r, rank, () => r.int(1, 4));
      stride = r.chance(0.5) ? axes(r, rank, () => r.int(1, 3)) : undefined;
      dilation = r.chance(0.4) && dilOk ? axes(r, rank, () => r.int(1, 3)) : undefined;
      break;
    default:
      kernel = axes(r, rank, (i) => r.int(1, Math.max(1, Math.min(5, sp[i] + 1))));
      stride = r.chance(0.5) ? axes(r, rank, () => r.int(1, 3)) : undefined;
      dilation = r.chance(0.2) && dilOk ? axes(r, rank, () => r.int(1, 2)) : undefined;
  }
  L.kernel = kernel;
  if (stride !== undefined) L.stride = stride;
  if (dilation !== undefined && dilOk) L.dilation = dilation;
  if (trap === 'same') {
    L.padding = fw === 'onnx' && r.chance(0.3) ? 'same_lower' : 'same';
    if (fw === 'pytorch' && isPool) L.padding = 0;  // PyTorch pools take numbers only
  } else if (pad !== undefined) {
    L.padding = fw === 'tensorflow' ? 'valid' : pad;
  } else if (fw === 'tensorflow') {
    if (r.chance(0.4)) L.padding = r.pick(['valid', 'same']);
  } else if (r.chance(0.5)) {
    L.padding = axes(r, rank, (i) => r.int(0, Math.max(0, Math.floor(at(kernel, i) / 2))));
  } else if (r.chance(0.2) && !isPool) {
    L.padding = r.pick(['valid', 'same']);
  }
  if (trap === 'out_zero_one' && fw !== 'tensorflow' && !(typeof L.padding === 'string')) {
    // Choose the input so that the output is exactly 0 or 1 on one axis: returned as an override.
    L.__fit = true;
  }
  if (isPool && fw !== 'tensorflow') {
    if (trap === 'ceil_last_window' || r.chance(0.25)) L.ceil_mode = true;
    if (type === 'avg_pool' && r.chance(0.3)) L.count_include_pad = r.chance(0.5);
  }
  if (trap === 'ceil_last_window' && fw !== 'tensorflow') {
    L.padding = axes(r, rank, (i) => r.int(0, Math.floor(at(kernel, i) / 2)));
  }
  return L;
}

// Groups: mostly a divisor of the channels that arrive, sometimes not (an
// error in PyTorch and ONNX). An ONNX model cannot hold fewer than one kernel
// channel per group, nor (ConvTranspose) output channels not divisible by
// the group: its weight shapes say so.
function convFields(r, fw, channels, { allowGroups = true, transposed = false } = {}) {
  const L = { filters: r.int(1, 8) };
  // Keras has groups too, but tfjs has no grouped convolution: a few, which
  // the tfjs runner skips by category and counts.
  if (allowGroups && (fw !== 'tensorflow' || r.chance(0.15)) && r.chance(0.3)) {
    const divisors = [2, 3, 4].filter((g) => channels % g === 0);
    let g = divisors.length && r.chance(0.75) ? r.pick(divisors) : r.pick([2, 3, 4]);
    if (fw === 'onnx' && g > channels) g = Math.max(1, channels);
    if (g > 1) {
      L.groups = g;
      L.filters = g * r.int(1, 3) + (r.chance(0.15) && !(fw === 'onnx' && transposed) ? 1 : 0);
    }
  }
  if (r.chance(0.1)) L.bias = false;
  return L;
}

// ---- Network building ---------------------------------------------------------

const TRAPS = ['kernel_gt_input', 'dilated_gt_input', 'stride_gt_input', 'out_zero_one', 'neg_numerator',
  'ceil_last_window', 'pool_pad_gt_half', 'same', 'plain'];

function spatialInput(r, rank) {
  return Array.from({ length: rank }, () => r.int(1, MAX_SIDE[rank]));
}

// Fits the input to a window layer so one axis' output is exactly 0 or 1.
function fitZeroOne(r, L, sp) {
  const rank = sp.length;
  const i = r.int(0, rank - 1);
  const k = at(L.kernel, i), d = at(L.dilation ?? 1, i), p = at(typeof L.padding === 'number' || Array.isArray(L.padding) ? L.padding : 0, i);
  const kEff = d * (k - 1) + 1;
  const target = kEff - 2 * p - (r.chance(0.5) ? 1 : 0);
  sp[i] = Math.max(1, target);
  delete L.__fit;
}

function windowCase(r, fw, trap) {
  const rank = r.pick(FRAMEWORKS[fw].ranks);
  const sp = spatialInput(r, rank);
  const channels = r.int(1, 6);
  let types = ['conv', 'max_pool', 'avg_pool'];
  if (fw === 'pytorch' || fw === 'onnx' || rank <= 2) types.push('depthwise_conv');  // Keras: DepthwiseConv1D/2D
  if (trap === 'pool_pad_gt_half' || trap === 'ceil_last_window') types = ['max_pool', 'avg_pool'];
  if (trap === 'same' && fw === 'pytorch') types = ['conv', 'depthwise_conv'];
  const type = r.pick(types);
  const L = { type, ...windowParams(r, fw, type, sp, trap) };
  if (type === 'conv') Object.assign(L, convFields(r, fw, channels));
  if (type === 'depthwise_conv' && r.chance(0.4)) L.depth_multiplier = r.int(2, 3);
  if (L.__fit) fitZeroOne(r, L, sp);
  delete L.__fit;
  const layers = [L];
  if (r.chance(0.3)) layers.push({ type: 'relu' });
  return { input: inputShape(fw, r.int(1, 2), channels, sp), layers };
}

function transposedCase(r, fw) {
  const ranks = FRAMEWORKS[fw].ranks;
  const rank = r.pick(ranks);
  const sp = spatialInput(r, rank).map((x) => Math.min(x, 8));
  const channels = r.int(1, 6);
  const L = { type: 'conv_transpose', ...convFields(r, fw, channels, { allowGroups: fw !== 'tensorflow', transposed: true }) };
  L.kernel = axes(r, rank, () => r.int(1, 4));
  if (r.chance(0.7)) L.stride = axes(r, rank, () => r.int(1, 3));
  if (fw !== 'tensorflow' && r.chance(0.25)) L.dilation = axes(r, rank, () => r.int(1, fw === 'onnx' ? 3 : 2));
  if (fw === 'tensorflow') {
    if (r.chance(0.5)) L.padding = r.pick(['valid', 'same']);
  } else if (fw === 'onnx' && r.chance(0.2)) {
    L.padding = r.pick(['same', 'same_lower', 'valid']);  // auto_pad (ONNX Runtime clamps SAME)
  } else if (r.chance(0.6)) {
    // Large paddings make the output 0 or negative.
    L.padding = axes(r, rank, () => r.int(0, 4));
  }
  if (r.chance(0.6)) L.output_padding = axes(r, rank, () => r.int(0, 2));
  return { input: inputShape(fw, r.int(1, 2), channels, sp), layers: [L] };
}

function poolingHeadCase(r, fw) {
  // Global / adaptive pools, then BatchNorm or flatten + dense (batch 1 is the page's default).
  const rank = r.pick(FRAMEWORKS[fw].ranks);
  const sp = spatialInput(r, rank);
  const channels = r.int(1, 8);
  const layers = [];
  if (fw === 'pytorch' && r.chance(0.5)) {
    layers.push({ type: 'adaptive_avg_pool', output_size: axes(r, rank, () => r.int(1, 4)) });
  } else {
    layers.push({ type: r.pick(['global_avg_pool', 'global_max_pool']) });
    if (fw !== 'pytorch' && r.chance(0.5)) layers[0].keepdims = true;
  }
  const bn = { type: 'batch_norm' };
  if (fw !== 'tensorflow' && r.chance(0.3)) bn.in_channels = r.chance(0.5) ? channels : channels + r.int(1, 4);
  if (r.chance(0.7)) layers.push(bn);
  return { input: inputShape(fw, r.pick([1, 1, 2]), channels, sp), layers, mode: r.pick(['train', 'eval', undefined]) };
}

// A random layer that keeps the tensor spatial, sized loosely to the input.
function randomSpatialLayer(r, fw, sp, channels) {
  const rank = sp.length;
  const kinds = ['conv', 'conv', 'conv', 'max_pool', 'avg_pool', 'relu', 'batch_norm', 'zero_pad'];
  if (fw !== 'tensorflow' || rank <= 2) kinds.push('depthwise_conv');
  kinds.push('conv_transpose');
  if (fw === 'pytorch') kinds.push('dropout');
  if (fw === 'tensorflow') kinds.push('crop', 'upsample');  // Keras Cropping*D, UpSampling*D
  const type = r.pick(kinds);
  if (type === 'relu' || type === 'dropout') return { type };
  if (type === 'batch_norm') return { type };
  if (type === 'zero_pad') return { type, padding: axes(r, rank, () => r.int(0, 2)) };
  if (type === 'crop') return { type, cropping: axes(r, rank, (i) => r.int(0, Math.max(1, Math.ceil(sp[i] / 3)))) };
  if (type === 'upsample') return { type, scale: axes(r, rank, () => r.int(1, 3)) };
  if (type === 'conv_transpose') {
    const L = { type, filters: r.int(1, 8), kernel: axes(r, rank, () => r.int(1, 3)) };
    if (r.chance(0.5)) L.stride = axes(r, rank, () => r.int(1, 2));
    if (fw !== 'tensorflow' && r.chance(0.3)) L.padding = axes(r, rank, () => r.int(0, 1));
    return L;
  }
  const L = { type, ...windowParams(r, fw, type, sp, r.chance(0.15) ? r.pick(TRAPS) : 'plain') };
  delete L.__fit;
  if (type === 'conv') Object.assign(L, convFields(r, fw, channels));
  if (type === 'depthwise_conv' && r.chance(0.3)) L.depth_multiplier = 2;
  return L;
}

// Chains of 2-6 layers, some with a declared in_features / in_channels that may be wrong.
function chainCase(r, fw) {
  const rank = r.pick(FRAMEWORKS[fw].ranks);
  const sp = spatialInput(r, rank).map((x) => Math.max(x, rank === 3 ? 4 : 8));
  const channels = r.int(1, 6);
  const n = r.int(2, 6);
  const layers = [];
  let declareChannels = fw !== 'tensorflow' && r.chance(0.4);
  let c = channels;
  for (let i = 0; i < n - (r.chance(0.5) ? 2 : 0); ++i) {
    const L = randomSpatialLayer(r, fw, sp, c);
    layers.push(L);
    if (L.type === 'conv' || L.type === 'conv_transpose') c = L.filters;
    if (L.type === 'depthwise_conv') c *= L.depth_multiplier ?? 1;
  }
  while (layers.length < n) {
    if (!layers.some((l) => l.type === 'flatten')) layers.push({ type: 'flatten' });
    else layers.push({ type: 'dense', units: r.int(1, 10) });
  }
  // Declared sizes: filled by the caller from the real framework's shapes? No:
  // from a guess, right or off by a little, so both outcomes occur.
  let guessC = channels;
  for (const L of layers) {
    // ONNX: a BatchNorm's declared channels clash with the static channels of
    // the weights before it already at load (shape inference), which the
    // chain cases leave to the pool_head cases.
    const declarable = fw === 'onnx' ? ['conv', 'conv_transpose', 'depthwise_conv'] : ['conv', 'conv_transpose', 'depthwise_conv', 'batch_norm'];
    if (declareChannels && declarable.includes(L.type)) {
      L.in_channels = r.chance(0.6) ? guessC : Math.max(1, guessC + r.pick([-2, -1, 1, 2, guessC]));
      if (L.type === 'depthwise_conv' && fw === 'pytorch') delete L.in_channels;
      // An ONNX Conv weight holds in_channels / group per group: a multiple of the group.
      if (fw === 'onnx' && L.type === 'conv' && L.groups) L.in_channels = Math.max(1, Math.floor(L.in_channels / L.groups)) * L.groups;
    }
    if (L.type === 'conv' || L.type === 'conv_transpose') guessC = L.filters;
    if (L.type === 'depthwise_conv') guessC *= L.depth_multiplier ?? 1;
    if (L.type === 'dense' && r.chance(0.3)) L.in_features = r.int(1, 400);
  }
  if (fw !== 'pytorch') for (const L of layers) if (L.type === 'dropout') L.type = 'relu';
  return { input: inputShape(fw, r.int(1, 2), channels, sp), layers };
}

// ---- reshape: x.view / Keras Reshape / ONNX Reshape ----------------------------
// Three shapes of use: a flatten to [N, P] before a dense layer (x.view(x.size(0),
// -1), x.view(-1, 400) with the batch inferred, a count that is off); a dense
// output viewed back to [N, C, *sp] before a conv (DCGAN, Keras
// Reshape((7, 7, 64))); the spatial tensor regrouped in place. Sizes are
// guessed from the input, right or off by a little, so both outcomes occur.
function reshapeCase(r, fw) {
  const rank = r.pick(FRAMEWORKS[fw].ranks);
  const sp = spatialInput(r, rank).map((x) => Math.min(x, rank === 3 ? 5 : 10));
  const channels = r.int(1, 6);
  const batch = r.pick([1, 1, 2]);
  const layers = [];
  const prod = (v) => v.reduce((a, b) => a * b, 1);
  const spatialShape = (c, s) => (FRAMEWORKS[fw].channelsLast ? [...s, c] : [c, ...s]);
  const off = (n) => (r.chance(0.6) ? n : Math.max(1, n + r.pick([-2, -1, 1, n])));
  const infer = fw !== 'tensorflow' && r.chance(0.35);
  let c = channels;
  if (r.chance(0.5)) {
    c = r.int(1, 6);
    layers.push({ type: 'conv', filters: c, kernel: 1 });
  }
  const per = c * prod(sp);
  const kind = r.pick(['flat', 'flat', 'unflatten', 'regroup']);
  if (kind === 'flat') {
    const L = { type: 'reshape', shape: [r.chance(0.3) ? -1 : off(per)] };
    if (infer) {
      L.batch = 'infer';
      if (L.shape[0] === -1) L.shape = [r.chance(0.7) ? per : Math.max(1, Math.floor(per / 2))];
    }
    layers.push(L);
    if (r.chance(0.6)) {
      const D = { type: 'dense', units: r.int(1, 8) };
      if (fw !== 'tensorflow' && r.chance(0.4)) D.in_features = off(per);
      layers.push(D);
    }
  } else if (kind === 'unflatten') {
    // flatten -> dense -> back to [N, c2, *sp2] -> conv
    const c2 = r.int(1, 4);
    const sp2 = sp.map((n) => Math.max(1, Math.min(n, r.int(1, 6))));
    layers.push({ type: 'flatten' }, { type: 'dense', units: off(c2 * prod(sp2)) });
    const shape = spatialShape(c2, sp2);
    if (r.chance(0.3)) shape[r.int(0, shape.length - 1)] = -1;
    layers.push({ type: 'reshape', shape, ...(infer ? { batch: 'infer' } : {}) });
    if (infer && shape.includes(-1)) layers[layers.length - 1].shape = spatialShape(c2, sp2);
    layers.push({ type: 'conv', filters: r.int(1, 4), kernel: r.int(1, 2) });
  } else {
    // the same values regrouped: halve one axis and double another, or miss by one
    const s2 = [...sp];
    let c2 = c;
    const a = r.int(0, rank - 1);
    if (s2[a] % 2 === 0 && r.chance(0.7)) { s2[a] /= 2; c2 *= 2; } else if (r.chance(0.5)) { s2[a] += 1; }
    const shape = spatialShape(c2, s2);
    if (r.chance(0.3)) shape[r.int(0, shape.length - 1)] = -1;
    layers.push({ type: 'reshape', shape });
    if (r.chance(0.5)) layers.push(r.chance(0.5) ? { type: 'relu' } : { type: 'conv', filters: r.int(1, 4), kernel: 1 });
  }
  return { input: inputShape(fw, batch, channels, sp), layers };
}

// `count` chain and single-layer cases, then `graphs` graph cases (by
// default 30 % of count, at least 300, for the frameworks whose runner
// builds merges: not yet the tfjs one).
export const defaultGraphs = (fw, count) => (fw === 'tensorflow' ? 0 : Math.max(300, Math.ceil(count * 0.3)));
export function generate(fw, count, seed, { graphs = defaultGraphs(fw, count) } = {}) {
  if (!FRAMEWORKS[fw]) throw new Error(`generate: unknown framework '${fw}'`);
  const r = rng(seed ^ { pytorch: 0x1111, onnx: 0x2222, tensorflow: 0x3333 }[fw]);
  const cases = [];
  const chains = Math.max(200, Math.ceil(count * 0.22));
  for (let i = 0; i < count; ++i) {
    let category, net;
    if (i < chains) {
      category = 'chain';
      net = chainCase(r, fw);
    } else {
      const roll = r.next();
      if (roll < 0.12) { category = 'transposed'; net = transposedCase(r, fw); }
      else if (roll < 0.22) { category = 'pool_head'; net = poolingHeadCase(r, fw); }
      else { category = r.pick(TRAPS); net = windowCase(r, fw, category); }
    }
    const network = { framework: fw, input: net.input, layers: net.layers };
    if (net.mode) network.mode = net.mode;
    if (fw !== 'pytorch') for (const L of network.layers) if (L.type === 'batch_norm' && fw === 'tensorflow') delete L.in_channels;
    cases.push({ id: `${fw}-${i}`, category, rank: network.input.length - 2, network });
  }
  // Reshape cases from their own seeded stream, so the cases above stay as they were.
  const rr = rng((seed * 104729) ^ { pytorch: 0x7777, onnx: 0x8888, tensorflow: 0x9999 }[fw]);
  for (let i = 0; i < Math.max(60, Math.ceil(count * 0.06)); ++i) {
    const net = reshapeCase(rr, fw);
    const network = { framework: fw, input: net.input, layers: net.layers };
    cases.push({ id: `${fw}-r${i}`, category: 'reshape', rank: network.input.length - 2, network });
  }
  if (graphs > 0) cases.push(...generateGraphs(fw, graphs, seed));
  return cases;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name, dflt) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : dflt;
  };
  const fw = arg('framework', 'pytorch');
  const count = Number(arg('count', '1200'));
  const seed = Number(arg('seed', '11'));
  const graphs = arg('graphs', undefined);
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(seed) || (graphs !== undefined && !(Number(graphs) >= 0))) {
    console.error('generate: --count, --graphs and --seed must be integers');
    process.exit(2);
  }
  process.stdout.write(JSON.stringify(generate(fw, count, seed, graphs === undefined ? {} : { graphs: Number(graphs) })) + '\n');
}
