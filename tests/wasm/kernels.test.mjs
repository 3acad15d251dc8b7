// createConvOp and createPoolOp (web/kernels.js over the WASM module's
// ConvOpHost and PoolOpHost): the SIMD kernels compiled to WebAssembly against
// plain JS written here from the definitions (and, for pooling, against the
// scalar reference and the preview's JS ops), and bad options as JS Errors
// that leave the module working. Build first: bash scripts/build.sh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import { cpus } from 'node:os';

// Node 20's V8 (11.3) runs relaxed SIMD only behind this flag (Chromium 114+
// ships it); set before any module compiles, so the FMA build runs here too.
v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = process.env.DIST_DIR || join(root, 'dist');
const { default: createConvScope } = await import(pathToFileURL(join(dist, 'convscope.js')).href);
const { createConvOp, createPoolOp, createMapOps, relaxedSimdSupported, chooseKernelBuild, kernelModuleOptions, KERNEL_BUILDS, KERNEL_GLUE } =
  await import(pathToFileURL(join(dist, 'kernels.js')).href);
const ops = await import(pathToFileURL(join(dist, 'preview-ops.js')).href);
const engine = await createConvScope({ wasmBinary: readFileSync(join(dist, 'convscope.wasm')) });
// The relaxed-SIMD build (f32x4.relaxed_madd in the conv kernels): every conv
// case below runs on every build.
const fmaEngine = await createConvScope({ wasmBinary: readFileSync(join(dist, KERNEL_BUILDS.fma)) });
// The threaded FMA build (its own glue; Node's worker threads are its
// threads): its conv ops and thumbnails split across this machine's cores.
const { default: createThreaded } = await import(pathToFileURL(join(dist, KERNEL_GLUE.threads)).href);
const threadsEngine = await createThreaded({
  wasmBinary: readFileSync(join(dist, KERNEL_BUILDS.threads)),
  // Its threads' classic script, as .cjs: Node would load the .js as an ES module (scripts/build.sh).
  locateFile: (path) => join(dist, path.endsWith('.worker.js') ? path.replace(/\.js$/, '.cjs') : path),
});
// Its threads' workers (the pool it filled at start-up, where its threads
// run) would keep Node running after the last test: unreferenced, they do not.
for (const worker of threadsEngine.PThread.unusedWorkers) worker.unref();
const builds = [['SIMD128', engine], ['FMA', fmaEngine], ['FMA threads', threadsEngine]];

function random(n, seed) {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; ++i) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = (s / 4294967296) * 2 - 1;
  }
  return a;
}

// The definition, in float64: out[n,oy,ox,f] = bias[f] + sum over the window
// of in[n, oy*sh - top + ky*dh, ox*sw - left + kx*dw, g*Cg + ci] * w[ky,kx,ci,f]
// with g = f / (F / groups); a depthwise conv is the grouped conv with
// groups = C and weights [kh, kw, 1, C * M].
function referenceConv(o) {
  const [N, H, W, C] = o.inputShape;
  const dw = o.kind === 'depthwise_conv';
  const groups = dw ? C : o.groups ?? 1;
  const F = dw ? C * (o.depthMultiplier ?? 1) : o.filters;
  const [kh, kw] = o.kernel, [sh, sw] = o.stride ?? [1, 1], [dh, dwl] = o.dilation ?? [1, 1];
  const [[top, bottom], [left, right]] = o.padding;
  const OH = Math.floor((H + top + bottom - dh * (kh - 1) - 1) / sh) + 1;
  const OW = Math.floor((W + left + right - dwl * (kw - 1) - 1) / sw) + 1;
  const cg = C / groups, fg = F / groups;
  const out = new Float32Array(N * OH * OW * F);
  for (let n = 0; n < N; ++n)
    for (let oy = 0; oy < OH; ++oy)
      for (let ox = 0; ox < OW; ++ox)
        for (let f = 0; f < F; ++f) {
          const g = Math.floor(f / fg);
          let acc = o.bias ? o.bias[f] : 0;
          for (let ky = 0; ky < kh; ++ky) {
            const iy = oy * sh - top + ky * dh;
            if (iy < 0 || iy >= H) continue;
            for (let kx = 0; kx < kw; ++kx) {
              const ix = ox * sw - left + kx * dwl;
              if (ix < 0 || ix >= W) continue;
              for (let ci = 0; ci < cg; ++ci) {
                acc += o.input[((n * H + iy) * W + ix) * C + g * cg + ci] * o.weights[((ky * kw + kx) * cg + ci) * F + f];
              }
            }
          }
          out[((n * OH + oy) * OW + ox) * F + f] = o.relu ? Math.max(acc, 0) : acc;
        }
  return { out, shape: [N, OH, OW, F] };
}

function maxRelativeError(got, want) {
  let err = 0, scale = 1;
  for (let i = 0; i < want.length; ++i) {
    err = Math.max(err, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return err / scale;
}

const cases = [
  { kind: 'conv', inputShape: [1, 9, 11, 3], filters: 8, kernel: [3, 3], padding: [[1, 1], [1, 1]], relu: true },
  { kind: 'conv', inputShape: [2, 7, 6, 5], filters: 11, kernel: [3, 2], stride: [2, 1], dilation: [1, 2], padding: [[0, 1], [2, 0]] },
  { kind: 'conv', inputShape: [1, 13, 5, 6], filters: 9, kernel: [3, 3], groups: 3, padding: [[1, 1], [1, 1]] },
  { kind: 'conv', inputShape: [1, 17, 17, 1], filters: 4, kernel: [5, 5], stride: [3, 3], padding: [[2, 2], [2, 2]], relu: true },
  // The direct kernel (conv_direct_simd.cpp): first layers at strides 1-4,
  // dilation, padding wider than a tile, batches, and 1x1 GEMMs.
  { kind: 'conv', inputShape: [2, 15, 13, 3], filters: 16, kernel: [3, 3], stride: [2, 2], padding: [[1, 1], [1, 1]], relu: true },
  { kind: 'conv', inputShape: [1, 19, 23, 3], filters: 11, kernel: [7, 7], stride: [2, 4], padding: [[3, 2], [3, 3]] },
  { kind: 'conv', inputShape: [1, 9, 10, 2], filters: 8, kernel: [3, 2], stride: [1, 3], dilation: [2, 1], padding: [[1, 1], [9, 11]] },
  { kind: 'conv', inputShape: [1, 11, 9, 1], filters: 5, kernel: [3, 3], dilation: [1, 2], padding: [[0, 0], [0, 0]], relu: true },
  { kind: 'conv', inputShape: [2, 7, 9, 13], filters: 9, kernel: [1, 1], stride: [2, 1], padding: [[0, 1], [1, 0]] },
  { kind: 'conv', inputShape: [1, 6, 10, 32], filters: 32, kernel: [1, 1], padding: [[0, 0], [0, 0]] },
  { kind: 'conv', inputShape: [1, 10, 7, 16], filters: 19, kernel: [5, 5], padding: [[2, 2], [2, 2]] },
  // Winograd F(2x2, 3x3) (conv_winograd_simd.cpp): 3x3 stride 1 with C * F / (C + F) >= 8, odd sizes
  // (edge tiles of one cell), channels off multiples of 4 and 8, asymmetric padding, a batch; and
  // the same conv told to stay direct.
  { kind: 'conv', inputShape: [2, 13, 9, 17], filters: 21, kernel: [3, 3], padding: [[1, 1], [1, 1]], relu: true },
  { kind: 'conv', inputShape: [1, 8, 11, 32], filters: 16, kernel: [3, 3], padding: [[0, 2], [2, 0]] },
  { kind: 'conv', inputShape: [1, 5, 4, 24], filters: 40, kernel: [3, 3], padding: [[1, 1], [1, 1]] },
  { kind: 'conv', inputShape: [2, 13, 9, 17], filters: 21, kernel: [3, 3], padding: [[1, 1], [1, 1]], winograd: false },
  { kind: 'depthwise_conv', inputShape: [1, 12, 10, 13], kernel: [3, 3], padding: [[1, 1], [1, 1]] },
  { kind: 'depthwise_conv', inputShape: [1, 9, 9, 5], kernel: [7, 7], depthMultiplier: 2, dilation: [1, 1], padding: [[3, 3], [3, 3]], relu: true },
  { kind: 'depthwise_conv', inputShape: [1, 8, 15, 32], kernel: [3, 5], stride: [2, 2], dilation: [2, 1], padding: [[2, 1], [0, 3]] },
];

// Tolerance against the float64 definition, for both builds: relative to the
// largest output, 1e-5 (about 80 float32 ulps at that scale). Fusing rounds
// once per multiply-add instead of twice, so the FMA build's last bits differ
// from the SIMD128 build's; both stay within the same bound of the exact sum.
const TOLERANCE = 1e-5;
for (const [i, c] of cases.entries()) for (const [build, engine] of builds) {
  test(`createConvOp (${build}) ${c.kind} ${JSON.stringify(c.inputShape)} k ${c.kernel} matches the JS definition`, () => {
    const [, , , C] = c.inputShape;
    const dw = c.kind === 'depthwise_conv';
    const F = dw ? C * (c.depthMultiplier ?? 1) : c.filters;
    const weights = random(c.kernel[0] * c.kernel[1] * (dw ? C * (c.depthMultiplier ?? 1) : (C / (c.groups ?? 1)) * F), 10 + i).map((v) => v * 0.3);
    const bias = i % 2 ? null : random(F, 20 + i);
    const input = random(c.inputShape.reduce((a, b) => a * b), 30 + i);
    const op = createConvOp(engine, { ...c, weights, bias });
    try {
      const winograd = c.kind === 'conv' && c.kernel.join() === '3,3' && !c.stride && !c.dilation && !c.groups && c.winograd !== false
        && c.inputShape[3] * c.filters >= 8 * (c.inputShape[3] + c.filters);
      assert.equal(op.kernel === 'winograd', winograd, `kernel ${op.kernel}`);
      const want = referenceConv({ ...c, weights, bias, input });
      assert.deepEqual(op.outputShape, want.shape);
      const got = op.run(input);
      assert.ok(got instanceof Float32Array);
      assert.equal(got.length, want.out.length);
      assert.ok(maxRelativeError(got, want.out) <= TOLERANCE, `relative error ${maxRelativeError(got, want.out)}`);
      assert.ok(maxRelativeError(op.runReference(input), want.out) <= TOLERANCE);
      // run() returns a copy: a second run does not change the first result.
      const again = op.run(random(input.length, 99));
      assert.notDeepEqual(again, got);
      assert.ok(maxRelativeError(got, want.out) <= TOLERANCE);
    } finally {
      op.delete();
    }
  });
}

for (const [build, engine] of builds) {
  test(`createConvOp setWeights (${build}) re-packs in place: bit for bit a fresh op's outputs; bad lengths throw and change nothing`, () => {
    const cs = [
      { kind: 'conv', inputShape: [1, 16, 13, 8], filters: 12, kernel: [3, 3], padding: 'same' },
      { kind: 'conv', inputShape: [1, 11, 9, 6], filters: 4, kernel: [3, 2], stride: [2, 1], dilation: [1, 2], padding: 'valid', groups: 2 },
      { kind: 'depthwise_conv', inputShape: [1, 9, 10, 5], kernel: [3, 3], depthMultiplier: 2, padding: 'same' },
    ];
    for (const [i, c] of cs.entries()) {
      const F = c.kind === 'depthwise_conv' ? c.inputShape[3] * c.depthMultiplier : c.filters;
      const n = c.kernel[0] * c.kernel[1] * (c.kind === 'depthwise_conv' ? F : (c.inputShape[3] / (c.groups ?? 1)) * F);
      const [w1, w2] = [random(n, 40 + i), random(n, 50 + i)];
      const bias = random(F, 60 + i);
      const input = random(c.inputShape.reduce((a, b) => a * b), 70 + i);
      const reused = createConvOp(engine, { ...c, weights: w1, bias });
      const fresh = createConvOp(engine, { ...c, weights: w2, bias });
      try {
        const before = reused.run(input);
        const inputView = reused.inputView();
        reused.setWeights(w2, bias);
        assert.equal(reused.inputView().byteOffset, inputView.byteOffset, 'the buffers stay');
        const got = reused.run(input);
        assert.deepEqual(got, fresh.run(input));
        assert.notDeepEqual(got, before);
        assert.throws(() => reused.setWeights(w2.subarray(1), bias), new RegExp(`^Error: createConvOp: setWeights: ${n - 1} weights and ${F} biases; this op was created with ${n} and ${F} biases$`));
        assert.throws(() => reused.setWeights(w2, null), /setWeights: \d+ weights and no bias; this op was created with \d+ and \d+ biases/);
        assert.throws(() => reused.setWeights([1, 2]), /weights must be a Float32Array/);
        assert.deepEqual(reused.run(input), got, 'a refused setWeights keeps the weights');
      } finally {
        reused.delete();
        fresh.delete();
      }
      assert.throws(() => reused.setWeights(w2, bias), /run\(\) after delete\(\)/);
    }
  });
}

test('the FMA build is chosen where the engine validates relaxed SIMD, and loads convscope-fma.wasm', () => {
  assert.equal(relaxedSimdSupported(), true); // the flag above
  // Node is no cross-origin-isolated page: the threaded build is not chosen, even when asked for.
  assert.equal(globalThis.crossOriginIsolated, undefined);
  assert.equal(chooseKernelBuild(), 'fma');
  assert.equal(chooseKernelBuild('threads'), 'fma');
  assert.deepEqual(kernelModuleOptions('threads'), {});
  assert.equal(chooseKernelBuild('fma'), 'fma');
  assert.equal(chooseKernelBuild('simd128'), 'simd128');
  assert.deepEqual(kernelModuleOptions('simd128'), {});
  const { locateFile } = kernelModuleOptions('fma');
  assert.equal(locateFile('convscope.wasm', 'https://example.test/app/'), 'https://example.test/app/convscope-fma.wasm');
  assert.equal(locateFile('other.data', 'https://example.test/app/'), 'https://example.test/app/other.data');
  assert.throws(() => kernelModuleOptions('avx'), /unknown build 'avx'/);
  // The FMA module validates with the standard opcode the build step wrote.
  assert.equal(WebAssembly.validate(readFileSync(join(dist, KERNEL_BUILDS.fma))), true);
  assert.ok(readFileSync(join(dist, KERNEL_BUILDS.fma)).includes(Buffer.from([0xfd, 0x85, 0x02])));
  assert.equal(WebAssembly.validate(readFileSync(join(dist, KERNEL_BUILDS.threads))), true);
  assert.ok(readFileSync(join(dist, KERNEL_BUILDS.threads)).includes(Buffer.from([0xfd, 0x85, 0x02])));
});

test('the threaded build: each conv op split across the cores, bit for bit the FMA build\'s whole conv; threads: 1 runs whole', () => {
  const cores = cpus().length; // what the module counts its cores by in Node
  assert.equal(threadsEngine.parallelParts(), Math.min(cores, 4), 'one part per core, up to 4');
  assert.equal(fmaEngine.parallelParts(), 1);
  const cases = [
    { kind: 'conv', inputShape: [1, 97, 83, 16], filters: 24, kernel: [3, 3], padding: [[1, 1], [1, 1]], relu: true }, // Winograd
    { kind: 'conv', inputShape: [1, 101, 64, 8], filters: 32, kernel: [3, 3], stride: [2, 2], padding: [[0, 1], [0, 1]] },
    { kind: 'conv', inputShape: [1, 61, 70, 12], filters: 40, kernel: [3, 3], dilation: [2, 2], padding: [[2, 2], [2, 2]] },
    { kind: 'depthwise_conv', inputShape: [1, 150, 130, 48], kernel: [5, 5], padding: [[2, 2], [2, 2]] },
  ];
  for (const [i, c] of cases.entries()) {
    const [, H, W, C] = c.inputShape;
    const dw = c.kind === 'depthwise_conv';
    const F = dw ? C : c.filters;
    const weights = random(c.kernel[0] * c.kernel[1] * (dw ? F : C * F), 90 + i).map((v) => v * 0.2);
    const bias = random(F, 95 + i);
    const input = random(H * W * C, 99 + i);
    const split = createConvOp(threadsEngine, { ...c, weights, bias });
    const whole = createConvOp(threadsEngine, { ...c, weights, bias, threads: 1 });
    const single = createConvOp(fmaEngine, { ...c, weights, bias });
    try {
      assert.equal(split.bands, Math.min(cores, 4), `${c.kind} ${c.inputShape}: bands`);
      assert.equal(whole.bands, 1);
      assert.equal(single.bands, 1);
      const got = split.run(input);
      const bits = (a) => new Uint32Array(a.buffer);
      assert.deepEqual(bits(got), bits(whole.run(input)), `${c.kind} ${c.inputShape}: threads 1`);
      assert.deepEqual(bits(got), bits(single.run(input)), `${c.kind} ${c.inputShape}: the FMA build`);
    } finally {
      split.delete();
      whole.delete();
      single.delete();
    }
  }
  assert.throws(() => createConvOp(threadsEngine, { ...cases[0], weights: new Float32Array(3456), bias: null, threads: 0 }),
    /createConvOp: threads must be 1 or more \(the most cores the conv may use\), got 0/);
});

test('the FMA build agrees with the SIMD128 build within the stated tolerance on a first-layer-sized conv', () => {
  const c = { kind: 'conv', inputShape: [1, 64, 64, 16], filters: 32, kernel: [3, 3], padding: [[1, 1], [1, 1]] };
  const weights = random(3 * 3 * 16 * 32, 7).map((v) => v * 0.2);
  const input = random(64 * 64 * 16, 8);
  const a = createConvOp(engine, { ...c, weights, bias: null });
  const b = createConvOp(fmaEngine, { ...c, weights, bias: null });
  try {
    const x = a.run(input), y = b.run(input);
    assert.ok(maxRelativeError(y, x) <= TOLERANCE, `relative difference ${maxRelativeError(y, x)}`);
    const differing = x.reduce((n, v, i) => n + (v !== y[i]), 0);
    // Not asserted (a CPU without FMA3 gets mul + add from V8): how many last bits moved.
    console.log(`# FMA vs SIMD128: ${differing} of ${x.length} outputs differ in their last bits, max relative ${maxRelativeError(y, x).toExponential(1)}`);
  } finally {
    a.delete();
    b.delete();
  }
});

test('"same" padding is TensorFlow\'s: output ceil(in / stride), the odd cell at the end', () => {
  const op = createConvOp(engine, { kind: 'conv', inputShape: [1, 10, 7, 2], filters: 3, kernel: [4, 3], stride: [3, 2], padding: 'same', weights: new Float32Array(4 * 3 * 2 * 3) });
  assert.deepEqual(op.outputShape, [1, 4, 4, 3]);
  op.delete();
});

const good = { kind: 'conv', inputShape: [1, 5, 5, 2], filters: 4, kernel: [3, 3], padding: [[1, 1], [1, 1]], weights: new Float32Array(72), bias: null };
const bad = [
  [{ ...good, kernel: [3, 0] }, /kernel\[1\] must be >= 1, got 0/],
  [{ ...good, kernel: [3, 2.5] }, /kernel\[1\] must be an integer, got 2.5/],
  [{ ...good, inputShape: [1, 5, 5] }, /inputShape must be an array of 4 integers/],
  [{ ...good, kernel: [9, 9], padding: 'valid' }, /output height is -3: floor\(\(5 - 9\) \/ 1\) \+ 1 = -3/],
  [{ ...good, weights: new Float32Array(71) }, /weights has 71 values; this op needs 3 \* 3 \* C\/groups 2 \* filters 4 = 72/],
  [{ ...good, weights: [1, 2, 3] }, /weights must be a Float32Array/],
  [{ ...good, bias: new Float32Array(3) }, /bias has 3 values; this op has 4 output channels/],
  [{ ...good, groups: 3 }, /groups \(3\) must divide both/],
  [{ ...good, kind: 'conv3d' }, /kind must be "conv", "depthwise_conv" or "conv_transpose"/],
  [{ ...good, strides: [1, 1] }, /unknown option "strides"/],
  [{ ...good, padding: [[1, -1], [0, 0]] }, /padding\[0\]\[1\] must be >= 0, got -1/],
  [{ ...good, inputShape: [1, 100000, 100000, 3] }, /the input would hold more than 16777216 floats/],
  [null, /options must be an object/],
];

for (const [options, message] of bad) {
  test(`bad options throw an Error (${message.source.slice(0, 40)}) and the module keeps working`, () => {
    assert.throws(() => createConvOp(engine, options), (e) => e instanceof Error && message.test(e.message));
    const op = createConvOp(engine, good);
    assert.equal(op.run(new Float32Array(50)).length, 100);
    assert.throws(() => op.run(new Float32Array(49)), /input has 49 values; inputShape \[1,5,5,2\] needs 50/);
    op.delete();
    assert.throws(() => op.run(new Float32Array(50)), /run\(\) after delete\(\)/);
  });
}

// ---- pooling, global pooling, nearest upsampling (createPoolOp) ----------------

// PyTorch's output size: floor, or ceil with the last window dropped when it
// would start in the right padding.
function poolSize(inSize, [pb, pe], k, s, d, ceil) {
  const span = inSize + pb + pe - (d * (k - 1) + 1);
  let out = Math.floor((span + (ceil ? s - 1 : 0)) / s) + 1;
  if (ceil && out > 1 && (out - 1) * s >= inSize + pb) out -= 1;
  return out;
}

// The definition, in float64: max over the window's input cells (-Infinity
// when there are none), or their sum over the window clipped to the padded
// input (countIncludePad) or to the input.
function referencePool(o, input) {
  const [N, H, W, C] = o.inputShape;
  const [kh, kw] = o.kernel, [sh, sw] = o.stride, [dh, dwl] = o.dilation ?? [1, 1];
  const [[top, bottom], [left, right]] = o.padding;
  const OH = poolSize(H, [top, bottom], kh, sh, dh, o.ceilMode);
  const OW = poolSize(W, [left, right], kw, sw, dwl, o.ceilMode);
  const isMax = o.kind === 'max_pool';
  if (OH < 1 || OW < 1) return { out: null, shape: [N, OH, OW, C] };
  const out = new Float32Array(N * OH * OW * C);
  for (let n = 0; n < N; ++n)
    for (let oy = 0; oy < OH; ++oy)
      for (let ox = 0; ox < OW; ++ox)
        for (let c = 0; c < C; ++c) {
          const y0 = oy * sh - top, x0 = ox * sw - left;
          let acc = isMax ? -Infinity : 0, count = 0;
          for (let ky = 0; ky < kh; ++ky)
            for (let kx = 0; kx < kw; ++kx) {
              const iy = y0 + ky * dh, ix = x0 + kx * dwl;
              if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
              const v = input[((n * H + iy) * W + ix) * C + c];
              acc = isMax ? Math.max(acc, v) : acc + v;
              count += 1;
            }
          if (!isMax) {
            const divisor = o.countIncludePad
              ? (Math.min(y0 + kh, H + bottom) - y0) * (Math.min(x0 + kw, W + right) - x0) : count;
            acc = divisor > 0 ? acc / divisor : 0;
          }
          out[((n * OH + oy) * OW + ox) * C + c] = acc;
        }
  return { out, shape: [N, OH, OW, C] };
}

// Like maxRelativeError, with equal values (infinities included) counting as no error.
function poolError(got, want) {
  let err = 0, scale = 1;
  for (let i = 0; i < want.length; ++i) {
    if (got[i] === want[i]) continue;
    err = Math.max(err, Math.abs(got[i] - want[i]));
    if (!Number.isFinite(err)) return Infinity;
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return err / scale;
}

function lcg(seed) {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.floor((s / 4294967296) * n);
  };
}

// The sampled sweep: sizes 1..17, channels 1..9, kernels 1..4, strides 1..3,
// dilations 1..2 (max), paddings up to half the kernel, both ceil modes and
// both count_include_pad rules.
function poolCases(count, seed) {
  const pick = lcg(seed);
  const cases = [];
  for (let i = 0; i < count; ++i) {
    const kind = i % 2 ? 'avg_pool' : 'max_pool';
    const kernel = [1 + pick(4), 1 + pick(4)];
    const dilation = kind === 'max_pool' ? [1 + pick(2), 1 + pick(2)] : [1, 1];
    const pad = (k) => [pick(Math.floor(k / 2) + 1), pick(Math.floor(k / 2) + 1)];
    const c = {
      kind, inputShape: [1 + (i % 7 === 0 ? 1 : 0), 1 + pick(17), 1 + pick(17), 1 + pick(9)],
      kernel, stride: [1 + pick(3), 1 + pick(3)], padding: [pad(kernel[0]), pad(kernel[1])],
      ceilMode: pick(2) === 1,
    };
    if (kind === 'max_pool') c.dilation = dilation;
    else c.countIncludePad = pick(2) === 1;
    cases.push(c);
  }
  return cases;
}

test('createPoolOp max and average pooling: SIMD = scalar reference = the JS definition over a sampled sweep', () => {
  let ran = 0, refused = 0;
  const seen = { ceil: new Set(), cip: new Set(), channels: new Set(), dil2: false, pad: false };
  for (const [i, c] of poolCases(700, 5).entries()) {
    const want = referencePool(c, random(c.inputShape.reduce((a, b) => a * b), 1000 + i));
    if (want.shape[1] < 1 || want.shape[2] < 1) {
      assert.throws(() => createPoolOp(engine, c), /createPoolOp: output (height|width) is -?\d+: /, JSON.stringify(c));
      refused += 1;
      continue;
    }
    const input = random(c.inputShape.reduce((a, b) => a * b), 1000 + i);
    const op = createPoolOp(engine, c);
    try {
      assert.deepEqual(op.outputShape, want.shape, JSON.stringify(c));
      const got = op.run(input);
      assert.equal(got.length, want.out.length);
      assert.ok(poolError(got, want.out) <= 1e-5, `${JSON.stringify(c)}: relative error ${poolError(got, want.out)}`);
      assert.ok(poolError(op.runReference(input), want.out) <= 1e-5, JSON.stringify(c));
      assert.ok(poolError(got, op.runReference(input)) <= 1e-5, JSON.stringify(c));
    } finally {
      op.delete();
    }
    ran += 1;
    seen.ceil.add(c.ceilMode);
    if (c.kind === 'avg_pool') seen.cip.add(c.countIncludePad);
    seen.channels.add(c.inputShape[3]);
    seen.dil2 ||= Boolean(c.dilation && (c.dilation[0] > 1 || c.dilation[1] > 1));
    seen.pad ||= c.padding.flat().some((p) => p > 0);
  }
  assert.ok(ran > 400, `ran ${ran} cases (${refused} refused)`);
  assert.equal(seen.ceil.size, 2);
  assert.equal(seen.cip.size, 2);
  assert.equal(seen.channels.size, 9);
  assert.ok(seen.dil2 && seen.pad);
});

test('createPoolOp pooling agrees with the preview\'s JS op (web/preview-ops.js pool)', () => {
  // The same cases, one image: max pooling is bit-identical except where a
  // window holds no input cell (the kernel's -Infinity, the JS op's 0);
  // average pooling sums in float32 (the JS op in float64), so within rounding.
  let empty = 0;
  for (const [i, c0] of poolCases(400, 11).entries()) {
    const c = { ...c0, inputShape: [1, ...c0.inputShape.slice(1)] };
    const [, H, W, C] = c.inputShape;
    const size = (a) => poolSize(c.inputShape[1 + a], c.padding[a], c.kernel[a], c.stride[a], (c.dilation ?? [1, 1])[a], c.ceilMode);
    if (size(0) < 1 || size(1) < 1) continue;
    const input = random(H * W * C, 2000 + i);
    const op = createPoolOp(engine, c);
    const got = op.run(input);
    op.delete();
    const step = {
      inShape: [H, W, C], outShape: [size(0), size(1), C], kernel: c.kernel, stride: c.stride,
      dilation: c.dilation ?? [1, 1], pads: c.padding, ceil: c.ceilMode, countIncludePad: c.countIncludePad,
    };
    const js = ops.pool(step, input, c.kind === 'max_pool' ? 'max' : 'avg');
    if (c.kind === 'max_pool') {
      for (let j = 0; j < js.length; ++j) {
        if (got[j] === -Infinity) { assert.equal(js[j], 0); empty += 1; } else assert.equal(got[j], js[j], JSON.stringify(c));
      }
    } else {
      assert.ok(poolError(got, js) <= 1e-6, `${JSON.stringify(c)}: ${poolError(got, js)}`);
    }
  }
  assert.ok(empty > 0, 'the sweep has windows without input cells');
});

test('createPoolOp global max and average pooling = the reference = the preview\'s JS op, bit for bit', () => {
  const pick = lcg(3);
  for (let i = 0; i < 60; ++i) {
    const shape = [1 + (i % 3 === 0 ? 1 : 0), 1 + pick(17), 1 + pick(17), 1 + pick(9)];
    const [N, H, W, C] = shape;
    const input = random(N * H * W * C, 3000 + i);
    for (const kind of ['global_max_pool', 'global_avg_pool']) {
      const op = createPoolOp(engine, { kind, inputShape: shape });
      assert.deepEqual(op.outputShape, [N, 1, 1, C]);
      const got = op.run(input);
      assert.deepEqual(got, op.runReference(input));
      op.delete();
      const js = ops.globalPool({ inShape: [H, W, C] }, input.subarray(0, H * W * C), kind === 'global_max_pool' ? 'max' : 'avg');
      assert.deepEqual(got.subarray(0, C), js, `${kind} ${shape}`);
    }
  }
});

test('createPoolOp nearest upsampling, integer and other scales = the reference = the preview\'s JS op', () => {
  const pick = lcg(4);
  let fractional = 0;
  for (let i = 0; i < 80; ++i) {
    const shape = [1 + (i % 4 === 0 ? 1 : 0), 1 + pick(9), 1 + pick(9), 1 + pick(9)];
    const [N, H, W, C] = shape;
    // Half the cases an integer factor 1..3, half any size 1..30 (shrinking too).
    const outputSize = i % 2 ? [H * (1 + pick(3)), W * (1 + pick(3))] : [1 + pick(30), 1 + pick(30)];
    if (outputSize[0] % H || outputSize[1] % W) fractional += 1;
    const input = random(N * H * W * C, 4000 + i);
    const op = createPoolOp(engine, { kind: 'upsample_nearest', inputShape: shape, outputSize });
    assert.deepEqual(op.outputShape, [N, ...outputSize, C]);
    const got = op.run(input);
    assert.deepEqual(got, op.runReference(input));
    op.delete();
    for (let n = 0; n < N; ++n) {
      const step = { inShape: [H, W, C], outShape: [...outputSize, C] };
      const js = ops.upsampleNearest(step, input.subarray(n * H * W * C, (n + 1) * H * W * C));
      const plane = outputSize[0] * outputSize[1] * C;
      assert.deepEqual(got.subarray(n * plane, (n + 1) * plane), js, `${shape} -> ${outputSize}`);
    }
  }
  assert.ok(fractional > 20);
});

test('createPoolOp views and runInPlace use the op\'s own buffers', () => {
  const op = createPoolOp(engine, { kind: 'max_pool', inputShape: [1, 4, 4, 1], kernel: [2, 2] });
  op.inputView().set(Float32Array.from({ length: 16 }, (_, i) => i));
  op.runInPlace();
  assert.deepEqual([...op.outputView()], [5, 7, 13, 15]);
  assert.equal(op.inputLength, 16);
  assert.equal(op.outputLength, 4);
  op.delete();
  assert.throws(() => op.runInPlace(), /createPoolOp: run\(\) after delete\(\)/);
});

const goodPool = { kind: 'avg_pool', inputShape: [1, 5, 5, 2], kernel: [2, 2], stride: [1, 1], padding: [[1, 0], [0, 1]] };
const badPool = [
  [{ ...goodPool, kernel: [3, 0] }, /kernel\[1\] must be >= 1, got 0/],
  [{ ...goodPool, stride: [1, 2.5] }, /stride\[1\] must be an integer, got 2.5/],
  [{ ...goodPool, inputShape: [1, 5, 5] }, /inputShape must be an array of 4 integers, got \[1,5,5\]/],
  [{ ...goodPool, inputShape: [1, 5, -5, 2] }, /inputShape\[2\] must be >= 1, got -5/],
  [{ ...goodPool, kernel: [9, 9], padding: 'valid' }, /output height is -3: floor\(\(5 - 9\) \/ 1\) \+ 1 = -3/],
  [{ ...goodPool, padding: [[1, -1], [0, 0]] }, /padding\[0\]\[1\] must be >= 0, got -1/],
  [{ ...goodPool, padding: 'full' }, /padding must be "valid", "same" or \[\[top, bottom\], \[left, right\]\], got "full"/],
  [{ ...goodPool, padding: [1, 1] }, /padding\[0\] must be an array of 2 integers, got 1/],
  [{ ...goodPool, dilation: [2, 2] }, /dilation must be \[1, 1\] for average pooling/],
  [{ ...goodPool, ceilMode: 'yes' }, /ceilMode must be true or false, got "yes"/],
  [{ ...goodPool, countIncludePad: 0 }, /countIncludePad must be true or false, got 0/],
  [{ ...goodPool, kind: 'max_pool', countIncludePad: true }, /option "countIncludePad" does not apply to max_pool/],
  [{ ...goodPool, kind: 'adaptive_avg_pool' }, /kind must be "max_pool", "avg_pool", "global_max_pool", "global_avg_pool" or "upsample_nearest", got "adaptive_avg_pool"/],
  [{ ...goodPool, kind: undefined }, /kind is required/],
  [{ ...goodPool, pool_size: [2, 2] }, /unknown option "pool_size"/],
  [{ kind: 'global_max_pool', inputShape: [1, 5, 5, 2], kernel: [2, 2] }, /option "kernel" does not apply to global_max_pool/],
  [{ kind: 'upsample_nearest', inputShape: [1, 5, 5, 2] }, /outputSize \[oh, ow\] is required/],
  [{ kind: 'upsample_nearest', inputShape: [1, 5, 5, 2], outputSize: [0, 4] }, /outputSize\[0\] must be >= 1, got 0/],
  [{ kind: 'upsample_nearest', inputShape: [1, 5, 5, 2], outputSize: [100000, 100000] }, /the output would hold more than 16777216 floats/],
  [{ ...goodPool, inputShape: [1, 100000, 100000, 3] }, /the input would hold more than 16777216 floats/],
  [{ kind: 'global_avg_pool', inputShape: [2147483647, 2147483647, 2147483647, 2147483647] }, /the input would hold more than 16777216 floats/],
  [{ ...goodPool, inputShape: [1, 5, 5, 1e20] }, /inputShape\[3\] must be an integer, got 100000000000000000000/],
  [null, /options must be an object/],
  [[1, 2], /options must be an object/],
];

for (const [options, message] of badPool) {
  test(`createPoolOp: bad options throw an Error (${message.source.slice(0, 40)}) and the module keeps working`, () => {
    assert.throws(() => createPoolOp(engine, options), (e) => e instanceof Error && e.message.startsWith('createPoolOp: ') && message.test(e.message));
    const op = createPoolOp(engine, goodPool);
    assert.deepEqual(op.outputShape, [1, 5, 5, 2]);
    assert.equal(op.run(new Float32Array(50).fill(4)).length, 50);
    assert.throws(() => op.run(new Float32Array(49)), /createPoolOp: input has 49 values; inputShape \[1,5,5,2\] needs 50/);
    op.delete();
    assert.throws(() => op.run(new Float32Array(50)), /run\(\) after delete\(\)/);
  });
}

test('createPoolOp on a module without pool kernels says so', () => {
  assert.throws(() => createPoolOp({}, goodPool), /createPoolOp: this module has no pool kernels/);
});

// Bands of output rows (web/conv-split.js), as the preview worker splits a
// conv across workers: run band by band on the same kernels and stitched in
// row order, the result is the whole conv's, bit for bit, on every build.
const split = await import(pathToFileURL(join(dist, 'conv-split.js')).href);
const splitCases = [
  { kind: 'conv', inputShape: [1, 23, 17, 3], filters: 8, kernel: [3, 3], padding: [[1, 1], [1, 1]], relu: true },
  // 3x3 stride 1, 17 -> 20 channels: the Winograd kernel (2x2 tiles from even rows)
  { kind: 'conv', inputShape: [1, 21, 15, 17], filters: 20, kernel: [3, 3], padding: [[1, 1], [1, 1]], relu: true },
  { kind: 'conv', inputShape: [1, 24, 19, 5], filters: 11, kernel: [3, 3], stride: [2, 2], padding: [[0, 1], [1, 1]] },
  { kind: 'conv', inputShape: [1, 21, 13, 6], filters: 9, kernel: [3, 3], dilation: [2, 2], padding: [[2, 2], [2, 2]] },
  { kind: 'conv', inputShape: [1, 19, 14, 4], filters: 7, kernel: [5, 3], stride: [3, 1], padding: [[0, 0], [1, 1]] },
  { kind: 'conv', inputShape: [1, 16, 9, 6], filters: 8, kernel: [3, 3], groups: 2, padding: [[1, 1], [1, 1]] },
  { kind: 'conv', inputShape: [1, 11, 7, 16], filters: 5, kernel: [1, 1], padding: [[0, 0], [0, 0]] },
  { kind: 'depthwise_conv', inputShape: [1, 22, 15, 12], kernel: [5, 5], padding: [[2, 2], [2, 2]] },
  { kind: 'depthwise_conv', inputShape: [1, 17, 16, 8], kernel: [3, 3], depthMultiplier: 2, stride: [2, 2], padding: [[0, 1], [0, 1]] },
];
for (const [i, c] of splitCases.entries()) for (const [build, eng] of builds) {
  test(`a ${c.kind} ${JSON.stringify(c.inputShape)} k ${c.kernel} split into 2-5 bands of rows (${build}) = the whole conv, bit for bit`, () => {
    const [, H, W, C] = c.inputShape;
    const dw = c.kind === 'depthwise_conv';
    const F = dw ? C * (c.depthMultiplier ?? 1) : c.filters;
    const weights = random(c.kernel[0] * c.kernel[1] * (dw ? F : (C / (c.groups ?? 1)) * F), 40 + i);
    const bias = random(F, 50 + i);
    const input = random(H * W * C, 60 + i);
    const whole = createConvOp(eng, { ...c, weights, bias });
    const want = whole.run(input);
    const [, OH, OW] = whole.outputShape;
    whole.delete();
    for (const parts of [2, 3, 5]) {
      const bands = split.rowBands(eng, OH, parts);
      assert.equal(bands.at(-1)[1], OH);
      const got = new Float32Array(want.length);
      for (const band of bands) {
        const { options, inRows } = split.bandOptions(eng, c, band);
        const op = createConvOp(eng, { ...options, weights, bias });
        try {
          assert.deepEqual(op.outputShape, [1, band[1] - band[0], OW, F]);
          got.set(op.run(input.slice(inRows[0] * W * C, inRows[1] * W * C)), band[0] * OW * F);
        } finally {
          op.delete();
        }
      }
      assert.deepEqual(new Uint32Array(got.buffer), new Uint32Array(want.buffer), `${parts} bands`);
    }
  });
}

test('rowBands: starting at even rows, as equal as pairs of rows allow, never empty, covering every row once', () => {
  assert.deepEqual(split.rowBands(engine, 10, 3), [[0, 4], [4, 8], [8, 10]]);
  assert.deepEqual(split.rowBands(engine, 11, 3), [[0, 4], [4, 8], [8, 11]]);
  assert.deepEqual(split.rowBands(engine, 13, 2), [[0, 8], [8, 13]]);
  assert.deepEqual(split.rowBands(engine, 2, 4), [[0, 2]]);
  assert.deepEqual(split.rowBands(engine, 5, 4), [[0, 2], [2, 4], [4, 5]]);
  assert.deepEqual(split.rowBands(engine, 7, 1), [[0, 7]]);
  for (let outH = 1; outH <= 40; outH += 1) {
    for (let parts = 1; parts <= 6; parts += 1) {
      const bands = split.rowBands(engine, outH, parts);
      assert.equal(bands[0][0], 0);
      assert.equal(bands.at(-1)[1], outH);
      bands.forEach(([a, b], i) => {
        assert.ok(a % 2 === 0 && b > a, `${outH} rows in ${parts}: band ${a}..${b}`);
        if (i > 0) assert.equal(a, bands[i - 1][1]);
      });
      assert.ok(bands.length === Math.min(parts, Math.ceil(outH / 2)));
    }
  }
  assert.throws(() => split.bandOptions(engine, { kind: 'conv_transpose', inputShape: [1, 4, 4, 1], filters: 1, kernel: [2, 2], padding: [[0, 0], [0, 0]] }, [0, 2]),
    /bandOptions: a transposed conv is not split by rows/);
  // The core's band of a TF 'same' stride-2 conv: output rows 2..5 of 10 input rows read rows 4..10, the last a padding row.
  assert.deepEqual(split.bandOptions(engine, { kind: 'conv', inputShape: [1, 10, 8, 3], filters: 4, kernel: [3, 3], stride: [2, 2], padding: [[0, 1], [0, 1]] }, [2, 5]),
    { options: { kind: 'conv', inputShape: [1, 6, 8, 3], filters: 4, kernel: [3, 3], stride: [2, 2], padding: [[0, 1], [0, 1]] }, inRows: [4, 10] });
  assert.throws(() => split.bandOptions(engine, { kind: 'conv', inputShape: [1, 10, 8, 3], filters: 4, kernel: [3, 3], padding: 'valid' }, [4, 9]),
    /bandOptions: rows 4\.\.9 are not a band of the 8 output rows/);
  assert.throws(() => split.bandOptions(engine, { kind: 'conv', inputShape: [2, 10, 8, 3], filters: 4, kernel: [3, 3], padding: 'valid' }, [0, 2]),
    /bandOptions: one image only/);
  assert.throws(() => split.bandOptions(engine, { kind: 'conv', inputShape: [1, 10, 8, 3], kernel: [3, 3] }, [0, 2]), /bandOptions: .*filters/);
});

test('the preview\'s ReLU maps every float as x > 0 ? x : 0 does, NaN and -0 included', () => {
  const x = new Float32Array([0, -0, 1, -1, NaN, Infinity, -Infinity, 1e-45, -1e-45, 3.4e38, -3.4e38, 0]);
  new Int32Array(x.buffer)[11] = 0xffc00001 | 0; // a NaN with the sign bit set
  const y = ops.activation({ inShape: [1, 1, x.length] }, x, 'relu');
  for (let i = 0; i < x.length; ++i) assert.ok(Object.is(y[i], x[i] > 0 ? x[i] : 0), `${x[i]} -> ${y[i]}`);
  const r = random(4099, 77);
  assert.deepEqual(ops.activation({ inShape: [1, 1, r.length] }, r, 'relu'), r.map((v) => (v > 0 ? v : 0)));
});

// createMapOps (MapOpsHost): the previews' ReLU and thumbnails, on every build.
const { viridisLut } = await import(pathToFileURL(join(dist, 'colormap.js')).href);

test('createMapOps ReLU = the preview\'s JS ReLU, bit for bit, specials included, on every build', () => {
  const x = random(7 * 7 * 3, 91); // 7 x 7 x 3, specials in its last cells
  x.set([0, -0, NaN, Infinity, -Infinity, 1e-45, -1e-45, 3.4e38, -3.4e38, 0, 2, -2, 0.5, -0.5], x.length - 14);
  new Int32Array(x.buffer)[x.length - 1] = 0xffc00001 | 0; // a NaN with the sign bit set
  const want = ops.activation({ inShape: [7, 7, 3] }, x, 'relu');
  for (const [name, mod] of builds) {
    const m = createMapOps(mod, { h: 7, w: 7, c: 3, shown: 3, factor: 2, lut: viridisLut() });
    m.inputView().set(x);
    m.relu();
    const got = new Int32Array(m.outputView().slice().buffer);
    assert.deepEqual(got, new Int32Array(want.buffer, want.byteOffset, want.length), name);
    m.delete();
    assert.throws(() => m.relu(), /createMapOps: used after delete/);
  }
});

test('createMapOps thumbnails = the box average, range and colour pass the preview worker defines, on every build', () => {
  const lut = viridisLut();
  // 256x200x8: big enough for the threaded build to split it across the cores.
  for (const [H, W, C, shown, f] of [[13, 10, 5, 4, 4], [64, 48, 8, 8, 3], [6, 6, 3, 3, 1], [1, 1, 6, 6, 1], [256, 200, 8, 8, 4]]) {
    const x = random(H * W * C, H * 31 + C);
    // The definition, in float64: cells of f x f boxes (partial at the edges), per-channel min/max (one cell: across channels).
    const th = Math.ceil(H / f), tw = Math.ceil(W / f);
    const cells = [];
    for (let ty = 0; ty < th; ty += 1) for (let tx = 0; tx < tw; tx += 1) {
      const cell = new Array(shown).fill(0);
      let count = 0;
      for (let y = ty * f; y < Math.min(H, (ty + 1) * f); y += 1) for (let xx = tx * f; xx < Math.min(W, (tx + 1) * f); xx += 1, count += 1) {
        for (let c = 0; c < shown; c += 1) cell[c] += x[(y * W + xx) * C + c];
      }
      cells.push(cell.map((v) => v / count));
    }
    for (const [name, mod] of builds) {
      const label = `${name} ${H}x${W}x${C} shown ${shown} f ${f}`;
      const m = createMapOps(mod, { h: H, w: W, c: C, shown, factor: f, lut });
      m.inputView().set(x);
      const t = m.thumbnail(false);
      assert.equal(t.rows, th, label);
      assert.equal(t.cols, tw, label);
      assert.equal(t.rgba.length, shown, label);
      for (let c = 0; c < shown; c += 1) {
        const vals = cells.map((cell) => cell[c]);
        const lo = H * W === 1 ? Math.min(...cells[0]) : Math.min(...vals);
        const hi = H * W === 1 ? Math.max(...cells[0]) : Math.max(...vals);
        assert.ok(Math.abs(t.lo[c] - lo) <= 1e-6 * (1 + Math.abs(lo)), `${label} lo[${c}] ${t.lo[c]} vs ${lo}`);
        assert.ok(Math.abs(t.hi[c] - hi) <= 1e-6 * (1 + Math.abs(hi)), `${label} hi[${c}] ${t.hi[c]} vs ${hi}`);
        const px = new Uint32Array(t.rgba[c].buffer, t.rgba[c].byteOffset, t.rgba[c].length / 4);
        assert.equal(px.length, th * tw, label);
        let off = 0;
        vals.forEach((v, p) => {
          // The colour index from the float64 cell: the kernel's float cells may sit one index away at a boundary.
          const i = Math.max(0, Math.min(255, Math.floor((v - lo) * (255 / (hi - lo)))));
          const near = [i - 1, i, i + 1].filter((j) => j >= 0 && j <= 255).map((j) => lut[j]);
          if (!near.includes(px[p])) off += 1;
        });
        assert.equal(off, 0, `${label} channel ${c}: ${off} cells off by more than one colour step`);
      }
      m.delete();
    }
  }
});

test('createMapOps refuses bad shapes with the core\'s message and the module keeps working', () => {
  assert.throws(() => createMapOps(engine, { h: 4, w: 4, c: 2, shown: 3, factor: 1, lut: viridisLut() }), /createMapOps: MapOpsHost: shown must be 1 \.\. the map's channels/);
  assert.throws(() => createMapOps(engine, { h: 4, w: 0, c: 2, shown: 1, factor: 1, lut: viridisLut() }), /at least one row, column and channel/);
  assert.throws(() => createMapOps(engine, { h: 4, w: 4, c: 2, shown: 1, factor: 1, lut: new Uint32Array(3) }), /lut must be a Uint32Array of 256 words/);
  const m = createMapOps(engine, { h: 2, w: 2, c: 1, shown: 1, factor: 1, lut: viridisLut() });
  m.inputView().set([1, 2, 3, 4]);
  assert.deepEqual(m.thumbnail(false).lo, [1]);
  m.delete();
});

test('conv.runOn(maps), maps.reluOf(conv), maps.thumbnailOf(conv) and maps.reluAndThumbnailOf(conv) read the other op\'s buffer in place: bit for bit the copies\' results, on every build', () => {
  const lut = viridisLut();
  for (const [name, mod] of builds) {
    const conv1 = createConvOp(mod, { kind: 'conv', inputShape: [1, 12, 10, 3], filters: 8, kernel: [3, 3], padding: 'same', weights: random(3 * 3 * 3 * 8, 5) });
    const conv2 = createConvOp(mod, { kind: 'conv', inputShape: [1, 12, 10, 8], filters: 4, kernel: [3, 3], padding: 'same', weights: random(3 * 3 * 8 * 4, 6) });
    const maps = createMapOps(mod, { h: 12, w: 10, c: 8, shown: 6, factor: 3, lut });
    const copied = createMapOps(mod, { h: 12, w: 10, c: 8, shown: 6, factor: 3, lut });
    try {
      const y1 = conv1.run(random(12 * 10 * 3, 7));
      copied.inputView().set(y1);
      assert.deepEqual(maps.thumbnailOf(conv1), copied.thumbnail(false), `${name}: thumbnail`);
      maps.reluOf(conv1);
      copied.relu();
      const relu = maps.outputView().slice();
      assert.deepEqual(relu, copied.outputView().slice(), `${name}: ReLU`);
      assert.ok(relu.some((v) => v > 0) && relu.some((v) => v === 0));
      // Both in one pass: the conv's thumbnail returned, its ReLU in the output,
      // whose thumbnail(true) is the ReLU's as the steps apart give it.
      const fused = createMapOps(mod, { h: 12, w: 10, c: 8, shown: 6, factor: 3, lut });
      try {
        assert.deepEqual(fused.reluAndThumbnailOf(conv1), copied.thumbnail(false), `${name}: fused, the conv's thumbnail`);
        assert.deepEqual(fused.outputView().slice(), relu, `${name}: fused, the ReLU`);
        assert.deepEqual(fused.thumbnail(true), copied.thumbnail(true), `${name}: fused, the ReLU's thumbnail`);
      } finally {
        fused.delete();
      }
      conv2.runOn(maps);
      const onMaps = conv2.outputView().slice();
      assert.deepEqual(onMaps, conv2.run(relu), `${name}: conv on the ReLU's buffer`);
      // The wrong shapes or objects: the core's message, nothing run.
      assert.throws(() => conv1.runOn(maps), /createConvOp: run_on\(\): the maps hold 960 values, this op's input 360/);
      const small = createMapOps(mod, { h: 12, w: 10, c: 4, shown: 4, factor: 3, lut });
      assert.throws(() => small.reluOf(conv1), /createMapOps: MapOpsHost: the conv's output has 960 values, these maps 480/);
      assert.throws(() => small.thumbnailOf({}), /expected an op of this module/);
      assert.throws(() => small.reluAndThumbnailOf(conv1), /createMapOps: MapOpsHost: the conv's output has 960 values, these maps 480/);
      small.delete();
      assert.throws(() => conv2.runOn(small), /createMapOps: used after delete/);
    } finally {
      for (const op of [conv1, conv2, maps, copied]) op.delete();
    }
  }
});
