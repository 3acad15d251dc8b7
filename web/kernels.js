// The kernel API of the WASM module: createConvOp(module, options) and
// createPoolOp(module, options), where `module` is what dist/convscope.js's
// factory resolves to, e.g.
//   const module = await createConvScope();   // import createConvScope from './convscope.js'
//   const op = createConvOp(module, {kind: 'conv', inputShape: [1, 224, 224, 3], filters: 8,
//     kernel: [3, 3], padding: 'same', weights, bias: null, relu: true});
//   const y = op.run(x);   // Float32Array, NHWC, op.outputShape
//   op.delete();
// This layer only moves typed arrays in and out of the module's memory: the
// core (core/convscope/kernels/conv_options.cpp, pool_options.cpp) checks
// every option and writes the messages, so this file never duplicates a rule.

// The smallest module using f32x4.relaxed_madd (standard opcode 0xfd 0x85
// 0x02): (func (param v128 v128 v128) (result v128) local.get 0 local.get 1
// local.get 2 f32x4.relaxed_madd). An engine that validates it runs
// convscope-fma.wasm, whose only relaxed instruction this is.
const RELAXED_MADD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, // type: (v128 v128 v128) -> v128
  0x03, 0x02, 0x01, 0x00, // one function of that type
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b,
]);

/** True when this engine runs relaxed SIMD (Chromium 114+; Node 20 with --experimental-wasm-relaxed-simd). */
export function relaxedSimdSupported() {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(RELAXED_MADD_PROBE);
  } catch {
    return false;
  }
}

/** The cores this browser reports (navigator.hardwareConcurrency), 1 when it says nothing. */
export function cores() {
  return (typeof navigator === 'object' && navigator.hardwareConcurrency) || 1;
}

/**
 * True when this page may run WebAssembly threads: it is cross-origin
 * isolated (served with COOP same-origin and COEP require-corp, as
 * scripts/serve.sh does), so memory can be shared, and there is a second core.
 */
export function threadsSupported() {
  return globalThis.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function' && cores() > 1;
}

// The kernel builds' .wasm files. 'threads' is the FMA build compiled with
// -pthread: a conv op runs its bands of rows on the cores at once
// (core/convscope/kernels/threads.hpp). It has its own glue, KERNEL_GLUE.
export const KERNEL_BUILDS = Object.freeze({
  simd128: 'convscope.wasm', fma: 'convscope-fma.wasm', threads: 'convscope-fma-mt.wasm',
});
export const KERNEL_GLUE = Object.freeze({
  simd128: 'convscope.js', fma: 'convscope.js', threads: 'convscope-fma-mt.js',
});

/**
 * Which kernel build to load: 'threads' where the page may run threads and
 * the engine has relaxed SIMD, else 'fma' where it has relaxed SIMD, else
 * 'simd128'; `want` ('simd128' | 'fma' | 'threads' | 'auto') forces one
 * (benchmarks, comparisons), falling back the same way where the engine
 * lacks what it needs.
 */
export function chooseKernelBuild(want = 'auto') {
  if (want === 'simd128' || !relaxedSimdSupported()) return 'simd128';
  if (want === 'fma') return 'fma';
  return threadsSupported() ? 'threads' : 'fma';
}

/**
 * The factory's options that load `build`'s .wasm next to its glue
 * (KERNEL_GLUE; simd128 and fma share convscope.js's: scripts/build.sh
 * checks it).
 */
export function kernelModuleOptions(build) {
  if (build === 'simd128' || build === 'threads') return {};
  const file = KERNEL_BUILDS[build];
  if (!file) throw new Error(`kernelModuleOptions: unknown build '${build}' (simd128, fma or threads)`);
  return { locateFile: (path, prefix) => prefix + (path === KERNEL_BUILDS.simd128 ? file : path) };
}

function failWith(prefix, message) {
  // One prefix per function, so a caller can tell the kernels' errors from its own.
  throw new Error(`${prefix}: ${message}`);
}
const fail = (message) => failWith('createConvOp', message);

// options: kind ('conv' | 'depthwise_conv' | 'conv_transpose'), inputShape
// [N, H, W, C], filters, kernel [kh, kw], stride [sh, sw], dilation [dh, dw],
// padding [[top, bottom], [left, right]] | 'valid' | 'same', groups,
// depthMultiplier, outputPadding, relu, weights (Float32Array, TensorFlow
// layout: HWIO [kh, kw, C / groups, filters]; depthwise [kh, kw, C,
// multiplier]), bias (Float32Array of out channels, or null).
// Returns the op (see hostedOp below: run(input), outputShape, delete(), ...).
// Throws an Error with the core's message on bad options; the module keeps working.
export function createConvOp(module, options) {
  if (options === null || typeof options !== 'object') fail('options must be an object');
  const { weights, bias = null, ...rest } = options;
  if (!(weights instanceof Float32Array)) fail('weights must be a Float32Array');
  if (bias !== null && !(bias instanceof Float32Array)) fail('bias must be a Float32Array or null');
  let text;
  try {
    text = JSON.stringify(rest);
  } catch (e) {
    fail(`options cannot be written as JSON: ${e.message}`);
  }
  const op = new module.ConvOpHost();
  const prepared = op.prepare(text, weights.length, bias !== null, bias ? bias.length : 0);
  if (prepared !== '') {
    op.delete();
    fail(prepared);
  }
  // Views are taken right before use: growing memory detaches older ones.
  op.weightsView().set(weights);
  if (bias) op.biasView().set(bias);
  const packed = op.pack();
  if (packed !== '') {
    op.delete();
    fail(packed);
  }
  return hostedOp(op, fail, options.inputShape, [weights.length, bias ? bias.length : null]);
}

// options: kind ('max_pool' | 'avg_pool' | 'global_max_pool' | 'global_avg_pool'
// | 'upsample_nearest'), inputShape [N, H, W, C]; max_pool and avg_pool:
// kernel [kh, kw], stride [sh, sw] (default: the kernel), padding [[top,
// bottom], [left, right]] | 'valid' | 'same', ceilMode (default false),
// dilation [dh, dw] (max_pool only); avg_pool: countIncludePad (default true);
// upsample_nearest: outputSize [oh, ow]. The output size is the core's
// (ceilMode: PyTorch's rule, the last window dropped when it would start in
// the right padding). A max window with no input cell gives -Infinity.
// Returns {outputShape, inputLength, outputLength, run(input), runReference(input),
// inputView(), outputView(), runInPlace(), runReferenceInPlace(), delete()}.
// Throws an Error with the core's message on bad options; the module keeps working.
export function createPoolOp(module, options) {
  const failPool = (message) => failWith('createPoolOp', message);
  if (options === null || typeof options !== 'object' || Array.isArray(options)) failPool('options must be an object');
  let text;
  try {
    text = JSON.stringify(options);
  } catch (e) {
    failPool(`options cannot be written as JSON: ${e.message}`);
  }
  if (typeof module?.PoolOpHost !== 'function') failPool('this module has no pool kernels (PoolOpHost): use convscope.js, not convscope-shapes.js');
  const op = new module.PoolOpHost();
  const prepared = op.prepare(text);
  if (prepared !== '') {
    op.delete();
    failPool(prepared);
  }
  return hostedOp(op, failPool, options.inputShape);
}

// The previews' ReLU and thumbnails on one map shape (h x w x c, NHWC):
//   const m = createMapOps(module, {h, w, c, shown, factor, lut});
//   m.inputView().set(x); m.relu(); m.outputView()       // ReLU(x)
//   m.thumbnail(ofOutput) -> {rgba: [Uint8ClampedArray per channel, views of one buffer], lo, hi, rows, cols}
//   m.reluOf(conv); m.thumbnailOf(conv)  // the same over a conv op's output, no copy
//   conv.runOn(m)                         // a conv op reading m's ReLU output, no copy
//   m.delete();
// lut: 256 RGBA words (web/colormap.js's viridisLut()). Throws with the
// core's message on a bad shape.
export function createMapOps(module, { h, w, c, shown, factor, lut }) {
  const failMap = (message) => failWith('createMapOps', message);
  if (typeof module?.MapOpsHost !== 'function') failMap('this module has no map kernels (MapOpsHost)');
  if (!(lut instanceof Uint32Array) || lut.length !== 256) failMap('lut must be a Uint32Array of 256 words');
  const op = new module.MapOpsHost();
  const prepared = op.prepare(h, w, c, shown, factor);
  if (prepared !== '') {
    op.delete();
    failMap(prepared);
  }
  op.lutView().set(lut);
  const rows = op.rows();
  const cols = op.cols();
  let deleted = false;
  const alive = () => { if (deleted) failMap('used after delete()'); };
  return {
    inputLength: h * w * c,
    // Views are taken right before use: growing memory detaches older ones.
    inputView: () => { alive(); return op.inputView(); },
    outputView: () => { alive(); return op.outputView(); },
    relu: () => { alive(); op.relu(); },
    /** The thumbnail of the input buffer (or the output, the ReLU's): copies, valid after later runs. */
    thumbnail(ofOutput = false) {
      alive();
      op.thumbnail(ofOutput);
      return readThumbnail();
    },
    // The same over a conv op's output (createConvOp), read where it lies in
    // the module's memory instead of a copy in the input buffer.
    reluOf(conv) {
      alive();
      const e = op.reluOf(hostOf(conv, failMap));
      if (e !== '') failMap(e);
    },
    thumbnailOf(conv) {
      alive();
      const e = op.thumbnailOf(hostOf(conv, failMap));
      if (e !== '') failMap(e);
      return readThumbnail();
    },
    /**
     * A conv whose next layer is its ReLU, in one pass over its output: returns
     * thumbnailOf(conv) and leaves reluOf(conv) in the output buffer, whose
     * thumbnail(true) then only colours the cells computed on the way.
     */
    reluAndThumbnailOf(conv) {
      alive();
      const e = op.reluAndThumbnailOf(hostOf(conv, failMap));
      if (e !== '') failMap(e);
      return readThumbnail();
    },
    get [HOST]() { alive(); return op; },
    delete() {
      if (!deleted) op.delete();
      deleted = true;
    },
  };
  function readThumbnail() {
    // One copy of all the planes; each channel's array a view of it (so the
    // planes travel as one transferable buffer). A typed array's slice(), not
    // its buffer's: the threaded module's memory is a SharedArrayBuffer, whose
    // slices are shared too and cannot be transferred.
    const words = op.rgbaView();
    const plane = rows * cols;
    const all = words.slice(0, shown * plane).buffer;
    const rgba = [];
    for (let ch = 0; ch < shown; ch += 1) rgba.push(new Uint8ClampedArray(all, ch * plane * 4, plane * 4));
    return { rgba, lo: Array.from(op.loView()), hi: Array.from(op.hiView()), rows, cols };
  }
}

// The module object behind a conv op or map ops, for the calls that read one
// op's buffer where it lies (conv.runOn(maps), maps.reluOf(conv),
// maps.thumbnailOf(conv)); reading it throws once that op was deleted.
const HOST = Symbol('module op');

function hostOf(other, failOp) {
  const host = other !== null && typeof other === 'object' ? other[HOST] : undefined;
  if (!host) failOp('expected an op of this module (createConvOp or createMapOps)');
  return host;
}

/**
 * The object both factories return around a prepared host op (ConvOpHost or
 * PoolOpHost): {outputShape, inputLength, outputLength, run(input) (a copy),
 * runReference(input), inputView(), outputView(), runInPlace(),
 * runReferenceInPlace(), delete()}, and with weightLengths ([weights, bias
 * or null], conv ops) setWeights(weights, bias) and runOn(maps). failOp
 * throws with the factory's prefix.
 */
function hostedOp(op, failOp, inputShape, weightLengths = null) {
  const outputShape = [0, 1, 2, 3].map((i) => op.outputDim(i));
  const inputLength = op.inputView().length;
  const outputLength = op.outputView().length;
  let deleted = false;
  const alive = () => { if (deleted) failOp('run() after delete()'); };
  const runWith = (input, compute) => {
    alive();
    if (!(input instanceof Float32Array)) failOp('input must be a Float32Array');
    if (input.length !== inputLength) {
      failOp(`input has ${input.length} values; inputShape [${inputShape}] needs ${inputLength}`);
    }
    // Views are taken right before use: growing memory detaches older ones.
    op.inputView().set(input);
    compute();
    // A copy: stays valid after later runs, memory growth and delete().
    return op.outputView().slice();
  };
  return {
    outputShape,
    inputLength,
    outputLength,
    run: (input) => runWith(input, () => op.run()),
    // The scalar reference kernel on the same op (tests, benchmark).
    runReference: (input) => runWith(input, () => op.runReference()),
    // Without copies, for timing the kernel alone: views of the op's buffers
    // (valid until memory grows) and a run on whatever the input view holds.
    inputView: () => { alive(); return op.inputView(); },
    outputView: () => { alive(); return op.outputView(); },
    runInPlace: () => { alive(); op.run(); },
    runReferenceInPlace: () => { alive(); op.runReference(); },
    get [HOST]() { alive(); return op; },
    ...(weightLengths ? {
      // Conv ops: the kernel that runs ('winograd', 'direct', 'indirect', 'depthwise').
      kernel: op.kernelName(),
      // How many cores run it at once, by bands of rows (more than 1 only in
      // the threaded build, for a conv big enough; `threads` caps it).
      bands: op.bands(),
      // The kernels on a map host's ReLU output (createMapOps) where it lies,
      // not on the input buffer; the maps hold inputLength values.
      runOn: (maps) => {
        alive();
        const e = op.runOn(hostOf(maps, failOp));
        if (e !== '') failOp(e);
      },
      // New weights (and bias, or null) of the lengths the op was created
      // with, re-packed in place; the options, buffers and views stay.
      setWeights: (weights, bias = null) => {
        alive();
        if (!(weights instanceof Float32Array)) failOp('weights must be a Float32Array');
        if (bias !== null && !(bias instanceof Float32Array)) failOp('bias must be a Float32Array or null');
        const gets = [weights.length, bias ? bias.length : null];
        if (gets[0] !== weightLengths[0] || gets[1] !== weightLengths[1]) {
          const text = (n) => (n === null ? 'no bias' : `${n} biases`);
          failOp(`setWeights: ${gets[0]} weights and ${text(gets[1])}; this op was created with ${weightLengths[0]} and ${text(weightLengths[1])}`);
        }
        const restaged = op.restage();
        if (restaged !== '') failOp(restaged);
        op.weightsView().set(weights);
        if (bias) op.biasView().set(bias);
        const packed = op.pack();
        if (packed !== '') failOp(packed);
      },
    } : {}),
    delete() {
      if (!deleted) op.delete();
      deleted = true;
    },
  };
}
