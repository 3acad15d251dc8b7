// The machine's WASM SIMD128 mul+add peak as a conv kernel can reach it: a
// 4 x 8 register tile (8 v128 accumulators, the shape of ConvScope's conv
// microkernel) fed by broadcast loads of 4 inputs and 2 weight vectors per
// step from arrays that stay in L1. Built by run.sh with em++ into a
// standalone peak.wasm; not part of ConvScope. Built a second time with
// -mrelaxed-simd (and scripts/wasm-relaxed-opcodes.mjs) for the FMA peak:
// the same tile with f32x4.relaxed_madd, as convscope-fma.wasm's kernels.
#include <wasm_simd128.h>

static inline v128_t madd(v128_t a, v128_t b, v128_t c) {
#if defined(__wasm_relaxed_simd__)
  return __builtin_wasm_fma_f32x4(a, b, c);
#else
  return wasm_f32x4_add(wasm_f32x4_mul(a, b), c);
#endif
}

namespace {
constexpr int kSteps = 64;  // 64 * (4 + 8) floats: 3 KB, L1-resident
float inputs[kSteps * 4];
float weights[kSteps * 8];
}  // namespace

extern "C" __attribute__((used)) float peak(int repeats) {
  for (int i = 0; i < kSteps * 4; ++i) inputs[i] = 1.0f / float(i + 1);
  for (int i = 0; i < kSteps * 8; ++i) weights[i] = 0.5f / float(i + 2);
  v128_t acc[4][2];
  for (auto& a : acc) a[0] = a[1] = wasm_f32x4_splat(0.0f);
  for (int r = 0; r < repeats; ++r) {
    const float* x = inputs;
    const float* w = weights;
    for (int k = 0; k < kSteps; ++k, x += 4, w += 8) {
      // 4 pixels x 8 channels: 8 mul + 8 add of 4 lanes = 64 flops.
      const v128_t w0 = wasm_v128_load(w), w1 = wasm_v128_load(w + 4);
      for (int m = 0; m < 4; ++m) {
        const v128_t xm = wasm_v128_load32_splat(x + m);
        acc[m][0] = madd(xm, w0, acc[m][0]);
        acc[m][1] = madd(xm, w1, acc[m][1]);
      }
    }
  }
  v128_t s = wasm_f32x4_splat(0.0f);
  for (auto& a : acc) s = wasm_f32x4_add(s, wasm_f32x4_add(a[0], a[1]));
  return wasm_f32x4_extract_lane(s, 0);
}

// flops of one peak(repeats) call, for the caller.
extern "C" __attribute__((used)) double peak_flops(int repeats) { return double(repeats) * kSteps * 64; }
