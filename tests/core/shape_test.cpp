// The per-axis formulas of shape.hpp against values worked out by hand from
// each framework's documentation and source. Every expected number below is
// computed in the comment next to it, never copied from the engine.
#include "convscope/shape.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "convscope/checked.hpp"

using convscope::shape::Pads;
using convscope::shape::Rule;
using convscope::shape::TransposedAxis;
using convscope::shape::Window;
namespace shape = convscope::shape;
namespace checked = convscope::checked;

namespace {

// PyTorch nn.Conv2d docs:
//   H_out = floor((H_in + 2*padding - dilation*(kernel_size - 1) - 1) / stride + 1)
int64_t torch_conv(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d) {
  return shape::window_size({in, shape::effective_kernel(k, d), s, {p, p}, false}).out;
}

}  // namespace

TEST_CASE("the effective kernel of a dilated kernel is dilation * (k - 1) + 1") {
  CHECK(shape::effective_kernel(3, 1) == 3);
  CHECK(shape::effective_kernel(3, 3) == 7);   // 3 * 2 + 1
  CHECK(shape::effective_kernel(1, 9) == 1);   // a 1-wide kernel never spreads
  CHECK(shape::effective_kernel(4, 2) == 7);   // 2 * 3 + 1
}

TEST_CASE("PyTorch Conv2d output sizes follow the documented floor formula") {
  struct Row { int64_t in, k, s, p, d, out; };
  const Row rows[] = {
      {32, 5, 1, 0, 1, 28},    // (32 - 4 - 1) / 1 + 1 = 28  (LeNet conv1)
      {224, 7, 2, 3, 1, 112},  // floor((224 + 6 - 6 - 1) / 2 + 1) = floor(112.5) = 112 (ResNet conv1)
      {224, 3, 1, 1, 1, 224},  // (224 + 2 - 2 - 1) + 1 = 224 (VGG)
      {10, 3, 5, 0, 1, 2},     // floor((10 - 2 - 1) / 5 + 1) = floor(2.4) = 2
      {8, 3, 1, 0, 3, 2},      // floor((8 - 3*2 - 1) / 1 + 1) = 2
      {5, 3, 2, 1, 2, 2},      // floor((5 + 2 - 4 - 1) / 2 + 1) = 2
      {7, 3, 2, 1, 1, 4},      // floor((7 + 2 - 2 - 1) / 2 + 1) = 4
      {6, 3, 2, 0, 1, 2},      // floor((6 - 2 - 1) / 2 + 1) = floor(2.5) = 2
      {1, 1, 1, 0, 1, 1},      // a 1x1 conv on a 1x1 map
      {4, 5, 1, 0, 1, 0},      // floor((4 - 4 - 1) / 1 + 1) = 0: no output
      {4, 5, 1, 1, 1, 2},      // floor((4 + 2 - 4 - 1) / 1 + 1) = 2
  };
  for (const Row& r : rows) {
    CAPTURE(r.in); CAPTURE(r.k); CAPTURE(r.s); CAPTURE(r.p); CAPTURE(r.d);
    CHECK(torch_conv(r.in, r.k, r.s, r.p, r.d) == r.out);
  }
}

TEST_CASE("PyTorch padding='same' puts total/2 on the left and the rest on the right") {
  // torch/nn/modules/conv.py: total_padding = d * (k - 1); left_pad = total_padding // 2.
  SUBCASE("odd kernel: symmetric") { CHECK(shape::same_pads_pytorch(3) == Pads{1, 1}); }
  SUBCASE("even kernel 4: total 3, left 1, right 2") {
    CHECK(shape::same_pads_pytorch(4) == Pads{1, 2});
    // and the output keeps the input size at stride 1: (5 + 1 + 2 - 4) / 1 + 1 = 5
    CHECK(shape::window_size({5, 4, 1, shape::same_pads_pytorch(4), false}).out == 5);
  }
  SUBCASE("even kernel 2: total 1, left 0, right 1") { CHECK(shape::same_pads_pytorch(2) == Pads{0, 1}); }
  SUBCASE("dilated: k 4, d 2 -> total 6, 3 and 3") {
    CHECK(shape::same_pads_pytorch(shape::effective_kernel(4, 2)) == Pads{3, 3});
  }
}

TEST_CASE("PyTorch pooling ceil_mode rounds up but drops a last window that starts in the right padding") {
  // aten/src/ATen/native/Pool.h pooling_output_shape_pad_lr:
  //   out = div_rtn(in + pl + pr - k_eff + (ceil ? s - 1 : 0), s) + 1
  //   if (ceil && (out - 1) * s >= in + pl) --out;
  struct Row { int64_t in, k, s, p; bool ceil; int64_t out; bool dropped; };
  const Row rows[] = {
      {5, 2, 2, 0, false, 2, false},  // (5 - 2) / 2 + 1 = 2
      {5, 2, 2, 0, true, 3, false},   // (5 - 2 + 1) / 2 + 1 = 3; last start 4 < 5
      {4, 2, 2, 1, true, 3, false},   // (6 - 2 + 1) / 2 + 1 = 3; last start 4 < 4 + 1: kept, so 3, not 4
      {4, 2, 2, 1, false, 3, false},  // (6 - 2) / 2 + 1 = 3
      {3, 2, 2, 1, true, 2, true},    // (5 - 2 + 1) / 2 + 1 = 3; last start 4 >= 3 + 1: dropped -> 2
      {4, 2, 3, 1, true, 2, true},    // (6 - 2 + 2) / 3 + 1 = 3; last start 6 >= 4 + 1: dropped -> 2
      {4, 2, 3, 1, false, 2, false},  // (6 - 2) / 3 + 1 = 2
      {13, 2, 2, 0, true, 7, false},  // (13 - 2 + 1) / 2 + 1 = 7; last start 12 < 13
      {13, 2, 2, 0, false, 6, false}, // (13 - 2) / 2 + 1 = 6
      {112, 3, 2, 1, false, 56, false},  // ResNet maxpool: (114 - 3) / 2 + 1 = 56
      {1, 2, 2, 0, false, 0, false},  // (1 - 2) floor 2 = -1, + 1 = 0: "Output size is too small"
  };
  for (const Row& r : rows) {
    CAPTURE(r.in); CAPTURE(r.k); CAPTURE(r.s); CAPTURE(r.p); CAPTURE(r.ceil);
    const auto w = shape::window_size({r.in, r.k, r.s, {r.p, r.p}, r.ceil});
    CHECK(w.out == r.out);
    CHECK(w.last_window_dropped == r.dropped);
  }
}

TEST_CASE("the ceil_mode formula text explains a dropped last window") {
  const auto w = shape::window_size({3, 2, 2, {1, 1}, true});
  const std::string text = shape::formula_text(w);
  CHECK(text.find("ceil((3 + 1 + 1 - 2) / 2) + 1 = 3") != std::string::npos);
  CHECK(text.find("dropped: 2") != std::string::npos);
}

TEST_CASE("PyTorch ConvTranspose2d follows the documented output formula") {
  // nn.ConvTranspose2d docs: H_out = (H_in - 1) * stride - 2 * padding
  //                                  + dilation * (kernel_size - 1) + output_padding + 1
  struct Row { int64_t in, k, s, p, d, op, out; };
  const Row rows[] = {
      {4, 3, 2, 1, 1, 1, 8},    // 3*2 - 2 + 2 + 1 + 1 = 8 (doubles the map)
      {4, 3, 2, 1, 1, 0, 7},    // 6 - 2 + 2 + 0 + 1 = 7
      {7, 4, 2, 1, 1, 0, 14},   // 12 - 2 + 3 + 0 + 1 = 14 (DCGAN upsampling)
      {1, 4, 1, 0, 1, 0, 4},    // 0 - 0 + 3 + 0 + 1 = 4 (DCGAN first layer)
      {5, 3, 1, 0, 2, 1, 10},   // 4 - 0 + 4 + 1 + 1 = 10 (op 1 < dilation 2 is allowed)
      {3, 3, 1, 2, 1, 0, 1},    // 2 - 4 + 2 + 0 + 1 = 1
      {3, 3, 1, 3, 1, 0, -1},   // 2 - 6 + 2 + 0 + 1 = -1: too small
  };
  for (const Row& r : rows) {
    CAPTURE(r.in); CAPTURE(r.k); CAPTURE(r.s); CAPTURE(r.p); CAPTURE(r.d); CAPTURE(r.op);
    const auto w = shape::transposed_size({r.in, shape::effective_kernel(r.k, r.d), r.s, {r.p, r.p}, r.op});
    CHECK(w.out == r.out);
  }
}

TEST_CASE("TensorFlow SAME outputs ceil(in / stride) and splits padding with the extra cell at the end") {
  // tensorflow/core/framework/kernel_shape_util.cc GetWindowedOutputSizeVerbose:
  //   out = (in + s - 1) / s; needed = max(0, (out - 1) * s + k_eff - in);
  //   before = needed / 2; after = needed - before.
  struct Row { int64_t in, k, s, out, before, after; };
  const Row rows[] = {
      {5, 2, 2, 3, 0, 1},       // out 3; needed (2*2 + 2 - 5) = 1 -> 0 / 1
      {4, 3, 2, 2, 0, 1},       // out 2; needed (1*2 + 3 - 4) = 1 -> 0 / 1
      {7, 3, 1, 7, 1, 1},       // needed 6 + 3 - 7 = 2 -> 1 / 1
      {10, 4, 1, 10, 1, 2},     // needed 9 + 4 - 10 = 3 -> 1 / 2
      {224, 7, 2, 112, 2, 3},   // needed 111*2 + 7 - 224 = 5 -> 2 / 3
      {4, 5, 1, 4, 2, 2},       // needed 3 + 5 - 4 = 4 -> 2 / 2 (the conv2d_3 'same' fix)
      {6, 1, 2, 3, 0, 0},       // needed 4 + 1 - 6 = -1 -> 0
      {1, 5, 3, 1, 2, 2},       // needed 0 + 5 - 1 = 4 -> 2 / 2
  };
  for (const Row& r : rows) {
    CAPTURE(r.in); CAPTURE(r.k); CAPTURE(r.s);
    CHECK(shape::same_output(r.in, r.s) == r.out);
    CHECK(shape::same_pads_upper(r.in, r.k, r.s) == Pads{r.before, r.after});
    CHECK(shape::same_size(r.in, r.k, r.s, shape::same_pads_upper(r.in, r.k, r.s)).out == r.out);
  }
}

TEST_CASE("TensorFlow VALID and EXPLICIT output (in + pads - k_eff + s) / s") {
  // kernel_shape_util.cc: VALID (in - k_eff + s) / s; EXPLICIT (in + pb + pa - k_eff + s) / s.
  struct Row { int64_t in, k, s, pb, pa, out; };
  const Row rows[] = {
      {13, 2, 2, 0, 0, 6},   // (13 - 2 + 2) / 2 = 6
      {30, 2, 2, 0, 0, 15},  // (30 - 2 + 2) / 2 = 15
      {6, 3, 1, 0, 0, 4},    // (6 - 3 + 1) / 1 = 4
      {4, 5, 1, 0, 0, 0},    // (4 - 5 + 1) / 1 = 0: graph mode rejects (in < k_eff)
      {4, 5, 1, 1, 0, 1},    // (4 + 1 - 5 + 1) / 1 = 1
      {10, 3, 5, 0, 0, 2},   // (10 - 3 + 5) / 5 = 2
      {7, 3, 3, 1, 2, 3},    // (7 + 3 - 3 + 3) / 3 = 3
  };
  for (const Row& r : rows) {
    CAPTURE(r.in); CAPTURE(r.k); CAPTURE(r.s); CAPTURE(r.pb); CAPTURE(r.pa);
    const auto w = shape::tensorflow_window_size({r.in, r.k, r.s, {r.pb, r.pa}, false});
    CHECK(w.out_truncated == r.out);
    CHECK(w.rule == Rule::tensorflow_window);
  }
}

TEST_CASE("ONNX SAME_UPPER puts the extra padding at the end, SAME_LOWER at the beginning") {
  // onnx/defs/nn/defs.cc: total = (out - 1) * s + k_eff - in with out = ceil(in / s);
  // SAME_UPPER: begin = total / 2; SAME_LOWER: begin = total - total / 2.
  SUBCASE("in 5, k 2, s 2: total 1") {
    CHECK(shape::same_pads_upper(5, 2, 2) == Pads{0, 1});
    CHECK(shape::same_pads_lower(5, 2, 2) == Pads{1, 0});
  }
  SUBCASE("in 10, k 4, s 1: total 3") {
    CHECK(shape::same_pads_upper(10, 4, 1) == Pads{1, 2});
    CHECK(shape::same_pads_lower(10, 4, 1) == Pads{2, 1});
  }
  SUBCASE("in 7, k 3 (dilation 2 -> k_eff 5), s 1: total 4, symmetric either way") {
    const int64_t k_eff = shape::effective_kernel(3, 2);
    CHECK(shape::same_pads_upper(7, k_eff, 1) == Pads{2, 2});
    CHECK(shape::same_pads_lower(7, k_eff, 1) == Pads{2, 2});
  }
}

TEST_CASE("ONNX ceil_mode and dilations on MaxPool use the same window rule") {
  // ONNX MaxPool: out = ceil((in + pb + pe - ((k - 1) * d + 1)) / s + 1) in ceil mode,
  // floor otherwise, last window dropped when (out - 1) * s >= in + pb (onnx PR 5741).
  SUBCASE("in 7, k 3, d 2, s 1: k_eff 5, out 3") {
    CHECK(shape::window_size({7, shape::effective_kernel(3, 2), 1, {}, false}).out == 3);
  }
  SUBCASE("in 6, k 3, d 2, s 2, pads 1/1: floor 2, ceil 3") {
    const int64_t k_eff = shape::effective_kernel(3, 2);  // 5
    CHECK(shape::window_size({6, k_eff, 2, {1, 1}, false}).out == 2);  // (8 - 5) / 2 + 1 = 2
    CHECK(shape::window_size({6, k_eff, 2, {1, 1}, true}).out == 3);   // (8 - 5 + 1) / 2 + 1 = 3; start 4 < 7
  }
  SUBCASE("in 5, k 2, s 2, ceil: 3") { CHECK(shape::window_size({5, 2, 2, {}, true}).out == 3); }
}

TEST_CASE("ONNX ConvTranspose with pads, output_padding and SAME") {
  // onnx/defs/nn/defs.cc ConvTranspose: out = s * (in - 1) + output_padding + k_eff - pb - pe;
  // with auto_pad SAME_*: out = in * s, total_padding = s * (in - 1) + op + k_eff - out.
  CHECK(shape::transposed_size({4, 3, 2, {1, 1}, 1}).out == 8);   // 2*3 + 1 + 3 - 2 = 8
  CHECK(shape::transposed_size({4, 3, 2, {0, 1}, 0}).out == 8);   // 6 + 0 + 3 - 1 = 8
  CHECK(shape::onnx_transposed_same_total_pad(4, 3, 2, 0) == 1);  // 6 + 0 + 3 - 8 = 1
  CHECK(shape::onnx_transposed_same_total_pad(4, 3, 2, 1) == 2);  // 6 + 1 + 3 - 8 = 2
  CHECK(shape::onnx_transposed_same_total_pad(4, 1, 2, 0) == -1); // 6 + 0 + 1 - 8 = -1 (ORT clamps)
}

TEST_CASE("Keras Conv2DTranspose output length, with and without output_padding") {
  // keras deconv_output_length / Keras 3 _get_output_shape_given_tf_padding, k_eff = (k - 1) * d + 1:
  //   no output_padding: valid in * s + max(k_eff - s, 0); same in * s
  //   output_padding op: (in - 1) * s + k_eff - 2 * pad + op, pad = k_eff // 2 (same) or 0 (valid)
  struct Row { int64_t in, k_eff, s; bool same; int64_t op; bool has_op; int64_t out; };
  const Row rows[] = {
      {4, 3, 2, false, 0, false, 9},   // 8 + max(1, 0) = 9
      {4, 2, 3, false, 0, false, 12},  // 12 + max(-1, 0) = 12
      {4, 3, 2, true, 0, false, 8},    // 4 * 2 = 8
      {4, 3, 2, false, 1, true, 10},   // 3*2 + 3 - 0 + 1 = 10
      {4, 3, 2, false, 0, true, 9},    // 3*2 + 3 - 0 + 0 = 9
      {4, 3, 2, true, 1, true, 8},     // 3*2 + 3 - 2 + 1 = 8
      {4, 4, 2, true, 1, true, 7},     // 3*2 + 4 - 4 + 1 = 7
      {4, 5, 1, true, 0, true, 4},     // 3*1 + 5 - 4 + 0 = 4
      {1, 5, 1, false, 0, false, 5},   // 1 + max(4, 0) = 5
  };
  for (const Row& r : rows) {
    CAPTURE(r.in); CAPTURE(r.k_eff); CAPTURE(r.s); CAPTURE(r.same); CAPTURE(r.op); CAPTURE(r.has_op);
    const auto w = shape::keras_transposed_size(r.in, r.k_eff, r.s, r.same, r.has_op ? &r.op : nullptr);
    CHECK(w.out == r.out);
  }
}

TEST_CASE("zero padding, cropping and upsampling along one axis") {
  CHECK(shape::zero_pad_size(28, {2, 2}).out == 32);
  CHECK(shape::crop_size(32, {1, 3}).out == 28);
  CHECK(shape::crop_size(4, {2, 2}).out == 0);
  CHECK(shape::upsample_size(7, 3).out == 21);
}

TEST_CASE("floor division is not C++ truncation: (4 - 5) / 2 + 1 is 0, not a valid 1") {
  // PyTorch div_rtn floors: floor(-1 / 2) + 1 = -1 + 1 = 0 -> no output.
  // Plain C++ '/' would give 0 + 1 = 1, a silently "valid" size.
  const auto w = shape::window_size({4, 5, 2, {}, false});
  CHECK(w.out == 0);
  CHECK(w.out_truncated == 1);  // what ONNX Runtime's truncating division computes
  CHECK(torch_conv(4, 5, 2, 0, 1) == 0);
  CHECK(shape::formula_text(w) == "floor((4 - 5) / 2) + 1 = 0");

  SUBCASE("checked::floor_div rounds toward negative infinity") {
    CHECK(checked::floor_div(-1, 2) == -1);
    CHECK(checked::floor_div(-4, 2) == -2);
    CHECK(checked::floor_div(-5, 2) == -3);
    CHECK(checked::floor_div(5, 2) == 2);
    CHECK(checked::trunc_div(-5, 2) == -2);
    CHECK(checked::ceil_div(5, 2) == 3);
    CHECK(checked::ceil_div(4, 2) == 2);
  }
}

TEST_CASE("TensorFlow's truncating division differs from floor when the numerator is below -stride") {
  // kernel_shape_util.cc VALID: (in - k_eff + s) / s in C++ (truncation).
  SUBCASE("in 1, k 6, s 2: TF -3 / 2 = -1, floor rule floor(-5 / 2) + 1 = -2") {
    const auto w = shape::tensorflow_window_size({1, 6, 2, {}, false});
    CHECK(w.out_truncated == -1);
    CHECK(w.out == -2);
  }
  SUBCASE("in 1, k 9, s 3: TF (1 - 9 + 3) / 3 = -5 / 3 = -1, floor(-8 / 3) + 1 = -2") {
    const auto w = shape::tensorflow_window_size({1, 9, 3, {}, false});
    CHECK(w.out_truncated == -1);
    CHECK(w.out == -2);
  }
  SUBCASE("numerator within [-stride, 0): both agree") {
    const auto w = shape::tensorflow_window_size({4, 5, 2, {}, false});  // (4 - 5 + 2) / 2 = 0
    CHECK(w.out_truncated == 0);
    CHECK(w.out == 0);
  }
  SUBCASE("the formula text shows TF's own spelling") {
    CHECK(shape::formula_text(shape::tensorflow_window_size({4, 5, 1, {}, false})) == "(4 - 5 + 1) / 1 = 0");
  }
}

TEST_CASE("leftover counts the cells no window reaches") {
  // (13 - 2) % 2 = 1: TF and PyTorch silently drop the last row of a 13-row map.
  CHECK(shape::window_size({13, 2, 2, {}, false}).leftover == 1);
  CHECK(shape::window_size({12, 2, 2, {}, false}).leftover == 0);
  CHECK(shape::window_size({10, 3, 5, {}, false}).leftover == 2);  // (10 - 3) % 5 = 2
}

TEST_CASE("closed_form_min_input gives the smallest input reaching the needed output") {
  SUBCASE("floor rule: (need - 1) * s + k_eff - pads") {
    const auto probe = shape::window_size({1, 5, 2, {1, 1}, false});
    // need 3: 2*2 + 5 - 2 = 7; check: (7 + 2 - 5) / 2 + 1 = 3, and 6 gives (3) / 2 + 1 = 2
    CHECK(shape::closed_form_min_input(probe, 3) == 7);
    CHECK(shape::window_size({7, 5, 2, {1, 1}, false}).out == 3);
    CHECK(shape::window_size({6, 5, 2, {1, 1}, false}).out == 2);
  }
  SUBCASE("same rule: (need - 1) * s + 1") {
    const auto probe = shape::same_size(1, 3, 2, {});
    CHECK(shape::closed_form_min_input(probe, 4) == 7);  // ceil(7 / 2) = 4, ceil(6 / 2) = 3
  }
  SUBCASE("ceil mode and transposed have no closed form") {
    CHECK_FALSE(shape::closed_form_min_input(shape::window_size({5, 2, 2, {}, true}), 2).has_value());
    CHECK_FALSE(shape::closed_form_min_input(shape::transposed_size({4, 3, 2, {}, 0}), 2).has_value());
  }
}

TEST_CASE("size arithmetic that leaves int64 saturates and raises the overflow flag instead of wrapping") {
  const int64_t max = std::numeric_limits<int64_t>::max();
  const int64_t big = max / 2 + 1;  // 2^62
  checked::clear_overflow();
  CHECK(checked::mul(2147483647, 2147483647) == 4611686014132420609LL);  // (2^31 - 1)^2 fits
  CHECK_FALSE(checked::overflowed());

  SUBCASE("multiplication") {
    CHECK(checked::mul(big, 2) == max);
    CHECK(checked::overflowed());
    CHECK(checked::overflow_what() == "4611686018427387904 * 2");
    CHECK(checked::mul(big, -2) == std::numeric_limits<int64_t>::min());
  }
  SUBCASE("addition and subtraction") {
    CHECK(checked::add(max, 1) == max);
    CHECK(checked::overflowed());
    checked::clear_overflow();
    CHECK(checked::sub(std::numeric_limits<int64_t>::min(), 1) == std::numeric_limits<int64_t>::min());
    CHECK(checked::overflowed());
  }
  SUBCASE("the first overflow is the one remembered") {
    checked::mul(big, 4);
    checked::add(max, 5);
    CHECK(checked::overflow_what() == "4611686018427387904 * 4");
  }
  SUBCASE("shape formulas raise the flag too") {
    shape::effective_kernel(big, 4);
    CHECK(checked::overflowed());
    checked::clear_overflow();
    shape::upsample_size(big, 2);
    CHECK(checked::overflowed());
    checked::clear_overflow();
    shape::transposed_size({big, 3, 4, {}, 0});
    CHECK(checked::overflowed());
  }
  checked::clear_overflow();
}

TEST_CASE("ceil_div is exact for negative numerators and at the int64 limits") {
  CHECK(checked::ceil_div(-5, 2) == -2);  // ceil(-2.5)
  CHECK(checked::ceil_div(-4, 2) == -2);
  CHECK(checked::ceil_div(std::numeric_limits<int64_t>::min(), 2) == std::numeric_limits<int64_t>::min() / 2);
  CHECK(checked::ceil_div(std::numeric_limits<int64_t>::max(), 1) == std::numeric_limits<int64_t>::max());
}
