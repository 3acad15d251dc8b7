// Splitting one convolution across workers by bands of output rows: the
// preview worker (web/preview-worker.js) runs band 0 itself and posts the
// others to its helpers (web/conv-helper.js); the WASM tests run every band
// on the same kernels and check the stitched result against the whole conv,
// bit for bit. The rule (which rows, which input rows and padding a band
// has, and why the result is identical) is the core's, the one the threaded
// build's conv ops split themselves by: core/convscope/kernels/row_bands.hpp,
// asked through the module (`mod`, what convscope.js's factory resolves to).

/** Kinds a band split applies to (createConvOp's `kind`); a transposed conv runs whole. */
export const SPLITTABLE = new Set(['conv', 'depthwise_conv']);

/**
 * `parts` bands of output rows [a, b) covering [0, outH), each starting at
 * an even row and as equal as pairs of rows allow, never empty: fewer bands
 * when outH has fewer than `parts` pairs (row_bands in the core).
 */
export function rowBands(mod, outH, parts) {
  return JSON.parse(mod.rowBands(outH, parts));
}

/**
 * createConvOp options for output rows [a, b) of the one-image conv
 * `options`, and the input rows [in0, in1) the band reads: its input is rows
 * in0 .. in1 - 1 of the whole input (NHWC, so one contiguous slice). Throws
 * with the core's reason for a conv it does not split.
 */
export function bandOptions(mod, options, [a, b]) {
  const band = JSON.parse(mod.convBand(JSON.stringify(options), a, b));
  if (band.error) throw new Error(`bandOptions: ${band.error}`);
  return { options: { ...options, inputShape: band.inputShape, padding: band.padding }, inRows: band.inRows };
}
