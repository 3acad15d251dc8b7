#include "convscope/kernels/reference.hpp"

#include <algorithm>
#include <limits>

namespace convscope::kernels {

namespace {

size_t at(const Shape4& s, int n, int y, int x, int c) {
  return ((size_t(n) * size_t(s.h) + size_t(y)) * size_t(s.w) + size_t(x)) * size_t(s.c) + size_t(c);
}

bool inside(int v, int size) { return v >= 0 && v < size; }

// out[n, oy, ox, f] = bias[f] + sum over taps and the group's channels.
void forward_conv(const ConvDesc& d, const float* in, const float* w, const float* bias, float* out) {
  const Shape4 os = output_shape(d);
  const int cg = group_in_channels(d), fg = group_out_channels(d), f_all = os.c;
  for (int n = 0; n < os.n; ++n)
    for (int oy = 0; oy < os.h; ++oy)
      for (int ox = 0; ox < os.w; ++ox)
        for (int f = 0; f < f_all; ++f) {
          const int g = f / fg;
          float acc = bias ? bias[f] : 0.0f;
          for (int ky = 0; ky < d.kernel_h; ++ky) {
            const int iy = oy * d.stride_h - d.pad_top + ky * d.dilation_h;
            if (!inside(iy, d.input.h)) continue;
            for (int kx = 0; kx < d.kernel_w; ++kx) {
              const int ix = ox * d.stride_w - d.pad_left + kx * d.dilation_w;
              if (!inside(ix, d.input.w)) continue;
              for (int ci = 0; ci < cg; ++ci) {
                const size_t wi = (size_t(ky * d.kernel_w + kx) * size_t(cg) + size_t(ci)) * size_t(f_all) + size_t(f);
                acc += in[at(d.input, n, iy, ix, g * cg + ci)] * w[wi];
              }
            }
          }
          out[at(os, n, oy, ox, f)] = d.relu ? std::max(acc, 0.0f) : acc;
        }
}

// Scatter form, the definition of a transposed conv: each input cell adds
// its weighted kernel into the output at oy = iy * stride - pad + ky * dilation.
// Deliberately unlike the SIMD kernel's gather form, so the test compares two
// independent derivations.
void transposed_conv(const ConvDesc& d, const float* in, const float* w, const float* bias, float* out) {
  const Shape4 os = output_shape(d);
  const int cg = group_in_channels(d), fg = group_out_channels(d), f_all = os.c;
  for (int n = 0; n < os.n; ++n)
    for (int y = 0; y < os.h; ++y)
      for (int x = 0; x < os.w; ++x)
        for (int f = 0; f < f_all; ++f) out[at(os, n, y, x, f)] = bias ? bias[f] : 0.0f;
  for (int n = 0; n < d.input.n; ++n)
    for (int iy = 0; iy < d.input.h; ++iy)
      for (int ix = 0; ix < d.input.w; ++ix)
        for (int c = 0; c < d.input.c; ++c) {
          const int g = c / cg, ci = c % cg;
          const float v = in[at(d.input, n, iy, ix, c)];
          for (int ky = 0; ky < d.kernel_h; ++ky) {
            const int oy = iy * d.stride_h - d.pad_top + ky * d.dilation_h;
            if (!inside(oy, os.h)) continue;
            for (int kx = 0; kx < d.kernel_w; ++kx) {
              const int ox = ix * d.stride_w - d.pad_left + kx * d.dilation_w;
              if (!inside(ox, os.w)) continue;
              for (int fo = 0; fo < fg; ++fo) {
                const int f = g * fg + fo;
                const size_t wi = (size_t(ky * d.kernel_w + kx) * size_t(cg) + size_t(ci)) * size_t(f_all) + size_t(f);
                out[at(os, n, oy, ox, f)] += v * w[wi];
              }
            }
          }
        }
  if (d.relu) {
    const size_t total = os.elements();
    for (size_t i = 0; i < total; ++i) out[i] = std::max(out[i], 0.0f);
  }
}

}  // namespace

void conv_reference(const ConvDesc& desc, const float* input, const float* weights, const float* bias,
                    float* output) {
  if (desc.kind == ConvKind::transposed) {
    transposed_conv(desc, input, weights, bias, output);
  } else {
    forward_conv(desc, input, weights, bias, output);
  }
}

void pool_reference(const PoolDesc& d, const float* in, float* out) {
  const Shape4 os = output_shape(d);
  const bool is_max = d.kind == PoolKind::max;
  for (int n = 0; n < os.n; ++n)
    for (int oy = 0; oy < os.h; ++oy)
      for (int ox = 0; ox < os.w; ++ox)
        for (int c = 0; c < os.c; ++c) {
          const int y0 = oy * d.stride_h - d.pad_top, x0 = ox * d.stride_w - d.pad_left;
          float acc = is_max ? -std::numeric_limits<float>::infinity() : 0.0f;
          int count = 0;
          for (int ky = 0; ky < d.kernel_h; ++ky) {
            const int iy = y0 + ky * d.dilation_h;
            if (!inside(iy, d.input.h)) continue;
            for (int kx = 0; kx < d.kernel_w; ++kx) {
              const int ix = x0 + kx * d.dilation_w;
              if (!inside(ix, d.input.w)) continue;
              const float v = in[at(d.input, n, iy, ix, c)];
              acc = is_max ? std::max(acc, v) : acc + v;
              ++count;
            }
          }
          if (!is_max) {
            // PyTorch's avg_pool2d: with count_include_pad the window is
            // clipped to the padded input (ceil mode's overhang never counts).
            const int y1 = std::min(y0 + d.kernel_h, d.input.h + d.pad_bottom);
            const int x1 = std::min(x0 + d.kernel_w, d.input.w + d.pad_right);
            const int divisor = d.count_include_pad ? (y1 - y0) * (x1 - x0) : count;
            acc = divisor > 0 ? acc / float(divisor) : 0.0f;
          }
          out[at(os, n, oy, ox, c)] = acc;
        }
}

void global_pool_reference(PoolKind kind, const Shape4& s, const float* in, float* out) {
  for (int n = 0; n < s.n; ++n)
    for (int c = 0; c < s.c; ++c) {
      float acc = kind == PoolKind::max ? -std::numeric_limits<float>::infinity() : 0.0f;
      for (int y = 0; y < s.h; ++y)
        for (int x = 0; x < s.w; ++x) {
          const float v = in[at(s, n, y, x, c)];
          acc = kind == PoolKind::max ? std::max(acc, v) : acc + v;
        }
      out[size_t(n) * size_t(s.c) + size_t(c)] = kind == PoolKind::max ? acc : acc / float(s.h * s.w);
    }
}

void upsample_nearest_reference(const Shape4& s, int out_h, int out_w, const float* in, float* out) {
  const Shape4 os{s.n, out_h, out_w, s.c};
  for (int n = 0; n < s.n; ++n)
    for (int oy = 0; oy < out_h; ++oy)
      for (int ox = 0; ox < out_w; ++ox)
        for (int c = 0; c < s.c; ++c) {
          const int iy = int(int64_t(oy) * s.h / out_h), ix = int(int64_t(ox) * s.w / out_w);
          out[at(os, n, oy, ox, c)] = in[at(s, n, iy, ix, c)];
        }
}

}  // namespace convscope::kernels
