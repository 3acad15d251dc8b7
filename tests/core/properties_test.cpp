// Property tests over seeded random networks (std::mt19937, fixed seeds, so
// every run sees the same networks): conv / pool / transposed / pad / crop /
// upsample / flatten / dense mixed across the three frameworks and ranks
// 1-3, sized so that many are invalid. Checked on each:
//   - analysis completes and the report is self-consistent;
//   - every proposed fix really does what it claims when re-analysed;
//   - min_input (when given) is valid and one less on any axis is not;
//   - the report JSON re-parses, and every fix's network survives a
//     to_json / from_json round trip.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "convscope/json.hpp"
#include "convscope/report_json.hpp"
#include "test_support.hpp"

using convscope::Framework;
using convscope::Shape;
using convscope::Status;
namespace json = convscope::json;

namespace {

const convscope::AnalyzeOptions kQuick{false, false, 0};

class NetworkGenerator {
 public:
  explicit NetworkGenerator(uint32_t seed) : rng_(seed) {}

  // Sizes for ordinary networks, or huge ones near 2^31 - 1 for the overflow paths.
  json::Value network(bool huge = false) {
    huge_ = huge;
    const int64_t fw = pick(0, 2);
    framework_ = fw == 0 ? "pytorch" : fw == 1 ? "tensorflow" : "onnx";
    sr_ = static_cast<size_t>(pick(1, 3));
    json::Array input;
    input.push_back(json::Value(int64_t{pick(1, 2)}));
    const int64_t channels = pick(1, 3) == 1 ? 1 : pick(2, 8);
    channels_ = channels;
    if (framework_ != "tensorflow") input.push_back(json::Value(channels));
    for (size_t i = 0; i < sr_; ++i) input.push_back(json::Value(size()));
    if (framework_ == "tensorflow") input.push_back(json::Value(channels));

    json::Array layers;
    const int64_t count = pick(2, 8);
    bool flat = false, just_flattened = false;
    for (int64_t i = 0; i < count; ++i) {
      // Flatten and dense come last most of the time; sometimes a spatial layer follows (a rank error).
      if (flat && pick(0, 4) != 0) {
        layers.push_back(dense(just_flattened));
        just_flattened = false;
        continue;
      }
      const int64_t kind = pick(0, 99);
      if (kind < 30) layers.push_back(conv("conv"));
      else if (kind < 48) layers.push_back(pool());
      else if (kind < 56) layers.push_back(conv_transpose());
      else if (kind < 61) layers.push_back(conv("depthwise_conv"));
      else if (kind < 66) layers.push_back(pad_or_crop("zero_pad", "padding"));
      else if (kind < 71) layers.push_back(pad_or_crop("crop", "cropping"));
      else if (kind < 76) layers.push_back(upsample());
      else if (kind < 84) layers.push_back(elementwise());
      else if (kind < 88) layers.push_back(global_pool());
      else {
        layers.push_back(json::Value(json::Object{{"type", json::Value("flatten")}}));
        flat = just_flattened = true;
        continue;
      }
      just_flattened = false;
    }
    return json::Value(json::Object{{"framework", json::Value(framework_)},
                                    {"input", json::Value(std::move(input))},
                                    {"layers", json::Value(std::move(layers))}});
  }

 private:
  int64_t pick(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng_); }
  bool chance(int percent) { return pick(0, 99) < percent; }

  int64_t size() {
    if (huge_ && chance(50)) return 2147483647 - pick(0, 3);
    return chance(20) ? pick(1, 6) : pick(4, 48);
  }
  int64_t small(int64_t lo, int64_t hi) {
    if (huge_ && chance(15)) return 2147483647 - pick(0, 2);
    return pick(lo, hi);
  }

  // An integer, or one per spatial axis.
  json::Value axes(int64_t lo, int64_t hi) {
    if (chance(70)) return json::Value(small(lo, hi));
    json::Array a;
    for (size_t i = 0; i < sr_; ++i) a.push_back(json::Value(small(lo, hi)));
    return json::Value(std::move(a));
  }

  json::Value explicit_padding(int64_t hi) {
    const int form = static_cast<int>(pick(0, 2));
    if (form == 0) return json::Value(small(0, hi));
    json::Array a;
    for (size_t i = 0; i < sr_; ++i) {
      if (form == 1) a.push_back(json::Value(small(0, hi)));
      else a.push_back(json::Value(json::Array{json::Value(small(0, hi)), json::Value(small(0, hi))}));
    }
    return json::Value(std::move(a));
  }

  json::Value padding_for(const std::string& type) {
    const bool windowed = type == "conv" || type == "depthwise_conv";
    if (framework_ == "pytorch") {
      if (windowed && chance(40)) return json::Value(chance(50) ? "same" : "valid");
      return json::Value(pick(0, 2));  // pools: sometimes above half the kernel
    }
    if (framework_ == "tensorflow") {
      if (windowed && chance(15)) return explicit_padding(2);
      return json::Value(chance(50) ? "same" : "valid");
    }
    const int form = static_cast<int>(pick(0, 3));
    if (form == 0) return json::Value("same");
    if (form == 1) return json::Value("same_lower");
    if (form == 2) return json::Value("valid");
    return explicit_padding(2);
  }

  json::Value conv(const std::string& type) {
    json::Object o{{"type", json::Value(type)}, {"kernel", axes(1, 7)}};
    if (type == "conv") {
      o.push_back({"filters", json::Value(small(1, 8))});
      if (chance(10)) o.push_back({"groups", json::Value(pick(2, 3))});
    } else if (chance(40)) {
      o.push_back({"depth_multiplier", json::Value(pick(1, 3))});
    }
    if (chance(50)) o.push_back({"stride", axes(1, 3)});
    if (chance(25)) o.push_back({"dilation", axes(1, 3)});
    if (chance(70)) o.push_back({"padding", padding_for(type)});
    if (chance(10)) o.push_back({"bias", json::Value(false)});
    return json::Value(std::move(o));
  }

  json::Value pool() {
    const std::string type = chance(50) ? "max_pool" : "avg_pool";
    json::Object o{{"type", json::Value(type)}, {"kernel", axes(1, 4)}};
    if (chance(50)) o.push_back({"stride", axes(1, 3)});
    if (chance(50)) o.push_back({"padding", padding_for(type)});
    if (framework_ != "tensorflow") {
      if (chance(40)) o.push_back({"ceil_mode", json::Value(true)});
      const bool dilation_allowed = type == "max_pool";
      if (dilation_allowed && chance(20)) o.push_back({"dilation", axes(1, 3)});
    }
    return json::Value(std::move(o));
  }

  json::Value conv_transpose() {
    json::Object o{{"type", json::Value("conv_transpose")}, {"filters", json::Value(small(1, 8))}, {"kernel", axes(1, 5)}};
    if (chance(60)) o.push_back({"stride", axes(1, 3)});
    if (chance(20)) o.push_back({"dilation", axes(1, 2)});
    if (chance(40)) o.push_back({"output_padding", axes(0, 2)});
    if (chance(60)) {
      if (framework_ == "pytorch") o.push_back({"padding", explicit_padding(3)});
      else if (framework_ == "tensorflow") o.push_back({"padding", json::Value(chance(50) ? "same" : "valid")});
      else o.push_back({"padding", padding_for("conv_transpose")});
    }
    return json::Value(std::move(o));
  }

  json::Value pad_or_crop(const char* type, const char* field) {
    return json::Value(json::Object{{"type", json::Value(type)}, {field, explicit_padding(4)}});
  }

  json::Value upsample() {
    return json::Value(json::Object{{"type", json::Value("upsample")}, {"scale", axes(1, 3)}});
  }

  json::Value elementwise() {
    const char* types[] = {"relu", "batch_norm", "dropout", "activation"};
    return json::Value(json::Object{{"type", json::Value(types[pick(0, 3)])}});
  }

  json::Value global_pool() {
    if (framework_ == "pytorch" && chance(50)) {
      return json::Value(json::Object{{"type", json::Value("adaptive_avg_pool")}, {"output_size", axes(1, 4)}});
    }
    json::Object o{{"type", json::Value(chance(50) ? "global_avg_pool" : "global_max_pool")}};
    if (framework_ != "pytorch" && chance(50)) o.push_back({"keepdims", json::Value(chance(50))});
    return json::Value(std::move(o));
  }

  json::Value dense(bool after_flatten) {
    json::Object o{{"type", json::Value("dense")}, {"units", json::Value(small(1, 16))}};
    // A declared in_features right after a flatten pins the flattened size: right only by luck,
    // and then min_input searches for an input that matches (costly, so not too often).
    if (after_flatten && chance(8)) o.push_back({"in_features", json::Value(pick(1, 64))});
    return json::Value(std::move(o));
  }

  std::mt19937 rng_;
  std::string framework_;
  size_t sr_ = 2;
  int64_t channels_ = 1;
  bool huge_ = false;
};

convscope::Network with_spatial(convscope::Network net, const Shape& spatial) {
  for (size_t a = 0; a < spatial.size(); ++a) net.input[convscope::conventions::spatial_axis(net.framework, a)] = spatial[a];
  return net;
}

bool declares_in_features(const convscope::Network& net) {
  for (const auto& l : net.layers)
    if (l.in_features) return true;
  return false;
}

struct Tally {
  int networks = 0, invalid = 0, fixes = 0, resolving = 0, min_inputs = 0;
};

// ---- An independent oracle --------------------------------------------------------
// The output of one valid layer, recomputed here from the frameworks' documented
// formulas with plain arithmetic (sizes in these tests are small), so the engine's
// propagation is checked against something it does not share code with.

int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
int64_t ceil_div(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }

std::optional<int64_t> oracle_axis(Framework fw, const convscope::Layer& l, size_t i, int64_t in) {
  using convscope::LayerType;
  using convscope::PadMode;
  const auto& pad = l.padding;
  switch (l.type) {
    case LayerType::zero_pad: return in + pad.pairs[i].first + pad.pairs[i].second;
    case LayerType::crop: return in - l.cropping.pairs[i].first - l.cropping.pairs[i].second;
    case LayerType::upsample: return in * l.scale[i];
    case LayerType::conv_transpose: {
      const int64_t k_eff = l.dilation[i] * (l.kernel[i] - 1) + 1, s = l.stride[i];
      const bool same = pad.mode == PadMode::same || pad.mode == PadMode::same_lower;
      if (fw == Framework::tensorflow) {  // keras deconv_output_length
        if (l.output_padding.empty()) return same ? in * s : in * s + std::max<int64_t>(k_eff - s, 0);
        return (in - 1) * s + k_eff - 2 * (same ? k_eff / 2 : 0) + l.output_padding[i];
      }
      if (same) return in * s;  // ONNX auto_pad SAME_*
      const int64_t op = l.output_padding.empty() ? 0 : l.output_padding[i];
      const int64_t pb = pad.mode == PadMode::explicit_pads ? pad.pairs[i].first : 0;
      const int64_t pe = pad.mode == PadMode::explicit_pads ? pad.pairs[i].second : 0;
      return (in - 1) * s - pb - pe + k_eff + op;
    }
    case LayerType::conv:
    case LayerType::depthwise_conv:
    case LayerType::max_pool:
    case LayerType::avg_pool: {
      const int64_t k_eff = l.dilation[i] * (l.kernel[i] - 1) + 1, s = l.stride[i];
      if (pad.mode == PadMode::same || pad.mode == PadMode::same_lower) {
        if (fw == Framework::pytorch) return in;  // stride 1 only
        return ceil_div(in, s);
      }
      const int64_t pb = pad.mode == PadMode::explicit_pads ? pad.pairs[i].first : 0;
      const int64_t pe = pad.mode == PadMode::explicit_pads ? pad.pairs[i].second : 0;
      if (fw == Framework::tensorflow) return (in + pb + pe - k_eff + s) / s;  // non-negative when valid
      int64_t out = floor_div(in + pb + pe - k_eff + (l.ceil_mode ? s - 1 : 0), s) + 1;
      if (l.ceil_mode && (out - 1) * s >= in + pb) --out;
      return out;
    }
    default: return std::nullopt;
  }
}

// Checks a valid layer's output against the oracle: spatial sizes and channels.
void check_against_oracle(const convscope::Network& net, const convscope::Layer& l, const Shape& in, const Shape& out) {
  using convscope::LayerType;
  const Framework fw = net.framework;
  const size_t sr = net.spatial_rank();
  if (in.size() != sr + 2) return;  // after flatten: no spatial axes
  const size_t c_axis = convscope::conventions::channel_axis(fw, in.size());
  const int64_t channels = in[c_axis];
  switch (l.type) {
    case LayerType::conv:
    case LayerType::conv_transpose: CHECK(out[c_axis] == l.filters); break;
    case LayerType::depthwise_conv: CHECK(out[c_axis] == channels * l.depth_multiplier); break;
    case LayerType::flatten: {
      int64_t features = 1;
      for (size_t a = 1; a < in.size(); ++a) features *= in[a];
      CHECK(out == Shape{in[0], features});
      return;
    }
    case LayerType::global_avg_pool:
    case LayerType::global_max_pool:
      if (!l.keepdims) CHECK(out == Shape{in[0], channels});
      return;
    default: break;
  }
  if (out.size() != in.size()) return;
  for (size_t a = 0; a < sr; ++a) {
    const size_t ax = convscope::conventions::spatial_axis(fw, a);
    const auto expected = oracle_axis(fw, l, a, in[ax]);
    if (!expected) continue;
    CAPTURE(a);
    CHECK(out[ax] == *expected);
  }
}

// The report is internally consistent: statuses, first_error, outputs.
void check_report_shape(const convscope::Network& net, const convscope::Report& rep) {
  REQUIRE(rep.layers.size() == net.layers.size());
  CHECK(rep.ok == !rep.first_error.has_value());
  CHECK(rep.ok == rep.output.has_value());
  for (size_t i = 0; i < rep.layers.size(); ++i) {
    const auto& r = rep.layers[i];
    CAPTURE(i);
    CHECK(r.index == i);
    if (rep.first_error && i > *rep.first_error) {
      CHECK(r.status == Status::skipped);
    } else if (rep.first_error && i == *rep.first_error) {
      CHECK(r.status == Status::error);
      CHECK_FALSE(r.output.has_value());
      CHECK_FALSE(r.message.empty());
    } else {
      CHECK((r.status == Status::ok || r.status == Status::warning));
      REQUIRE(r.output.has_value());
      for (int64_t d : *r.output) {
        CHECK(d >= 1);
        CHECK(d <= 2147483647);
      }
      if (r.input) check_against_oracle(net, net.layers[i], *r.input, *r.output);
    }
  }
}

void check_fixes(const convscope::Network& net, const convscope::Report& rep, Tally& tally) {
  if (!rep.first_error) return;
  const size_t failing = *rep.first_error;
  for (const convscope::Fix& fix : rep.layers[failing].fixes) {
    CAPTURE(fix.summary);
    ++tally.fixes;
    const convscope::Report after = convscope::analyze(fix.network, kQuick);
    CHECK(after.ok == fix.resolves_all);
    if (fix.resolves_all) ++tally.resolving;
    if (!after.ok) {
      // Not a full fix: the first error must at least have moved past the failing layer.
      REQUIRE(after.first_error.has_value());
      if (fix.network.layers.size() == net.layers.size()) CHECK(*after.first_error > failing);
      else CHECK(*after.first_error >= failing);  // a removed layer at or before it
    }
    if (fix.network.layers.size() == net.layers.size() && fix.output)
      CHECK(after.layers[failing].output == fix.output);
    // The carried network round-trips through the JSON contract.
    const json::Value written = convscope::network_json::to_json(fix.network);
    convscope::Network back;
    std::string error;
    CHECK(convscope::network_json::from_json(written, back, error));
    CHECK(error.empty());
    CHECK(convscope::network_json::to_json(back) == written);
  }
}

void check_min_input(const convscope::Network& net, const convscope::Report& rep, Tally& tally) {
  if (rep.ok && !declares_in_features(net)) {
    // The given input is valid, so a minimum exists and is no larger on any axis.
    REQUIRE(rep.min_input.has_value());
    const Shape spatial = test_support::spatial_of(net.framework, net.input);
    for (size_t a = 0; a < spatial.size(); ++a) CHECK((*rep.min_input)[a] <= spatial[a]);
  }
  if (!rep.min_input) {
    CHECK_FALSE(rep.min_input_note.empty());
    return;
  }
  ++tally.min_inputs;
  const Shape& min = *rep.min_input;
  REQUIRE(min.size() == net.spatial_rank());
  const convscope::Report at_min = convscope::analyze(with_spatial(net, min), kQuick);
  CHECK(at_min.ok);
  for (size_t a = 0; a < min.size(); ++a) {
    if (min[a] <= 1) continue;
    Shape smaller = min;
    smaller[a] -= 1;
    CAPTURE(a);
    CHECK_FALSE(convscope::analyze(with_spatial(net, smaller), kQuick).ok);
  }
}

void check_report_json(const convscope::Network& net, const convscope::Report& rep, bool twice) {
  const std::string text = convscope::report_text_json(rep, net);
  json::Value v;
  json::ParseError error;
  CHECK(json::parse(text, v, error));
  CHECK(error.message.empty());
  // Deterministic: the same network gives the same bytes.
  if (twice) CHECK(convscope::report_text_json(convscope::analyze(net), net) == text);
}

// One batch of seeds; four batches so ctest can run them in parallel.
void check_properties(uint32_t first_seed, uint32_t last_seed) {
  Tally tally;
  for (uint32_t seed = first_seed; seed <= last_seed; ++seed) {
    CAPTURE(seed);
    NetworkGenerator gen(seed);
    const json::Value spec = gen.network();
    const std::string text = json::write(spec, -1);
    CAPTURE(text);
    convscope::Network net;
    std::string error;
    const bool parsed = convscope::network_json::from_json(spec, net, error);
    CAPTURE(error);
    REQUIRE(parsed);  // the generator only writes what the contract allows
    convscope::Report rep;
    CHECK_NOTHROW(rep = convscope::analyze(net));
    ++tally.networks;
    if (!rep.ok) ++tally.invalid;
    check_report_shape(net, rep);
    check_fixes(net, rep, tally);
    check_min_input(net, rep, tally);
    check_report_json(net, rep, seed % 8 == 0);
  }
  INFO("seeds " << first_seed << "-" << last_seed << ": networks " << tally.networks << ", invalid "
                   << tally.invalid << ", fixes " << tally.fixes << " (" << tally.resolving
                   << " resolving all), min inputs " << tally.min_inputs);
  // The mix is meant to exercise failures and fixes, not only valid networks.
  CHECK(tally.invalid >= tally.networks / 4);
  CHECK(tally.invalid <= tally.networks * 9 / 10);
  CHECK(tally.fixes >= tally.invalid);
  CHECK(tally.min_inputs >= tally.networks / 4);
}

}  // namespace

TEST_CASE("properties hold over seeded random networks, seeds 1-100") { check_properties(1, 100); }
TEST_CASE("properties hold over seeded random networks, seeds 101-200") { check_properties(101, 200); }
TEST_CASE("properties hold over seeded random networks, seeds 201-300") { check_properties(201, 300); }
TEST_CASE("properties hold over seeded random networks, seeds 301-400") { check_properties(301, 400); }

TEST_CASE("networks with sizes near 2^31 - 1 analyse to clear errors, never wrapped sizes") {
  int errors = 0;
  for (uint32_t seed = 1001; seed <= 1120; ++seed) {
    CAPTURE(seed);
    NetworkGenerator gen(seed);
    const json::Value spec = gen.network(/*huge=*/true);
    CAPTURE(json::write(spec, -1));
    convscope::Network net;
    std::string error;
    REQUIRE(convscope::network_json::from_json(spec, net, error));
    const convscope::Report rep = convscope::analyze(net);
    check_report_shape(net, rep);
    if (!rep.ok) ++errors;
    for (const auto& r : rep.layers) {
      if (r.params) CHECK(*r.params >= 0);
      if (r.macs) CHECK(*r.macs >= 0);
    }
    if (rep.total_params) CHECK(*rep.total_params >= 0);
    if (rep.total_macs) CHECK(*rep.total_macs >= 0);
    json::Value v;
    json::ParseError perr;
    CHECK(json::parse(convscope::report_text_json(rep, net), v, perr));
  }
  CHECK(errors > 0);
}

// ---- Transposed convolution round trips ------------------------------------------

TEST_CASE("the forward conv of a PyTorch / ONNX transposed output gives back the input") {
  // out = (in - 1) * s - pb - pe + k_eff + op; floor((out + pb + pe - k_eff) / s) + 1
  //     = floor(((in - 1) * s + op) / s) + 1 = in whenever op < s.
  std::mt19937 rng(20240601);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  int checked_cases = 0;
  for (int n = 0; n < 5000; ++n) {
    const int64_t in = pick(1, 64), k = pick(1, 7), s = pick(1, 4), d = pick(1, 3), op = pick(0, s - 1);
    const int64_t pb = pick(0, 4), pe = pick(0, 4);
    const int64_t k_eff = convscope::shape::effective_kernel(k, d);
    const auto t = convscope::shape::transposed_size({in, k_eff, s, {pb, pe}, op});
    CAPTURE(in); CAPTURE(k); CAPTURE(s); CAPTURE(d); CAPTURE(op); CAPTURE(pb); CAPTURE(pe);
    if (t.out < 1) continue;  // the padding removed everything: no forward conv to run
    ++checked_cases;
    CHECK(t.out == (in - 1) * s - pb - pe + d * (k - 1) + op + 1);  // the PyTorch docs' spelling
    const auto back = convscope::shape::window_size({t.out, k_eff, s, {pb, pe}, false});
    CHECK(back.out == in);
  }
  CHECK(checked_cases > 3000);
}

TEST_CASE("Keras transposed sizes map back to the input under TensorFlow's forward rule") {
  // TF's conv2d_transpose requires the forward conv of its output to give the input: valid
  // (out - k_eff + s) / s, same ceil(out / s). Keras' length rule satisfies it, except 'same' with
  // an explicit output_padding when k_eff % 2 + op == 0: (in - 1) * s maps back to in - 1.
  std::mt19937 rng(7);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  for (int n = 0; n < 5000; ++n) {
    const int64_t in = pick(1, 64), k_eff = pick(1, 9), s = pick(1, 4), op = pick(0, s - 1);
    const bool same = pick(0, 1) == 1, has_op = pick(0, 1) == 1;
    CAPTURE(in); CAPTURE(k_eff); CAPTURE(s); CAPTURE(op); CAPTURE(same); CAPTURE(has_op);
    const auto t = convscope::shape::keras_transposed_size(in, k_eff, s, same, has_op ? &op : nullptr);
    if (t.out < 1) {
      // Only (1 - 1) * s + 0 + 0 = 0: the exception below, on a 1-cell input.
      CHECK((same && has_op && k_eff % 2 + op == 0 && in == 1));
      continue;
    }
    const int64_t forward = same ? convscope::shape::same_output(t.out, s)
                                 : convscope::shape::tensorflow_window_size({t.out, k_eff, s, {}, false}).out_truncated;
    if (same && has_op && k_eff % 2 + op == 0) CHECK(forward == in - 1);
    else CHECK(forward == in);
  }
}

TEST_CASE("a transposed conv followed by the matching conv restores the spatial size, end to end") {
  // Through parse + analyze: conv_transpose(k, s, d, p, op) then conv(k, s, d, p) on the same axes.
  std::mt19937 rng(99);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  int valid = 0;
  for (int n = 0; n < 300; ++n) {
    const bool onnx = pick(0, 1) == 1;
    const int64_t in = pick(1, 20), k = pick(1, 5), s = pick(1, 3), d = pick(1, 2), p = pick(0, 2), op = pick(0, s - 1);
    const std::string fields = R"("kernel": )" + std::to_string(k) + R"(, "stride": )" + std::to_string(s) +
                               R"(, "dilation": )" + std::to_string(d) + R"(, "padding": )" + std::to_string(p);
    const std::string text = std::string(R"({"framework": ")") + (onnx ? "onnx" : "pytorch") +
                             R"(", "input": [1, 2, )" + std::to_string(in) + ", " + std::to_string(in) +
                             R"(], "layers": [{"type": "conv_transpose", "filters": 3, )" + fields +
                             R"(, "output_padding": )" + std::to_string(op) + R"(}, {"type": "conv", "filters": 2, )" +
                             fields + "}]}";
    CAPTURE(text);
    const auto a = test_support::analyse(text);
    if (!a.report.ok) {
      // Only the transposed layer may fail, and only because its padding removed everything.
      CHECK(a.report.first_error == 0u);
      CHECK(a.report.layers[0].axes[0].out < 1);
      continue;
    }
    ++valid;
    CHECK(a.report.output == Shape{1, 2, in, in});
  }
  CHECK(valid > 200);
}
