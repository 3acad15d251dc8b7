// Pooling, global pooling and nearest upsampling, vectorised over channels
// (contiguous in NHWC). Windows are clipped to the input, so padding costs
// nothing; the same Lanes-templated body handles the 4-wide blocks and the
// channel remainder.
#include <algorithm>
#include <cstring>
#include <limits>

#include "convscope/kernels/simd.hpp"
#include "convscope/kernels/simd128.hpp"

namespace convscope::kernels {

namespace {

using simd::F32x1;
using simd::F32x4;

struct Window {
  const float* img;
  size_t c_all;
  int y0, x0;        // top-left cell, may be in the padding
  int ky0, ky1, kx0, kx1;
  int dil_h, dil_w, width;
};

template <class L>
typename L::T pool_channels(const Window& w, size_t c, bool is_max) {
  using T = typename L::T;
  T acc = L::splat(is_max ? -std::numeric_limits<float>::infinity() : 0.0f);
  for (int ky = w.ky0; ky < w.ky1; ++ky) {
    const float* row = w.img + size_t(w.y0 + ky * w.dil_h) * size_t(w.width) * w.c_all + c;
    for (int kx = w.kx0; kx < w.kx1; ++kx) {
      const T v = L::load(row + size_t(w.x0 + kx * w.dil_w) * w.c_all);
      acc = is_max ? L::max(acc, v) : L::add(acc, v);
    }
  }
  return acc;
}

void clip(int start, int dilation, int k_count, int size, int& k0, int& k1) {
  k0 = start >= 0 ? 0 : (-start + dilation - 1) / dilation;
  k1 = start > size - 1 ? 0 : std::min(k_count, (size - 1 - start) / dilation + 1);
  k0 = std::min(k0, k1);
}

}  // namespace

void pool_f32_simd(const PoolDesc& d, const float* input, float* output) {
  const Shape4 os = output_shape(d);
  const bool is_max = d.kind == PoolKind::max;
  const size_t c_all = size_t(d.input.c);
  for (int n = 0; n < os.n; ++n)
    for (int oy = 0; oy < os.h; ++oy)
      for (int ox = 0; ox < os.w; ++ox) {
        Window w{input + size_t(n) * size_t(d.input.h) * size_t(d.input.w) * c_all, c_all,
                 oy * d.stride_h - d.pad_top, ox * d.stride_w - d.pad_left, 0, 0, 0, 0,
                 d.dilation_h, d.dilation_w, d.input.w};
        clip(w.y0, d.dilation_h, d.kernel_h, d.input.h, w.ky0, w.ky1);
        clip(w.x0, d.dilation_w, d.kernel_w, d.input.w, w.kx0, w.kx1);
        float divisor = 1.0f;
        if (!is_max) {
          // The reference's rule (PyTorch avg_pool2d): with count_include_pad
          // the window is clipped to the padded input, else to the input.
          const int y1 = std::min(w.y0 + d.kernel_h, d.input.h + d.pad_bottom);
          const int x1 = std::min(w.x0 + d.kernel_w, d.input.w + d.pad_right);
          divisor = float(d.count_include_pad ? (y1 - w.y0) * (x1 - w.x0) : (w.ky1 - w.ky0) * (w.kx1 - w.kx0));
        }
        float* out = output + ((size_t(n) * size_t(os.h) + size_t(oy)) * size_t(os.w) + size_t(ox)) * c_all;
        size_t c = 0;
        for (; c + 4 <= c_all; c += 4) {
          const v128_t acc = pool_channels<F32x4>(w, c, is_max);
          F32x4::store(out + c, is_max ? acc : divisor > 0 ? F32x4::div(acc, F32x4::splat(divisor)) : F32x4::splat(0));
        }
        for (; c < c_all; ++c) {
          const float acc = pool_channels<F32x1>(w, c, is_max);
          out[c] = is_max ? acc : divisor > 0 ? acc / divisor : 0.0f;
        }
      }
}

void global_pool_f32_simd(PoolKind kind, const Shape4& s, const float* input, float* output) {
  const size_t c_all = size_t(s.c), pixels = size_t(s.h) * size_t(s.w);
  const bool is_max = kind == PoolKind::max;
  for (int n = 0; n < s.n; ++n) {
    const float* img = input + size_t(n) * pixels * c_all;
    float* out = output + size_t(n) * c_all;
    // The output row is the accumulator: pixels stream through once, in the
    // reference's order, so sums match it bit for bit.
    std::memcpy(out, img, c_all * sizeof(float));
    for (size_t p = 1; p < pixels; ++p) {
      const float* px = img + p * c_all;
      size_t c = 0;
      for (; c + 4 <= c_all; c += 4) {
        const v128_t a = F32x4::load(out + c), v = F32x4::load(px + c);
        F32x4::store(out + c, is_max ? F32x4::max(a, v) : F32x4::add(a, v));
      }
      for (; c < c_all; ++c) out[c] = is_max ? F32x1::max(out[c], px[c]) : out[c] + px[c];
    }
    if (!is_max) {
      const float count = float(pixels);
      for (size_t c = 0; c < c_all; ++c) out[c] /= count;
    }
  }
}

void upsample_nearest_f32(const Shape4& s, int out_h, int out_w, const float* input, float* output) {
  // Pure data movement: memcpy is already the widest copy the target has.
  // Output rows from the same source row are copies of the first one.
  const size_t c_all = size_t(s.c), row = size_t(out_w) * c_all;
  for (int n = 0; n < s.n; ++n) {
    const float* img = input + size_t(n) * size_t(s.h) * size_t(s.w) * c_all;
    float* out_img = output + size_t(n) * size_t(out_h) * row;
    for (int oy = 0; oy < out_h; ++oy) {
      const int iy = int(int64_t(oy) * s.h / out_h);
      float* out = out_img + size_t(oy) * row;
      if (oy > 0 && int(int64_t(oy - 1) * s.h / out_h) == iy) {
        std::memcpy(out, out - row, row * sizeof(float));
        continue;
      }
      for (int ox = 0; ox < out_w; ++ox) {
        const int ix = int(int64_t(ox) * s.w / out_w);
        std::memcpy(out + size_t(ox) * c_all, img + (size_t(iy) * size_t(s.w) + size_t(ix)) * c_all, c_all * sizeof(float));
      }
    }
  }
}

}  // namespace convscope::kernels
