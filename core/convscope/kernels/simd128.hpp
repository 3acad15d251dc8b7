// One source for the SIMD kernels on both targets: WebAssembly SIMD128
// intrinsics under Emscripten (-msimd128), and the same wasm_* names natively
// through SIMDe (Debian's libsimde-dev), which maps them onto SSE/NEON. The
// native build exists so doctest can check every SIMD kernel against the
// scalar reference, natively and under sanitizers, with the code the browser
// runs.
#pragma once

#if defined(__EMSCRIPTEN__)
#include <wasm_simd128.h>
#else
// Native aliases give the plain wasm_* spellings (SIMDe 0.7.4 provides both
// these and simde_wasm_*); keeping the wasm names means the kernels read the
// same as the WebAssembly they become.
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/wasm/simd128.h>
#endif

#include <cstddef>
#include <cstring>

// Full unrolling of loops with compile-time trip counts, where the kernels
// rely on it (clang's default thresholds stop short on the larger kernels).
#if defined(__clang__)
#define CONVSCOPE_UNROLL _Pragma("unroll")
#else
#define CONVSCOPE_UNROLL _Pragma("GCC unroll 64")
#endif

// Every helper a kernel calls in its loops is declared CONVSCOPE_INLINE
// (always_inline). The WebAssembly build compiles the kernel sources with
// -O3 after the shared -Oz, and clang keeps the -fno-inline-functions that
// -Oz brought: a plain `inline` helper (relu, a store, F32x4::load) stays a
// call there, its v128 arguments and result passing through memory
// (measured: the direct conv kernel about 20% slower; the depthwise kernels,
// whose tiles call F32x4's members, gained 25-90% from this alone).
#define CONVSCOPE_INLINE __attribute__((always_inline)) inline

// Keeps a loop rolled: one register-tile step per iteration. V8's TurboFan
// schedules a basic block's pure arithmetic late, chain by chain: given a
// block of several unrolled steps it loads every step's weights and inputs
// first, then runs one accumulator's whole chain at a time, which needs far
// more than the 15 xmm registers it allocates and spills (measured: half the
// speed). A loop iteration is a block boundary TurboFan does not schedule
// across, so one step per iteration keeps the live set at one step's worth.
#if defined(__clang__)
#define CONVSCOPE_NO_UNROLL _Pragma("clang loop unroll(disable)")
#else
#define CONVSCOPE_NO_UNROLL _Pragma("GCC unroll 1")
#endif

namespace convscope::kernels::simd {

// p, with its value hidden from the optimiser (an empty asm that "changes"
// it; no instruction is emitted). A tile reads its MR pixels at constant
// offsets from one pointer, which the WebAssembly backend folds into the
// loads' offset immediates, free in V8's x64 addressing. LLVM's loop
// strength reduction rewrites such loops into an induction variable plus a
// loop-invariant register per address, an i32.add per load in V8 (measured:
// the first layers 6-7% slower). emcc passes -disable-lsr to clang, except
// when -flto is on the command line, which CMakeLists.txt's shared options
// put there even for the -fno-lto kernel sources; laundering the pointer
// each step keeps LSR off it either way.
template <class T>
CONVSCOPE_INLINE T* opaque(T* p) {
  __asm__("" : "+r"(p));
  return p;
}

// Stores the first n (< 4) lanes of v. Lane stores need constant lane
// numbers, so go through a small stack array: only channel remainders use it.
CONVSCOPE_INLINE void store_partial(float* dst, v128_t v, size_t n) {
  float lanes[4];
  wasm_v128_store(lanes, v);
  std::memcpy(dst, lanes, n * sizeof(float));
}

// Loads n (< 4) floats into the low lanes, zeros above: never reads past the
// caller's buffer (ASan checks that natively).
CONVSCOPE_INLINE v128_t load_partial(const float* src, size_t n) {
  float lanes[4] = {0, 0, 0, 0};
  std::memcpy(lanes, src, n * sizeof(float));
  return wasm_v128_load(lanes);
}

// a * b + c. The relaxed-SIMD build (convscope-fma.wasm: the kernel sources
// compiled again with -mrelaxed-simd, see CMakeLists.txt) fuses it into
// f32x4.relaxed_madd, which V8 lowers to one vfmadd on x86 with FMA3 and to a
// mul and an add elsewhere, so its last bits may differ from the SIMD128
// build's. Emscripten 3.1.6's clang 14 knows it only as the pre-standard
// f32x4.fma (0xfd 0xaf 0x01); scripts/wasm-relaxed-opcodes.mjs renumbers it
// after the link. Operand order: the standard instruction computes
// a * b + c from (a, b, c), and the builtin passes its operands as they come.
CONVSCOPE_INLINE v128_t madd(v128_t a, v128_t b, v128_t c) {
#if defined(__wasm_relaxed_simd__)
  return __builtin_wasm_fma_f32x4(a, b, c);
#else
  return wasm_f32x4_add(wasm_f32x4_mul(a, b), c);
#endif
}

// max(v, 0). pmax (a < b ? b : a) compiles to one maxps on x86, where the
// NaN-propagating wasm_f32x4_max needs a fix-up sequence (XNNPACK's
// wasmsimd "x86" kernels choose pmin/pmax for the same reason).
CONVSCOPE_INLINE v128_t relu(v128_t v) { return wasm_f32x4_pmax(wasm_f32x4_splat(0.0f), v); }

// Four f32 lanes, or one. Kernels over channels are templated on these so the
// main loop (v128) and the channel remainder (scalar) share one body instead
// of a second copy, and never read or write past a tensor's last channel.
struct F32x4 {
  using T = v128_t;
  static constexpr size_t width = 4;
  CONVSCOPE_INLINE static T load(const float* p) { return wasm_v128_load(p); }
  CONVSCOPE_INLINE static void store(float* p, T v) { wasm_v128_store(p, v); }
  // Lane l goes to p[l * stride] (depthwise outputs with a multiplier > 1).
  CONVSCOPE_INLINE static void store_strided(float* p, size_t stride, T v) {
    float lanes[4];
    wasm_v128_store(lanes, v);
    for (size_t l = 0; l < 4; ++l) p[l * stride] = lanes[l];
  }
  CONVSCOPE_INLINE static T splat(float x) { return wasm_f32x4_splat(x); }
  CONVSCOPE_INLINE static T add(T a, T b) { return wasm_f32x4_add(a, b); }
  CONVSCOPE_INLINE static T mul(T a, T b) { return wasm_f32x4_mul(a, b); }
  CONVSCOPE_INLINE static T madd(T a, T b, T c) { return simd::madd(a, b, c); }
  CONVSCOPE_INLINE static T div(T a, T b) { return wasm_f32x4_div(a, b); }
  CONVSCOPE_INLINE static T max(T a, T b) { return wasm_f32x4_pmax(a, b); }
  CONVSCOPE_INLINE static T relu(T v) { return simd::relu(v); }
};

struct F32x1 {
  using T = float;
  static constexpr size_t width = 1;
  CONVSCOPE_INLINE static T load(const float* p) { return *p; }
  CONVSCOPE_INLINE static void store(float* p, T v) { *p = v; }
  CONVSCOPE_INLINE static void store_strided(float* p, size_t, T v) { *p = v; }
  CONVSCOPE_INLINE static T splat(float x) { return x; }
  CONVSCOPE_INLINE static T add(T a, T b) { return a + b; }
  CONVSCOPE_INLINE static T mul(T a, T b) { return a * b; }
  // Never fused, in either build: only channel remainders run here.
  CONVSCOPE_INLINE static T madd(T a, T b, T c) { return a * b + c; }
  CONVSCOPE_INLINE static T div(T a, T b) { return a / b; }
  CONVSCOPE_INLINE static T max(T a, T b) { return a < b ? b : a; }  // pmax's rule, as in F32x4
  CONVSCOPE_INLINE static T relu(T v) { return v < 0.0f ? 0.0f : v; }
};

}  // namespace convscope::kernels::simd
