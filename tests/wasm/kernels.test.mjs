// createConvOp (web/kernels.js over the WASM module's ConvOpHost): the SIMD
// kernels compiled to WebAssembly against a plain JS convolution written here
// from the definition, and bad options as JS Errors that leave the module
// working. Build first: bash scripts/build.sh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = process.env.DIST_DIR || join(root, 'dist');
const { default: createConvScope } = await import(pathToFileURL(join(dist, 'convscope.js')).href);
const { createConvOp } = await import(pathToFileURL(join(dist, 'kernels.js')).href);
const engine = await createConvScope({ wasmBinary: readFileSync(join(dist, 'convscope.wasm')) });

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
  { kind: 'depthwise_conv', inputShape: [1, 12, 10, 13], kernel: [3, 3], padding: [[1, 1], [1, 1]] },
  { kind: 'depthwise_conv', inputShape: [1, 9, 9, 5], kernel: [7, 7], depthMultiplier: 2, dilation: [1, 1], padding: [[3, 3], [3, 3]], relu: true },
  { kind: 'depthwise_conv', inputShape: [1, 8, 15, 32], kernel: [3, 5], stride: [2, 2], dilation: [2, 1], padding: [[2, 1], [0, 3]] },
];

for (const [i, c] of cases.entries()) {
  test(`createConvOp ${c.kind} ${JSON.stringify(c.inputShape)} k ${c.kernel} matches the JS definition`, () => {
    const [, , , C] = c.inputShape;
    const dw = c.kind === 'depthwise_conv';
    const F = dw ? C * (c.depthMultiplier ?? 1) : c.filters;
    const weights = random(c.kernel[0] * c.kernel[1] * (dw ? C * (c.depthMultiplier ?? 1) : (C / (c.groups ?? 1)) * F), 10 + i).map((v) => v * 0.3);
    const bias = i % 2 ? null : random(F, 20 + i);
    const input = random(c.inputShape.reduce((a, b) => a * b), 30 + i);
    const op = createConvOp(engine, { ...c, weights, bias });
    try {
      const want = referenceConv({ ...c, weights, bias, input });
      assert.deepEqual(op.outputShape, want.shape);
      const got = op.run(input);
      assert.ok(got instanceof Float32Array);
      assert.equal(got.length, want.out.length);
      assert.ok(maxRelativeError(got, want.out) <= 1e-5, `relative error ${maxRelativeError(got, want.out)}`);
      assert.ok(maxRelativeError(op.runReference(input), want.out) <= 1e-5);
      // run() returns a copy: a second run does not change the first result.
      const again = op.run(random(input.length, 99));
      assert.notDeepEqual(again, got);
      assert.ok(maxRelativeError(got, want.out) <= 1e-5);
    } finally {
      op.delete();
    }
  });
}

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
