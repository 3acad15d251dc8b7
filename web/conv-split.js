// Splitting one convolution across workers by bands of output rows. Pure (no
// DOM, no module): the preview worker (web/preview-worker.js) runs band 0
// itself and posts the others to its helpers (web/conv-helper.js); the WASM
// tests run every band on the same kernels and check the stitched result
// against the whole conv, bit for bit.
//
// A band of output rows [a, b) reads input rows [a * sh - top, (b - 1) * sh -
// top + k_eff): the same conv over just those rows, with the rows that fall
// outside the input turned back into padding, gives exactly those output
// rows. Every output pixel then sees the same input values, zero taps and
// weights in the same order as in the whole conv, so the result is
// identical, not merely close: the direct kernels' sums run over the window,
// never across pixels, and the Winograd kernel (3x3 stride-1 convs,
// core/convscope/kernels/conv_winograd_simd.cpp) computes 2x2 tiles that
// start at even rows, so every band starts at an even row too. Transposed
// convs are not split (a band's input rows depend on the stride's phase);
// they run whole.

/** Kinds a band split applies to (createConvOp's `kind`). */
export const SPLITTABLE = new Set(['conv', 'depthwise_conv']);

/**
 * `parts` bands of output rows [a, b) covering [0, outH), each starting at
 * an even row and as equal as pairs of rows allow (the first bands a pair
 * longer, the last one row shorter when outH is odd), never empty: fewer
 * bands when outH has fewer than `parts` pairs.
 */
export function rowBands(outH, parts) {
  const pairs = Math.ceil(outH / 2);
  const n = Math.max(1, Math.min(parts, pairs));
  const bands = [];
  for (let i = 0, a = 0; i < n; i += 1) {
    const b = Math.min(outH, a + 2 * (Math.floor(pairs / n) + (i < pairs % n ? 1 : 0)));
    bands.push([a, b]);
    a = b;
  }
  return bands;
}

/**
 * createConvOp options for output rows [a, b) of the conv `options`
 * (inputShape [1, H, W, C], padding [[top, bottom], [left, right]], kernel,
 * stride, dilation as createConvOp takes them), and the input rows
 * [in0, in1) the band reads: its input is rows in0 .. in1 - 1 of the whole
 * input (NHWC, so one contiguous slice).
 */
export function bandOptions(options, [a, b]) {
  if (!SPLITTABLE.has(options.kind)) throw new Error(`bandOptions: ${options.kind} is not split by rows`);
  const [N, H, W, C] = options.inputShape;
  if (N !== 1) throw new Error('bandOptions: one image only');
  const [[top, bottom], cols] = options.padding;
  const sh = options.stride?.[0] ?? 1;
  const dh = options.dilation?.[0] ?? 1;
  const kEff = dh * (options.kernel[0] - 1) + 1;
  const start = a * sh - top; // first input row the band's windows touch (may be padding)
  const end = (b - 1) * sh - top + kEff; // one past the last
  const in0 = Math.max(0, start);
  const in1 = Math.min(H, end);
  if (in1 <= in0) throw new Error('bandOptions: a band that reads no input row'); // only in padding: run whole
  // The whole conv's bottom padding stays the band's where the band reaches it.
  const padBottom = end - in1;
  if (padBottom > bottom || in0 - start > top) throw new Error('bandOptions: a band beyond the padded input');
  return {
    options: { ...options, inputShape: [1, in1 - in0, W, C], padding: [[in0 - start, padBottom], cols] },
    inRows: [in0, in1],
  };
}
