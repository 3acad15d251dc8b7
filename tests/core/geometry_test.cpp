// The resolved geometry in the report: per spatial axis the padding as each
// framework resolves it, the effective kernel, the stride with the pooling
// default applied, ceil mode's last window, TensorFlow's truncation, and the
// explicit pads and output padding that realise a transposed conv's size.
#include <doctest/doctest.h>

#include <string>

#include "convscope/geometry.hpp"
#include "convscope/json.hpp"
#include "convscope/report_json.hpp"
#include "test_support.hpp"

using convscope::geometry::Axis;
using convscope::geometry::Geometry;
using convscope::shape::Rule;
using test_support::analyse;
namespace geometry = convscope::geometry;
namespace json = convscope::json;
namespace shape = convscope::shape;

namespace {

// The geometry of layer `index` of a network given as JSON text.
Geometry geometry_of(const std::string& network, size_t index = 0) {
  const auto a = analyse(network);
  REQUIRE(index < a.report.layers.size());
  const auto g = geometry::resolve(a.net.layers[index], a.report.layers[index]);
  REQUIRE(g.has_value());
  return *g;
}

bool has_geometry(const std::string& network, size_t index) {
  const auto a = analyse(network);
  return geometry::resolve(a.net.layers[index], a.report.layers[index]).has_value();
}

// One layer on a 2-D input of H x W (NCHW, or NHWC for tensorflow).
std::string one_layer(const std::string& fw, int64_t h, int64_t w, const std::string& layer) {
  const std::string input = fw == "tensorflow" ? "[1, " + std::to_string(h) + ", " + std::to_string(w) + ", 2]"
                                               : "[1, 2, " + std::to_string(h) + ", " + std::to_string(w) + "]";
  return R"({"framework": ")" + fw + R"(", "input": )" + input + R"(, "layers": [)" + layer + "]}";
}

}  // namespace

TEST_CASE("TensorFlow SAME puts the odd padding cell at the end, ONNX SAME_LOWER at the start") {
  SUBCASE("TensorFlow, stride 2: 8 -> 4 with padding 0 + 1; 7 -> 4 with 1 + 1") {
    const Geometry g = geometry_of(one_layer("tensorflow", 8, 7, R"({"type": "conv", "filters": 1, "kernel": 3, "stride": 2, "padding": "same"})"));
    CHECK(g[0].rule == Rule::same);
    CHECK(g[0].out == 4);
    CHECK(g[0].pad_begin == 0);
    CHECK(g[0].pad_end == 1);
    CHECK(g[1].out == 4);
    CHECK(g[1].pad_begin == 1);
    CHECK(g[1].pad_end == 1);
    CHECK(g[0].dropped == 0);
    CHECK(g[0].overhang == 0);
  }
  SUBCASE("ONNX SAME_UPPER and SAME_LOWER split the same total the two ways") {
    const Geometry upper = geometry_of(one_layer("onnx", 8, 8, R"({"type": "conv", "filters": 1, "kernel": 3, "stride": 2, "padding": "same"})"));
    const Geometry lower = geometry_of(one_layer("onnx", 8, 8, R"({"type": "conv", "filters": 1, "kernel": 3, "stride": 2, "padding": "same_lower"})"));
    CHECK(upper[0].pad_begin == 0);
    CHECK(upper[0].pad_end == 1);
    CHECK(lower[0].pad_begin == 1);
    CHECK(lower[0].pad_end == 0);
    CHECK(lower[0].out == 4);
  }
  SUBCASE("SAME with a dilated kernel pads for the effective kernel") {
    // k_eff = 2 * (3 - 1) + 1 = 5; out 6, total 5 - 1 = 4.
    const Geometry g = geometry_of(one_layer("tensorflow", 6, 6, R"({"type": "conv", "filters": 1, "kernel": 3, "dilation": 2, "padding": "same"})"));
    CHECK(g[0].kernel == 3);
    CHECK(g[0].dilation == 2);
    CHECK(g[0].k_eff == 5);
    CHECK(g[0].pad_begin == 2);
    CHECK(g[0].pad_end == 2);
  }
}

TEST_CASE("PyTorch padding='same' puts the extra cell of an even kernel on the right") {
  // total k_eff - 1 = 3: left 1, right 2 (torch/nn/modules/conv.py).
  const Geometry g = geometry_of(one_layer("pytorch", 5, 5, R"({"type": "conv", "filters": 1, "kernel": 4, "padding": "same"})"));
  CHECK(g[0].rule == Rule::window);
  CHECK(g[0].out == 5);
  CHECK(g[0].pad_begin == 1);
  CHECK(g[0].pad_end == 2);
}

TEST_CASE("ceil mode: the extra window reads beyond the padded input, or is dropped when it starts in the padding") {
  SUBCASE("5 -> 3 with kernel 2, stride 2: the last window overhangs by one cell") {
    const Geometry g = geometry_of(one_layer("pytorch", 5, 5, R"({"type": "max_pool", "kernel": 2, "ceil_mode": true})"));
    CHECK(g[0].ceil_mode);
    CHECK(g[0].out == 3);
    CHECK(g[0].overhang == 1);
    CHECK(g[0].dropped == 0);
    CHECK_FALSE(g[0].last_window_dropped);
  }
  SUBCASE("the same pool without ceil mode drops the last input cell") {
    const Geometry g = geometry_of(one_layer("pytorch", 5, 5, R"({"type": "max_pool", "kernel": 2})"));
    CHECK(g[0].out == 2);
    CHECK(g[0].overhang == 0);
    CHECK(g[0].dropped == 1);
  }
  SUBCASE("padding 1: the fourth window would start at 6 >= 5 + 1 and is dropped") {
    const Geometry g = geometry_of(one_layer("pytorch", 5, 5, R"({"type": "max_pool", "kernel": 2, "padding": 1, "ceil_mode": true})"));
    CHECK(g[0].out == 3);
    CHECK(g[0].last_window_dropped);
    CHECK(g[0].overhang == 0);
    CHECK(g[0].pad_begin == 1);
    CHECK(g[0].pad_end == 1);
  }
}

TEST_CASE("TensorFlow's truncating division gives 0 where the floor gives -1") {
  // (4 - 7 + 2) / 2 = 0 in C++; floor((4 - 7) / 2) + 1 = -1.
  const Geometry tf = geometry_of(one_layer("tensorflow", 4, 4, R"({"type": "conv", "filters": 1, "kernel": 7, "stride": 2})"));
  CHECK(tf[0].rule == Rule::tensorflow_window);
  CHECK(tf[0].out == 0);
  CHECK(tf[0].overhang == 3);  // the one attempted window spans 7 of 4 cells
  CHECK(tf[0].dropped == 0);
  const Geometry torch = geometry_of(one_layer("pytorch", 4, 4, R"({"type": "conv", "filters": 1, "kernel": 7, "stride": 2})"));
  CHECK(torch[0].out == -1);
}

TEST_CASE("a pool's stride defaults to its kernel in PyTorch and Keras, to 1 in ONNX") {
  const std::string pool = R"({"type": "max_pool", "kernel": 3})";
  CHECK(geometry_of(one_layer("pytorch", 9, 9, pool))[0].stride == 3);
  CHECK(geometry_of(one_layer("tensorflow", 9, 9, pool))[0].stride == 3);
  CHECK(geometry_of(one_layer("onnx", 9, 9, pool))[0].stride == 1);
  CHECK(geometry_of(one_layer("onnx", 9, 9, pool))[0].out == 7);
}

TEST_CASE("cells a stride leaves at the end are dropped; dropped end padding is not counted") {
  // 10 -> floor((10 - 3) / 2) + 1 = 4; the last window ends at 9: cell 9 is never read.
  CHECK(geometry_of(one_layer("pytorch", 10, 10, R"({"type": "conv", "filters": 1, "kernel": 3, "stride": 2})"))[0].dropped == 1);
  // 8 + 1 + 1 -> 4; the last window ends at 9 of the padded 10: only padding is left out.
  CHECK(geometry_of(one_layer("pytorch", 8, 8, R"({"type": "conv", "filters": 1, "kernel": 3, "stride": 2, "padding": 1})"))[0].dropped == 0);
}

TEST_CASE("Keras transposed convs: the pads and output padding that realise deconv_output_length") {
  SUBCASE("valid, kernel 3, stride 2: 4 -> 9, the full scatter") {
    const Axis a = geometry_of(one_layer("tensorflow", 4, 4, R"({"type": "conv_transpose", "filters": 1, "kernel": 3, "stride": 2})"))[0];
    CHECK(a.rule == Rule::keras_transposed);
    CHECK(a.out == 9);
    CHECK(a.pad_begin == 0);
    CHECK(a.pad_end == 0);
    CHECK(a.output_padding == 0);
  }
  SUBCASE("valid, kernel 1, stride 2: 4 -> 8, one cell beyond the scatter") {
    const Axis a = geometry_of(one_layer("tensorflow", 4, 4, R"({"type": "conv_transpose", "filters": 1, "kernel": 1, "stride": 2})"))[0];
    CHECK(a.out == 8);
    CHECK(a.output_padding == 1);
  }
  SUBCASE("same, kernel 3, stride 2: 4 -> 8, TF's forward SAME padding 0 + 1") {
    const Axis a = geometry_of(one_layer("tensorflow", 4, 4, R"({"type": "conv_transpose", "filters": 1, "kernel": 3, "stride": 2, "padding": "same"})"))[0];
    CHECK(a.out == 8);
    CHECK(a.pad_begin == 0);
    CHECK(a.pad_end == 1);
    CHECK(a.output_padding == 0);
    REQUIRE(a.stretched.has_value());
    CHECK(a.stretched->in == 7);
    CHECK(a.stretched->pad_begin == 2);
    CHECK(a.stretched->pad_end == 1);
  }
  SUBCASE("same, kernel 4, stride 2: 4 -> 8 with padding 1 + 1") {
    const Axis a = geometry_of(one_layer("tensorflow", 4, 4, R"({"type": "conv_transpose", "filters": 1, "kernel": 4, "stride": 2, "padding": "same"})"))[0];
    CHECK(a.out == 8);
    CHECK(a.pad_begin == 1);
    CHECK(a.pad_end == 1);
  }
  SUBCASE("same with output_padding 1: (4 - 1) * 2 + 3 - 2 + 1 = 8, padded like the forward conv of 8") {
    const Axis a = geometry_of(one_layer("tensorflow", 4, 4, R"({"type": "conv_transpose", "filters": 1, "kernel": 3, "stride": 2, "padding": "same", "output_padding": 1})"))[0];
    CHECK(a.out == 8);
    CHECK(a.pad_begin == 0);
    CHECK(a.pad_end == 1);
    CHECK(a.output_padding == 0);
  }
}

TEST_CASE("PyTorch and ONNX transposed convs keep their pads and output padding") {
  SUBCASE("PyTorch kernel 3, stride 2, padding 1, output_padding 1: 4 -> 8") {
    const Axis a = geometry_of(one_layer("pytorch", 4, 4, R"({"type": "conv_transpose", "filters": 1, "kernel": 3, "stride": 2, "padding": 1, "output_padding": 1})"))[0];
    CHECK(a.rule == Rule::transposed);
    CHECK(a.out == 8);
    CHECK(a.pad_begin == 1);
    CHECK(a.pad_end == 1);
    CHECK(a.output_padding == 1);
    REQUIRE(a.stretched.has_value());
    CHECK(a.stretched->in == 7);  // (4 - 1) * 2 + 1
    CHECK(a.stretched->pad_begin == 1);
    CHECK(a.stretched->pad_end == 2);
  }
  SUBCASE("ONNX SAME_UPPER / SAME_LOWER: output in * stride, the odd cell at the end / start") {
    const Axis upper = geometry_of(one_layer("onnx", 3, 3, R"({"type": "conv_transpose", "filters": 1, "kernel": 3, "stride": 2, "padding": "same"})"))[0];
    const Axis lower = geometry_of(one_layer("onnx", 3, 3, R"({"type": "conv_transpose", "filters": 1, "kernel": 3, "stride": 2, "padding": "same_lower"})"))[0];
    CHECK(upper.out == 6);
    CHECK(upper.pad_begin == 0);
    CHECK(upper.pad_end == 1);
    CHECK(lower.out == 6);
    CHECK(lower.pad_begin == 1);
    CHECK(lower.pad_end == 0);
  }
  SUBCASE("ONNX SAME with a kernel smaller than the stride: the spec's negative padding, as resolved") {
    // total 2 * 2 + 1 - 6 = -1: begin floor(-1 / 2) = -1, end 0.
    const Axis a = geometry_of(one_layer("onnx", 3, 3, R"({"type": "conv_transpose", "filters": 1, "kernel": 1, "stride": 2, "padding": "same"})"))[0];
    CHECK(a.out == 6);
    CHECK(a.pad_begin == -1);
    CHECK(a.pad_end == 0);
  }
}

TEST_CASE("zero padding, cropping and upsampling read as 1-wide windows") {
  const Geometry pad = geometry_of(one_layer("tensorflow", 4, 4, R"({"type": "zero_pad", "padding": [[1, 2], [0, 3]]})"));
  CHECK(pad[0].rule == Rule::zero_pad);
  CHECK(pad[0].out == 7);
  CHECK(pad[0].pad_begin == 1);
  CHECK(pad[0].pad_end == 2);
  CHECK(pad[0].k_eff == 1);
  const Geometry crop = geometry_of(one_layer("tensorflow", 6, 6, R"({"type": "crop", "cropping": [[1, 2], [0, 3]]})"));
  CHECK(crop[0].rule == Rule::crop);
  CHECK(crop[0].out == 3);
  CHECK(crop[0].pad_begin == -1);
  CHECK(crop[0].pad_end == -2);
  CHECK(crop[0].dropped == 3);
  CHECK(crop[1].pad_begin == 0);
  CHECK(crop[1].pad_end == -3);
  const Geometry up = geometry_of(one_layer("pytorch", 3, 3, R"({"type": "upsample", "scale": [2, 3]})"));
  CHECK(up[0].rule == Rule::upsample);
  CHECK(up[0].scale == 2);
  CHECK(up[1].scale == 3);
  CHECK(up[1].out == 9);
  CHECK(up[1].stride == 1);
}

TEST_CASE("layers without per-axis sizes, or refused before them, have no geometry") {
  const std::string net = R"({"framework": "pytorch", "input": [1, 2, 8, 8], "layers": [
      {"type": "relu"}, {"type": "global_avg_pool"}, {"type": "flatten"}, {"type": "dense", "units": 3}]})";
  for (size_t i = 0; i < 4; ++i) {
    CAPTURE(i);
    CHECK_FALSE(has_geometry(net, i));
  }
  // PyTorch refuses padding='same' with stride 2 before computing any size.
  CHECK_FALSE(has_geometry(one_layer("pytorch", 8, 8, R"({"type": "conv", "filters": 1, "kernel": 3, "stride": 2, "padding": "same"})"), 0));
}

TEST_CASE("the explicit pads realise the reported size under the plain size rules, in every mode") {
  // What the preview worker relies on: the kernels, given the geometry's
  // numbers (never a padding mode), compute the size the report gives.
  const char* const frameworks[] = {"pytorch", "tensorflow", "onnx"};
  const char* const paddings[] = {"\"valid\"", "\"same\"", "\"same_lower\"", "1", "[[0, 1], [2, 1]]"};
  const char* const types[] = {"conv", "max_pool", "avg_pool", "conv_transpose"};
  int checked_layers = 0;
  for (const char* fw : frameworks)
    for (const char* type : types)
      for (const char* padding : paddings)
        for (int k = 1; k <= 4; ++k)
          for (int s = 1; s <= 3; ++s)
            for (int d = 1; d <= 2; ++d)
              for (int ceil = 0; ceil <= 1; ++ceil)
                for (int64_t in = 1; in <= 9; ++in) {
                  const std::string t = type;
                  const bool pool = t == "max_pool" || t == "avg_pool";
                  std::string layer = R"({"type": ")" + t + R"(", "kernel": )" + std::to_string(k) +
                                      R"(, "stride": )" + std::to_string(s) + R"(, "padding": )" + padding;
                  if (!pool) layer += R"(, "filters": 1)";
                  if (d > 1) layer += R"(, "dilation": )" + std::to_string(d);
                  if (ceil) layer += R"(, "ceil_mode": true)";
                  layer += "}";
                  const std::string net = one_layer(fw, in, in, layer);
                  if (!test_support::parse_error(net).empty()) continue;  // a field the framework lacks
                  const auto a = analyse(net);
                  const auto& r = a.report.layers[0];
                  if (r.status == convscope::Status::error) continue;
                  const auto g = geometry::resolve(a.net.layers[0], r);
                  REQUIRE(g.has_value());
                  const Axis& x = (*g)[0];
                  CAPTURE(net);
                  CHECK(x.k_eff == shape::effective_kernel(x.kernel, x.dilation));
                  if (t == "conv_transpose") {
                    if (x.pad_begin < 0 || x.pad_end < 0) continue;  // ONNX SAME's negative spec padding
                    const auto plain = shape::transposed_size({x.in, x.k_eff, x.stride, {x.pad_begin, x.pad_end}, x.output_padding});
                    CHECK(plain.out == x.out);
                    REQUIRE(x.stretched.has_value());
                    CHECK(x.stretched->in + x.stretched->pad_begin + x.stretched->pad_end - x.k_eff + 1 == x.out);
                  } else {
                    const auto plain = shape::window_size({x.in, x.k_eff, x.stride, {x.pad_begin, x.pad_end}, x.ceil_mode});
                    CHECK(plain.out == x.out);
                    // From the first window's start, the padded input is: read by the windows
                    // (up to the last one's end, less its overhang), then unread end padding,
                    // then `dropped` real cells; never anything else.
                    const int64_t padded = x.pad_begin + x.in + x.pad_end;
                    const int64_t read = (x.out - 1) * x.stride + x.k_eff - x.overhang;
                    const int64_t unread_padding = padded - read - x.dropped;
                    CHECK(unread_padding >= 0);
                    CHECK(unread_padding <= x.pad_end);
                    CHECK((x.dropped == 0 || unread_padding == x.pad_end));
                  }
                  ++checked_layers;
                }
  CHECK(checked_layers > 1000);
}

TEST_CASE("the report JSON carries the geometry per axis, named as the framework's layout names them") {
  const auto a = analyse(R"({"framework": "tensorflow", "input": [1, 7, 8, 3], "layers": [
      {"type": "conv", "filters": 4, "kernel": 3, "stride": 2, "padding": "same"}, {"type": "flatten"}]})");
  json::Value v;
  json::ParseError error;
  REQUIRE(json::parse(convscope::report_text_json(a.report, a.net), v, error));
  const json::Value* layers = v.find("layers");
  REQUIRE(layers);
  const json::Value* geo = layers->as_array()[0].find("geometry");
  REQUIRE(geo);
  const json::Value* axes = geo->find("axes");
  REQUIRE(axes);
  REQUIRE(axes->as_array().size() == 2);
  const json::Value& w = axes->as_array()[1];
  CHECK(w.find("axis")->as_string() == "W");
  CHECK(w.find("rule")->as_string() == "same");
  CHECK(w.find("pad_begin")->as_int() == 0);
  CHECK(w.find("pad_end")->as_int() == 1);
  CHECK(w.find("stretched")->is_null());
  CHECK(layers->as_array()[1].find("geometry")->is_null());
  SUBCASE("1-D and 3-D axes are L, and D, H, W") {
    const auto one = analyse(R"({"framework": "pytorch", "input": [1, 2, 9], "layers": [{"type": "max_pool", "kernel": 2}]})");
    CHECK(convscope::json::write(geometry::to_json(geometry::resolve(one.net.layers[0], one.report.layers[0])), -1).find("\"axis\":\"L\"") != std::string::npos);
    const auto three = analyse(R"({"framework": "pytorch", "input": [1, 2, 4, 4, 4], "layers": [{"type": "max_pool", "kernel": 2}]})");
    const std::string text = convscope::json::write(geometry::to_json(geometry::resolve(three.net.layers[0], three.report.layers[0])), -1);
    CHECK(text.find("\"axis\":\"D\"") != std::string::npos);
  }
}
