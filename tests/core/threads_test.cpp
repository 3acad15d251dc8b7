// The kernels' helper threads (threads.hpp) and the bands of rows a conv is
// split into (row_bands.hpp). That a split conv or thumbnail computes the
// same floats as one pass is tested with each (kernels_test.cpp,
// map_ops_test.cpp).
#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "convscope/kernels/row_bands.hpp"
#include "convscope/kernels/threads.hpp"

namespace k = convscope::kernels;

TEST_CASE("run_parts runs every part once, on more than one thread where the machine has the cores") {
  const int cores = int(std::thread::hardware_concurrency());
  CHECK(k::parallel_parts() >= 1);
  CHECK(k::parallel_parts() <= k::max_parallel_parts);
  if (cores >= 2) CHECK(k::parallel_parts() == std::min(cores, k::max_parallel_parts));
  for (int parts : {0, 1, 2, 3, 7, 64}) {
    INFO("parts " << parts);
    std::vector<std::atomic<int>> runs(size_t(parts < 1 ? 1 : parts));
    for (int round = 0; round < 20; ++round) {  // rounds reuse the helpers
      k::run_parts(parts, [&](int p) { runs[size_t(p)].fetch_add(1); });
    }
    for (int p = 0; p < parts; ++p) CHECK(runs[size_t(p)].load() == 20);
  }
  // Parts run at once: two parts that each wait for the other finish only
  // when both run at the same time (on one core they would wait forever,
  // hence only with helpers).
  if (k::parallel_parts() >= 2) {
    std::atomic<int> arrived{0};
    k::run_parts(2, [&](int) {
      arrived.fetch_add(1);
      while (arrived.load() < 2) std::this_thread::yield();
    });
    CHECK(arrived.load() == 2);
  }
}

TEST_CASE("row_bands: even starts, contiguous, as equal as pairs of rows allow, never empty") {
  for (int h = 1; h <= 40; ++h) {
    for (int parts = 1; parts <= 6; ++parts) {
      INFO("height " << h << ", parts " << parts);
      const auto bands = k::row_bands(h, parts);
      REQUIRE(!bands.empty());
      CHECK(int(bands.size()) == std::min(parts, (h + 1) / 2));
      int at = 0, longest = 0, shortest = h;
      for (auto [a, b] : bands) {
        CHECK(a == at);
        CHECK(a % 2 == 0);
        CHECK(b > a);
        longest = std::max(longest, b - a);
        shortest = std::min(shortest, b - a);
        at = b;
      }
      CHECK(at == h);
      CHECK(longest - shortest <= 3);  // a pair apart, and the last one row shorter when h is odd
    }
  }
}

TEST_CASE("band_of: a band's input rows and padding, and the convs it refuses") {
  k::ConvDesc d;
  d.input = {1, 10, 8, 3};
  d.filters = 4;
  d.kernel_h = d.kernel_w = 3;
  d.stride_h = d.stride_w = 2;
  d.pad_top = 0;  // TF 'same' on 10 rows, stride 2: the odd padding row at the bottom
  d.pad_bottom = 1;
  d.pad_left = 0;
  d.pad_right = 1;
  k::ConvBand band;
  // Output rows [2, 5) read input rows 4 .. 10 (the last a padding row).
  REQUIRE(k::band_of(d, {2, 5}, band) == "");
  CHECK(band.in_row == 4);
  CHECK(band.out_row == 2);
  CHECK(band.desc.input.h == 6);
  CHECK(band.desc.pad_top == 0);
  CHECK(band.desc.pad_bottom == 1);
  REQUIRE(k::band_of(d, {0, 2}, band) == "");
  CHECK(band.in_row == 0);
  CHECK(band.desc.input.h == 5);
  CHECK(band.desc.pad_bottom == 0);
  k::ConvDesc batch = d;
  batch.input.n = 2;
  CHECK(k::band_of(batch, {0, 2}, band) == "one image only");
  k::ConvDesc transposed = d;
  transposed.kind = k::ConvKind::transposed;
  CHECK(k::band_of(transposed, {0, 2}, band) == "a transposed conv is not split by rows");
}
