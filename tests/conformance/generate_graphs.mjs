// Seeded GRAPH cases for the conformance suite (issue 10 item 9, issue 11
// item 1): networks of the v2 contract whose layers name their `inputs`,
// merged by add / subtract / multiply / average / maximum / minimum / concat
// and fitted by crop_to / pad_to / resize_to, aimed at the size errors real
// networks meet:
//
//   residual     identity and projection shortcuts; a shortcut that forgets
//                the stride; wrong channels; a main path that loses a cell
//   unet         down / up paths with concat skips at sizes that do and do
//                not divide by 2^depth (odd sizes), with and without
//                crop_to / pad_to / resize_to; 1-D, 2-D and 3-D
//   inception    concat of 3-4 branches, a mismatch in the third
//   concat_axis  concat on non-channel axes, batch, negative axes (and now
//                and then an axis out of range)
//   se_gate      global pool -> 1x1 convs -> sigmoid -> multiply, the gate
//                [N,C,1,1] broadcast; the flat [N,C] gate that forgets to
//                reshape; a gate with the wrong channels
//   broadcast    element-wise merges of 2-4 inputs with sizes of 1 and rank
//                differences (flattened and dense operands)
//   elementwise  average / maximum / minimum / subtract, a mismatch in the
//                third input
//   fit          crop_to / pad_to / resize_to with positive, negative and odd
//                differences, crop_to with a larger reference
//   branches     independent branches in interleaved order, one failing and
//                another failing later (the errors list)
//   densenet     concats of every previous output, declared in_channels
//   shufflenet   ShuffleNet V2 units: channel_split halves (or other
//                chunks), a branch, concat, channel_shuffle; channels that
//                groups does not divide, a chunk that does not exist
//                (Keras has neither layer: a residual case there)
//   se_view      squeeze-excitation with Linear layers and view: global
//                pool -> reshape [C] -> dense -> relu -> dense -> sigmoid ->
//                reshape [C, 1, ...] -> multiply; a view that miscounts, a
//                batch inferred, a gate with the wrong channels
//
// Every layer is named (inputs refer to names; ONNX nodes carry the same
// names, so ONNX Runtime's texts quote them). The cases say nothing about
// the expected result.

import { rng } from './generate.mjs';

const CHANNELS_LAST = { pytorch: false, onnx: false, tensorflow: true };
const SIDE = { 1: [6, 48], 2: [4, 20], 3: [3, 9] };

export const GRAPH_CATEGORIES = ['residual', 'unet', 'inception', 'concat_axis', 'se_gate', 'broadcast', 'elementwise',
  'fit', 'branches', 'densenet', 'shufflenet', 'se_view'];

// A network under construction: layers with unique names; `inputs` written
// out, or omitted now and then where the layer reads the one before it.
class Net {
  constructor(r, fw, rank, batch, channels, spatial) {
    Object.assign(this, { r, fw, rank, layers: [] });
    this.input = CHANNELS_LAST[fw] ? [batch, ...spatial, channels] : [batch, channels, ...spatial];
    this.sp = spatial;
  }

  add(type, fields, inputs, prefix = type) {
    const name = `${prefix}${this.layers.length}`;
    const L = { type, name, ...fields };
    const previous = this.layers.length ? this.layers[this.layers.length - 1].name : 'input';
    if (!(inputs.length === 1 && inputs[0] === previous && this.r.chance(0.4))) L.inputs = inputs;
    this.layers.push(L);
    return name;
  }

  conv(x, filters, kernel, { stride, padding, prefix = 'conv', in_channels } = {}) {
    const f = { filters, kernel };
    if (stride !== undefined && stride !== 1) f.stride = stride;
    if (padding !== undefined) f.padding = padding;
    if (in_channels !== undefined) f.in_channels = in_channels;
    return this.add('conv', f, [x], prefix);
  }

  // Pool with the stride written out: ONNX's default stride is 1, the others' the kernel.
  pool(x, type, kernel, stride = kernel, padding) {
    const f = { kernel, stride };
    if (padding !== undefined) f.padding = padding;
    return this.add(type, f, [x], type === 'max_pool' ? 'pool' : 'avgpool');
  }

  relu(x) { return this.add('relu', {}, [x], 'relu'); }

  // A global pool to [N, C]: keepdims false, or (PyTorch, whose adaptive pools keep the axes) a flatten after it.
  flatPool(x, type = 'global_avg_pool') {
    if (this.fw !== 'pytorch') return this.add(type, { keepdims: false }, [x], 'flatpool');
    return this.add('flatten', {}, [this.add(type, {}, [x], 'gap')], 'flatten');
  }

  bn(x) { return this.add('batch_norm', {}, [x], 'bn'); }

  // "Same-size" padding for an odd kernel at stride 1, in the forms each framework takes.
  same(k) {
    if (this.fw === 'tensorflow') return 'same';
    if (this.fw === 'pytorch' && this.r.chance(0.3)) return 'same';
    return Math.floor(k / 2);
  }

  // Valid padding in the framework's forms.
  valid() {
    if (this.fw === 'tensorflow') return 'valid';
    return this.r.chance(0.5) ? 0 : undefined;
  }

  up(x, filters) {
    // Transposed conv k2 s2 (doubles), or nearest upsampling x2 then a 1x1 conv.
    if (this.r.chance(0.55)) return this.add('conv_transpose', { filters, kernel: 2, stride: 2 }, [x], 'up');
    const u = this.add('upsample', { scale: 2 }, [x], 'upsample');
    return this.conv(u, filters, 1, { prefix: 'upconv' });
  }

  network(extra = {}) {
    return { input: this.input, layers: this.layers, ...extra };
  }
}

function spatial(r, rank, lo = SIDE[rank][0], hi = SIDE[rank][1]) {
  return Array.from({ length: rank }, () => r.int(lo, hi));
}

// The ranks each framework's runner can express here.
const RANKS = { pytorch: [1, 2, 3], onnx: [1, 2, 3], tensorflow: [1, 2, 3] };

function setup(r, fw, { lo, hi, minC = 1, maxC = 6 } = {}) {
  const rank = r.pick(RANKS[fw]);
  const sp = spatial(r, rank, lo?.[rank] ?? SIDE[rank][0], hi?.[rank] ?? SIDE[rank][1]);
  return new Net(r, fw, rank, r.pick([1, 1, 2]), r.int(minC, maxC), sp);
}

const channelsOf = (net) => (CHANNELS_LAST[net.fw] ? net.input[net.input.length - 1] : net.input[1]);

// ---- residual blocks ------------------------------------------------------------

function residual(r, fw) {
  const net = setup(r, fw, { lo: { 1: 5, 2: 3, 3: 3 } });
  let x = 'input';
  let c = channelsOf(net);
  if (r.chance(0.5)) {
    c = r.int(2, 8);
    x = net.conv(x, c, 3, { padding: net.same(3), prefix: 'stem' });
  }
  const blocks = r.int(1, 2);
  for (let b = 0; b < blocks; ++b) {
    const kind = r.pick(['identity', 'identity', 'projection', 'projection', 'forgot_stride', 'wrong_channels',
      'lost_cell']);
    const bnOn = r.chance(0.4);
    const strided = kind === 'projection' || kind === 'forgot_stride' || (kind === 'wrong_channels' && r.chance(0.5));
    const f = kind === 'identity' || kind === 'lost_cell' ? c : r.int(2, 8);
    // main path
    let m = strided
      ? net.conv(x, f, 3, { stride: 2, padding: fw === 'tensorflow' ? 'same' : 1 })
      : net.conv(x, f, 3, { padding: kind === 'lost_cell' && r.chance(0.7) ? net.valid() ?? 0 : net.same(3) });
    if (bnOn) m = net.bn(m);
    m = net.relu(m);
    m = net.conv(m, kind === 'wrong_channels' && !strided ? f + r.int(1, 3) : f, 3, { padding: net.same(3) });
    if (bnOn) m = net.bn(m);
    // shortcut
    let s = x;
    if (strided) {
      const sf = kind === 'wrong_channels' ? Math.max(1, f + r.pick([-1, 1, 2])) : f;
      const stride = kind === 'forgot_stride' ? 1 : 2;
      s = net.conv(x, sf, 1, { stride, prefix: 'down' });
      if (bnOn) s = net.bn(s);
    }
    const ins = r.chance(0.5) ? [m, s] : [s, m];
    x = net.add('add', {}, ins, 'add');
    x = net.relu(x);
    c = f;
  }
  if (r.chance(0.3)) {
    x = net.add('global_avg_pool', {}, [x], 'gap');
    x = net.add('flatten', {}, [x], 'flatten');
    net.add('dense', { units: r.int(2, 10) }, [x], 'fc');
  }
  return net.network({ mode: r.pick(['train', 'eval', undefined]) });
}

// ---- U-Net ------------------------------------------------------------------------

function unet(r, fw) {
  const rank = r.pick(RANKS[fw]);
  const depth = rank === 3 ? r.int(1, 2) : r.int(1, 3);
  const valid = r.chance(0.3);  // the original U-Net: unpadded convs, crop the skip
  const unit = 2 ** depth;
  const hi = { 1: 64, 2: 28, 3: 12 }[rank];
  const lo = valid ? unit * 2 + 6 * (depth + 1) : unit;
  const sp = Array.from({ length: rank }, () => {
    const n = r.int(Math.min(lo, hi), Math.max(lo, hi));
    return r.chance(0.45) ? Math.max(unit, n - (n % unit)) : n;  // divisible, or not
  });
  const net = new Net(r, fw, rank, r.pick([1, 1, 2]), r.int(1, 3), sp);
  const fit = valid ? r.pick(['crop_to', 'crop_to', 'pad_to', 'resize_to']) : r.pick(['none', 'none', 'none', 'pad_to', 'resize_to', 'crop_to']);
  const pad = () => (valid ? (fw === 'tensorflow' ? 'valid' : 0) : net.same(3));
  const base = r.int(2, 4);
  let x = 'input';
  const skips = [];
  for (let d = 0; d < depth; ++d) {
    const f = base * 2 ** d;
    x = net.conv(x, f, 3, { padding: pad(), prefix: 'enc' });
    x = net.relu(x);
    if (r.chance(0.4)) x = net.relu(net.conv(x, f, 3, { padding: pad(), prefix: 'enc' }));
    skips.push({ name: x, f });
    x = net.pool(x, 'max_pool', 2);
  }
  x = net.relu(net.conv(x, base * 2 ** depth, 3, { padding: pad(), prefix: 'mid' }));
  for (let d = depth - 1; d >= 0; --d) {
    const { name: skip, f } = skips[d];
    let u = net.up(x, f);
    let s = skip;
    const how = fit === 'none' ? 'none' : r.chance(0.8) ? fit : 'none';
    if (how === 'crop_to') s = net.add('crop_to', {}, [skip, u], 'crop');
    if (how === 'pad_to') u = net.add('pad_to', {}, [u, skip], 'padto');
    if (how === 'resize_to') u = net.add('resize_to', {}, [u, skip], 'resize');
    const cat = net.add('concat', {}, r.chance(0.7) ? [s, u] : [u, s], 'cat');
    x = net.relu(net.conv(cat, f, 3, { padding: pad(), prefix: 'dec' }));
  }
  net.conv(x, r.int(1, 3), 1, { prefix: 'head' });
  return net.network();
}

// ---- Inception-style concat of 3-4 branches -------------------------------------

function inception(r, fw) {
  const net = setup(r, fw, { lo: { 1: 6, 2: 4, 3: 4 } });
  let x = 'input';
  if (r.chance(0.4)) x = net.relu(net.conv(x, r.int(2, 6), 3, { padding: net.same(3), prefix: 'stem' }));
  const n = r.int(3, 4);
  const bad = r.chance(0.6) ? (r.chance(0.75) ? 2 : r.int(1, n - 1)) : -1;
  const branches = [];
  for (let b = 0; b < n; ++b) {
    const kind = r.pick(['1x1', '3x3', '5x5', 'pool', 'reduce']);
    const wrong = b === bad;
    let y;
    switch (kind) {
      case '1x1': y = net.conv(x, r.int(1, 6), 1, { stride: wrong ? 2 : 1, prefix: 'b1x1_' }); break;
      case '3x3': y = net.conv(x, r.int(1, 6), 3, { padding: wrong ? (net.valid() ?? 0) : net.same(3), prefix: 'b3x3_' }); break;
      case '5x5': y = net.conv(x, r.int(1, 6), 5, { padding: fw === 'tensorflow' ? (wrong ? 'valid' : 'same') : wrong ? 1 : 2, prefix: 'b5x5_' }); break;
      case 'pool':
        y = wrong ? net.pool(x, 'max_pool', 2) : net.pool(x, 'max_pool', 3, 1, fw === 'tensorflow' ? 'same' : 1);
        if (r.chance(0.5)) y = net.conv(y, r.int(1, 4), 1, { prefix: 'bpool_' });
        break;
      default:
        y = net.conv(x, r.int(1, 4), 1, { prefix: 'breduce_' });
        y = net.conv(y, r.int(1, 6), 3, { padding: wrong ? (net.valid() ?? 0) : net.same(3), stride: wrong && r.chance(0.3) ? 2 : 1, prefix: 'b3x3_' });
    }
    branches.push(y);
  }
  const cat = net.add('concat', {}, branches, 'mixed');
  if (r.chance(0.5)) net.relu(net.conv(cat, r.int(2, 6), 1, { prefix: 'proj' }));
  return net.network();
}

// ---- concat along non-channel axes and negative axes ------------------------------

function concatAxis(r, fw) {
  const net = setup(r, fw, { lo: { 1: 6, 2: 4, 3: 4 } });
  const full = net.rank + 2;
  const chLast = CHANNELS_LAST[fw];
  const channelAxis = chLast ? full - 1 : 1;
  const spatialAxes = Array.from({ length: net.rank }, (_, i) => (chLast ? 1 + i : 2 + i));
  // The axis as written: a spatial axis (positive or negative), the batch, the channels by a negative index.
  const roll = r.next();
  let axis, target;
  if (roll < 0.55) { target = r.pick(spatialAxes); axis = r.chance(0.5) ? target : target - full; }
  else if (roll < 0.7) { target = 0; axis = r.chance(0.8) ? 0 : -full; }
  else if (roll < 0.9) { target = channelAxis; axis = channelAxis - full; }
  else { target = -1; axis = r.pick([full, -full - 1]); }  // out of range (the contract takes -6..5)
  const n = r.int(2, 3);
  const filters = r.int(1, 5);
  const mismatchAt = r.chance(0.45) ? r.int(1, n - 1) : -1;
  const inputs = [];
  for (let b = 0; b < n; ++b) {
    // Per-axis kernels: the concat axis may differ freely; the others agree unless this is the mismatch.
    const kernel = Array.from({ length: net.rank }, () => 1);
    let f = filters;
    spatialAxes.forEach((ax, i) => {
      if (ax === target) kernel[i] = r.int(1, Math.min(3, net.sp[i]));
    });
    if (target === channelAxis) f = r.int(1, 5);
    if (b === mismatchAt) {
      const others = spatialAxes.filter((ax) => ax !== target);
      if (others.length && r.chance(0.7)) {
        const i = spatialAxes.indexOf(r.pick(others));
        kernel[i] = Math.min(net.sp[i], r.int(2, 3));
      } else if (target !== channelAxis) {
        f = filters + r.int(1, 2);
      } else if (others.length) {
        const i = spatialAxes.indexOf(r.pick(others));
        kernel[i] = Math.min(net.sp[i], 2);
      }
    }
    const k = kernel.every((v) => v === kernel[0]) ? kernel[0] : kernel;
    inputs.push(net.conv('input', f, k, { prefix: 'branch' }));
  }
  // Now and then an input of another rank (a flattened branch), after or before a size mismatch.
  if (r.chance(0.2)) inputs[r.int(1, n - 1)] = net.flatPool(inputs[0]);
  const cat = net.add('concat', { axis }, inputs, 'cat');
  if (r.chance(0.4)) net.relu(cat);
  return net.network();
}

// ---- squeeze-excitation gates ---------------------------------------------------------

function seGate(r, fw) {
  const net = setup(r, fw, { lo: { 1: 4, 2: 3, 3: 3 } });
  const c = r.int(2, 8);
  const x = net.relu(net.conv('input', c, 3, { padding: net.same(3), prefix: 'features' }));
  const squeeze = Math.max(1, Math.floor(c / r.pick([2, 4])));
  const wrong = r.chance(0.35);
  const gateC = wrong ? Math.max(1, c + r.pick([-1, 1, 2, -c + 1])) : c;
  const kind = r.pick(['conv', 'conv', 'conv', 'flat', 'pool_kernel']);
  let g;
  if (kind === 'flat') {
    // [N, C] gate: forgetting to reshape it back to [N, C, 1, 1] (rank differences)
    g = net.flatPool(x, r.pick(['global_avg_pool', 'global_max_pool']));
    g = net.relu(net.add('dense', { units: squeeze }, [g], 'fc'));
    g = net.add('dense', { units: gateC }, [g], 'fc');
  } else {
    if (kind === 'pool_kernel') {
      g = net.pool(x, 'avg_pool', net.sp.length === 1 ? net.sp[0] : [...net.sp]);
    } else {
      g = net.add('global_avg_pool', fw === 'tensorflow' ? { keepdims: true } : {}, [x], 'squeeze');
    }
    g = net.relu(net.conv(g, squeeze, 1, { prefix: 'reduce' }));
    g = net.conv(g, gateC, 1, { prefix: 'expand' });
  }
  g = net.add('activation', { function: 'sigmoid' }, [g], 'gate');
  const out = net.add('multiply', {}, r.chance(0.75) ? [x, g] : [g, x], 'scale');
  if (r.chance(0.4)) net.add('add', {}, [out, x], 'residual');
  return net.network();
}

// ---- element-wise merges: broadcasting of 1 and rank differences --------------------------

// An operand for an element-wise merge, built from `x` ([N, C, *sp]).
function operand(net, x, c, kind) {
  const r = net.r;
  switch (kind) {
    case 'same': return r.chance(0.5) ? net.relu(x) : net.conv(x, c, 1, { prefix: 'same' });
    case 'one_channel': return net.conv(x, 1, 1, { prefix: 'onech' });
    case 'pooled': return net.add('global_avg_pool', {}, [x], 'gap');
    case 'partial': {
      // Size 1 on some spatial axes only: a pool whose kernel covers those axes.
      const kernel = net.sp.map((s) => (r.chance(0.5) ? s : 1));
      if (kernel.every((k) => k === 1)) kernel[0] = net.sp[0];
      return net.pool(x, 'max_pool', kernel.length === 1 ? kernel[0] : kernel);
    }
    case 'wrong_channels': return net.conv(x, c + r.int(1, 3), 1, { prefix: 'wrongch' });
    case 'smaller': return net.conv(x, c, 3, { prefix: 'shrink' });
    case 'flat': return net.flatPool(x);
    case 'dense': {
      // [N, units] with units equal to the last axis now and then (then it broadcasts).
      const last = net.input[net.input.length - 1];
      const f = net.add('flatten', {}, [x], 'flatten');
      return net.add('dense', { units: r.chance(0.5) ? last : r.int(1, 8) }, [f], 'fc');
    }
    default: throw new Error(kind);
  }
}

function broadcastCase(r, fw) {
  const net = setup(r, fw, { lo: { 1: 3, 2: 3, 3: 3 }, hi: { 1: 24, 2: 12, 3: 6 } });
  const c = channelsOf(net);
  let x = 'input';
  if (r.chance(0.3)) x = net.relu(x);
  const op = r.pick(['add', 'add', 'multiply', 'multiply', 'average', 'maximum', 'minimum', 'subtract']);
  let n = op === 'subtract' ? 2 : r.int(2, 4);
  if (op === 'multiply' && fw === 'onnx') n = 2;  // ONNX's Mul takes two inputs; there is no variadic product
  const kinds = ['same', 'same', 'one_channel', 'pooled', 'partial', 'wrong_channels', 'smaller', 'flat', 'dense'];
  const ins = [];
  for (let i = 0; i < n; ++i) ins.push(operand(net, x, c, r.pick(kinds)));
  if (r.chance(0.2)) ins.push(x === 'input' ? 'input' : x);
  if (op === 'subtract' || (op === 'multiply' && fw === 'onnx')) ins.length = 2;
  const m = net.add(op, {}, ins, op);
  if (r.chance(0.3)) net.relu(m);
  return net.network();
}

function elementwise(r, fw) {
  const net = setup(r, fw, { lo: { 1: 4, 2: 3, 3: 3 }, hi: { 1: 32, 2: 14, 3: 7 } });
  const c = channelsOf(net);
  const op = r.pick(['average', 'maximum', 'minimum', 'subtract']);
  const n = op === 'subtract' ? 2 : r.int(3, 4);
  const bad = r.chance(0.65) ? Math.min(n - 1, 2) : -1;
  const ins = [];
  for (let i = 0; i < n; ++i) {
    const kind = i === bad ? r.pick(['wrong_channels', 'smaller', 'partial', 'dense']) : r.pick(['same', 'same', 'one_channel', 'pooled']);
    ins.push(operand(net, 'input', c, kind));
  }
  net.add(op, {}, ins, op);
  return net.network();
}

// ---- crop_to / pad_to / resize_to ------------------------------------------------------------

function fitCase(r, fw) {
  const net = setup(r, fw, { lo: { 1: 6, 2: 5, 3: 4 } });
  // Two paths from the input whose sizes differ by positive, negative and odd amounts.
  const path = (prefix) => {
    const roll = r.next();
    if (roll < 0.3) return net.conv('input', r.int(1, 5), r.int(1, 4), { prefix });  // shrinks by k-1
    if (roll < 0.5) return net.pool('input', 'max_pool', 2);                      // halves (floor)
    if (roll < 0.7) return net.add('zero_pad', { padding: r.int(0, 3) }, ['input'], 'zpad'); // grows
    if (roll < 0.85) return net.up('input', r.int(1, 4));                           // doubles
    return net.conv('input', r.int(1, 5), 3, { stride: 2, padding: fw === 'tensorflow' ? 'same' : 1, prefix });
  };
  const t = path('t');
  const ref = path('ref');
  const op = r.pick(['crop_to', 'pad_to', 'resize_to']);
  const fitted = net.add(op, {}, [t, ref], op.replace('_to', 'to'));
  const then = r.next();
  if (then < 0.45) net.add('concat', {}, r.chance(0.5) ? [ref, fitted] : [fitted, ref], 'cat');
  else if (then < 0.75) net.add('add', {}, [fitted, ref], 'add');
  else net.conv(fitted, r.int(1, 4), 1, { prefix: 'after' });
  return net.network();
}

// ---- independent branches: errors that skip only their dependents ----------------------------------

function branchesCase(r, fw) {
  const net = setup(r, fw, { lo: { 1: 4, 2: 3, 3: 3 }, hi: { 1: 20, 2: 10, 3: 6 } });
  const c = channelsOf(net);
  const nb = r.int(2, 3);
  // Each branch a short list of steps; some steps fail (kernel larger than the input, a mismatching merge).
  const plans = [];
  for (let b = 0; b < nb; ++b) {
    const steps = [];
    const len = r.int(1, 3);
    const failAt = r.chance(0.6) ? r.int(0, len - 1) : -1;
    // (ONNX Runtime's own pooling size rules are compared by the single-layer cases.)
    const failing = fw === 'onnx' ? ['big_kernel', 'bad_merge'] : ['big_kernel', 'bad_merge', 'big_pool'];
    for (let s = 0; s < len; ++s) steps.push(s === failAt ? r.pick(failing) : r.pick(['conv', 'relu', 'pool']));
    plans.push({ steps, at: 0, x: 'input', c });
  }
  // Interleave the branches' layers in the list.
  let left = plans.reduce((a, p) => a + p.steps.length, 0);
  while (left > 0) {
    const p = r.pick(plans.filter((q) => q.at < q.steps.length));
    const step = p.steps[p.at++];
    --left;
    const size = Math.max(...net.sp);
    switch (step) {
      case 'conv': p.c = r.int(1, 5); p.x = net.conv(p.x, p.c, r.int(1, 3), { padding: net.same(3), prefix: 'conv' }); break;
      case 'relu': p.x = net.relu(p.x); break;
      case 'pool': p.x = net.pool(p.x, 'max_pool', r.int(1, 2)); break;
      case 'big_kernel': p.c = r.int(1, 4); p.x = net.conv(p.x, p.c, size + r.int(1, 3), { prefix: 'big' }); break;
      case 'big_pool': p.x = net.pool(p.x, 'avg_pool', size + r.int(1, 2), 1); break;
      default: {
        // A merge of this branch with a shrunk copy of itself.
        const other = net.conv(p.x, p.c + (r.chance(0.5) ? 1 : 0), r.int(2, 3), { prefix: 'side' });
        p.x = net.add(r.pick(['add', 'concat', 'maximum']), {}, [p.x, other], 'merge');
      }
    }
  }
  if (r.chance(0.4)) net.add('concat', {}, plans.map((p) => p.x), 'join');
  return net.network();
}

// ---- DenseNet blocks --------------------------------------------------------------------------

function densenet(r, fw) {
  const net = setup(r, fw, { lo: { 1: 4, 2: 3, 3: 3 }, hi: { 1: 32, 2: 14, 3: 7 } });
  const growth = r.int(1, 4);
  const c0 = r.int(2, 6);
  const declare = fw !== 'tensorflow' && r.chance(0.5);
  const stem = net.conv('input', c0, 3, { padding: net.same(3), prefix: 'stem' });
  const feats = [stem];
  let channels = c0;
  const n = r.int(2, 4);
  const lossAt = r.chance(0.3) ? r.int(0, n - 2) : -1;
  for (let j = 0; j < n; ++j) {
    let x = feats.length === 1 ? feats[0] : net.add('concat', {}, [...feats], 'cat');
    if (r.chance(0.4) && !(declare && fw === 'onnx')) x = net.bn(x);
    x = net.relu(x);
    const inC = declare ? (r.chance(0.75) ? channels : channels + r.pick([-growth, growth, 1])) : undefined;
    const y = net.conv(x, growth, 3, { padding: j === lossAt ? (net.valid() ?? 0) : net.same(3), prefix: 'dense', in_channels: inC > 0 ? inC : undefined });
    feats.push(y);
    channels += growth;
  }
  const all = net.add('concat', {}, [...feats], 'cat');
  if (r.chance(0.6)) {
    const t = net.conv(all, Math.max(1, channels >> 1), 1, { prefix: 'transition' });
    net.pool(t, 'avg_pool', 2);
  }
  return net.network({ mode: r.pick(['train', 'eval', undefined]) });
}

// ---- ShuffleNet V2 units ------------------------------------------------------------------------

function shufflenet(r, fw) {
  if (fw === 'tensorflow') return residual(r, fw);  // Keras has no channel split or shuffle layer
  // ONNX: torch.chunk's halves only, on 2 channels or more: a chunk that does
  // not exist is an empty tensor there (no error of ONNX Runtime's own).
  const net = setup(r, fw, { lo: { 1: 4, 2: 3, 3: 3 }, hi: { 1: 24, 2: 10, 3: 6 }, minC: fw === 'onnx' ? 2 : 1, maxC: 12 });
  let x = 'input';
  const units = r.int(1, 3);
  for (let u = 0; u < units; ++u) {
    let cat;
    const branch = (from, prefix) => net.relu(net.conv(from, r.int(1, 6), 1, { prefix }));
    if (r.chance(0.6)) {
      // stride 1: x1, x2 = x.chunk(n, dim=1) (n = 2 as torchvision, sometimes 3 and another index)
      const chunks = fw === 'onnx' || r.chance(0.8) ? 2 : 3;
      const keep = net.add('channel_split', { chunks, index: 0 }, [x], 'x1_');
      const index = r.chance(0.85) ? 1 : chunks - 1;
      const half = net.add('channel_split', { chunks, index }, [x], 'x2_');
      cat = net.add('concat', {}, [keep, branch(half, 'b2_')], 'cat');
    } else {
      // stride 2: both branches on x
      cat = net.add('concat', {}, [branch(x, 'b1_'), branch(x, 'b2_')], 'cat');
    }
    x = net.add('channel_shuffle', { groups: r.pick([2, 2, 2, 3, 4]) }, [cat], 'shuffle');
  }
  if (r.chance(0.4)) net.conv(x, r.int(1, 4), 1, { prefix: 'after' });
  return net.network({ mode: r.pick(['train', 'eval', undefined]) });
}

// ---- squeeze-excitation written with Linear layers and view ----------------------------------

function seView(r, fw) {
  const net = setup(r, fw, { lo: { 1: 4, 2: 3, 3: 3 } });
  const c = r.int(2, 8);
  const x = net.relu(net.conv('input', c, 3, { padding: net.same(3), prefix: 'features' }));
  const rank = net.sp.length;
  // b, c = x.shape[:2]; y = self.avg_pool(x).view(b, c) (or view(b, -1), view(-1, c))
  let g = net.add('global_avg_pool', fw === 'tensorflow' ? { keepdims: true } : {}, [x], 'squeeze');
  const flat = { shape: [r.chance(0.75) ? (r.chance(0.7) ? c : -1) : c + r.pick([-1, 1])] };
  if (fw !== 'tensorflow' && flat.shape[0] !== -1 && r.chance(0.3)) flat.batch = 'infer';
  g = net.add('reshape', flat, [g], 'view');
  const squeeze = Math.max(1, Math.floor(c / r.pick([2, 4])));
  g = net.relu(net.add('dense', { units: squeeze }, [g], 'fc'));
  const gateC = r.chance(0.3) ? Math.max(1, c + r.pick([-1, 1])) : c;
  g = net.add('dense', { units: gateC }, [g], 'fc');
  g = net.add('activation', { function: 'sigmoid' }, [g], 'gate');
  // y.view(b, c, 1, 1): the channels where the layout has them, 1 on every spatial axis.
  const ones = Array(rank).fill(1);
  const back = CHANNELS_LAST[fw] ? [...ones, gateC] : [gateC, ...ones];
  if (r.chance(0.25)) back[CHANNELS_LAST[fw] ? rank : 0] = -1;
  if (r.chance(0.15)) back[CHANNELS_LAST[fw] ? 0 : 1] = 2;  // a view that miscounts
  g = net.add('reshape', { shape: back }, [g], 'unview');
  const out = net.add('multiply', {}, r.chance(0.75) ? [x, g] : [g, x], 'scale');
  if (r.chance(0.4)) net.add('add', {}, [out, x], 'residual');
  return net.network({ mode: r.pick(['train', 'eval', undefined]) });
}

const MAKERS = {
  residual, unet, inception, concat_axis: concatAxis, se_gate: seGate, broadcast: broadcastCase, elementwise,
  fit: fitCase, branches: branchesCase, densenet, shufflenet, se_view: seView,
};

// `count` graph cases, the categories in turn, from their own seeded stream
// (so adding them leaves the other cases unchanged).
export function generateGraphs(fw, count, seed) {
  const r = rng((seed * 7919) ^ { pytorch: 0x4444, onnx: 0x5555, tensorflow: 0x6666 }[fw]);
  const cases = [];
  for (let i = 0; i < count; ++i) {
    const category = GRAPH_CATEGORIES[i % GRAPH_CATEGORIES.length];
    const net = MAKERS[category](r, fw);
    const network = { framework: fw, input: net.input, layers: net.layers };
    if (net.mode) network.mode = net.mode;
    cases.push({ id: `${fw}-g${i}`, category, graph: true, rank: network.input.length - 2, network });
  }
  return cases;
}
