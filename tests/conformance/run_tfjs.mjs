// Runs the "tensorflow" conformance cases on TensorFlow.js ops (npm
// @tensorflow/tfjs-core with @tensorflow/tfjs-backend-cpu, pinned in the root
// package-lock.json) and records every layer's output shape and the first
// layer Keras would refuse.
//
//   node tests/conformance/run_tfjs.mjs cases.json > results.json
//
// tfjs ops are the arithmetic of TensorFlow's kernels (conv_util.ts: VALID
// ceil((in - k_eff + 1) / s), SAME ceil(in / s)), but they check few sizes: a
// kernel larger than the input gives an empty tensor, or one with a negative
// size. The Keras rules they lack are stated here, each from Keras' or
// TensorFlow's source, and are the only thing this runner adds:
//  - an output size below 1 is Keras' refusal (TF graph mode's "Negative
//    dimension size", Keras 3's "Computed output size would be zero or
//    negative"): the layer fails and the run stops;
//  - where a size is negative, tfjs-layers (not installed) refuses the layer
//    in Sequential.checkShape (tfjs-layers/src/models.ts) with
//    "Negative dimension size caused by adding layer {name} with input shape
//    [{shape}]"; for the layers tfjs-layers has (Conv1D-3D, DepthwiseConv2D,
//    pooling 1-D to 3-D, Cropping2D) the runner writes that text with the
//    sizes tfjs-core computed and Keras' automatic layer name, and it is
//    compared with ConvScope's "TensorFlow.js layers" text; other failures
//    are compared by failing layer and shapes only (texts: null);
//  - Conv*DTranspose: Keras' output size (keras/src/utils/conv_utils.py
//    deconv_output_length) is computed here and handed to conv2dTranspose /
//    conv3dTranspose, which take any; TensorFlow's kernel then checks that a
//    forward convolution of that output gives back the input
//    (conv_grad_shape_utils.cc, "Size of out_backprop doesn't match
//    computed"), checked here with tfjs' own forward arithmetic; Keras'
//    "output_padding must be smaller than the stride" is checked first;
//  - 1-D pooling, 1-D depthwise and 1-D transposed convolutions run as 2-D
//    ops on a unit height, as Keras and TensorFlow implement them
//    (expand_dims, then the 2-D op).
// What tfjs cannot run at all (grouped convolutions, 3-D depthwise, dilated
// transposed convolutions) is skipped by category, with a count.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const { computeConv2DInfo, computeConv3DInfo } = tf.backend_util;

// tfjs prints an advert for tfjs-node on the first op; keep stdout for JSON.
const log = console.log;
console.log = () => {};
await tf.setBackend('cpu');

const casesFile = process.argv[2];
if (!casesFile) {
  console.error('usage: run_tfjs.mjs cases.json');
  process.exit(2);
}
const cases = JSON.parse(readFileSync(casesFile, 'utf8'));

const perAxis = (v, rank, dflt) => (v === undefined ? Array(rank).fill(dflt) : Array.isArray(v) ? v : Array(rank).fill(v));
const pairs = (v, rank) => perAxis(v, rank, 0).map((p) => (Array.isArray(p) ? p : [p, p]));
const keff = (k, d) => d * (k - 1) + 1;

class Refused extends Error {
  // A layer Keras refuses: text is compared only where given (source names whose text it is).
  constructor(why, text = null, source = null) {
    super(why);
    this.text = text;
    this.source = source;
  }
}
class Skip extends Error {}

// Keras' automatic layer names: the class name in snake case, _1, _2, ... per class.
const KERAS_NAME = {
  conv: (r) => `conv${r}d`, depthwise_conv: (r) => `depthwise_conv${r}d`, conv_transpose: (r) => `conv${r}d_transpose`,
  max_pool: (r) => `max_pooling${r}d`, avg_pool: (r) => `average_pooling${r}d`, crop: (r) => `cropping${r}d`,
};
// The layers tfjs-layers has, whose negative sizes Sequential.checkShape refuses.
const TFJS_LAYERS = (type, rank) =>
  ['conv', 'max_pool', 'avg_pool'].includes(type) || (type === 'depthwise_conv' && rank === 2) ||
  (type === 'crop' && rank === 2);

// Runs one 2-D-or-3-D window op on x, for rank 1 on a unit height.
function unitHeight(x, rank, f) {
  if (rank !== 1) return f(x, (v) => v);
  const [n, l, c] = x.shape;
  const y = f(tf.reshape(x, [n, 1, l, c]), (v) => [1, ...v]);
  return tf.reshape(y, [y.shape[0], y.shape[2], y.shape[3]]);
}

function windowOp(L, x, rank) {
  const k = perAxis(L.kernel, rank, 1);
  const s = perAxis(L.stride, rank, L.type.endsWith('pool') ? undefined : 1).map((v, i) => v ?? k[i]);
  const d = perAxis(L.dilation, rank, 1);
  const pad = L.padding ?? 'valid';
  if (typeof pad !== 'string') throw new Skip('numeric padding (Keras takes only valid/same)');
  const c = x.shape[x.rank - 1];
  if (L.type === 'conv') {
    if ((L.groups ?? 1) > 1) throw new Skip('grouped convolution (tfjs has no groups)');
    if (rank === 3) return tf.conv3d(x, tf.zeros([...k, c, L.filters]), s, pad, 'NDHWC', d);
    return unitHeight(x, rank, (x2, u) => tf.conv2d(x2, tf.zeros([...u(k), c, L.filters]), u(s), pad, 'NHWC', u(d)));
  }
  if (L.type === 'depthwise_conv') {
    if (rank === 3) throw new Skip('3-D depthwise convolution (neither tfjs nor Keras has one)');
    return unitHeight(x, rank, (x2, u) =>
      tf.depthwiseConv2d(x2, tf.zeros([...u(k), c, L.depth_multiplier ?? 1]), u(s), pad, 'NHWC', u(d)));
  }
  if (d.some((v) => v > 1)) throw new Skip('dilated pooling (Keras pools have no dilation)');
  const max = L.type === 'max_pool';
  if (rank === 3) return (max ? tf.maxPool3d : tf.avgPool3d)(x, k, s, pad);
  return unitHeight(x, rank, (x2, u) => (max ? tf.maxPool : tf.avgPool)(x2, u(k), u(s), pad));
}

// The sizes tfjs computes for a window op, without running it (an op whose
// size is negative throws before it says so).
function windowSizes(L, inShape, rank) {
  const k = perAxis(L.kernel, rank, 1);
  const s = perAxis(L.stride, rank, L.type.endsWith('pool') ? undefined : 1).map((v, i) => v ?? k[i]);
  const d = perAxis(L.dilation, rank, 1);
  const c = inShape[inShape.length - 1];
  const filters = L.type === 'conv' ? L.filters : c;
  if (rank === 3) return computeConv3DInfo(inShape, [...k, c, filters], s, d, L.padding ?? 'valid').outShape.slice(1, 4);
  const u = (v) => (rank === 1 ? [1, ...v] : v);
  const shape2 = rank === 1 ? [inShape[0], 1, inShape[1], c] : inShape;
  const info = computeConv2DInfo(shape2, [...u(k), c, filters], u(s), u(d), L.padding ?? 'valid');
  return rank === 1 ? [info.outWidth] : [info.outHeight, info.outWidth];
}

// keras/src/utils/conv_utils.py deconv_output_length (Keras 2 and 3 agree).
function kerasDeconvLength(input, filter, padding, outputPadding, stride, dilation) {
  const f = keff(filter, dilation);
  if (outputPadding === undefined)
    return padding === 'valid' ? input * stride + Math.max(f - stride, 0) : input * stride;
  const pad = padding === 'same' ? Math.floor(f / 2) : 0;
  return (input - 1) * stride + f - 2 * pad + outputPadding;
}

function transposed(L, x, rank) {
  if ((L.groups ?? 1) > 1) throw new Skip('grouped convolution (tfjs has no groups)');
  const k = perAxis(L.kernel, rank, 1);
  const s = perAxis(L.stride, rank, 1);
  const d = perAxis(L.dilation, rank, 1);
  if (d.some((v) => v > 1)) throw new Skip('dilated transposed convolution (tfjs conv2dTranspose has no dilations)');
  const pad = L.padding ?? 'valid';
  if (typeof pad !== 'string') throw new Skip('numeric padding (Keras takes only valid/same)');
  const op = L.output_padding === undefined ? undefined : perAxis(L.output_padding, rank, 0);
  // Keras (Conv*DTranspose.__init__): output_padding must be smaller than the stride.
  if (op && op.some((v, i) => v >= s[i])) throw new Refused('output_padding >= stride');
  const spatial = x.shape.slice(1, 1 + rank);
  const out = spatial.map((n, i) => kerasDeconvLength(n, k[i], pad, op?.[i], s[i], d[i]));
  const [n, c] = [x.shape[0], x.shape[x.rank - 1]];
  if (out.some((v) => v < 1)) return { shape: [n, ...out, L.filters] };
  // TensorFlow's backprop-input kernel: the forward conv of the output must give the input back.
  const u = (v) => (rank === 1 ? [1, ...v] : v);
  let forward;
  if (rank === 3) {
    forward = computeConv3DInfo([n, ...out, L.filters], [...k, L.filters, c], s, 1, pad).outShape.slice(1, 4);
  } else {
    const info = computeConv2DInfo([n, ...u(out), L.filters], [...u(k), L.filters, c], u(s), 1, pad);
    forward = rank === 1 ? [info.outWidth] : [info.outHeight, info.outWidth];
  }
  if (forward.some((v, i) => v !== spatial[i])) throw new Refused('the output does not map back to the input (TensorFlow)');
  if (rank === 3) return tf.conv3dTranspose(x, tf.zeros([...k, L.filters, c]), [n, ...out, L.filters], s, pad);
  return unitHeight(x, rank, (x2, uu) =>
    tf.conv2dTranspose(x2, tf.zeros([...uu(k), L.filters, c]), [n, ...uu(out), L.filters], uu(s), pad));
}

// Keras' repeat_elements along each spatial axis (UpSampling1D-3D).
function upsample(x, rank, scale) {
  let y = x;
  scale.forEach((f, i) => {
    const axis = 1 + i;
    const shape = y.shape;
    const expanded = tf.expandDims(y, axis + 1);
    const reps = shape.map(() => 1);
    reps.splice(axis + 1, 0, f);
    y = tf.reshape(tf.tile(expanded, reps), shape.map((v, j) => (j === axis ? v * f : v)));
  });
  return y;
}

function apply(L, x, rank) {
  const spatialAxes = Array.from({ length: rank }, (_, i) => i + 1);
  switch (L.type) {
    case 'conv':
    case 'depthwise_conv':
    case 'max_pool':
    case 'avg_pool':
      if (x.rank !== rank + 2) throw new Refused('a window layer on a tensor without its spatial axes');
      try {
        return windowOp(L, x, rank);
      } catch (e) {
        // Some tfjs ops throw on a negative size ("Tensor must have a shape
        // comprised of positive integers", "Invalid typed array length"):
        // tfjs' own sizes say what it would have been. Any other refusal
        // (strides with dilation) comes first, as in Keras.
        if (e instanceof Skip || !/positive integers|typed array length/.test(e.message)) throw e;
        const sizes = windowSizes(L, x.shape, rank);
        const c = x.shape[x.rank - 1];
        return { shape: [x.shape[0], ...sizes, L.type === 'conv' ? L.filters : L.type === 'depthwise_conv' ? c * (L.depth_multiplier ?? 1) : c] };
      }
    case 'conv_transpose': return transposed(L, x, rank);
    case 'global_avg_pool': return tf.mean(x, spatialAxes, L.keepdims ?? false);
    case 'global_max_pool': return tf.max(x, spatialAxes, L.keepdims ?? false);
    case 'zero_pad': return tf.pad(x, [[0, 0], ...pairs(L.padding, rank), [0, 0]]);
    case 'crop': {
      const cr = pairs(L.cropping, rank);
      const size = [x.shape[0], ...cr.map(([b, e], i) => x.shape[1 + i] - b - e), x.shape[x.rank - 1]];
      if (size.some((v) => v < 1)) return { shape: size };
      return tf.slice(x, [0, ...cr.map(([b]) => b), 0], size);
    }
    case 'upsample': return upsample(x, rank, perAxis(L.scale, rank, 2));
    case 'flatten': return tf.reshape(x, [x.shape[0], -1]);
    case 'dense': {
      // Keras Dense on the last axis (a tensordot for inputs of rank > 2).
      const k = L.in_features ?? x.shape[x.rank - 1];
      const y = tf.matMul(tf.reshape(x, [-1, x.shape[x.rank - 1]]), tf.zeros([k, L.units]));
      return tf.reshape(y, [...x.shape.slice(0, -1), L.units]);
    }
    case 'relu':
    case 'activation':
    case 'dropout': return tf.relu(x);
    case 'batch_norm': {
      const c = x.shape[x.rank - 1];
      return tf.batchNorm(x, tf.zeros([c]), tf.ones([c]));
    }
    case 'reshape':
      // Keras' Reshape: the batch kept, the sizes after it (one -1 inferred).
      // tfjs-core's tf.reshape decides; tfjs-layers' Reshape (not installed)
      // checks the same sizes first in fixUnknownDimension (src/layers/core.ts)
      // and throws its one sentence, which the runner writes.
      try {
        return tf.reshape(x, [x.shape[0], ...L.shape]);
      } catch (e) {
        throw new Refused(`tf.reshape: ${e.message}`, 'Total size of new array must be unchanged.', 'TensorFlow.js layers');
      }
    default:
      throw new Skip(`layer type ${L.type} (no tfjs op here)`);
  }
}

function runCase(kase) {
  const net = kase.network;
  const rank = net.input.length - 2;
  const layers = [];
  const ordinals = {};
  for (const L of net.layers)
    if (L.inputs) return { skip: 'graph layers (this runner runs chains)' };
  return tf.tidy(() => {
    let x = tf.zeros(net.input);
    for (let i = 0; i < net.layers.length; ++i) {
      const L = net.layers[i];
      const klass = KERAS_NAME[L.type]?.(rank);
      const name = L.name ?? (klass && (ordinals[klass] ? `${klass}_${ordinals[klass]}` : klass));
      if (klass) ordinals[klass] = (ordinals[klass] ?? 0) + 1;
      let y;
      try {
        y = apply(L, x, rank);
      } catch (e) {
        if (e instanceof Skip) return { skip: e.message };
        if (e instanceof Refused) return { layers, error: { index: i, stage: 'keras', text: e.text, source: e.source, why: e.message } };
        // A tfjs op refusing (strides with dilation, mismatched dense weights): refused, texts not compared.
        return { layers, error: { index: i, stage: 'tfjs', text: null, why: e.message.split('\n')[0] } };
      }
      const shape = Array.from(y.shape);
      if (shape.some((v) => v < 1)) {
        // Keras refuses a size below 1; tfjs-layers a negative one, with its text.
        const negative = shape.some((v) => v < 0) && TFJS_LAYERS(L.type, rank);
        const text = negative ? `Negative dimension size caused by adding layer ${name} with input shape [${[null, ...x.shape.slice(1)]}]` : null;
        return { layers, error: { index: i, stage: 'size', text, source: negative ? 'TensorFlow.js layers' : null, why: `output ${JSON.stringify(shape)}` } };
      }
      layers.push({ output: shape });
      x = y;
    }
    return { layers, error: null };
  });
}

const results = [];
const skipped = {};
for (const kase of cases) {
  const r = runCase(kase);
  if (r.skip) {
    skipped[r.skip] = (skipped[r.skip] ?? 0) + 1;
    results.push({ id: kase.id, skipped: r.skip });
  } else {
    results.push({ id: kase.id, ...r });
  }
}
const pkg = (name) => require(`${name}/package.json`).version;
log(JSON.stringify({
  framework: 'tensorflow',
  version: `tfjs-core ${pkg('@tensorflow/tfjs-core')} + tfjs-backend-cpu ${pkg('@tensorflow/tfjs-backend-cpu')}, Keras rules stated by the runner`,
  texts: true,
  skipped,
  notes: [
    'an output size below 1 is taken as Keras\' refusal (tfjs ops return empty or negative sizes); texts are compared only for tfjs-layers\' "Negative dimension size caused by adding layer" (rebuilt from tfjs-core\'s sizes), other refusals by failing layer and shapes',
    'Keras\' transposed output size (deconv_output_length) and TensorFlow\'s check that it maps back to the input are the runner\'s; 1-D pooling, depthwise and transposed convolutions run on a unit height, as Keras does',
    'not run: grouped convolutions, 3-D depthwise and dilated transposed convolutions (no tfjs op); the Keras error texts of tf.keras 2, Keras 3 and TF graph and eager mode (no TensorFlow here)',
  ],
  results,
}));
