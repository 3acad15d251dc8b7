// ConvScope's SIMD conv kernels against the best WebAssembly CPU engines, in
// one Node process, single-threaded, on the same inputs and weights: the
// median of RUNS timed runs after warm-up, as GFLOP/s, with ratios to the
// faster peer and the fraction of the machine's tile peak, for both builds:
// SIMD128 (convscope.wasm, mul + add) and FMA (convscope-fma.wasm,
// f32x4.relaxed_madd; skipped where the engine lacks relaxed SIMD).
// Not a test: `bash bench/kernels/run.sh` (see there).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import os from 'node:os';
import { layers, samePads, flops } from './layers.mjs';
import { convModel } from './onnx.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
// CONVSCOPE_DIST (run.sh) or DIST_DIR (the tests' name) picks another build.
const dist = process.env.CONVSCOPE_DIST || process.env.DIST_DIR || join(root, 'dist');
const RUNS = Number(process.env.RUNS || 25);
const WARMUP = 5;
const only = process.env.LAYERS ? process.env.LAYERS.split(',').map(Number) : null;

// ---- engines ----------------------------------------------------------------
const { default: createConvScope } = await import(pathToFileURL(join(dist, 'convscope.js')).href);
const { createConvOp, relaxedSimdSupported, KERNEL_BUILDS } = await import(pathToFileURL(join(dist, 'kernels.js')).href);
const convscope = await createConvScope({ wasmBinary: readFileSync(join(dist, KERNEL_BUILDS.simd128)) });
const hasFma = relaxedSimdSupported();
const convscopeFma = hasFma ? await createConvScope({ wasmBinary: readFileSync(join(dist, KERNEL_BUILDS.fma)) }) : null;

const tf = await import('@tensorflow/tfjs-core');
const tfwasm = await import('@tensorflow/tfjs-backend-wasm');
tfwasm.setWasmPaths(join(here, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist') + '/');
tfwasm.setThreadsCount(1);
await tf.setBackend('wasm');
await tf.ready();

const ort = (await import('onnxruntime-web')).default ?? (await import('onnxruntime-web'));
ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';

// ---- the peak -------------------------------------------------------------------
function measurePeak(file) {
  const bytes = readFileSync(join(here, 'node_modules', file));
  const wasi = new Proxy({}, { get: () => () => 0 });
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: {}, wasi_snapshot_preview1: wasi });
  exports.peak(20000);
  const repeats = 200000, samples = [];
  for (let i = 0; i < 9; ++i) {
    const t = performance.now();
    exports.peak(repeats);
    samples.push(exports.peak_flops(repeats) / ((performance.now() - t) * 1e6));
  }
  return median(samples);
}

// ---- timing -------------------------------------------------------------------
function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function timeMs(fn) {
  for (let i = 0; i < WARMUP; ++i) await fn();
  const samples = [];
  for (let i = 0; i < RUNS; ++i) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  return median(samples);
}

// A seeded generator, so every engine sees the same numbers every run.
function random(n, seed, scale = 1) {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; ++i) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
  return a;
}

// NHWC -> NCHW for ORT, HWIO -> OIHW (and depthwise HW C M -> (C*M) 1 H W).
function toNCHW(x, h, w, c) {
  const y = new Float32Array(x.length);
  for (let i = 0; i < h * w; ++i) for (let ch = 0; ch < c; ++ch) y[ch * h * w + i] = x[i * c + ch];
  return y;
}
function toOIHW(wt, k, cin, cout) {
  const y = new Float32Array(wt.length);
  for (let t = 0; t < k * k; ++t)
    for (let ci = 0; ci < cin; ++ci) for (let co = 0; co < cout; ++co) y[(co * cin + ci) * k * k + t] = wt[(t * cin + ci) * cout + co];
  return y;
}

// ---- one layer ------------------------------------------------------------------
async function benchLayer(l) {
  const ph = samePads(l.h, l.k, l.stride, l.dilation), pw = samePads(l.w, l.k, l.stride, l.dilation);
  const dw = l.kind === 'depthwise_conv';
  const cin = dw ? 1 : l.c;
  const input = random(l.h * l.w * l.c, 1);
  const weights = random(l.k * l.k * cin * l.filters, 2, 1 / Math.sqrt(l.k * l.k * cin));
  const bias = random(l.filters, 3, 0.1);
  const result = { name: l.name, gflop: flops(l) / 1e9 };

  // ConvScope: input already in the op's buffer (as tfjs's input tensor is
  // already in its memory); run() with its copies is timed separately.
  const options = {
    kind: l.kind, inputShape: [1, l.h, l.w, l.c], filters: l.filters, kernel: [l.k, l.k],
    stride: [l.stride, l.stride], dilation: [l.dilation, l.dilation],
    padding: [[ph.begin, ph.end], [pw.begin, pw.end]], weights, bias, relu: false,
  };
  let fmaOut = null;
  // The same layer told to stay on the direct kernel, where ConvScope picks
  // Winograd: both figures in one run, side by side.
  const timeDirect = async (module) => {
    const direct = createConvOp(module, { ...options, winograd: false });
    direct.inputView().set(input);
    const ms = await timeMs(() => direct.runInPlace());
    direct.delete();
    return ms;
  };
  if (convscopeFma) {
    const fmaOp = createConvOp(convscopeFma, options);
    fmaOp.inputView().set(input);
    result.fma = await timeMs(() => fmaOp.runInPlace());
    fmaOut = fmaOp.outputView().slice();
    if (fmaOp.kernel === 'winograd') result.fmaDirect = await timeDirect(convscopeFma);
    fmaOp.delete();
  }
  const op = createConvOp(convscope, options);
  result.kernel = op.kernel;
  op.inputView().set(input);
  result.simd = await timeMs(() => op.runInPlace());
  if (op.kernel === 'winograd') result.simdDirect = await timeDirect(convscope);
  const ours = op.outputView().slice();
  result.simdCopies = await timeMs(() => op.run(input));
  result.reference = await timeMs(() => op.runReferenceInPlace());
  const ref = op.outputView().slice();
  op.delete();

  // tfjs-backend-wasm (XNNPACK): the same filter tensor every call, so
  // XNNPACK's operator cache keeps the packed weights.
  const x = tf.tensor4d(input, [1, l.h, l.w, l.c]);
  const filter = dw ? tf.tensor4d(weights, [l.k, l.k, l.c, 1]) : tf.tensor4d(weights, [l.k, l.k, l.c, l.filters]);
  const b = tf.tensor1d(bias);
  const pad = [[0, 0], [ph.begin, ph.end], [pw.begin, pw.end], [0, 0]];
  const tfRun = dw
    ? () => tf.fused.depthwiseConv2d({ x, filter, strides: l.stride, pad, dilations: l.dilation, bias: b })
    : () => tf.fused.conv2d({ x, filter, strides: l.stride, pad, dilations: l.dilation, bias: b });
  const tfOut = tfRun();
  const tfData = tfOut.dataSync();
  tfOut.dispose();
  result.tfjs = await timeMs(() => tfRun().dispose());
  x.dispose(); filter.dispose(); b.dispose();

  // onnxruntime-web (wasm, one thread): NCHW, its native layout.
  const model = convModel({
    inputDims: [1, l.c, l.h, l.w], outputDims: [1, l.filters, ph.out, pw.out],
    weightDims: [l.filters, cin, l.k, l.k], weights: toOIHW(weights, l.k, cin, l.filters), bias,
    kernel: [l.k, l.k], strides: [l.stride, l.stride], dilations: [l.dilation, l.dilation],
    pads: [ph.begin, pw.begin, ph.end, pw.end], group: dw ? l.c : 1,
  });
  const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const feeds = { x: new ort.Tensor('float32', toNCHW(input, l.h, l.w, l.c), [1, l.c, l.h, l.w]) };
  const ortData = (await session.run(feeds)).y.data;
  result.ort = await timeMs(() => session.run(feeds));
  await session.release();

  // Same answer from all four (NCHW output of ORT compared through the index map).
  const n = ph.out * pw.out;
  let err = 0;
  for (let i = 0; i < n; ++i)
    for (let f = 0; f < l.filters; ++f) {
      const v = ours[i * l.filters + f];
      err = Math.max(err, Math.abs(v - ref[i * l.filters + f]), Math.abs(v - tfData[i * l.filters + f]), Math.abs(v - ortData[f * n + i]),
        fmaOut ? Math.abs(fmaOut[i * l.filters + f] - v) : 0);
    }
  result.maxDiff = err;
  return result;
}

// ---- report -----------------------------------------------------------------------
const gflops = (r, ms) => r.gflop / (ms / 1e3);
const pad = (s, n) => String(s).padStart(n);
// Measured before and after the layers, the higher kept: a peak is an upper
// bound, and on a shared machine one measurement can land in a busy moment.
let peak = measurePeak('.convscope-peak.wasm');
let peakFma = hasFma ? measurePeak('.convscope-peak-fma.wasm') : NaN;
const results = [];
for (const [i, l] of layers.entries()) if (!only || only.includes(i + 1)) results.push([l, await benchLayer(l)]);
peak = Math.max(peak, measurePeak('.convscope-peak.wasm'));
if (hasFma) peakFma = Math.max(peakFma, measurePeak('.convscope-peak-fma.wasm'));
console.log(`ConvScope kernel benchmark — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${os.cpus()[0].model}, ` +
  `single thread, median of ${RUNS} runs after ${WARMUP} warm-up`);
console.log(`tfjs-backend-wasm ${tfwasm.version_wasm}, onnxruntime-web ${ort.env.versions?.web ?? '?'}`);
console.log(`tile peak (4x8 register tile, L1 operands): SIMD128 mul+add ${peak.toFixed(1)} GFLOP/s, ` +
  `FMA relaxed_madd ${hasFma ? `${peakFma.toFixed(1)} GFLOP/s` : 'n/a (no relaxed SIMD in this engine)'}`);
console.log(`load average at the end: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} on ${os.cpus().length} cores\n`);
const header = ['layer', 'SIMD', 'FMA', 'SIMD+copies', 'scalar', 'tfjs', 'ORT', 'SIMD/peer', 'FMA/peer', '% peak', 'FMA %pk', 'max diff'];
const widths = [30, 7, 7, 12, 7, 7, 7, 10, 9, 7, 8, 9];
console.log(header.map((h, i) => (i ? pad(h, widths[i]) : h.padEnd(widths[0]))).join(' '));
for (const [l, r] of results) {
  const g = (ms) => gflops(r, ms).toFixed(1);
  const best = Math.max(gflops(r, r.tfjs), gflops(r, r.ort));
  const fma = r.fma === undefined ? 'n/a' : null;
  const cells = [l.name.padEnd(widths[0]), g(r.simd), fma ?? g(r.fma), g(r.simdCopies), g(r.reference), g(r.tfjs), g(r.ort),
    `${(gflops(r, r.simd) / best).toFixed(2)}x`, fma ?? `${(gflops(r, r.fma) / best).toFixed(2)}x`,
    `${((100 * gflops(r, r.simd)) / peak).toFixed(0)}%`, fma ?? `${((100 * gflops(r, r.fma)) / peakFma).toFixed(0)}%`, r.maxDiff.toExponential(1)];
  console.log(cells.map((c, j) => (j ? pad(c, widths[j]) : c)).join(' '));
}
console.log('\nGFLOP/s (2 flops per multiply-add of the direct convolution). SIMD, FMA: input already in the op\'s buffer, as the peers\' input tensors are in theirs;');
for (const [l, r] of results) {
  if (r.kernel !== 'winograd') continue;
  const g = (ms) => gflops(r, ms).toFixed(1);
  const fma = r.fmaDirect === undefined ? '' : `; FMA ${g(r.fma)} vs ${g(r.fmaDirect)} (${(r.fmaDirect / r.fma).toFixed(2)}x)`;
  console.log(`${l.name.trim()}: Winograd F(2x2, 3x3), 2.25x fewer multiplies, so its figures are effective and % peak can pass 100%; ` +
    `the direct kernel in the same run: SIMD ${g(r.simd)} vs ${g(r.simdDirect)} (${(r.simdDirect / r.simd).toFixed(2)}x)${fma}.`);
}
console.log('FMA: convscope-fma.wasm, % of the FMA tile peak. max diff: SIMD against the scalar reference, tfjs, ORT and FMA.');
console.log('SIMD+copies: run(Float32Array) -> Float32Array including both copies. ORT\'s times include its own input/output copies (NCHW).');
