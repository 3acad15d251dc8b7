// The f32 kernels: the scalar reference against cases worked out by hand,
// then every SIMD kernel against the reference on a sweep of awkward shapes
// (sizes 1..17, channel counts off multiples of 4 and 8, every padding mode,
// strides and dilations 1..3, groups, depth multipliers). Natively the SIMD
// code runs through SIMDe; tests/wasm/kernels.test.mjs runs the same source
// as WebAssembly.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <ostream>
#include <string>
#include <vector>

#include "convscope/kernels/conv_op.hpp"
#include "convscope/kernels/conv_op_host.hpp"
#include "convscope/kernels/conv_options.hpp"
#include "convscope/kernels/desc.hpp"
#include "convscope/kernels/reference.hpp"
#include "convscope/kernels/simd.hpp"
#include "convscope/kernels/threads.hpp"
#include "convscope/shape.hpp"

namespace convscope::kernels {
// doctest prints both sides of a failed CHECK with this.
std::ostream& operator<<(std::ostream& os, const Shape4& s) {
  return os << "[" << s.n << ", " << s.h << ", " << s.w << ", " << s.c << "]";
}
}  // namespace convscope::kernels

namespace k = convscope::kernels;
using k::ConvDesc;
using k::ConvKind;
using k::PoolDesc;
using k::PoolKind;
using k::Shape4;

namespace {

// A small deterministic generator (the same numbers with every compiler,
// unlike std::uniform_real_distribution).
struct Lcg {
  uint64_t state;
  float next() {  // in [-1, 1)
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return float(state >> 40) / float(1 << 23) - 1.0f;
  }
  int below(int n) { return int((next() + 1.0f) * 0.5f * float(n)) % n; }
};

std::vector<float> random_values(size_t n, float scale, Lcg& rng) {
  std::vector<float> v(n);
  for (float& x : v) x = rng.next() * scale;
  return v;
}

// max |simd - ref| / max(1, max |ref|): the error relative to the output's
// magnitude, so sums that cancel to near zero are not judged on their own.
double relative_error(const std::vector<float>& got, const std::vector<float>& want) {
  double err = 0, scale = 1;
  for (size_t i = 0; i < want.size(); ++i) {
    err = std::max(err, double(std::fabs(got[i] - want[i])));
    scale = std::max(scale, double(std::fabs(want[i])));
  }
  return err / scale;
}

std::string describe(const ConvDesc& d) {
  using std::to_string;
  const char* kind = d.kind == ConvKind::conv ? "conv" : d.kind == ConvKind::depthwise ? "depthwise" : "transposed";
  return std::string(kind) + " in [" + to_string(d.input.n) + "," + to_string(d.input.h) + "," +
         to_string(d.input.w) + "," + to_string(d.input.c) + "] filters " + to_string(d.filters) + " k " +
         to_string(d.kernel_h) + "x" + to_string(d.kernel_w) + " s " + to_string(d.stride_h) + "," +
         to_string(d.stride_w) + " d " + to_string(d.dilation_h) + "," + to_string(d.dilation_w) + " pad " +
         to_string(d.pad_top) + "," + to_string(d.pad_bottom) + "," + to_string(d.pad_left) + "," +
         to_string(d.pad_right) + " g " + to_string(d.groups) + " m " + to_string(d.depth_multiplier) +
         (d.relu ? " relu" : "");
}

// Builds the op with random weights (scaled by 1 / sqrt(fan-in) so outputs
// stay near 1 and rounding is judged fairly) and compares run() with
// run_reference(). Descriptions with no output are skipped: returns false.
bool check_against_reference(const ConvDesc& d, uint64_t seed, bool with_bias = true) {
  if (!k::validate(d).empty()) return false;
  Lcg rng{seed};
  const float fan_in = float(d.kernel_h * d.kernel_w * k::group_in_channels(d));
  const std::vector<float> weights = random_values(k::weights_len(d), 1.0f / std::sqrt(fan_in), rng);
  const std::vector<float> bias = random_values(size_t(k::out_channels(d)), 0.5f, rng);
  const std::vector<float> input = random_values(d.input.elements(), 1.0f, rng);
  k::ConvOp op;
  const std::string error = op.create(d, weights.data(), weights.size(), with_bias ? bias.data() : nullptr,
                                      with_bias ? bias.size() : 0);
  INFO(describe(d));
  REQUIRE(error == "");
  std::vector<float> got(op.output_shape().elements(), -7.0f), want(got.size(), 7.0f);
  op.run(input.data(), got.data());
  op.run_reference(input.data(), want.data());
  CHECK(relative_error(got, want) <= 1e-5);
  return true;
}

ConvDesc conv(Shape4 in, int filters, int kh, int kw) {
  ConvDesc d;
  d.input = in;
  d.filters = filters;
  d.kernel_h = kh;
  d.kernel_w = kw;
  return d;
}

// The three padding modes of the sweep: VALID, TF/ONNX SAME_UPPER (the odd
// cell at the end, asymmetric), and explicit uneven pads larger than SAME's.
enum class Padding { valid, same, explicit_pads };
constexpr Padding all_paddings[] = {Padding::valid, Padding::same, Padding::explicit_pads};

void set_padding(ConvDesc& d, Padding p) {
  d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 0;
  if (p == Padding::same) {
    namespace shape = convscope::shape;
    const shape::Pads h = shape::same_pads_upper(d.input.h, shape::effective_kernel(d.kernel_h, d.dilation_h), d.stride_h);
    const shape::Pads w = shape::same_pads_upper(d.input.w, shape::effective_kernel(d.kernel_w, d.dilation_w), d.stride_w);
    d.pad_top = int(h.begin);
    d.pad_bottom = int(h.end);
    d.pad_left = int(w.begin);
    d.pad_right = int(w.end);
  } else if (p == Padding::explicit_pads) {
    d.pad_top = 2;
    d.pad_bottom = 1;
    d.pad_left = 0;
    d.pad_right = 3;
  }
}

constexpr int odd_channels[] = {1, 2, 3, 5, 7, 9, 12, 13, 17};

}  // namespace

// ---- the reference, by hand ------------------------------------------------

TEST_CASE("a 3x3 kernel with only its centre set copies the input under same padding") {
  ConvDesc d = conv({1, 4, 5, 2}, 2, 3, 3);
  d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 1;
  std::vector<float> w(k::weights_len(d), 0.0f);
  // HWIO: w[((ky * 3 + kx) * 2 + ci) * 2 + f]; centre tap (1, 1), ci == f.
  w[((1 * 3 + 1) * 2 + 0) * 2 + 0] = 1.0f;
  w[((1 * 3 + 1) * 2 + 1) * 2 + 1] = 1.0f;
  std::vector<float> in(d.input.elements());
  for (size_t i = 0; i < in.size(); ++i) in[i] = float(i) - 11.5f;
  std::vector<float> out(in.size());
  k::conv_reference(d, in.data(), w.data(), nullptr, out.data());
  CHECK(out == in);
}

TEST_CASE("a 2x2 kernel of ones sums each window, then adds the bias and applies ReLU") {
  // Input 3x3, one channel, values 1..9 row by row:
  //   1 2 3
  //   4 5 6
  //   7 8 9
  // VALID 2x2 sums: 1+2+4+5 = 12, 2+3+5+6 = 16, 4+5+7+8 = 24, 5+6+8+9 = 28.
  ConvDesc d = conv({1, 3, 3, 1}, 1, 2, 2);
  const std::vector<float> in = {1, 2, 3, 4, 5, 6, 7, 8, 9}, w = {1, 1, 1, 1};
  std::vector<float> out(4);
  const float bias = -20.0f;
  k::conv_reference(d, in.data(), w.data(), nullptr, out.data());
  CHECK(out == std::vector<float>{12, 16, 24, 28});
  d.relu = true;
  k::conv_reference(d, in.data(), w.data(), &bias, out.data());
  CHECK(out == std::vector<float>{0, 0, 4, 8});  // max(0, sum - 20)
}

TEST_CASE("stride 2 and dilation 2 pick the cells the formula says") {
  // 5x5 input with value 10 * y + x; 1x2 kernel [1, 100], dilation 2, stride 2:
  // output (oy, ox) = in[2oy][2ox] + 100 * in[2oy][2ox + 2]; the dilated
  // kernel spans 3 columns, so (5 - 3) / 2 + 1 = 2 columns and 5 / 2 + 1 = 3 rows.
  ConvDesc d = conv({1, 5, 5, 1}, 1, 1, 2);
  d.stride_h = d.stride_w = 2;
  d.dilation_w = 2;
  std::vector<float> in(25);
  for (int y = 0; y < 5; ++y)
    for (int x = 0; x < 5; ++x) in[size_t(y * 5 + x)] = float(10 * y + x);
  const std::vector<float> w = {1, 100};
  REQUIRE(k::output_shape(d) == Shape4{1, 3, 2, 1});
  std::vector<float> out(6);
  k::conv_reference(d, in.data(), w.data(), nullptr, out.data());
  CHECK(out == std::vector<float>{0 + 100 * 2, 2 + 100 * 4, 20 + 100 * 22, 22 + 100 * 24, 40 + 100 * 42,
                                  42 + 100 * 44});
}

TEST_CASE("a depthwise multiplier writes output channel c * M + m") {
  // 1x1 input, C = 2 (values 3, 5), 1x1 kernel, M = 2, weights [c][m]:
  // out = [3*1, 3*2, 5*10, 5*20].
  ConvDesc d = conv({1, 1, 1, 2}, 0, 1, 1);
  d.kind = ConvKind::depthwise;
  d.depth_multiplier = 2;
  const std::vector<float> in = {3, 5}, w = {1, 2, 10, 20};
  std::vector<float> out(4);
  k::conv_reference(d, in.data(), w.data(), nullptr, out.data());
  CHECK(out == std::vector<float>{3, 6, 50, 100});
}

TEST_CASE("a stride-2 transposed conv with a 1x1 kernel spreads the input with zeros between") {
  // 2x2 input [1 2; 3 4], weight 10, stride 2, output_padding 1:
  // (2 - 1) * 2 + 1 + 1 = 4 per axis; in[iy][ix] lands at (2iy, 2ix).
  ConvDesc d = conv({1, 2, 2, 1}, 1, 1, 1);
  d.kind = ConvKind::transposed;
  d.stride_h = d.stride_w = 2;
  d.output_pad_h = d.output_pad_w = 1;
  REQUIRE(k::output_shape(d) == Shape4{1, 4, 4, 1});
  const std::vector<float> in = {1, 2, 3, 4}, w = {10};
  std::vector<float> out(16);
  k::conv_reference(d, in.data(), w.data(), nullptr, out.data());
  CHECK(out == std::vector<float>{10, 0, 20, 0, 0, 0, 0, 0, 30, 0, 40, 0, 0, 0, 0, 0});
}

TEST_CASE("average pooling divides by the padded or the clipped window as asked") {
  // 2x2 input [1 2; 3 4], 2x2 window, stride 2, padding 1 all round: output
  // 2x2; the top-left window covers only the input cell 1.
  PoolDesc d;
  d.kind = PoolKind::average;
  d.input = {1, 2, 2, 1};
  d.kernel_h = d.kernel_w = 2;
  d.stride_h = d.stride_w = 2;
  d.pad_top = d.pad_bottom = d.pad_left = d.pad_right = 1;
  const std::vector<float> in = {1, 2, 3, 4};
  std::vector<float> out(4);
  k::pool_reference(d, in.data(), out.data());
  CHECK(out == std::vector<float>{0.25f, 0.5f, 0.75f, 1.0f});  // each sum / 4
  d.count_include_pad = false;
  k::pool_reference(d, in.data(), out.data());
  CHECK(out == std::vector<float>{1, 2, 3, 4});  // each sum / 1
  d.kind = PoolKind::max;
  d.input = {1, 2, 2, 1};
  k::pool_reference(d, in.data(), out.data());
  CHECK(out == std::vector<float>{1, 2, 3, 4});
}

TEST_CASE("ceil mode adds the window that starts inside the input") {
  // 5 cells, 2-wide window, stride 2: floor gives 2 windows, ceil 3 (the last
  // covers cell 4 alone, so its max is cell 4 and its PyTorch average 4 / 1).
  PoolDesc d;
  d.kind = PoolKind::max;
  d.input = {1, 1, 5, 1};
  d.kernel_w = d.stride_w = 2;
  d.ceil_mode = true;
  REQUIRE(k::output_shape(d) == Shape4{1, 1, 3, 1});
  const std::vector<float> in = {1, 5, 2, 7, 9};
  std::vector<float> out(3);
  k::pool_reference(d, in.data(), out.data());
  CHECK(out == std::vector<float>{5, 7, 9});
  d.kind = PoolKind::average;
  k::pool_reference(d, in.data(), out.data());
  CHECK(out == std::vector<float>{3, 4.5f, 9});
}

TEST_CASE("global pooling and nearest upsampling, by hand") {
  const Shape4 s{1, 2, 2, 2};
  const std::vector<float> in = {1, -1, 2, -2, 3, -3, 6, -6};  // channel 0: 1 2 3 6
  std::vector<float> out(2);
  k::global_pool_reference(PoolKind::average, s, in.data(), out.data());
  CHECK(out == std::vector<float>{3, -3});
  k::global_pool_reference(PoolKind::max, s, in.data(), out.data());
  CHECK(out == std::vector<float>{6, -1});
  // 1x2 -> 2x4: each cell repeated twice along both axes.
  const std::vector<float> row = {1, 2};
  std::vector<float> up(8);
  k::upsample_nearest_reference({1, 1, 2, 1}, 2, 4, row.data(), up.data());
  CHECK(up == std::vector<float>{1, 1, 2, 2, 1, 1, 2, 2});
}

// ---- validation -------------------------------------------------------------

TEST_CASE("descriptions that cannot run are refused with a message naming the field") {
  ConvDesc d = conv({1, 8, 8, 6}, 4, 3, 3);
  SUBCASE("groups must divide C and filters") {
    d.groups = 4;
    CHECK(k::validate(d) == "groups (4) must divide both the input channels (6) and filters (4)");
  }
  SUBCASE("a kernel larger than the padded input has no output") {
    d.kernel_h = 9;
    CHECK(k::validate(d) == "output height is 0: floor((8 - 9) / 1) + 1 = 0");
  }
  SUBCASE("negative padding") {
    d.pad_right = -1;
    CHECK(k::validate(d) == "padding[1][1] must be >= 0, got -1");
  }
  SUBCASE("zero stride") {
    d.stride_w = 0;
    CHECK(k::validate(d) == "stride[1] must be >= 1, got 0");
  }
  SUBCASE("a depthwise filter count other than C * multiplier") {
    d.kind = ConvKind::depthwise;
    d.depth_multiplier = 2;
    CHECK(k::validate(d) == "filters must be C * depthMultiplier = 6 * 2 = 12 for a depthwise conv, got 4");
  }
  SUBCASE("tensors past the kernels' size limit") {
    d.input = {1, 1 << 12, 1 << 12, 3};
    CHECK(k::validate(d) == "the input would hold more than 16777216 floats, the kernels' limit");
  }
  SUBCASE("strides, dilations, kernels and padding past the kernels' limit (their index arithmetic is 32-bit)") {
    d.stride_w = 2147483647;
    CHECK(k::validate(d) == "stride[1] must be <= 65536 (the kernels' limit), got 2147483647");
    d.stride_w = 1;
    d.dilation_h = 1 << 30;
    CHECK(k::validate(d) == "dilation[0] must be <= 65536 (the kernels' limit), got 1073741824");
    d.dilation_h = 1;
    d.pad_top = 1 << 30;
    CHECK(k::validate(d) == "padding[0][0] must be <= 65536 (the kernels' limit), got 1073741824");
  }
}

TEST_CASE("SIMD direct conv: strides far larger than the input, up to the limit") {
  // The padded row of the direct kernel covers the last tile's extra pixels,
  // (4 - 1) * stride columns: with a huge stride the op must not allocate
  // (or overflow) for them, and must still compute the one window.
  for (int c = 1; c <= 3; ++c)
    for (int w = 1; w <= 4; ++w)
      for (int s : {5, 9, 1000, 65536}) {
        ConvDesc d = conv({1, 3, w, c}, 5, 3, 3);
        d.stride_h = d.stride_w = s;
        d.pad_left = d.pad_right = d.pad_top = d.pad_bottom = 1;
        check_against_reference(d, uint64_t(c * 100 + w * 10 + s % 7));
      }
  // Many channels with a huge stride: the row copies would be ~2^30 floats.
  ConvDesc wide = conv({1, 1, 2, 2048}, 4, 1, 1);
  wide.stride_w = 65536;
  CHECK_FALSE(k::conv_direct_applies(wide));
  check_against_reference(wide, 7);
}

TEST_CASE("ConvOp::create checks the weight and bias lengths") {
  const ConvDesc d = conv({1, 5, 5, 3}, 8, 3, 3);
  const std::vector<float> w(k::weights_len(d) - 1), b(7);
  k::ConvOp op;
  CHECK(op.create(d, w.data(), w.size(), nullptr, 0) ==
        "weights has 215 values; this op needs 3 * 3 * C/groups 3 * filters 8 = 216");
  CHECK_FALSE(op.ready());
  const std::vector<float> w_ok(k::weights_len(d));
  CHECK(op.create(d, w_ok.data(), w_ok.size(), b.data(), b.size()) == "bias has 7 values; this op has 8 output channels");
  CHECK(op.create(d, w_ok.data(), w_ok.size(), nullptr, 0) == "");
  CHECK(op.ready());
  CHECK(op.output_shape() == Shape4{1, 3, 3, 8});
}

TEST_CASE("Winograd F(2x2, 3x3) matches the reference: odd and even sizes, every padding, channel counts off 4 and 8") {
  // Which 3x3 convs take it, and the results within the same tolerance as
  // the direct kernel; sizes down to 1x1 (tiles of one cell), batches of 2.
  constexpr int in_channels[] = {16, 17, 21, 32, 33}, filters[] = {16, 18, 21, 24, 40};
  int cases = 0;
  for (int h : {1, 2, 3, 5, 8, 13})
    for (int w : {1, 4, 7, 16, 37}) {
      const int i = h * 41 + w;
      const int c = in_channels[i % 5], f = filters[(i / 5) % 5];
      ConvDesc d = conv({1 + i % 2, h, w, c}, f, 3, 3);
      set_padding(d, all_paddings[i % 3]);
      d.relu = i % 4 == 0;
      if (!k::validate(d).empty()) continue;
      k::ConvOp op;
      const std::vector<float> weights(k::weights_len(d), 0.0f);
      REQUIRE(op.create(d, weights.data(), weights.size(), nullptr, 0) == "");
      CHECK(std::string(op.kernel_name()) == "winograd");
      cases += check_against_reference(d, uint64_t(i), i % 3 != 0) ? 1 : 0;
    }
  CHECK(cases >= 20);
  // Not taken: strides, dilations, groups, other kernels, too few channels
  // (C * F / (C + F) < 8: the transforms would cost more than they save), or when told not to.
  ConvDesc base = conv({1, 8, 8, 16}, 16, 3, 3);
  auto name = [](const ConvDesc& d) {
    k::ConvOp op;
    const std::vector<float> weights(k::weights_len(d), 0.0f);
    REQUIRE(op.create(d, weights.data(), weights.size(), nullptr, 0) == "");
    return std::string(op.kernel_name());
  };
  CHECK(name(base) == "winograd");
  ConvDesc d = base;
  d.stride_w = 2;
  CHECK(name(d) == "direct");
  d = base;
  d.dilation_h = 2;
  CHECK(name(d) == "direct");
  d = base;
  d.groups = 2;
  CHECK(name(d) == "indirect");
  d = conv({1, 8, 8, 16}, 16, 3, 2);
  CHECK(name(d) == "direct");
  d = conv({1, 8, 8, 8}, 16, 3, 3);
  CHECK(name(d) == "direct");
  d = conv({1, 8, 8, 64}, 8, 3, 3);
  CHECK(name(d) == "direct");
  d = conv({1, 8, 8, 17}, 16, 3, 3);
  CHECK(name(d) == "winograd");
  d = base;
  d.allow_winograd = false;
  CHECK(name(d) == "direct");
}

TEST_CASE("Winograd: a band of output rows starting at an even row computes the whole conv's rows bit for bit") {
  // The previews split a conv across workers by bands of rows (web/conv-split.js):
  // with the bands' starts even, every tile is the same 4x4 patch either way.
  ConvDesc whole = conv({1, 11, 9, 17}, 16, 3, 3);
  set_padding(whole, Padding::same);
  Lcg rng{3};
  const std::vector<float> weights = random_values(k::weights_len(whole), 0.2f, rng);
  const std::vector<float> bias = random_values(16, 0.5f, rng);
  const std::vector<float> input = random_values(whole.input.elements(), 1.0f, rng);
  k::ConvOp op;
  REQUIRE(op.create(whole, weights.data(), weights.size(), bias.data(), bias.size()) == "");
  REQUIRE(std::string(op.kernel_name()) == "winograd");
  std::vector<float> want(op.output_shape().elements());
  op.run(input.data(), want.data());
  const size_t row_in = size_t(9 * 17), row_out = size_t(9 * 16);
  for (auto [a, b] : {std::pair{0, 4}, std::pair{4, 10}, std::pair{10, 11}, std::pair{2, 7}}) {
    // Output rows [a, b) read input rows [a - 1, b + 1) clipped to the input; the clipped side keeps its padding.
    const int in0 = std::max(0, a - 1), in1 = std::min(11, b + 1);
    ConvDesc band = whole;
    band.input.h = in1 - in0;
    band.pad_top = a - 1 < 0 ? 1 : 0;
    band.pad_bottom = b + 1 > 11 ? 1 : 0;
    k::ConvOp part;
    REQUIRE(part.create(band, weights.data(), weights.size(), bias.data(), bias.size()) == "");
    REQUIRE(part.output_shape().h == b - a);
    std::vector<float> got(part.output_shape().elements());
    part.run(input.data() + size_t(in0) * row_in, got.data());
    INFO("band " << a << ".." << b);
    CHECK(got == std::vector<float>(want.begin() + long(a) * long(row_out), want.begin() + long(b) * long(row_out)));
  }
}

TEST_CASE("ConvOp::set_weights re-packs in place: the same outputs as an op created with those weights") {
  // A direct conv, the indirect (strided, dilated) one and a depthwise conv:
  // each re-packed op runs bit for bit like a fresh one, its scratch kept.
  ConvDesc strided = conv({1, 9, 8, 5}, 6, 3, 2);
  strided.stride_h = 2;
  strided.dilation_w = 2;
  set_padding(strided, all_paddings[1]);
  ConvDesc depthwise = conv({1, 7, 9, 6}, 0, 3, 3);
  depthwise.kind = ConvKind::depthwise;
  depthwise.depth_multiplier = 2;
  set_padding(depthwise, all_paddings[2]);
  ConvDesc direct = conv({1, 12, 11, 7}, 9, 3, 3);
  set_padding(direct, all_paddings[2]);
  for (const ConvDesc& d : {direct, strided, depthwise}) {
    INFO(describe(d));
    REQUIRE(k::validate(d) == "");
    Lcg rng{11};
    const size_t nw = k::weights_len(d), nb = size_t(k::out_channels(d));
    const std::vector<float> w1 = random_values(nw, 0.3f, rng), w2 = random_values(nw, 0.3f, rng);
    const std::vector<float> b2 = random_values(nb, 0.5f, rng);
    const std::vector<float> input = random_values(d.input.elements(), 1.0f, rng);
    k::ConvOp reused, fresh;
    REQUIRE(reused.create(d, w1.data(), nw, nullptr, 0) == "");
    std::vector<float> first(reused.output_shape().elements()), got(first.size()), want(first.size(), 1.0f);
    reused.run(input.data(), first.data());  // its scratch and indirection are built here
    REQUIRE(reused.set_weights(w2.data(), nw, b2.data(), nb) == "");
    REQUIRE(fresh.create(d, w2.data(), nw, b2.data(), nb) == "");
    reused.run(input.data(), got.data());
    fresh.run(input.data(), want.data());
    CHECK(got == want);
    CHECK(got != first);
    // Bad lengths: a message, and the op keeps the weights it had.
    CHECK(reused.set_weights(w2.data(), nw - 1, nullptr, 0).rfind("weights has " + std::to_string(nw - 1) + " values", 0) == 0);
    CHECK(reused.set_weights(w2.data(), nw, b2.data(), nb + 1) ==
          "bias has " + std::to_string(nb + 1) + " values; this op has " + std::to_string(nb) + " output channels");
    reused.run(input.data(), got.data());
    CHECK(got == want);
  }
  k::ConvOp empty;
  const std::vector<float> w(4);
  CHECK(empty.set_weights(w.data(), w.size(), nullptr, 0) == "set_weights() needs a created op");
}

TEST_CASE("createConvOp options parse into a description, with a message naming the option") {
  ConvDesc d;
  CHECK(k::conv_desc_from_json(R"({"kind": "conv", "inputShape": [1, 10, 7, 2], "filters": 3, "kernel": [4, 3],
      "stride": [3, 2], "padding": "same", "relu": true, "bias": null})",
                               d) == "unknown option \"bias\"");
  REQUIRE(k::conv_desc_from_json(R"({"kind": "conv", "inputShape": [1, 10, 7, 2], "filters": 3, "kernel": [4, 3],
      "stride": [3, 2], "padding": "same", "relu": true, "groups": null})",
                                 d) == "");
  // TF SAME: out ceil(10 / 3) = 4, total (4 - 1) * 3 + 4 - 10 = 3 -> 1 top, 2 bottom;
  // width ceil(7 / 2) = 4, total (4 - 1) * 2 + 3 - 7 = 2 -> 1 left, 1 right.
  CHECK(d.pad_top == 1);
  CHECK(d.pad_bottom == 2);
  CHECK(d.pad_left == 1);
  CHECK(d.pad_right == 1);
  CHECK(d.relu);
  CHECK(k::output_shape(d) == Shape4{1, 4, 4, 3});
  const char* base = R"({"kind": "depthwise_conv", "inputShape": [1, 5, 5, 4], "kernel": [3, 3], )";
  REQUIRE(k::conv_desc_from_json(std::string(base) + R"("depthMultiplier": 2, "padding": [[1, 1], [0, 2]]})", d) == "");
  CHECK(d.kind == ConvKind::depthwise);
  CHECK(d.pad_right == 2);
  CHECK(k::out_channels(d) == 8);
  CHECK(k::conv_desc_from_json(std::string(base) + R"("padding": [[1, 1]]})", d) ==
        R"(padding must be "valid", "same" or [[top, bottom], [left, right]], got [[1,1]])");
  CHECK(k::conv_desc_from_json(std::string(base) + R"("relu": 1})", d) == "relu must be true or false, got 1");
  CHECK(k::conv_desc_from_json(std::string(base) + R"("stride": [1, 4294967296]})", d) ==
        "stride[1] must be an integer, got 4294967296");
  CHECK(k::conv_desc_from_json(R"({"inputShape": [1, 5, 5, 4]})", d) ==
        R"(kind is required: "conv", "depthwise_conv" or "conv_transpose")");
  CHECK(k::conv_desc_from_json("[1, 2]", d) == "options must be an object");
  CHECK(k::conv_desc_from_json("{", d).rfind("options are not JSON: line 1, column 2", 0) == 0);
}

TEST_CASE("ConvOpHost stages weights, packs once and runs its own buffers like ConvOp") {
  const std::string options = R"({"kind": "conv", "inputShape": [1, 6, 5, 3], "filters": 5, "kernel": [3, 3],
      "padding": "same", "relu": true})";
  k::ConvOpHost host;
  CHECK(host.prepare(options, 134, false, 0) == "weights has 134 values; this op needs 3 * 3 * C/groups 3 * filters 5 = 135");
  CHECK(host.pack() == "pack() needs a successful prepare() first");
  REQUIRE(host.prepare(options, 135, true, 5) == "");
  Lcg rng{5};
  for (size_t i = 0; i < host.staged_weights_len(); ++i) host.staged_weights()[i] = rng.next();
  for (size_t i = 0; i < host.staged_bias_len(); ++i) host.staged_bias()[i] = rng.next();
  REQUIRE(host.pack() == "");
  CHECK(host.staged_weights_len() == 0);
  CHECK(host.output_dim(1) == 6);
  CHECK(host.output_dim(3) == 5);
  REQUIRE(host.input_len() == 90);
  for (size_t i = 0; i < host.input_len(); ++i) host.input()[i] = rng.next();
  host.run();
  const std::vector<float> simd(host.output(), host.output() + host.output_len());
  host.run_reference();
  const std::vector<float> ref(host.output(), host.output() + host.output_len());
  CHECK(relative_error(simd, ref) <= 1e-5);

  // New weights for the same options: restage(), fill, pack() again. The
  // input and output buffers stay where they were, with their contents.
  const float* input_at = host.input();
  const float* output_at = host.output();
  const std::vector<float> input(host.input(), host.input() + host.input_len());
  REQUIRE(host.restage() == "");
  REQUIRE(host.staged_weights_len() == 135);
  REQUIRE(host.staged_bias_len() == 5);
  for (size_t i = 0; i < host.staged_weights_len(); ++i) host.staged_weights()[i] = rng.next();
  for (size_t i = 0; i < host.staged_bias_len(); ++i) host.staged_bias()[i] = rng.next();
  const std::vector<float> w2(host.staged_weights(), host.staged_weights() + 135);
  const std::vector<float> b2(host.staged_bias(), host.staged_bias() + 5);
  REQUIRE(host.pack() == "");
  CHECK(host.staged_weights_len() == 0);
  CHECK(host.input() == input_at);
  CHECK(host.output() == output_at);
  CHECK(std::vector<float>(host.input(), host.input() + host.input_len()) == input);
  host.run();
  const std::vector<float> repacked(host.output(), host.output() + host.output_len());
  k::ConvOpHost fresh;
  REQUIRE(fresh.prepare(options, 135, true, 5) == "");
  std::copy(w2.begin(), w2.end(), fresh.staged_weights());
  std::copy(b2.begin(), b2.end(), fresh.staged_bias());
  REQUIRE(fresh.pack() == "");
  std::copy(input.begin(), input.end(), fresh.input());
  fresh.run();
  CHECK(repacked == std::vector<float>(fresh.output(), fresh.output() + fresh.output_len()));
  CHECK(repacked != simd);
  k::ConvOpHost unpacked;
  CHECK(unpacked.restage() == "restage() needs a packed op");
}

// ---- SIMD against the reference ----------------------------------------------

TEST_CASE("SIMD conv matches the reference for every input size 1..17") {
  // One case per (H, W); the other parameters cycle so that every size meets
  // several paddings, strides, dilations and channel counts.
  int cases = 0;
  for (int h = 1; h <= 17; ++h)
    for (int w = 1; w <= 17; ++w) {
      const int i = h * 17 + w;
      ConvDesc d = conv({1 + i % 2, h, w, odd_channels[i % 9]}, odd_channels[(i / 3) % 9] + 2, 1 + i % 3, 1 + (i / 2) % 3);
      d.stride_h = 1 + (i / 5) % 3;
      d.stride_w = 1 + (i / 7) % 3;
      d.dilation_h = 1 + (i / 11) % 2;
      d.dilation_w = 1 + (i / 13) % 2;
      d.relu = i % 4 == 0;
      set_padding(d, all_paddings[i % 3]);
      cases += check_against_reference(d, uint64_t(i)) ? 1 : 0;
    }
  CHECK(cases > 250);
}

TEST_CASE("SIMD conv matches the reference for every padding, stride and dilation 1..3") {
  for (Padding p : all_paddings)
    for (int s = 1; s <= 3; ++s)
      for (int dil = 1; dil <= 3; ++dil)
        for (int kernel : {1, 2, 3, 5}) {
          ConvDesc d = conv({1, 11, 13, 5}, 11, kernel, kernel == 5 ? 3 : kernel);
          d.stride_h = s;
          d.stride_w = 4 - s;
          d.dilation_h = dil;
          d.dilation_w = 4 - dil;
          set_padding(d, p);
          check_against_reference(d, uint64_t(s * 100 + dil * 10 + kernel), kernel != 2);
        }
}

TEST_CASE("SIMD conv matches the reference on the first-layer path (1-3 input channels)") {
  for (int c = 1; c <= 3; ++c)
    for (int f : {1, 4, 8, 16, 19})
      for (int s = 1; s <= 2; ++s) {
        ConvDesc d = conv({1, 17, 15, c}, f, 3, 3);
        d.stride_h = d.stride_w = s;
        d.relu = true;
        set_padding(d, Padding::same);
        check_against_reference(d, uint64_t(c * 1000 + f * 10 + s));
      }
}

TEST_CASE("SIMD direct conv, 1-3 channels: strides 1..4, dilations, kernel shapes, every padding, batches") {
  // The direct kernel compiles stride_w * C in 1..12; each case meets padded
  // border tiles, in-place interior tiles and a partial last tile.
  int cases = 0;
  for (int c = 1; c <= 3; ++c)
    for (int s = 1; s <= 4; ++s)
      for (Padding p : all_paddings)
        for (int kernel : {1, 3, 5, 7}) {
          const int i = c * 100 + s * 10 + kernel;
          const int filters = 1 + (i * 7) % 19;
          ConvDesc d = conv({1 + i % 2, 9 + i % 5, 13 + s + i % 4, c}, filters, kernel, kernel == 7 ? 2 : kernel);
          d.stride_w = s;
          d.stride_h = 1 + i % 3;
          d.dilation_h = 1 + (i / 3) % 3;
          d.dilation_w = 1 + (i / 7) % 2;
          d.relu = i % 2 == 0;
          set_padding(d, p);
          cases += check_against_reference(d, uint64_t(i), i % 3 != 0) ? 1 : 0;
        }
  CHECK(cases > 120);
}

TEST_CASE("SIMD direct conv: padding wider than a tile, and inputs the windows do not reach") {
  for (int c = 1; c <= 3; ++c)
    for (int w : {1, 2, 3, 6, 11}) {
      ConvDesc d = conv({1, 5, w, c}, 9, 3, 3);
      d.pad_left = 9;
      d.pad_right = 11;
      d.pad_top = 4;
      d.pad_bottom = 0;
      check_against_reference(d, uint64_t(c * 10 + w));
      // VALID with a stride that leaves the last input columns unread.
      ConvDesc v = conv({1, 9, w + 8, c}, 5, 2, 3);
      v.stride_h = 3;
      v.stride_w = 4;
      check_against_reference(v, uint64_t(c * 10 + w + 1));
    }
}

TEST_CASE("SIMD direct conv: every compiled pixel step and the runtime one") {
  // stride_w * C: 4, 8, 16, 32, 64 (compiled), 5, 7, 10, 24, 26 (runtime).
  for (int c : {4, 8, 16, 32, 64, 5, 7, 13})
    for (int s = 1; s <= 2; ++s)
      for (int kernel : {1, 3}) {
        ConvDesc d = conv({1, 7, 10, c}, c == 64 ? 9 : 17, kernel, kernel);
        d.stride_h = d.stride_w = s;
        d.dilation_w = kernel == 3 && c % 2 == 1 ? 2 : 1;
        set_padding(d, c % 2 ? Padding::explicit_pads : Padding::same);
        check_against_reference(d, uint64_t(c * 10 + s + kernel));
      }
}

TEST_CASE("SIMD 1x1 conv (a GEMM) with odd channel counts, strides and padding") {
  for (int c : odd_channels)
    for (int f : {1, 5, 8, 13, 32})
      for (int s = 1; s <= 3; ++s) {
        ConvDesc d = conv({1 + s % 2, 6, 9, c}, f, 1, 1);
        d.stride_h = s;
        d.stride_w = 4 - s;
        d.relu = f % 2 == 1;
        set_padding(d, s == 2 ? Padding::explicit_pads : Padding::valid);
        check_against_reference(d, uint64_t(c * 100 + f * 10 + s), f != 8);
      }
}

TEST_CASE("SIMD grouped conv matches the reference") {
  struct Groups { int c, f, g; };
  for (const Groups& gr : {Groups{6, 9, 3}, Groups{12, 8, 4}, Groups{5, 5, 5}, Groups{10, 20, 2}, Groups{9, 27, 9}})
    for (Padding p : all_paddings) {
      ConvDesc d = conv({2, 9, 7, gr.c}, gr.f, 3, 2);
      d.groups = gr.g;
      d.dilation_h = 2;
      set_padding(d, p);
      check_against_reference(d, uint64_t(gr.c * 31 + gr.g));
    }
}

TEST_CASE("SIMD depthwise conv matches the reference for sizes, kernels and multipliers") {
  int cases = 0;
  for (int h = 1; h <= 17; ++h)
    for (int w = 1; w <= 17; ++w) {
      const int i = h * 17 + w;
      ConvDesc d = conv({1, h, w, odd_channels[i % 9] + (i % 2) * 8}, 0, 1 + i % 7, 1 + (i / 3) % 7);
      d.kind = ConvKind::depthwise;
      d.depth_multiplier = 1 + (i / 5) % 3;
      d.stride_h = 1 + (i / 7) % 3;
      d.stride_w = 1 + (i / 2) % 3;
      d.dilation_h = 1 + (i / 4) % 3;
      d.dilation_w = 1 + (i / 9) % 3;
      d.relu = i % 3 == 0;
      set_padding(d, all_paddings[i % 3]);
      cases += check_against_reference(d, uint64_t(i), i % 5 != 0) ? 1 : 0;
    }
  CHECK(cases > 150);
}

TEST_CASE("SIMD depthwise conv matches the reference on the benchmark's kernel shapes") {
  for (int kernel : {3, 5, 7})
    for (int s = 1; s <= 2; ++s)
      for (int c : {8, 13, 32}) {
        ConvDesc d = conv({1, 15, 17, c}, 0, kernel, kernel);
        d.kind = ConvKind::depthwise;
        d.stride_h = d.stride_w = s;
        set_padding(d, Padding::same);
        check_against_reference(d, uint64_t(kernel * 100 + c));
      }
}

TEST_CASE("SIMD transposed conv matches the reference") {
  int cases = 0;
  for (int h = 1; h <= 7; ++h)
    for (int s = 1; s <= 3; ++s)
      for (int kernel = 1; kernel <= 4; ++kernel) {
        const int i = h * 12 + s * 4 + kernel;
        ConvDesc d = conv({1, h, 8 - h, odd_channels[i % 9]}, odd_channels[(i / 2) % 9], kernel, 5 - kernel);
        d.kind = ConvKind::transposed;
        d.stride_h = s;
        d.stride_w = 1 + i % 3;
        d.dilation_h = 1 + i % 2;
        d.pad_top = i % 2;
        d.pad_right = (i / 3) % 2;
        d.output_pad_h = s > 1 ? i % 2 : 0;
        if (i % 4 == 0 && d.input.c % 2 == 0 && d.filters % 2 == 0) d.groups = 2;
        cases += check_against_reference(d, uint64_t(i)) ? 1 : 0;
      }
  CHECK(cases > 70);
}

TEST_CASE("SIMD pooling matches the reference (max, average, ceil mode, count_include_pad)") {
  Lcg rng{99};
  int cases = 0;
  for (int h = 1; h <= 17; h += 2)
    for (int w = 2; w <= 17; w += 3)
      for (PoolKind kind : {PoolKind::max, PoolKind::average}) {
        const int i = h * 20 + w;
        PoolDesc d;
        d.kind = kind;
        d.input = {1 + i % 2, h, w, odd_channels[i % 9]};
        d.kernel_h = 1 + i % 3;
        d.kernel_w = 1 + (i / 2) % 3;
        d.stride_h = 1 + (i / 3) % 3;
        d.stride_w = 1 + (i / 5) % 3;
        if (kind == PoolKind::max) d.dilation_h = 1 + (i / 7) % 2;
        d.pad_top = d.kernel_h > 1 ? i % 2 : 0;
        d.pad_left = d.kernel_w > 2 ? 1 : 0;
        d.pad_right = d.pad_left;
        d.ceil_mode = (i / 2) % 2 == 1;
        d.count_include_pad = (i / 4) % 2 == 1;
        if (!k::validate(d).empty()) continue;
        INFO("pool " << int(kind) << " in " << h << "x" << w << "x" << d.input.c << " k " << d.kernel_h << "x"
                     << d.kernel_w << " s " << d.stride_h << "," << d.stride_w);
        const std::vector<float> in = random_values(d.input.elements(), 1.0f, rng);
        std::vector<float> got(k::output_shape(d).elements()), want(got.size());
        k::pool_f32_simd(d, in.data(), got.data());
        k::pool_reference(d, in.data(), want.data());
        CHECK(relative_error(got, want) <= 1e-5);
        ++cases;
      }
  CHECK(cases > 80);
}

TEST_CASE("SIMD global pooling and nearest upsampling match the reference") {
  Lcg rng{7};
  for (int c : {1, 3, 4, 5, 8, 13})
    for (int hw = 1; hw <= 9; hw += 4) {
      const Shape4 s{2, hw, hw + 1, c};
      const std::vector<float> in = random_values(s.elements(), 1.0f, rng);
      for (PoolKind kind : {PoolKind::max, PoolKind::average}) {
        std::vector<float> got(size_t(2 * c)), want(got.size());
        k::global_pool_f32_simd(kind, s, in.data(), got.data());
        k::global_pool_reference(kind, s, in.data(), want.data());
        CHECK(got == want);
      }
      for (int scale : {1, 2, 3}) {
        const int oh = hw * scale, ow = (hw + 1) * scale + (scale == 3 ? 1 : 0);  // 3: not a whole factor
        std::vector<float> got(size_t(2 * oh * ow * c)), want(got.size());
        k::upsample_nearest_f32(s, oh, ow, in.data(), got.data());
        k::upsample_nearest_reference(s, oh, ow, in.data(), want.data());
        CHECK(got == want);
      }
    }
}

TEST_CASE("A conv split across the cores (ConvOp::bands) computes the bits of the same conv run whole") {
  // Big enough to split (2^21 multiply-adds), with the band split's awkward
  // cases: TF 'same' with stride 2 (the odd padding row at the bottom),
  // explicit uneven pads, dilation, Winograd (bands at even rows), a
  // depthwise conv, a 5x5 'valid' kernel, heights that do not divide.
  std::vector<ConvDesc> descs;
  for (Padding p : all_paddings) {
    ConvDesc d = conv({1, 97, 83, 16}, 24, 3, 3);  // Winograd when same/valid
    set_padding(d, p);
    descs.push_back(d);
    ConvDesc s = conv({1, 101, 64, 8}, 32, 3, 3);
    s.stride_h = s.stride_w = 2;
    set_padding(s, p);
    descs.push_back(s);
  }
  ConvDesc dil = conv({1, 61, 70, 12}, 40, 3, 3);
  dil.dilation_h = dil.dilation_w = 2;
  set_padding(dil, Padding::same);
  descs.push_back(dil);
  ConvDesc dw = conv({1, 150, 130, 48}, 0, 5, 5);
  dw.kind = ConvKind::depthwise;
  set_padding(dw, Padding::same);
  descs.push_back(dw);
  descs.push_back(conv({1, 77, 66, 12}, 20, 5, 5));
  ConvDesc relu = conv({1, 64, 64, 32}, 32, 1, 1);
  relu.relu = true;
  descs.push_back(relu);
  Lcg rng{11};
  for (ConvDesc d : descs) {
    INFO(describe(d));
    REQUIRE(k::validate(d) == "");
    const std::vector<float> weights = random_values(k::weights_len(d), 0.3f, rng);
    const std::vector<float> bias = random_values(size_t(k::out_channels(d)), 0.5f, rng);
    const std::vector<float> input = random_values(d.input.elements(), 1.0f, rng);
    ConvDesc whole_desc = d;
    whole_desc.threads = 1;
    k::ConvOp split, whole;
    REQUIRE(split.create(d, weights.data(), weights.size(), bias.data(), bias.size()) == "");
    REQUIRE(whole.create(whole_desc, weights.data(), weights.size(), bias.data(), bias.size()) == "");
    CHECK(whole.bands() == 1);
    if (k::parallel_parts() > 1) CHECK(split.bands() == k::parallel_parts());
    CHECK(std::string(split.kernel_name()) == whole.kernel_name());
    std::vector<float> got(split.output_shape().elements(), -1.0f), want(whole.output_shape().elements(), -2.0f);
    split.run(input.data(), got.data());
    whole.run(input.data(), want.data());
    CHECK(std::memcmp(got.data(), want.data(), got.size() * sizeof(float)) == 0);
    // New weights reach every band.
    const std::vector<float> weights2 = random_values(weights.size(), 0.3f, rng);
    REQUIRE(split.set_weights(weights2.data(), weights2.size(), bias.data(), bias.size()) == "");
    REQUIRE(whole.set_weights(weights2.data(), weights2.size(), bias.data(), bias.size()) == "");
    split.run(input.data(), got.data());
    whole.run(input.data(), want.data());
    CHECK(std::memcmp(got.data(), want.data(), got.size() * sizeof(float)) == 0);
    // And the reference on the op's (new) weights still agrees.
    std::vector<float> ref(got.size());
    split.run_reference(input.data(), ref.data());
    CHECK(relative_error(got, ref) < 1e-4);
  }
  // Not split: a batch, a transposed conv, a small conv, threads 1.
  ConvDesc batch = conv({2, 64, 64, 16}, 16, 3, 3);
  ConvDesc small = conv({1, 8, 8, 4}, 4, 3, 3);
  ConvDesc transposed = conv({1, 64, 64, 16}, 16, 3, 3);
  transposed.kind = ConvKind::transposed;
  for (const ConvDesc& d : {batch, small, transposed}) {
    INFO(describe(d));
    const std::vector<float> weights = random_values(k::weights_len(d), 0.3f, rng);
    k::ConvOp op;
    REQUIRE(op.create(d, weights.data(), weights.size(), nullptr, 0) == "");
    CHECK(op.bands() == 1);
  }
}

TEST_CASE("createConvOp's threads option: 1 or more, else a message naming it") {
  ConvDesc d;
  CHECK(k::conv_desc_from_json(R"({"kind":"conv","inputShape":[1,8,8,3],"filters":4,"kernel":[3,3],"threads":1})", d) == "");
  CHECK(d.threads == 1);
  CHECK(k::conv_desc_from_json(R"({"kind":"conv","inputShape":[1,8,8,3],"filters":4,"kernel":[3,3]})", d) == "");
  CHECK(d.threads == 0);
  CHECK(k::conv_desc_from_json(R"({"kind":"conv","inputShape":[1,8,8,3],"filters":4,"kernel":[3,3],"threads":0})", d) ==
        "threads must be 1 or more (the most cores the conv may use), got 0");
  CHECK(k::conv_desc_from_json(R"({"kind":"conv","inputShape":[1,8,8,3],"filters":4,"kernel":[3,3],"threads":"2"})", d)
            .find("threads") != std::string::npos);
}
