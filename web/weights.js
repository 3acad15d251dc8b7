// Preview weights, reproducible from the share link. Pure functions (no DOM,
// no module): the page uses them for the filter grid and the link keys, the
// preview worker for the actual weights, so both always agree.
//
// - Every conv-like layer (conv, depthwise_conv, conv_transpose) gets He
//   init: normal(0, sqrt(2 / fan_in)) with fan_in = kh * kw * (input
//   channels per group; 1 for depthwise), bias 0. The numbers come from
//   mulberry32 (a 32-bit PRNG, public domain, Tommy Ettinger) seeded with
//   layerSeed(seed, index), through Box-Muller. Weights depend only on the
//   seed, the layer's index and its shape, so editing a later layer never
//   changes an earlier layer's maps.
// - The first conv-like layer can instead take a classic filter (`w0`):
//   identity, Sobel x/y, Laplacian, Gaussian blur, sharpen, emboss, or a
//   grid of numbers the user typed. A conv's filter f applies that kernel to
//   input channel (f mod C/groups) of its group, so RGB input gives R, G, B
//   responses (and then repeats); a depthwise conv applies it to every
//   channel. 3x3 kernels are centred into larger kernels (zeros around) or
//   cropped to their centre for smaller ones; the Gaussian is built at the
//   layer's own size from binomial coefficients.

/** Named first-layer filters, in menu order (the link's ids: FILTER_IDS in state.js). */
export const FILTERS = [
  { id: 'he', label: 'Seeded random (He init)' },
  { id: 'identity', label: 'Identity' },
  { id: 'sobel_x', label: 'Sobel x (vertical edges)' },
  { id: 'sobel_y', label: 'Sobel y (horizontal edges)' },
  { id: 'laplacian', label: 'Laplacian' },
  { id: 'gaussian', label: 'Gaussian blur' },
  { id: 'sharpen', label: 'Sharpen' },
  { id: 'emboss', label: 'Emboss' },
];

const KERNELS_3X3 = {
  identity: [0, 0, 0, 0, 1, 0, 0, 0, 0],
  sobel_x: [-1, 0, 1, -2, 0, 2, -1, 0, 1],
  sobel_y: [-1, -2, -1, 0, 0, 0, 1, 2, 1],
  laplacian: [0, 1, 0, 1, -4, 1, 0, 1, 0],
  sharpen: [0, -1, 0, -1, 5, -1, 0, -1, 0],
  emboss: [-2, -1, 0, -1, 1, 1, 0, 1, 2],
};

/** mulberry32: a tiny, fast, well-mixed 32-bit PRNG. Returns floats in [0, 1). */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One seed per layer: the link's seed mixed with the layer index (murmur3's finaliser). */
export function layerSeed(seed, index) {
  let h = (seed >>> 0) ^ Math.imul((index + 1) >>> 0, 0x9e3779b9);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Fill `out` with normal(0, std) numbers from `rng` (Box-Muller, both outputs used). */
export function fillNormal(out, rng, std) {
  for (let i = 0; i < out.length; i += 2) {
    const u = 1 - rng(); // (0, 1]: log(u) is finite
    const v = rng();
    const r = Math.sqrt(-2 * Math.log(u)) * std;
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

function binomialRow(n) {
  const row = [1];
  for (let i = 1; i < n; i += 1) row.push((row[i - 1] * (n - i)) / i);
  return row;
}

/** A named or custom kernel at size kh x kw, row-major. `custom` = {rows, cols, values}. */
export function kernelValues(filter, kh, kw) {
  if (filter === 'gaussian') {
    const ry = binomialRow(kh);
    const rx = binomialRow(kw);
    const sum = ry.reduce((a, b) => a + b, 0) * rx.reduce((a, b) => a + b, 0);
    const out = [];
    for (let y = 0; y < kh; y += 1) for (let x = 0; x < kw; x += 1) out.push((ry[y] * rx[x]) / sum);
    return out;
  }
  let src;
  if (filter && typeof filter === 'object') src = filter;
  else src = { rows: 3, cols: 3, values: KERNELS_3X3[filter] || KERNELS_3X3.identity };
  // Centre the source in kh x kw: pad with zeros or crop, keeping the centre tap
  // (for even sizes the extra row/column goes at the end, as for 'same' padding).
  const oy = Math.floor((src.rows - 1) / 2) - Math.floor((kh - 1) / 2);
  const ox = Math.floor((src.cols - 1) / 2) - Math.floor((kw - 1) / 2);
  const out = [];
  for (let y = 0; y < kh; y += 1) {
    for (let x = 0; x < kw; x += 1) {
      const sy = y + oy;
      const sx = x + ox;
      out.push(sy >= 0 && sy < src.rows && sx >= 0 && sx < src.cols ? src.values[sy * src.cols + sx] : 0);
    }
  }
  return out;
}

export function filterEquals(a, b) {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return a.rows === b.rows && a.cols === b.cols && a.values.every((v, i) => v === b.values[i]);
}

/**
 * Weights and bias for a conv-like step of the preview plan, in the kernel
 * API's layout: HWIO [kh, kw, C / groups, filters] (conv, conv_transpose),
 * [kh, kw, C, multiplier] (depthwise). `filter` applies only when
 * `useFilter` (the first conv-like layer) and is not 'he'.
 */
export function convWeights(step, seed, filter, useFilter) {
  const [kh, kw] = step.kernel;
  const cin = step.inShape[2];
  const depthwise = step.type === 'depthwise_conv';
  const cg = depthwise ? 1 : cin / step.groups;
  const outs = depthwise ? step.multiplier : step.outShape[2];
  const weights = new Float32Array(kh * kw * (depthwise ? cin : cg) * outs);
  const bias = null; // every bias is 0 in the previews: no need to carry zeros
  if (useFilter && filter !== 'he') {
    const k = kernelValues(filter, kh, kw);
    const inner = depthwise ? cin : cg;
    const fgroup = depthwise ? outs : outs / step.groups; // filters per group
    for (let t = 0; t < kh * kw; t += 1) {
      for (let ci = 0; ci < inner; ci += 1) {
        for (let f = 0; f < outs; f += 1) {
          const hit = depthwise || ((f % fgroup) % cg) === ci;
          weights[(t * inner + ci) * outs + f] = hit ? k[t] : 0;
        }
      }
    }
    return { weights, bias };
  }
  const fanIn = kh * kw * cg;
  fillNormal(weights, mulberry32(layerSeed(seed, step.index)), Math.sqrt(2 / fanIn));
  return { weights, bias };
}
