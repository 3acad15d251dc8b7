// The previews' map kernels (core/convscope/kernels/map_ops.hpp): the ReLU's
// special values, and thumbnails against a plain double-precision
// definition written here (box averages with partial edge boxes, per-channel
// ranges, colour indices), at sizes that leave partial boxes, channel counts
// that are and are not multiples of four, and through MapOpsHost.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "convscope/kernels/map_ops.hpp"
#include "convscope/kernels/map_ops_host.hpp"

namespace k = convscope::kernels;

namespace {

uint32_t bits(float v) {
  uint32_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

// LUT entry i is i itself, so the colours read back as indices.
std::vector<uint32_t> identity_lut() {
  std::vector<uint32_t> lut(256);
  for (uint32_t i = 0; i < 256; ++i) lut[i] = i;
  return lut;
}

// A map h x w x c whose first `shown` channels get thumbnails of f x f boxes.
struct MapCase {
  int h, w, c, shown, f;
  k::ThumbnailDesc desc() const { return {h, w, c, shown, f}; }
};

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// What relu_and_cells writes for a map: its ReLU, and the cells and ranges of
// the map and of the ReLU, to compare two ways of computing them bit for bit.
struct ReluCells {
  k::ThumbnailDesc d;
  std::vector<float> y, x_cells, x_lo, x_hi, y_cells, y_lo, y_hi;
  explicit ReluCells(const k::ThumbnailDesc& desc)
      : d(desc),
        y(size_t(d.h) * d.w * d.c),
        x_cells(size_t(k::thumbnail_rows(d)) * k::thumbnail_cols(d) * d.shown),
        x_lo(size_t(d.shown)),
        x_hi(size_t(d.shown)),
        y_cells(x_cells.size()),
        y_lo(size_t(d.shown)),
        y_hi(size_t(d.shown)) {}
  template <class Fn>
  void run(Fn fn, const std::vector<float>& x) {
    fn(d, x.data(), y.data(), x_cells.data(), x_lo.data(), x_hi.data(), y_cells.data(), y_lo.data(), y_hi.data());
  }
  void check_same(const ReluCells& o) const {
    CHECK(same_bits(y, o.y));
    CHECK(same_bits(x_cells, o.x_cells));
    CHECK(same_bits(x_lo, o.x_lo));
    CHECK(same_bits(x_hi, o.x_hi));
    CHECK(same_bits(y_cells, o.y_cells));
    CHECK(same_bits(y_lo, o.y_lo));
    CHECK(same_bits(y_hi, o.y_hi));
  }
};

float value_at(int y, int x, int c) { return std::sin(0.37f * float(y) + 0.11f * float(x * (c + 1))) * float(c + 1); }

}  // namespace

TEST_CASE("relu_f32: negatives, -0 and every NaN give +0; the rest passes unchanged") {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  std::vector<float> x = {1.5f, -2.0f, 0.0f, -0.0f, nan, -nan, inf, -inf, 3e-39f, -3e-39f, 7.0f};
  std::vector<float> y(x.size(), 99.0f);
  k::relu_f32(x.data(), y.data(), x.size());
  const std::vector<float> want = {1.5f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, inf, 0.0f, 3e-39f, 0.0f, 7.0f};
  for (size_t i = 0; i < x.size(); ++i) {
    CAPTURE(i);
    CHECK(bits(y[i]) == bits(want[i]));  // +0, never -0
  }
  // In place, and a length that is not a multiple of four.
  k::relu_f32(x.data(), x.data(), 5);
  CHECK(x[0] == 1.5f);
  CHECK(bits(x[1]) == 0u);
  CHECK(bits(x[4]) == 0u);
  CHECK(x[6] == inf);  // past n: untouched
}

TEST_CASE("thumbnail_rgba: box averages, ranges and colour indices as defined") {
  const auto lut = identity_lut();
  // Channel counts that take every path of the kernel: blocks of 16, then
  // 12, 8 or 4 channels, then 1-3 one at a time.
  for (const MapCase t : {MapCase{7, 10, 3, 3, 4}, MapCase{8, 8, 8, 5, 2}, MapCase{5, 9, 6, 6, 1},
                          MapCase{13, 6, 4, 4, 3}, MapCase{3, 3, 2, 1, 5}, MapCase{9, 11, 20, 19, 2},
                          MapCase{6, 7, 14, 14, 3}, MapCase{5, 5, 8, 8, 2}, MapCase{4, 9, 40, 36, 4},
                          MapCase{10, 10, 16, 16, 4}}) {
    INFO("map " << t.h << "x" << t.w << "x" << t.c << ", shown " << t.shown << ", factor " << t.f);
    const k::ThumbnailDesc d = t.desc();
    REQUIRE(std::string(k::thumbnail_check(d)).empty());
    const int th = k::thumbnail_rows(d), tw = k::thumbnail_cols(d);
    CHECK(th == (t.h + t.f - 1) / t.f);
    CHECK(tw == (t.w + t.f - 1) / t.f);
    std::vector<float> map(size_t(t.h) * t.w * t.c);
    for (int y = 0; y < t.h; ++y)
      for (int x = 0; x < t.w; ++x)
        for (int c = 0; c < t.c; ++c) map[(size_t(y) * t.w + x) * t.c + c] = value_at(y, x, c);
    const size_t n = size_t(th) * tw;
    std::vector<float> cells(n * t.shown), lo(t.shown), hi(t.shown);
    std::vector<uint32_t> rgba(n * t.shown);
    k::thumbnail_rgba(d, map.data(), lut.data(), cells.data(), lo.data(), hi.data(), rgba.data());
    for (int c = 0; c < t.shown; ++c) {
      double want_lo = 1e300, want_hi = -1e300;
      std::vector<double> avg(n);
      for (int ty = 0; ty < th; ++ty) {
        for (int tx = 0; tx < tw; ++tx) {
          double sum = 0;
          int count = 0;
          for (int y = ty * t.f; y < std::min(t.h, (ty + 1) * t.f); ++y)
            for (int x = tx * t.f; x < std::min(t.w, (tx + 1) * t.f); ++x, ++count) sum += value_at(y, x, c);
          avg[size_t(ty) * tw + tx] = sum / count;
          want_lo = std::min(want_lo, sum / count);
          want_hi = std::max(want_hi, sum / count);
        }
      }
      CAPTURE(c);
      CHECK(lo[c] == doctest::Approx(want_lo).epsilon(1e-5));
      CHECK(hi[c] == doctest::Approx(want_hi).epsilon(1e-5));
      for (size_t p = 0; p < n; ++p) {
        CHECK(cells[p * t.shown + c] == doctest::Approx(avg[p]).epsilon(1e-5));
        // The index from the kernel's own floats, as the definition says.
        const double range = double(hi[c]) - lo[c];
        const double v = range > 0 ? (double(cells[p * t.shown + c]) - lo[c]) * (255.0 / range) : 0.0;
        const uint32_t want = v >= 255 ? 255u : v > 0 ? uint32_t(v) : 0u;
        CHECK(rgba[size_t(c) * n + p] == want);
      }
      CHECK(*std::min_element(rgba.begin() + c * n, rgba.begin() + (c + 1) * n) == 0u);  // the minimum maps to entry 0
      // (The maximum maps to 254 or 255: (hi - lo) * (255 / (hi - lo)) may round below 255, as in the JS it replaced.)
      if (hi[c] > lo[c]) CHECK(*std::max_element(rgba.begin() + c * n, rgba.begin() + (c + 1) * n) >= 254u);
    }
  }
}

TEST_CASE("thumbnail_rgba: a flat channel, NaN cells and a map of one cell") {
  const auto lut = identity_lut();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  // 1 x 3 map, 2 channels: channel 0 flat, channel 1 with a NaN.
  const std::vector<float> map = {4.0f, 1.0f, 4.0f, nan, 4.0f, 3.0f};
  const k::ThumbnailDesc d{1, 3, 2, 2, 1};
  std::vector<float> cells(6), lo(2), hi(2);
  std::vector<uint32_t> rgba(6, 7u);
  k::thumbnail_rgba(d, map.data(), lut.data(), cells.data(), lo.data(), hi.data(), rgba.data());
  CHECK(lo[0] == 4.0f);
  CHECK(hi[0] == 4.0f);
  CHECK(rgba[0] == 0u);  // an empty range: entry 0
  CHECK(rgba[1] == 0u);
  CHECK(lo[1] == 1.0f);  // the NaN skipped
  CHECK(hi[1] == 3.0f);
  CHECK(rgba[3] == 0u);
  CHECK(rgba[4] == 0u);  // NaN: entry 0
  CHECK(rgba[5] == 255u);
  // One cell (global pooling): the range is taken across the channels.
  const std::vector<float> one = {2.0f, 6.0f, 4.0f};
  const k::ThumbnailDesc g{1, 1, 3, 3, 1};
  std::vector<float> c3(3), lo3(3), hi3(3);
  std::vector<uint32_t> px(3);
  k::thumbnail_rgba(g, one.data(), lut.data(), c3.data(), lo3.data(), hi3.data(), px.data());
  for (int c = 0; c < 3; ++c) {
    CHECK(lo3[c] == 2.0f);
    CHECK(hi3[c] == 6.0f);
  }
  CHECK(px[0] == 0u);
  CHECK(px[1] == 255u);
  CHECK(px[2] == 127u);
}

TEST_CASE("relu_and_cells: one pass gives the bits of relu_f32 and thumbnail_cells of the map and of its ReLU") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  // Every channel path (16, 12, 8, 4, 1-3 at a time), channels past the
  // thumbnail's, partial boxes, and factor 1.
  for (const MapCase t : {MapCase{9, 11, 20, 19, 2}, MapCase{6, 7, 14, 14, 3}, MapCase{5, 5, 8, 8, 2},
                          MapCase{4, 9, 40, 16, 4}, MapCase{7, 10, 3, 3, 4}, MapCase{8, 8, 32, 16, 4},
                          MapCase{5, 9, 6, 5, 1}, MapCase{13, 6, 33, 18, 3}, MapCase{1, 1, 5, 5, 2}}) {
    INFO("map " << t.h << "x" << t.w << "x" << t.c << ", shown " << t.shown << ", factor " << t.f);
    const k::ThumbnailDesc d = t.desc();
    REQUIRE(std::string(k::thumbnail_check(d)).empty());
    std::vector<float> x(size_t(t.h) * t.w * t.c);
    for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.7f * float(i)) * 3.0f;
    x[x.size() / 3] = nan;
    x[x.size() / 2] = -0.0f;
    ReluCells fused(d), passes(d);
    std::fill(fused.y.begin(), fused.y.end(), 99.0f);
    fused.run(k::relu_and_cells, x);
    k::relu_f32(x.data(), passes.y.data(), x.size());
    k::thumbnail_cells(d, x.data(), passes.x_cells.data(), passes.x_lo.data(), passes.x_hi.data());
    k::thumbnail_cells(d, passes.y.data(), passes.y_cells.data(), passes.y_lo.data(), passes.y_hi.data());
    fused.check_same(passes);  // y: every channel, the thumbnail's and the rest
  }
}

TEST_CASE("MapOpsHost: refuses bad shapes with a message, runs ReLU and thumbnails on its buffers") {
  k::MapOpsHost host;
  CHECK(host.prepare(0, 4, 4, 1, 1).find("at least one row") != std::string::npos);
  CHECK(host.prepare(4, 4, 4, 5, 1).find("shown must be") != std::string::npos);
  CHECK(host.prepare(4, 4, 4, 4, 0).find("factor") != std::string::npos);
  CHECK(host.prepare(1 << 13, 1 << 13, 1, 1, 1).find("tensor cap") != std::string::npos);
  CHECK(host.input_len() == 0);
  host.thumbnail(false);  // empty: nothing happens
  REQUIRE(host.prepare(4, 6, 3, 2, 2) == "");
  CHECK(host.input_len() == 72);
  CHECK(host.rows() == 2);
  CHECK(host.cols() == 3);
  CHECK(host.rgba_len() == 12);
  for (uint32_t i = 0; i < 256; ++i) host.lut()[i] = 1000 + i;
  for (size_t i = 0; i < host.input_len(); ++i) host.input()[i] = float(int(i % 7) - 3);
  host.relu();
  for (size_t i = 0; i < host.input_len(); ++i) CHECK(host.output()[i] == std::max(0.0f, host.input()[i]));
  host.thumbnail(true);
  for (size_t i = 0; i < host.rgba_len(); ++i) CHECK((host.rgba()[i] >= 1000 && host.rgba()[i] <= 1255));
  CHECK(host.lo()[0] >= 0.0f);  // of the ReLU's output
}

TEST_CASE("MapOpsHost and ConvOpHost read each other's buffers in place: the same results as through copies") {
  // conv1 (9 x 7 x 3 -> 6 channels) -> ReLU and thumbnail of its output ->
  // conv2 on that ReLU: each step once on the other op's buffer, once on a
  // copy in its own input, bit for bit the same.
  auto conv_host = [](int c_in, int filters, uint32_t seed, k::ConvOpHost& host) {
    const std::string options = R"({"kind": "conv", "inputShape": [1, 9, 7, )" + std::to_string(c_in) +
                                R"(], "filters": )" + std::to_string(filters) + R"(, "kernel": [3, 3], "padding": "same"})";
    REQUIRE(host.prepare(options, size_t(9 * c_in * filters), false, 0) == "");
    for (size_t i = 0; i < host.staged_weights_len(); ++i) host.staged_weights()[i] = std::sin(float(i + seed));
    REQUIRE(host.pack() == "");
  };
  k::ConvOpHost conv1, conv2;
  conv_host(3, 6, 1, conv1);
  conv_host(6, 4, 2, conv2);
  for (size_t i = 0; i < conv1.input_len(); ++i) conv1.input()[i] = value_at(int(i / 21), int(i / 3 % 7), int(i % 3));
  conv1.run();
  const std::vector<uint32_t> lut = identity_lut();
  k::MapOpsHost in_place, copied;
  for (k::MapOpsHost* m : {&in_place, &copied}) {
    REQUIRE(m->prepare(9, 7, 6, 5, 2) == "");
    std::copy(lut.begin(), lut.end(), m->lut());
  }
  std::copy(conv1.output(), conv1.output() + conv1.output_len(), copied.input());

  REQUIRE(in_place.thumbnail_of(conv1) == "");
  copied.thumbnail(false);
  CHECK(std::vector<uint32_t>(in_place.rgba(), in_place.rgba() + in_place.rgba_len()) ==
        std::vector<uint32_t>(copied.rgba(), copied.rgba() + copied.rgba_len()));
  CHECK(std::vector<float>(in_place.lo(), in_place.lo() + 5) == std::vector<float>(copied.lo(), copied.lo() + 5));
  CHECK(std::vector<float>(in_place.hi(), in_place.hi() + 5) == std::vector<float>(copied.hi(), copied.hi() + 5));

  REQUIRE(in_place.relu_of(conv1) == "");
  copied.relu();
  const std::vector<float> relu(in_place.output(), in_place.output() + in_place.output_len());
  CHECK(relu == std::vector<float>(copied.output(), copied.output() + copied.output_len()));
  CHECK(std::count_if(relu.begin(), relu.end(), [](float v) { return v > 0; }) > 0);
  CHECK(std::count(relu.begin(), relu.end(), 0.0f) > 0);

  // Both in one pass: the conv's thumbnail now, the ReLU in the output and
  // its thumbnail (only coloured) next, each the same as the steps apart.
  k::MapOpsHost fused;
  REQUIRE(fused.prepare(9, 7, 6, 5, 2) == "");
  std::copy(lut.begin(), lut.end(), fused.lut());
  const auto rgba_of = [](const k::MapOpsHost& m) { return std::vector<uint32_t>(m.rgba(), m.rgba() + m.rgba_len()); };
  const auto range_of = [](const k::MapOpsHost& m) {  // lo then hi
    std::vector<float> r(m.lo(), m.lo() + m.range_len());
    r.insert(r.end(), m.hi(), m.hi() + m.range_len());
    return r;
  };
  REQUIRE(in_place.thumbnail_of(conv1) == "");
  REQUIRE(fused.relu_and_thumbnail_of(conv1) == "");
  CHECK(rgba_of(fused) == rgba_of(in_place));
  CHECK(range_of(fused) == range_of(in_place));
  CHECK(std::vector<float>(fused.output(), fused.output() + fused.output_len()) == relu);
  in_place.thumbnail(true);
  fused.thumbnail(true);
  CHECK(rgba_of(fused) == rgba_of(in_place));
  CHECK(range_of(fused) == range_of(in_place));
  // Once the output changes, thumbnail(true) computes the cells again.
  std::copy(conv1.output(), conv1.output() + conv1.output_len(), fused.input());
  for (size_t i = 0; i < fused.input_len(); ++i) fused.input()[i] *= -1.0f;
  fused.relu();
  std::copy(fused.input(), fused.input() + fused.input_len(), copied.input());
  copied.relu();
  fused.thumbnail(true);
  copied.thumbnail(true);
  CHECK(rgba_of(fused) == rgba_of(copied));
  CHECK(range_of(fused) == range_of(copied));

  REQUIRE(conv2.run_on(in_place) == "");
  const std::vector<float> on_maps(conv2.output(), conv2.output() + conv2.output_len());
  std::copy(relu.begin(), relu.end(), conv2.input());
  conv2.run();
  CHECK(on_maps == std::vector<float>(conv2.output(), conv2.output() + conv2.output_len()));

  // Mismatched lengths and unprepared hosts: messages, nothing read.
  k::MapOpsHost other, empty;
  REQUIRE(other.prepare(9, 7, 4, 4, 1) == "");
  CHECK(other.relu_of(conv1) == "MapOpsHost: the conv's output has 378 values, these maps 252");
  CHECK(other.thumbnail_of(conv1) == "MapOpsHost: the conv's output has 378 values, these maps 252");
  CHECK(other.relu_and_thumbnail_of(conv1) == "MapOpsHost: the conv's output has 378 values, these maps 252");
  CHECK(empty.relu_and_thumbnail_of(conv1) == "MapOpsHost: prepare() first");
  CHECK(empty.relu_of(conv1) == "MapOpsHost: prepare() first");
  CHECK(conv1.run_on(in_place) == "run_on(): the maps hold 378 values, this op's input 189");
  k::ConvOpHost unpacked;
  CHECK(unpacked.run_on(in_place) == "run_on() needs a packed op");
}

TEST_CASE("thumbnail_cells and relu_and_cells split across the cores give the floats of one pass") {
  // Maps big enough to split by bands of thumbnail rows: partial bottom and
  // right boxes, factor 1, channels past the thumbnail's; NaN and both zeros
  // where the bands meet, so the merged ranges keep one pass's choices.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (const MapCase t : {MapCase{256, 256, 8, 8, 4}, MapCase{131, 77, 17, 16, 3}, MapCase{97, 101, 20, 12, 1},
                          MapCase{255, 64, 32, 32, 7}, MapCase{400, 40, 9, 3, 2}}) {
    INFO("map " << t.h << "x" << t.w << "x" << t.c << ", shown " << t.shown << ", factor " << t.f);
    const k::ThumbnailDesc d = t.desc();
    std::vector<float> x(size_t(t.h) * t.w * t.c);
    for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.37f * float(i)) * 2.0f;
    const size_t middle = x.size() / 2, row = size_t(t.w * t.c);
    for (size_t i = middle - 3 * row; i < middle + 3 * row; i += 5) x[i] = i % 2 ? -0.0f : 0.0f;
    x[middle] = nan;
    ReluCells split(d), one_pass(d);
    k::thumbnail_cells(d, x.data(), split.x_cells.data(), split.x_lo.data(), split.x_hi.data());
    k::thumbnail_cells_one_pass(d, x.data(), one_pass.x_cells.data(), one_pass.x_lo.data(), one_pass.x_hi.data());
    split.check_same(one_pass);
    split.run(k::relu_and_cells, x);
    one_pass.run(k::relu_and_cells_one_pass, x);
    split.check_same(one_pass);
  }
}
