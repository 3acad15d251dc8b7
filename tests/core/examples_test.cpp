// Every network in examples/: parsed from the file, analysed, and compared
// with figures worked out by hand (or published: torchinfo's LeNet-5 count).
#include <doctest/doctest.h>

#include <filesystem>
#include <set>
#include <string>

#include "convscope/json.hpp"
#include "convscope/report_json.hpp"
#include "test_support.hpp"

using convscope::Shape;
using convscope::Status;
using test_support::analyse;
using test_support::contains;
using test_support::example_text;

namespace {

// Re-analyses a fix's network; what a fix claims must hold.
void check_fix_resolves(const convscope::Fix& fix) {
  CAPTURE(fix.summary);
  const convscope::Report after = convscope::analyze(fix.network, {false, false, 0});
  CHECK(fix.resolves_all);
  CHECK(after.ok);
}

}  // namespace

TEST_CASE("examples/index.json lists every example file, and every listed file exists") {
  convscope::json::Value index;
  convscope::json::ParseError error;
  REQUIRE(convscope::json::parse(example_text("index.json"), index, error));
  REQUIRE(index.is_array());
  std::set<std::string> listed;
  for (const auto& entry : index.as_array()) {
    REQUIRE(entry.is_object());
    const auto* file = entry.find("file");
    REQUIRE(file != nullptr);
    listed.insert(file->as_string());
    CHECK(std::filesystem::exists(test_support::example_path(file->as_string())));
  }
  for (const auto& f : std::filesystem::directory_iterator(test_support::source_dir() / "examples")) {
    const std::string name = f.path().filename().string();
    if (name == "index.json" || f.path().extension() != ".json") continue;
    CAPTURE(name);
    CHECK(listed.count(name) == 1);
  }
}

TEST_CASE("every example parses, analyses, and its report JSON re-parses") {
  for (const auto& f : std::filesystem::directory_iterator(test_support::source_dir() / "examples")) {
    const std::string name = f.path().filename().string();
    if (name == "index.json" || f.path().extension() != ".json") continue;
    CAPTURE(name);
    const auto a = analyse(test_support::read_text(f.path()));
    CHECK(a.report.layers.size() == a.net.layers.size());
    convscope::json::Value v;
    convscope::json::ParseError error;
    CHECK(convscope::json::parse(convscope::report_text_json(a.report, a.net), v, error));
  }
}

TEST_CASE("conv2d_3: the fourth conv meets a 4x4 map with a 5x5 kernel") {
  // 32 -conv3-> 30 -pool2-> 15 -conv3-> 13 -pool2-> 6 -conv3-> 4 -conv5-> (4 - 5 + 1) / 1 = 0.
  const auto a = analyse(example_text("conv2d_3.json"));
  const convscope::Report& rep = a.report;
  CHECK_FALSE(rep.ok);
  REQUIRE(rep.first_error == 5u);
  CHECK(*rep.layers[0].output == Shape{1, 30, 30, 32});
  CHECK(*rep.layers[1].output == Shape{1, 15, 15, 32});
  CHECK(*rep.layers[2].output == Shape{1, 13, 13, 64});
  CHECK(*rep.layers[3].output == Shape{1, 6, 6, 64});
  CHECK(*rep.layers[4].output == Shape{1, 4, 4, 64});

  const convscope::LayerReport& failing = rep.layers[5];
  CHECK(failing.name == "conv2d_3");
  CHECK(failing.status == Status::error);
  CHECK_FALSE(failing.output.has_value());
  CHECK(contains(convscope::formula_text(failing, 2), "4 - 5"));
  REQUIRE(!failing.framework_errors.empty());
  CHECK(contains(failing.framework_errors[0].text, "Negative dimension size caused by subtracting 5 from 4"));
  CHECK(contains(failing.framework_errors[0].text, "with input shapes: [?,4,4,64], [5,5,64,16]."));
  CHECK(rep.layers[6].status == Status::skipped);
  CHECK(rep.layers[7].status == Status::skipped);

  SUBCASE("at least three fixes, each really resolving the whole network") {
    CHECK(failing.fixes.size() >= 3);
    for (const convscope::Fix& fix : failing.fixes) check_fix_resolves(fix);
  }
  SUBCASE("the first fix is padding='same' on conv2d_3, keeping 4x4") {
    REQUIRE(!failing.fixes.empty());
    CHECK(contains(failing.fixes[0].summary, "'same'"));
    CHECK(failing.fixes[0].output == Shape{1, 4, 4, 16});
  }
  SUBCASE("the minimum input is 34x34") {
    // Backwards from conv2d_3 needing 5: conv3 -> 7, pool2 -> 14, conv3 -> 16, pool2 -> 32, conv3 -> 34.
    CHECK(rep.min_input == Shape{34, 34});
  }
  SUBCASE("receptive field of conv2d_2 is 18 (3, +1 -> 4 jump 2, +4 -> 8, +2 -> 10 jump 4, +8 -> 18)") {
    REQUIRE(rep.layers[4].receptive_field.has_value());
    CHECK(rep.layers[4].receptive_field->size[0] == 18);
    CHECK(rep.layers[4].receptive_field->jump[0] == 4);
  }
}

TEST_CASE("LeNet-5 is valid with 61,706 parameters") {
  // torchinfo's figure, by hand: conv1 1*6*25 + 6 = 156; conv2 6*16*25 + 16 = 2,416;
  // fc1 400*120 + 120 = 48,120; fc2 120*84 + 84 = 10,164; fc3 84*10 + 10 = 850.
  const auto a = analyse(example_text("lenet5.json"));
  CHECK(a.report.ok);
  CHECK(a.report.total_params == 61706);
  CHECK(a.report.output == Shape{1, 10});
  CHECK(*a.report.layers[6].output == Shape{1, 400});  // 16 * 5 * 5
  // MACs: conv1 28*28*6*25 = 117,600; conv2 10*10*16*25*6 = 240,000; fc 48,000 + 10,080 + 840.
  CHECK(a.report.total_macs == 117600 + 240000 + 48000 + 10080 + 840);
  SUBCASE("min_input: fc1's in_features pins the input at 32x32") {
    CHECK(a.report.min_input == Shape{32, 32});
  }
}

TEST_CASE("the ResNet stem takes 224x224 to 56x56 with 9,536 parameters") {
  // conv1 3*64*49 = 9,408 (no bias) + bn1 2*64 = 128 -> 9,536.
  // 224 -> floor((224 + 6 - 7) / 2) + 1 = 112 -> floor((112 + 2 - 3) / 2) + 1 = 56.
  const auto a = analyse(example_text("resnet_stem.json"));
  CHECK(a.report.ok);
  CHECK(a.report.output == Shape{1, 64, 56, 56});
  CHECK(a.report.total_params == 9536);
  CHECK(a.report.layers[0].macs == 112LL * 112 * 64 * 49 * 3);  // 118,013,952 (torchinfo: 118.01M)
}

TEST_CASE("the U-Net encoder takes 572 to 28") {
  // 572 -2-> 570 -2-> 568 /2 284 -2-> 282 -2-> 280 /2 140 -> 138 -> 136 /2 68 -> 66 -> 64 /2 32 -> 30 -> 28.
  const auto a = analyse(example_text("unet_encoder.json"));
  CHECK(a.report.ok);
  CHECK(a.report.output == Shape{1, 1024, 28, 28});
  CHECK(*a.report.layers[4].output == Shape{1, 64, 284, 284});
}

TEST_CASE("the VGG block keeps 224 through padded convs and halves it in the pool") {
  // conv 3*64*9 + 64 = 1,792; conv 64*64*9 + 64 = 36,928.
  const auto a = analyse(example_text("vgg_block.json"));
  CHECK(a.report.ok);
  CHECK(*a.report.layers[2].output == Shape{1, 64, 224, 224});
  CHECK(a.report.output == Shape{1, 64, 112, 112});
  CHECK(a.report.total_params == 1792 + 36928);
}

TEST_CASE("tutorial: a 4x4 input and a 5x5 kernel give no output") {
  const auto a = analyse(example_text("kernel_larger_than_input.json"));
  CHECK_FALSE(a.report.ok);
  CHECK(a.report.first_error == 0u);
  const auto& r = a.report.layers[0];
  CHECK(convscope::formula_text(r, 2) == "floor((4 - 5) / 1) + 1 = 0");
  REQUIRE(!r.framework_errors.empty());
  // aten/src/ATen/native/Convolution.cpp check_shape_forward.
  CHECK(r.framework_errors[0].text ==
        "Calculated padded input size per channel: (4 x 4). Kernel size: (5 x 5). Kernel size can't be greater "
        "than actual input size");
  CHECK(a.report.min_input == Shape{5, 5});
  CHECK(r.fixes.size() >= 3);
  for (const convscope::Fix& fix : r.fixes) check_fix_resolves(fix);
}

TEST_CASE("tutorial: a 10x10 input, 3x3 kernel and stride 5 give 2x2") {
  // floor((10 - 3) / 5) + 1 = 2; (10 - 3) % 5 = 2 columns never read.
  const auto a = analyse(example_text("strided_kernel.json"));
  CHECK(a.report.ok);
  CHECK(a.report.output == Shape{1, 1, 2, 2});
  CHECK(a.report.layers[0].status == Status::warning);
}

TEST_CASE("tutorial: an 8x8 input, 3x3 kernel and dilation 3 give 2x2") {
  // k_eff = 3 * 2 + 1 = 7; (8 - 7) / 1 + 1 = 2.
  const auto a = analyse(example_text("dilated_kernel.json"));
  CHECK(a.report.ok);
  CHECK(a.report.output == Shape{1, 1, 2, 2});
  REQUIRE(a.report.layers[0].receptive_field.has_value());
  CHECK(a.report.layers[0].receptive_field->size[0] == 7);
  CHECK(a.report.min_input == Shape{7, 7});
}

TEST_CASE("every shared fixture network analyses, and each of its fixes holds when re-analysed") {
  for (const auto& f : std::filesystem::directory_iterator(test_support::source_dir() / "tests" / "fixtures" / "networks")) {
    if (f.path().extension() != ".json") continue;
    CAPTURE(f.path().filename().string());
    const auto a = analyse(test_support::read_text(f.path()));
    convscope::json::Value v;
    convscope::json::ParseError error;
    CHECK(convscope::json::parse(convscope::report_text_json(a.report, a.net), v, error));
    if (!a.report.first_error) continue;
    for (const convscope::Fix& fix : a.report.layers[*a.report.first_error].fixes) {
      CAPTURE(fix.summary);
      CHECK(convscope::analyze(fix.network, {false, false, 0}).ok == fix.resolves_all);
    }
  }
}

TEST_CASE("every shared malformed fixture is refused with a path or a position") {
  for (const auto& f : std::filesystem::directory_iterator(test_support::source_dir() / "tests" / "fixtures" / "malformed")) {
    if (f.path().extension() != ".json") continue;
    CAPTURE(f.path().filename().string());
    const std::string error = test_support::parse_error(test_support::read_text(f.path()));
    CHECK_FALSE(error.empty());
    // "<path>: <problem>" or "line L, column C: <problem>"
    CHECK(error.find(": ") != std::string::npos);
    CHECK(error.find(": ") > 0);
  }
}
