// The previews' colour map: viridis (perceptually uniform, readable in
// greyscale and by most colour-blind viewers) as a 256-entry RGBA LUT packed
// in a Uint32Array, so a pixel is one table load and one store.
// Built from Matt Zucker's degree-6 polynomial fit of matplotlib's viridis
// (https://www.shadertoy.com/view/WlfXRN, CC0): within 6/255 of the
// reference table everywhere, and 1.5 KB smaller than shipping it.
const C = [
  [0.2777273272234177, 0.005407344544966578, 0.3340998053353061],
  [0.1050930431085774, 1.404613529898575, 1.384590162594685],
  [-0.3308618287255563, 0.214847559468213, 0.09509516302823659],
  [-4.634230498983486, -5.799100973351585, -19.33244095627987],
  [6.228269936347081, 14.17993336680509, 56.69055260068105],
  [4.776384997670288, -13.74514537774601, -65.35303263337234],
  [-5.435455855934631, 4.645852612178535, 26.3124352495832],
];

function channel(t, k) {
  let v = C[6][k];
  for (let i = 5; i >= 0; i -= 1) v = C[i][k] + t * v;
  return Math.max(0, Math.min(255, Math.round(v * 255)));
}

/** [r, g, b] (0..255) of entry i of 256. */
export function viridisRgb(i) {
  const t = i / 255;
  return [channel(t, 0), channel(t, 1), channel(t, 2)];
}

let lut = null;
/** Uint32 RGBA words (little-endian byte order, as ImageData's Uint32 view reads them). */
export function viridisLut() {
  if (lut) return lut;
  lut = new Uint32Array(256);
  const little = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
  for (let i = 0; i < 256; i += 1) {
    const [r, g, b] = viridisRgb(i);
    lut[i] = little ? ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0 : ((r << 24) | (g << 16) | (b << 8) | 255) >>> 0;
  }
  return lut;
}

/** CSS colour of entry i, for legends. */
export function viridisCss(i) {
  const [r, g, b] = viridisRgb(Math.max(0, Math.min(255, Math.round(i))));
  return `rgb(${r} ${g} ${b})`;
}
