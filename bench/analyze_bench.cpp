// Benchmark (a separate program, not a test): analysis time per layer on
// large networks. Prints ns/layer for parsing, analysis (shapes, warnings,
// params, MACs, receptive field, minimum input) and report writing.
// Goal (issue 2): analysis under 200 ns/layer natively on a 1000-layer network.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "convscope/analyze.hpp"
#include "convscope/limits.hpp"
#include "convscope/network_json.hpp"
#include "convscope/report_json.hpp"

using namespace convscope;
using Clock = std::chrono::steady_clock;

namespace {

// Blocks of conv 3x3 (pad 1), batch norm, ReLU, 2x2 max pool and 2x upsample:
// a valid network of any length whose every layer does real shape work.
std::string network_json(size_t layers, bool break_at_end) {
  std::string s = R"({"framework": "pytorch", "input": [1, 64, 56, 56], "layers": [)";
  const char* block[] = {
      R"({"type": "conv", "filters": 64, "kernel": 3, "padding": 1})",
      R"({"type": "batch_norm"})",
      R"({"type": "relu"})",
      R"({"type": "max_pool", "kernel": 2})",
      R"({"type": "upsample", "scale": 2})",
  };
  for (size_t i = 0; i < layers; ++i) {
    if (i) s += ", ";
    if (break_at_end && i + 1 == layers) s += R"({"type": "conv", "filters": 8, "kernel": 99})";
    else s += block[i % 5];
  }
  return s + "]}";
}

template <class F>
double median_ns(int runs, F f) {
  std::vector<double> t;
  for (int i = 0; i < runs; ++i) {
    const auto start = Clock::now();
    f();
    t.push_back(std::chrono::duration<double, std::nano>(Clock::now() - start).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

void measure(const char* label, size_t layers, bool broken, int runs) {
  const std::string text = network_json(layers, broken);
  Network net;
  std::string error;
  if (!network_json::parse(text, net, error)) {
    std::printf("benchmark network does not parse: %s\n", error.c_str());
    return;
  }
  Report report = analyze(net);
  size_t sink = 0;
  const double parse = median_ns(runs, [&] {
    Network n;
    network_json::parse(text, n, error);
    sink += n.layers.size();
  });
  const double shapes = median_ns(runs, [&] { sink += analyze(net, {false, false, 0}).layers.size(); });
  const double full = median_ns(runs, [&] { report = analyze(net); sink += report.layers.size(); });
  const double write = median_ns(runs, [&] { sink += report_text_json(report, net).size(); });
  const double n = static_cast<double>(layers);
  std::printf("%-34s %6zu  %9.0f  %9.0f  %9.0f  %9.0f  %9.2f\n", label, layers, parse / n,
              shapes / n, full / n, write / n,
              (parse + full + write) / 1e6);
  if (sink == 42) std::puts("");  // keep the work observable
}

}  // namespace

int main() {
  std::printf("ConvScope analysis benchmark (median of repeated runs, ns per layer)\n");
  std::printf("%-34s %6s  %9s  %9s  %9s  %9s  %9s\n", "network", "layers", "parse", "shapes",
              "analyze", "write", "total ms");
  measure("valid chain", 1000, false, 41);
  measure("valid chain, largest accepted", limits::max_layers, false, 21);
  measure("fails at the last layer (fixes)", 1000, true, 11);
  measure("worst case: max layers, fails last", limits::max_layers, true, 5);
  std::printf("\nshapes = propagation only; analyze = shapes + warnings + minimum input (+ verified fixes\n"
              "when a layer fails); goal: analyze < 200 ns/layer on the 1000-layer valid chain.\n");
  return 0;
}
