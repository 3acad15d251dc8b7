// The preview worker's plain-JavaScript layers, on one NHWC image
// (Float32Array, shape [H, W, C] from the preview plan). The convolutions run
// in the module's SIMD kernels (web/kernels.js); what is here is everything
// else — pooling (max / average, dilation, ceil_mode through the reported
// output size, count_include_pad), global and adaptive pooling, nearest
// upsampling, zero padding and cropping, batch norm, ReLU and the other
// activations, the merges of a graph (element-wise with broadcasting, concat),
// ShuffleNet's channel shuffle and split
// — plus convJs, a direct scalar convolution used only when the module has
// no kernels (an older build). Each is a straight loop: these layers are
// memory-bound and cost little next to the convolutions.

const at = (w, c) => (y, x) => (y * w + x) * c;

// Where outputs come from. The worker installs a pool of recycled buffers
// (fresh allocations of several MB cost more in page faults than the layer's
// arithmetic); `zeroed` says the op accumulates into its output.
let allocate = (n) => new Float32Array(n);
export function setAllocator(fn) { allocate = fn; }
const output = (n, zeroed = false) => allocate(n, zeroed);

/** Max or average pooling; step: {kernel, stride, dilation, pads, ceil, countIncludePad, inShape, outShape}. */
export function pool(step, input, kind) {
  const [H, W, C] = step.inShape;
  const [OH, OW] = step.outShape;
  const [kh, kw] = step.kernel;
  const [sh, sw] = step.stride;
  const [dh, dw] = step.dilation;
  const [[pt, pbot], [pl, pr]] = step.pads;
  const out = output(OH * OW * C);
  const acc = new Float64Array(C);
  const idx = at(W, C);
  for (let oy = 0; oy < OH; oy += 1) {
    const y0 = oy * sh - pt;
    for (let ox = 0; ox < OW; ox += 1) {
      const x0 = ox * sw - pl;
      acc.fill(kind === 'max' ? -Infinity : 0);
      let count = 0;
      for (let i = 0; i < kh; i += 1) {
        const y = y0 + i * dh;
        if (y < 0 || y >= H) continue;
        for (let j = 0; j < kw; j += 1) {
          const x = x0 + j * dw;
          if (x < 0 || x >= W) continue;
          const base = idx(y, x);
          count += 1;
          if (kind === 'max') for (let c = 0; c < C; c += 1) { const v = input[base + c]; if (v > acc[c]) acc[c] = v; }
          else for (let c = 0; c < C; c += 1) acc[c] += input[base + c];
        }
      }
      const o = (oy * OW + ox) * C;
      if (kind === 'max') {
        // A window entirely in padding (possible with ceil_mode) has no input: 0 rather than -inf.
        for (let c = 0; c < C; c += 1) out[o + c] = count ? acc[c] : 0;
      } else {
        // PyTorch's divisor: the window clipped to the padded input (count_include_pad),
        // or to the input alone; the ceil_mode overhang beyond the padding never counts.
        let divisor = count;
        if (step.countIncludePad) {
          const hy = Math.min(y0 + (kh - 1) * dh + 1, H + pbot) - y0;
          const hx = Math.min(x0 + (kw - 1) * dw + 1, W + pr) - x0;
          divisor = Math.ceil(hy / dh) * Math.ceil(hx / dw);
        }
        for (let c = 0; c < C; c += 1) out[o + c] = divisor ? acc[c] / divisor : 0;
      }
    }
  }
  return out;
}

export function globalPool(step, input, kind) {
  const [H, W, C] = step.inShape;
  const out = new Float32Array(C).fill(kind === 'max' ? -Infinity : 0);
  for (let p = 0; p < H * W; p += 1) {
    const base = p * C;
    if (kind === 'max') for (let c = 0; c < C; c += 1) { if (input[base + c] > out[c]) out[c] = input[base + c]; }
    else for (let c = 0; c < C; c += 1) out[c] += input[base + c];
  }
  if (kind !== 'max') for (let c = 0; c < C; c += 1) out[c] /= H * W;
  return out;
}

/** PyTorch AdaptiveAvgPool2d: window [floor(o * in / out), ceil((o + 1) * in / out)). */
export function adaptiveAvgPool(step, input) {
  const [H, W, C] = step.inShape;
  const [OH, OW] = step.outShape;
  const out = output(OH * OW * C, true);
  for (let oy = 0; oy < OH; oy += 1) {
    const y0 = Math.floor((oy * H) / OH);
    const y1 = Math.ceil(((oy + 1) * H) / OH);
    for (let ox = 0; ox < OW; ox += 1) {
      const x0 = Math.floor((ox * W) / OW);
      const x1 = Math.ceil(((ox + 1) * W) / OW);
      const o = (oy * OW + ox) * C;
      for (let y = y0; y < y1; y += 1) {
        for (let x = x0; x < x1; x += 1) {
          const base = (y * W + x) * C;
          for (let c = 0; c < C; c += 1) out[o + c] += input[base + c];
        }
      }
      const n = (y1 - y0) * (x1 - x0);
      for (let c = 0; c < C; c += 1) out[o + c] /= n;
    }
  }
  return out;
}

/**
 * Zero padding or cropping by the report's pads [[top, bottom], [left, right]]:
 * cells added before / after, negative for cells removed (as F.pad spells a crop).
 */
export function padOrCrop(step, input) {
  const [H, W, C] = step.inShape;
  const [OH, OW] = step.outShape;
  const top = step.pads[0][0];
  const left = step.pads[1][0];
  const out = output(OH * OW * C, true);
  for (let oy = 0; oy < OH; oy += 1) {
    const y = oy - top;
    if (y < 0 || y >= H) continue;
    for (let ox = 0; ox < OW; ox += 1) {
      const x = ox - left;
      if (x < 0 || x >= W) continue;
      out.set(input.subarray((y * W + x) * C, (y * W + x + 1) * C), (oy * OW + ox) * C);
    }
  }
  return out;
}

/**
 * Nearest-neighbour resampling to outShape (upsampling by an integer factor,
 * or resize_to's any size): source cell floor(o * in / out), as PyTorch's
 * 'nearest' mode.
 */
export function upsampleNearest(step, input) {
  const [H, W, C] = step.inShape;
  const [OH, OW] = step.outShape;
  const out = output(OH * OW * C);
  for (let oy = 0; oy < OH; oy += 1) {
    const y = Math.min(H - 1, Math.floor((oy * H) / OH));
    for (let ox = 0; ox < OW; ox += 1) {
      const x = Math.min(W - 1, Math.floor((ox * W) / OW));
      out.set(input.subarray((y * W + x) * C, (y * W + x + 1) * C), (oy * OW + ox) * C);
    }
  }
  return out;
}

const FOLD = {
  add: (a, b) => a + b,
  subtract: (a, b) => a - b,
  multiply: (a, b) => a * b,
  average: (a, b) => a + b,
  maximum: (a, b) => (a > b ? a : b),
  minimum: (a, b) => (a < b ? a : b),
};

/**
 * An element-wise merge of maps (step.inShapes, each [H, W, C] equal to
 * step.outShape or 1 on an axis: numpy broadcasting, e.g. a squeeze-excitation
 * gate [1, 1, C] times a map [H, W, C]), folded from the left in float32 as
 * the frameworks do; `average` divides the sum by the count.
 */
export function elementwise(step, inputs, kind) {
  const [H, W, C] = step.outShape;
  const out = output(H * W * C);
  const f = FOLD[kind];
  inputs.forEach((x, k) => {
    const [h, w, c] = step.inShapes[k];
    if (h === H && w === W && c === C) {
      if (k === 0) out.set(x);
      else for (let i = 0; i < out.length; i += 1) out[i] = f(out[i], x[i]);
      return;
    }
    // A size-1 axis is read again for every output index along it (stride 0).
    const sy = h === 1 ? 0 : w * c;
    const sx = w === 1 ? 0 : c;
    const sc = c === 1 ? 0 : 1;
    for (let y = 0, i = 0; y < H; y += 1) {
      for (let xx = 0; xx < W; xx += 1) {
        const base = y * sy + xx * sx;
        for (let ch = 0; ch < C; ch += 1, i += 1) {
          const v = x[base + ch * sc];
          out[i] = k === 0 ? v : f(out[i], v);
        }
      }
    }
  });
  if (kind === 'average') for (let i = 0; i < out.length; i += 1) out[i] /= inputs.length;
  return out;
}

/**
 * Concatenation of maps along step.axis of [H, W, C] (0: H, 1: W, 2: C):
 * for every index before the axis, each input's block in turn.
 */
export function concat(step, inputs) {
  const a = step.axis;
  const [H, W, C] = step.outShape;
  const out = output(H * W * C);
  const outer = a === 0 ? 1 : a === 1 ? H : H * W;
  const blocks = step.inShapes.map((shape) => shape.slice(a).reduce((p, d) => p * d, 1));
  let o = 0;
  for (let p = 0; p < outer; p += 1) {
    for (let k = 0; k < inputs.length; k += 1) {
      const x = inputs[k];
      const n = blocks[k];
      const base = p * n;
      if (n >= 64) out.set(x.subarray(base, base + n), o);
      else for (let j = 0; j < n; j += 1) out[o + j] = x[base + j];
      o += n;
    }
  }
  return out;
}

/**
 * ShuffleNet's channel shuffle on [H, W, C] (torchvision's view (g, C/g) ->
 * transpose -> view): output channel o = j * g + i reads input channel
 * i * (C / g) + j.
 */
export function channelShuffle(step, input) {
  const C = step.inShape[2];
  const g = step.groups;
  const per = C / g;
  const out = output(input.length);
  const source = new Int32Array(C);
  for (let o = 0; o < C; o += 1) source[o] = (o % g) * per + Math.floor(o / g);
  for (let base = 0; base < input.length; base += C) {
    for (let o = 0; o < C; o += 1) out[base + o] = input[base + source[o]];
  }
  return out;
}

/**
 * A reshape of one image from [H, W, C] to the step's output [h, w, c] (a
 * vector [N, F] is [1, 1, F]): the values keep the framework's memory order,
 * so for NCHW (PyTorch, ONNX) they are read in C, H, W order and written back
 * in the new C, H, W order; for NHWC (Keras) the order is the worker's own.
 */
export function reshape(step, input) {
  const [h, w, c] = step.outShape;
  const out = output(h * w * c);
  if (step.layout !== 'NCHW') {
    out.set(input.subarray(0, out.length));
    return out;
  }
  const [H, W, C] = step.inShape;
  const ordered = new Float32Array(input.length);  // C, H, W order
  for (let p = 0; p < H * W; p += 1) for (let k = 0; k < C; k += 1) ordered[k * H * W + p] = input[p * C + k];
  for (let p = 0; p < h * w; p += 1) for (let k = 0; k < c; k += 1) out[p * c + k] = ordered[k * h * w + p];
  return out;
}

/** One chunk of the channels of [H, W, C]: channels [step.channelBegin, + the output's C). */
export function channelSplit(step, input) {
  const C = step.inShape[2];
  const [H, W, n] = step.outShape;
  const out = output(H * W * n);
  const b = step.channelBegin;
  for (let p = 0, o = 0; p < H * W; p += 1, o += n) {
    const base = p * C + b;
    for (let j = 0; j < n; j += 1) out[o + j] = input[base + j];
  }
  return out;
}

/**
 * Batch norm without trained statistics: each channel normalised by its own
 * mean and variance over the map (training-mode statistics of this one image),
 * gamma 1, beta 0, eps 1e-5. Keeps a deep random network's activations in range,
 * and a following ReLU then keeps about half of each map.
 */
export function batchNorm(step, input) {
  const C = step.inShape[2];
  const n = input.length / C;
  const mean = new Float64Array(C);
  const sq = new Float64Array(C);
  for (let i = 0; i < input.length; i += C) {
    for (let c = 0; c < C; c += 1) { const v = input[i + c]; mean[c] += v; sq[c] += v * v; }
  }
  const scale = new Float64Array(C);
  for (let c = 0; c < C; c += 1) {
    mean[c] /= n;
    scale[c] = 1 / Math.sqrt(Math.max(0, sq[c] / n - mean[c] * mean[c]) + 1e-5);
  }
  const out = output(input.length);
  for (let i = 0; i < input.length; i += C) {
    for (let c = 0; c < C; c += 1) out[i + c] = (input[i + c] - mean[c]) * scale[c];
  }
  return out;
}

const ACTIVATIONS = {
  relu: (v) => (v > 0 ? v : 0),
  relu6: (v) => Math.min(6, Math.max(0, v)),
  leaky_relu: (v) => (v > 0 ? v : 0.01 * v), // PyTorch's default slope (Keras uses 0.3)
  elu: (v) => (v > 0 ? v : Math.expm1(v)),
  selu: (v) => 1.0507009873554805 * (v > 0 ? v : 1.6732632423543772 * Math.expm1(v)),
  gelu: (v) => 0.5 * v * (1 + Math.tanh(0.7978845608028654 * (v + 0.044715 * v * v * v))),
  sigmoid: (v) => 1 / (1 + Math.exp(-v)),
  hard_sigmoid: (v) => Math.min(1, Math.max(0, v / 6 + 0.5)),
  tanh: Math.tanh,
  softplus: (v) => (v > 20 ? v : Math.log1p(Math.exp(v))),
  softsign: (v) => v / (1 + Math.abs(v)),
  swish: (v) => v / (1 + Math.exp(-v)),
  exponential: Math.exp,
  linear: (v) => v,
};
const ALIASES = { silu: 'swish', hardsigmoid: 'hard_sigmoid', leakyrelu: 'leaky_relu', identity: 'linear', none: 'linear' };

/** Canonical activation name, or null when the preview does not know it. */
export function activationName(fn) {
  const key = String(fn || 'relu').toLowerCase().replace(/[\s-]/g, '_');
  const name = ALIASES[key.replace(/_/g, '')] || ALIASES[key] || key;
  return name === 'softmax' || ACTIVATIONS[name] ? name : null;
}

/**
 * out = x > 0 ? x : 0 on the float's bits, without a branch: a branch on the
 * sign of conv outputs is a coin toss the CPU mispredicts half the time
 * (measured in V8: 2M values in 27 ms as `x > 0 ? x : 0`, 4-8 ms here). The
 * mask is all ones for a set sign bit (negatives, -0, negative NaNs) and for
 * bit patterns above +Infinity's (positive NaNs), so every case maps as the
 * comparison does: NaN and -0 to +0.
 */
function reluBits(input, out) {
  const x = new Int32Array(input.buffer, input.byteOffset, input.length);
  const y = new Int32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < x.length; i += 1) {
    const v = x[i];
    y[i] = v & ~((v >> 31) | ((0x7f800000 - v) >> 31));
  }
}

/** Element-wise activation (softmax: over the channels of each cell). Unknown names: unchanged. */
export function activation(step, input, fn) {
  const name = activationName(fn);
  if (name === 'softmax') {
    const C = step.inShape[2];
    const out = output(input.length);
    for (let i = 0; i < input.length; i += C) {
      let max = -Infinity;
      for (let c = 0; c < C; c += 1) max = Math.max(max, input[i + c]);
      let sum = 0;
      for (let c = 0; c < C; c += 1) { out[i + c] = Math.exp(input[i + c] - max); sum += out[i + c]; }
      for (let c = 0; c < C; c += 1) out[i + c] /= sum;
    }
    return out;
  }
  const f = ACTIVATIONS[name];
  if (!f) return input;
  const out = output(input.length);
  if (name === 'relu') {
    reluBits(input, out);
    return out;
  }
  for (let i = 0; i < input.length; i += 1) out[i] = f(input[i]);
  return out;
}

/**
 * Direct convolution in plain JS (conv, depthwise_conv, conv_transpose), the
 * same definition as the core's scalar reference. Only used when the module
 * lacks the SIMD kernels. weights: HWIO [kh, kw, C / groups, filters] or
 * depthwise [kh, kw, C, multiplier].
 */
export function convJs(step, input, weights) {
  const [H, W, C] = step.inShape;
  const [OH, OW, F] = step.outShape;
  const [kh, kw] = step.kernel;
  const [sh, sw] = step.stride;
  const [dh, dw] = step.dilation;
  const pt = step.pads[0][0];
  const pl = step.pads[1][0];
  const out = output(OH * OW * F, true);
  if (step.type === 'depthwise_conv') {
    const m = step.multiplier;
    for (let oy = 0; oy < OH; oy += 1) {
      for (let ox = 0; ox < OW; ox += 1) {
        const o = (oy * OW + ox) * F;
        for (let i = 0; i < kh; i += 1) {
          const y = oy * sh - pt + i * dh;
          if (y < 0 || y >= H) continue;
          for (let j = 0; j < kw; j += 1) {
            const x = ox * sw - pl + j * dw;
            if (x < 0 || x >= W) continue;
            const base = (y * W + x) * C;
            const wb = (i * kw + j) * C * m;
            for (let c = 0; c < C; c += 1) {
              const v = input[base + c];
              for (let q = 0; q < m; q += 1) out[o + c * m + q] += v * weights[wb + c * m + q];
            }
          }
        }
      }
    }
    return out;
  }
  const groups = step.groups || 1;
  const cg = C / groups;
  const fg = F / groups;
  if (step.type === 'conv_transpose') {
    // Scatter: input cell (y, x) adds its weighted kernel at y * s - pad + i * d.
    for (let y = 0; y < H; y += 1) {
      for (let x = 0; x < W; x += 1) {
        const base = (y * W + x) * C;
        for (let i = 0; i < kh; i += 1) {
          const oy = y * sh - pt + i * dh;
          if (oy < 0 || oy >= OH) continue;
          for (let j = 0; j < kw; j += 1) {
            const ox = x * sw - pl + j * dw;
            if (ox < 0 || ox >= OW) continue;
            const o = (oy * OW + ox) * F;
            for (let c = 0; c < C; c += 1) {
              const g = Math.floor(c / cg);
              const v = input[base + c];
              const wb = ((i * kw + j) * cg + (c % cg)) * F;
              for (let f = g * fg; f < (g + 1) * fg; f += 1) out[o + f] += v * weights[wb + f];
            }
          }
        }
      }
    }
    return out;
  }
  for (let oy = 0; oy < OH; oy += 1) {
    for (let ox = 0; ox < OW; ox += 1) {
      const o = (oy * OW + ox) * F;
      for (let i = 0; i < kh; i += 1) {
        const y = oy * sh - pt + i * dh;
        if (y < 0 || y >= H) continue;
        for (let j = 0; j < kw; j += 1) {
          const x = ox * sw - pl + j * dw;
          if (x < 0 || x >= W) continue;
          const base = (y * W + x) * C;
          for (let c = 0; c < C; c += 1) {
            const v = input[base + c];
            if (v === 0) continue;
            const g = Math.floor(c / cg);
            const wb = ((i * kw + j) * cg + (c % cg)) * F;
            for (let f = g * fg; f < (g + 1) * fg; f += 1) out[o + f] += v * weights[wb + f];
          }
        }
      }
    }
  }
  return out;
}
