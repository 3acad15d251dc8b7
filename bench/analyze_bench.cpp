// Benchmark (a separate program, not a test): analysis time per layer on
// large networks. Prints ns/layer for parsing, analysis (shapes, warnings,
// params, MACs, receptive field, minimum input) and report writing.
// Goals: analysis under 200 ns/layer natively on a 1000-layer chain (issue 2);
// under 300 ns/layer on a 1000-node graph of residual and concat blocks, and
// the valid-size statement of a depth-5 padded U-Net around 1024x1024 in
// under 50 ms (issue 10).
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include <time.h>

#include "convscope/analyze.hpp"
#include "convscope/limits.hpp"
#include "convscope/network_json.hpp"
#include "convscope/report_json.hpp"
#include "convscope/valid_input.hpp"

using namespace convscope;

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

// A graph of `layers` nodes (trimmed to exactly that many) made of blocks that
// keep 56x56x64: ResNet basic blocks with an identity shortcut; a stride-2
// block with a projection shortcut followed by 2x upsampling; a dense-style
// concat of a 1x1 branch, then a 1x1 transition back to 64 channels.
std::string graph_json(size_t layers, bool break_at_end) {
  std::vector<std::string> out;
  size_t n = 0;
  auto name = [](size_t i) { return "\"l" + std::to_string(i) + "\""; };
  auto add = [&](const std::string& fields, const std::string& inputs = "") {
    std::string l = "{" + fields + ", \"name\": " + name(n);
    if (!inputs.empty()) l += ", \"inputs\": [" + inputs + "]";
    out.push_back(l + "}");
    return n++;
  };
  const std::string conv3 = R"("type": "conv", "filters": 64, "kernel": 3, "padding": 1, "bias": false)";
  const std::string bn = R"("type": "batch_norm")", relu = R"("type": "relu")";
  std::string x = "\"input\"";
  for (size_t block = 0; n < layers; ++block) {
    if (block % 3 == 0) {  // basic block, identity shortcut
      add(conv3, x); add(bn); add(relu); add(conv3); const size_t b = add(bn);
      const size_t s = add(R"("type": "add")", name(b) + ", " + x);
      x = name(add(relu, name(s)));
    } else if (block % 3 == 1) {  // stride 2 with a projection, then back up
      add(R"("type": "conv", "filters": 64, "kernel": 3, "stride": 2, "padding": 1, "bias": false)", x);
      add(bn); add(relu); add(conv3); const size_t b = add(bn);
      add(R"("type": "conv", "filters": 64, "kernel": 1, "stride": 2, "bias": false)", x);
      const size_t p = add(bn);
      const size_t s = add(R"("type": "add")", name(b) + ", " + name(p));
      add(relu, name(s));
      x = name(add(R"("type": "upsample", "scale": 2)"));
    } else {  // dense-style concat and a transition
      add(R"("type": "conv", "filters": 32, "kernel": 1)", x);
      const size_t r = add(relu);
      const size_t c = add(R"("type": "concat")", x + ", " + name(r));
      x = name(add(R"("type": "conv", "filters": 64, "kernel": 1)", name(c)));
    }
  }
  out.resize(layers);
  if (break_at_end) out.back() = R"({"type": "conv", "filters": 8, "kernel": 99, "name": "broken"})";
  std::string s = R"({"framework": "pytorch", "input": [1, 64, 56, 56], "layers": [)";
  for (size_t i = 0; i < out.size(); ++i) s += (i ? ", " : "") + out[i];
  return s + "]}";
}

// A padded U-Net of the given depth (3x3 convs with padding 1, 2x2 pools,
// 2x2 stride-2 transposed convs, torch.cat([skip, up], 1)), as examples/unet_padded.json.
std::string unet_json(int depth, int64_t size) {
  std::string s = R"({"framework": "pytorch", "input": [1, 3, )" + std::to_string(size) + ", " +
                  std::to_string(size) + R"(], "layers": [)";
  int64_t f = 64;
  auto conv = [&](const std::string& name, int64_t filters) {
    s += R"({"type": "conv", "name": ")" + name + R"(.conv1", "filters": )" + std::to_string(filters) +
         R"(, "kernel": 3, "padding": 1}, {"type": "relu", "name": ")" + name + R"(.relu1"}, )";
    s += R"({"type": "conv", "name": ")" + name + R"(.conv2", "filters": )" + std::to_string(filters) +
         R"(, "kernel": 3, "padding": 1}, {"type": "relu", "name": ")" + name + R"(.relu2"}, )";
  };
  for (int d = 1; d <= depth; ++d, f *= 2) {
    conv("enc" + std::to_string(d), f);
    s += R"({"type": "max_pool", "name": "pool)" + std::to_string(d) + R"(", "kernel": 2}, )";
  }
  conv("bottleneck", f);
  for (int d = depth; d >= 1; --d) {
    f /= 2;
    const std::string k = std::to_string(d);
    s += R"({"type": "conv_transpose", "name": "up)" + k + R"(", "filters": )" + std::to_string(f) +
         R"(, "kernel": 2, "stride": 2}, )";
    s += R"({"type": "concat", "name": "cat)" + k + R"(", "inputs": ["enc)" + k + R"(.relu2", "up)" + k + R"("]}, )";
    conv("dec" + k, f);
  }
  return s + R"({"type": "conv", "name": "out", "filters": 2, "kernel": 1}]})";
}

// CPU time of this thread: the figures stay readable on a machine shared with
// other builds (on a quiet machine they equal wall-clock time).
double thread_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

template <class F>
double median_ns(int runs, F f) {
  std::vector<double> t;
  for (int i = 0; i < runs; ++i) {
    const double start = thread_ns();
    f();
    t.push_back(thread_ns() - start);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

void measure(const char* label, size_t layers, bool broken, int runs, bool graph = false) {
  const std::string text = graph ? graph_json(layers, broken) : network_json(layers, broken);
  Network net;
  std::string error;
  if (!network_json::parse(text, net, error)) {
    std::printf("benchmark network does not parse: %s\n", error.c_str());
    return;
  }
  Report report = analyze(net);
  if (report.ok == broken) {
    std::printf("benchmark network %s: unexpected verdict\n", label);
    return;
  }
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

// The valid-size statement alone (find_valid_input on an analysed network).
void measure_valid_input(const char* label, int depth, int64_t size, int runs) {
  Network net;
  std::string error;
  if (!network_json::parse(unet_json(depth, size), net, error)) {
    std::printf("benchmark network does not parse: %s\n", error.c_str());
    return;
  }
  const Report base = analyze(net, {false, false, 0});
  Report last;
  const double t = median_ns(runs, [&] {
    last = base;
    find_valid_input(net, last);
  });
  std::printf("%-34s %6zu  %9.2f  %s\n", label, net.layers.size(), t / 1e6, last.valid_input.text.c_str());
}

int main() {
  std::printf("ConvScope analysis benchmark (median of repeated runs, thread CPU time, ns per layer)\n");
  std::printf("%-34s %6s  %9s  %9s  %9s  %9s  %9s\n", "network", "layers", "parse", "shapes",
              "analyze", "write", "total ms");
  measure("valid chain", 1000, false, 41);
  measure("valid chain, largest accepted", limits::max_layers, false, 21);
  measure("fails at the last layer (fixes)", 1000, true, 11);
  measure("worst case: max layers, fails last", limits::max_layers, true, 5);
  measure("graph: residual + concat blocks", 1000, false, 11, true);
  measure("graph, largest accepted", limits::max_layers, false, 5, true);
  measure("graph, fails at the last layer", 1000, true, 11, true);
  std::printf("\nshapes = propagation only; analyze = shapes + warnings + minimum and valid input sizes\n"
              "(+ verified fixes when a layer fails); goals: analyze < 200 ns/layer on the 1000-layer\n"
              "valid chain, < 300 ns/layer on the 1000-node graph, with and without the input sizes.\n");
  std::printf("\n%-34s %6s  %9s  %s\n", "valid-size statement", "layers", "ms", "statement");
  measure_valid_input("padded U-Net depth 5, 1024x1024", 5, 1024, 5);
  measure_valid_input("padded U-Net depth 5, 1000x1000", 5, 1000, 5);
  std::printf("\ngoal: the statement of the depth-5 U-Net around 1024x1024 in < 50 ms.\n");
  return 0;
}
