#include "convscope/share_link.hpp"

#include <doctest/doctest.h>

#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "convscope/json.hpp"
#include "convscope/limits.hpp"

namespace json = convscope::json;
namespace share_link = convscope::share_link;
namespace limits = convscope::limits;
using share_link::ShareLinkError;

namespace {

// What decode() or encode() reported, flattened so CHECK(a == b) prints both sides.
struct Failure {
  std::string message;
  std::string part;
  int layer = -1;
  bool operator==(const Failure& o) const {
    return message == o.message && part == o.part && layer == o.layer;
  }
};

std::ostream& operator<<(std::ostream& os, const Failure& f) {
  return os << "{" << f.message << " | part=" << f.part << " | layer=" << f.layer << "}";
}

// For JSON text that must parse: a failure fails the test with the message.
json::Value parsed(const std::string& text) {
  json::Value v;
  json::ParseError e;
  if (!json::parse(text, v, e)) FAIL_CHECK("unexpected JSON error: " << e.message);
  return v;
}

// For links that must decode, and networks that must encode.
share_link::Decoded decoded_ok(const std::string& hash) {
  share_link::Decoded d;
  ShareLinkError e;
  if (!share_link::decode(hash, d, e)) FAIL_CHECK("unexpected decode error: " << e.message);
  return d;
}

std::string encoded_ok(const json::Value& network, const share_link::Extras& extras = {}) {
  std::string text;
  ShareLinkError e;
  if (!share_link::encode(network, extras, text, e)) FAIL_CHECK("unexpected encode error: " << e.message);
  return text;
}

Failure decode_failure(const std::string& hash) {
  share_link::Decoded d;
  ShareLinkError e;
  if (!share_link::decode(hash, d, e)) return {e.message, e.part, e.layer};
  return {"<decoded without error>", "", -2};
}

Failure encode_failure(const std::string& network_json, const share_link::Extras& extras = {}) {
  std::string text;
  ShareLinkError e;
  if (!share_link::encode(parsed(network_json), extras, text, e)) return {e.message, e.part, e.layer};
  return {"<encoded without error>", "", -2};
}

std::string network_json(const std::string& hash) {
  return json::write(decoded_ok(hash).network, -1);
}

const char* const kHead = "v=1&fw=pytorch&in=1x3x32x32&l=";

std::string repeat(const std::string& s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

}  // namespace

TEST_CASE("share link decodes the README example into the contract's spelling") {
  const auto decoded = decoded_ok(
      "v=1&fw=tensorflow&in=1x4x4x3&l=conv:16:k5:pvalid:n=conv2d_3;max_pool:k2;flatten;dense:10:in256");
  CHECK(decoded.network == parsed(R"({"framework":"tensorflow","input":[1,4,4,3],"layers":[
      {"type":"conv","name":"conv2d_3","filters":16,"kernel":5,"padding":"valid"},
      {"type":"max_pool","kernel":2},{"type":"flatten"},{"type":"dense","units":10,"in_features":256}]})"));
  CHECK(decoded.extras.empty());
}

TEST_CASE("share link accepts a leading '#', framework aliases and an empty layer list") {
  CHECK(network_json("#v=1&fw=torch&in=1x3x8x8&l=") ==
        R"({"framework":"pytorch","input":[1,3,8,8],"layers":[]})");
  CHECK(network_json("in=5x7&l=relu&fw=TF&v=1") ==
        R"({"framework":"tensorflow","input":[5,7],"layers":[{"type":"relu"}]})");
  CHECK(network_json("v=1&fw=keras&in=1x8x8x3") ==
        R"({"framework":"tensorflow","input":[1,8,8,3],"layers":[]})");
  CHECK(network_json("v=1&&fw=onnx&in=1x1x4x4&l=relu&") ==
        R"({"framework":"onnx","input":[1,1,4,4],"layers":[{"type":"relu"}]})");
}

TEST_CASE("share link decodes every argument form") {
  // Both sides through the writer, so the comparison ignores JSON spelling.
  auto layer = [](const std::string& text) {
    return json::write(decoded_ok(kHead + text).network.as_object()[2].second.as_array()[0], -1);
  };
  auto json_text = [](const std::string& text) { return json::write(parsed(text), -1); };
  CHECK(layer("conv:8:k3x5:s2:d1x2:g4:p1x2") ==
        R"({"type":"conv","filters":8,"kernel":[3,5],"stride":2,"dilation":[1,2],"groups":4,"padding":[1,2]})");
  CHECK(layer("conv:8:psame") == R"({"type":"conv","filters":8,"padding":"same"})");
  CHECK(layer("conv:8:psame_lower") == R"({"type":"conv","filters":8,"padding":"same_lower"})");
  CHECK(layer("conv:8:p0-1x1-0") == R"({"type":"conv","filters":8,"padding":[[0,1],[1,0]]})");
  CHECK(layer("zero_pad:p2-3") == R"({"type":"zero_pad","padding":[[2,3]]})");
  CHECK(layer("crop:c1x2") == R"({"type":"crop","cropping":[1,2]})");
  CHECK(layer("crop:c0-1x2-3") == R"({"type":"crop","cropping":[[0,1],[2,3]]})");
  CHECK(layer("conv_transpose:4:k2:s2:op1:nobias") ==
        R"({"type":"conv_transpose","filters":4,"kernel":2,"stride":2,"output_padding":1,"bias":false})");
  CHECK(layer("depthwise_conv:k3:m2") == R"({"type":"depthwise_conv","kernel":3,"depth_multiplier":2})");
  CHECK(layer("avg_pool:k3:s2:ceil:cip0") ==
        R"({"type":"avg_pool","kernel":3,"stride":2,"ceil_mode":true,"count_include_pad":false})");
  CHECK(layer("global_avg_pool:keep1") == R"({"type":"global_avg_pool","keepdims":true})");
  CHECK(layer("adaptive_avg_pool:o7x7") == R"({"type":"adaptive_avg_pool","output_size":[7,7]})");
  CHECK(layer("upsample:sc2") == R"({"type":"upsample","scale":2})");
  CHECK(layer("activation:fn=gelu:n=act") == R"({"type":"activation","name":"act","function":"gelu"})");
  CHECK(layer("dropout:r0.25") == R"({"type":"dropout","rate":0.25})");
  CHECK(layer("dropout:r0") == R"({"type":"dropout","rate":0})");
  CHECK(layer("dense:k007") == R"({"type":"dense","kernel":7})");  // semantics are the parser's job
  CHECK(layer("relu:n=a%20b%26c") == json_text(R"({"type":"relu","name":"a b&c"})"));
  CHECK(layer("relu:n=") == R"({"type":"relu","name":""})");
  CHECK(layer("relu:n=a=b+c") == R"({"type":"relu","name":"a=b+c"})");  // '+' is not a space
  CHECK(layer("relu:n=%E2%9C%93") == "{\"type\":\"relu\",\"name\":\"\xE2\x9C\x93\"}");
}

TEST_CASE("share link encodes canonical text back unchanged") {
  const char* const canonical[] = {
      "v=1&fw=tensorflow&in=1x4x4x3&l=conv:16:k5:pvalid:n=conv2d_3;max_pool:k2;flatten;dense:10:in256",
      "v=1&fw=pytorch&in=1x3x224x224&l=conv:64:k7:s2:p3:nobias;batch_norm;relu;max_pool:k3:s2:p1;"
      "adaptive_avg_pool:o1;flatten;dropout:r0.5;dense:1000",
      "v=1&fw=onnx&in=1x1x28x28&l=conv:8:k3x5:d1x2:g1:psame_lower;avg_pool:k2:ceil:cip0;"
      "conv_transpose:4:k2:s2:op1;depthwise_conv:k3:m2:p0-1x1-0;zero_pad:p1-2x3-4;crop:c1x1;"
      "upsample:sc2;global_max_pool:keep0;global_avg_pool:keep1;activation:fn=gelu;"
      "dropout:r0.1;dropout:r1.0;dropout:r1",
      "v=1&fw=pytorch&in=1x10&l=dense:5:n=my%20layer%20%E2%9C%93",
      "v=1&fw=pytorch&in=1x10&l=",
      "v=1&fw=pytorch&in=1x10&l=relu&theme=dark&sel=3&note=a%20b%26c",
  };
  for (const char* text : canonical) {
    CAPTURE(text);
    const auto decoded = decoded_ok(text);
    CHECK(encoded_ok(decoded.network, decoded.extras) == text);
  }
}

TEST_CASE("share link round-trips networks, including hostile names") {
  const char* const names[] = {
      "conv 1",       "say \"hi\"",   "<script>alert(1)</script>", "\xE5\x8D\xB7\xE7\xA7\xAF \xF0\x9F\x98\x80",
      "a&b;c:d=e%f#g", "+-_.~/?\\'", "",                          "\xE2\x80\xAE rtl"};
  for (const char* name : names) {
    CAPTURE(name);
    json::Value network = parsed(R"({"framework":"pytorch","input":[1,3,16,16],"layers":[
        {"type":"conv","name":"x","filters":8,"kernel":[3,3],"stride":1,"padding":[[1,2],[0,0]],
         "dilation":1,"groups":1},
        {"type":"avg_pool","kernel":2,"ceil_mode":true,"count_include_pad":false},
        {"type":"activation","function":"leaky_relu"},
        {"type":"dropout","rate":0.30000000000000004},
        {"type":"flatten"},
        {"type":"dense","name":"x","units":10,"in_features":512,"bias":false}]})");
    network.as_object()[2].second.as_array()[0].set("name", std::string(name));
    network.as_object()[2].second.as_array()[5].set("name", std::string(name));
    const share_link::Extras extras = {{"note", name}, {"x&y=z", "1"}};
    const std::string text = encoded_ok(network, extras);
    const auto decoded = decoded_ok("#" + text);
    CHECK(decoded.network == network);
    CHECK(decoded.extras == extras);
    CHECK(text.find_first_of(" \"<>'\\#") == std::string::npos);  // safe to paste anywhere
  }
}

TEST_CASE("share link writes rates as the shortest plain decimal that reads back") {
  const std::pair<const char*, const char*> cases[] = {
      {"0.5", "r0.5"},       {"0.1", "r0.1"},   {"0.30000000000000004", "r0.30000000000000004"},
      {"1e-20", "r0.00000000000000000001"},     {"1.5e-7", "r0.00000015"},
      {"2.0", "r2.0"},       {"0.0", "r0.0"},   {"-0.0", "r0.0"},
      {"123456789.125", "r123456789.125"},      {"2147483647.0", "r2147483647.0"},
      {"0", "r0"},           {"1", "r1"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.first);
    const json::Value network =
        parsed(std::string(R"({"framework":"onnx","input":[1,2],"layers":[{"type":"dropout","rate":)") +
               c.first + "}]}");
    const std::string link = encoded_ok(network);
    CHECK(link == std::string("v=1&fw=onnx&in=1x2&l=dropout:") + c.second);
    CHECK(decoded_ok(link).network == network);
  }
}

TEST_CASE("share link returns extras in order, percent-decoded") {
  const auto decoded = decoded_ok("v=1&embed=1&fw=onnx&in=1x1x4x4&note=%3Cb%3E&flag");
  CHECK(decoded.extras == share_link::Extras{{"embed", "1"}, {"note", "<b>"}, {"flag", ""}});
  CHECK(encoded_ok(decoded.network, decoded.extras) ==
        "v=1&fw=onnx&in=1x1x4x4&l=&embed=1&note=%3Cb%3E&flag=");
}

TEST_CASE("share link errors name the part, the layer and the problem") {
  const std::string keys = " (keys: k s d g m op o sc in ic p c ch idx sh bkeep/binfer r ax ceil cip0/1 keep0/1 nobias n= fn= i=)";
  struct Case {
    std::string hash;
    Failure expected;
  };
  const Case cases[] = {
      {"v=1&fw=tf&in=1x4x4x3&l=max_pool:kx2;relu;relu;max_pool:kx2",
       {"l: layer 0 \"max_pool:kx2\": k: expected a number before 'x'", "l", 0}},
      {"v=1&fw=tf&in=1x3xx28", {"in: expected sizes joined by 'x' like 1x3x28x28, got \"1x3xx28\"", "in", -1}},
      {"v=1&fw=tf&in=", {"in: expected sizes joined by 'x' like 1x3x28x28, got \"\"", "in", -1}},
      {"v=1&fw=tf&in=1x3x", {"in: expected sizes joined by 'x' like 1x3x28x28, got \"1x3x\"", "in", -1}},
      {"v=1&fw=tf&in=1x-3", {"in: negative values cannot be written in a link", "in", -1}},
      {"v=1&fw=caffe&in=1", {"fw: unknown framework \"caffe\" (expected pytorch, tensorflow or onnx)", "fw", -1}},
      {"v=1&fw=tf&in=1&l=relu;relu;conv:16:foo3",
       {"l: layer 2 \"conv:16:foo3\": unknown key \"foo\"" + keys, "l", 2}},
      {"v=1&fw=tf&in=1&l=conv:16:stride2", {"l: layer 0 \"conv:16:stride2\": unknown key \"stride\"" + keys, "l", 0}},
      {"v=1&fw=tf&in=1&l=global_avg_pool:keepdims",
       {"l: layer 0 \"global_avg_pool:keepdims\": unknown key \"keepdims\"" + keys, "l", 0}},
      {"v=1&fw=tf&in=1&l=relu:#3", {"l: layer 0 \"relu:#3\": unknown key \"#3\"" + keys, "l", 0}},
      {"v=1&fw=tf&in=1&l=relu:x=1", {"l: layer 0 \"relu:x=1\": unknown key \"x\"" + keys, "l", 0}},
      {"v=1&fw=tf&in=1&l=conv:8:k=3",
       {"l: layer 0 \"conv:8:k=3\": write k and its value together, like k3, not k=3", "l", 0}},
      {"v=3&fw=tf&in=1&l=anything:at:all", {"v: unsupported link version 3; this page reads v=1 and v=2", "v", -1}},
      {"v=one", {"v: unsupported link version \"one\"; this page reads v=1 and v=2", "v", -1}},
      {"fw=tf&in=1", {"v: missing v=1 (the link version)", "v", -1}},
      {"", {"v: missing v=1 (the link version)", "v", -1}},
      {"v=1&in=1", {"fw: missing fw= (pytorch, tensorflow or onnx)", "fw", -1}},
      {"v=1&fw=tf", {"in: missing in= (the input shape, like in=1x3x224x224)", "in", -1}},
      {"v=1&fw=tf&in=1&fw=onnx", {"duplicate parameter \"fw\"", "fw", -1}},
      {"v=1&fw=tf&in=1&a=1&a=2", {"duplicate parameter \"a\"", "a", -1}},
      {"v=1&fw=tf&in=1&=x", {"a parameter has no name: \"=x\"", "", -1}},
      {"v=1&fw=tf&in=1&l=conv:16:k3:k5", {"l: layer 0 \"conv:16:k3:k5\": key \"k\" appears twice", "l", 0}},
      {"v=1&fw=tf&in=1&l=conv:16:8", {"l: layer 0 \"conv:16:8\": the bare number (filters) appears twice", "l", 0}},
      {"v=1&fw=tf&in=1&l=relu:n=a:n=b", {"l: layer 0 \"relu:n=a:n=b\": key \"n=\" appears twice", "l", 0}},
      {"v=1&fw=tf&in=1&l=avg_pool:cip0:cip1", {"l: layer 0 \"avg_pool:cip0:cip1\": key \"cip\" appears twice", "l", 0}},
      {"v=1&fw=tf&in=1&l=relu;;relu",
       {"l: layer 1 is empty (two ';' in a row, or one at the start or end)", "l", 1}},
      {"v=1&fw=tf&in=1&l=relu;", {"l: layer 1 is empty (two ';' in a row, or one at the start or end)", "l", 1}},
      {"v=1&fw=tf&in=1&l=conv::16",
       {"l: layer 0 \"conv::16\": empty argument (two ':' in a row, or one at the end)", "l", 0}},
      {"v=1&fw=tf&in=1&l=conv2d:16",
       {"l: layer 0 \"conv2d:16\": unknown layer type \"conv2d\" (expected conv, conv_transpose, "
        "depthwise_conv, max_pool, avg_pool, global_avg_pool, global_max_pool, adaptive_avg_pool, "
        "zero_pad, crop, upsample, flatten, dense, relu, activation, batch_norm, dropout, channel_shuffle, channel_split, reshape, add, subtract, "
        "multiply, average, maximum, minimum, concat, crop_to, pad_to, resize_to)",
        "l", 0}},
      {"v=1&fw=tf&in=1&l=max_pool:2",
       {"l: layer 0 \"max_pool:2\": a bare number gives the filters of conv or conv_transpose, or the "
        "units of dense; max_pool takes keyed values, like k2",
        "l", 0}},
      {"v=1&fw=tf&in=1&l=dense:10x2", {"l: layer 0 \"dense:10x2\": units: expected a single number, got \"10x2\"", "l", 0}},
      {"v=1&fw=tf&in=1&l=conv:-16", {"l: layer 0 \"conv:-16\": filters: negative values cannot be written in a link", "l", 0}},
      {"v=1&fw=tf&in=1&l=conv:8:k-1", {"l: layer 0 \"conv:8:k-1\": k: negative values cannot be written in a link", "l", 0}},
      {"v=1&fw=tf&in=1&l=conv:8:k3x", {"l: layer 0 \"conv:8:k3x\": k: expected a number after 'x'", "l", 0}},
      {"v=1&fw=tf&in=1&l=conv:8:k", {"l: layer 0 \"conv:8:k\": k: expected a number", "l", 0}},
      {"v=1&fw=tf&in=1&l=conv:8:k3-1", {"l: layer 0 \"conv:8:k3-1\": k: unexpected \"-1\" after a number", "l", 0}},
      {"v=1&fw=tf&in=1&l=conv:8:p1x2-3",
       {"l: layer 0 \"conv:8:p1x2-3\": p: mixes begin-end pairs and single values; write every axis as "
        "begin-end, like 0-1x1-0",
        "l", 0}},
      {"v=1&fw=tf&in=1&l=conv:8:p0-",
       {"l: layer 0 \"conv:8:p0-\": p: expected a number after '-'", "l", 0}},
      {"v=1&fw=tf&in=1&l=conv:8:pfull",
       {"l: layer 0 \"conv:8:pfull\": p: expected valid, same, same_lower or sizes like 1, 1x2 or 0-1x1-0, "
        "got \"full\"",
        "l", 0}},
      {"v=1&fw=tf&in=1&l=crop:cvalid", {"l: layer 0 \"crop:cvalid\": unknown key \"cvalid\"" + keys, "l", 0}},
      {"v=1&fw=tf&in=1&l=avg_pool:ceil1", {"l: layer 0 \"avg_pool:ceil1\": ceil: takes no value, got \"1\"", "l", 0}},
      {"v=1&fw=tf&in=1&l=avg_pool:cip2", {"l: layer 0 \"avg_pool:cip2\": cip: expected cip0 or cip1", "l", 0}},
      {"v=1&fw=tf&in=1&l=dropout:r0.5.5",
       {"l: layer 0 \"dropout:r0.5.5\": r: expected a rate written as digits, like r0.5, got \"0.5.5\"", "l", 0}},
      {"v=1&fw=tf&in=1&l=dropout:r0.000000000000000000001",
       {"l: layer 0 \"dropout:r0.000000000000000000001\": r: at most 20 decimal places, got "
        "\"0.000000000000000000001\"",
        "l", 0}},
      {"v=1&fw=tf&in=1&l=dropout:r.5", {"l: layer 0 \"dropout:r.5\": r: expected a number, got \".5\"", "l", 0}},
      {"v=1&fw=tf&in=1&l=dropout:r-0.5", {"l: layer 0 \"dropout:r-0.5\": r: negative values cannot be written in a link", "l", 0}},
      {"v=1&fw=tf&in=1&l=relu:n=50%",
       {"l: layer 0 \"relu:n=50%\": n: invalid percent escape \"%\" (write a literal % as %25)", "l", 0}},
      {"v=1&fw=tf&in=1&l=relu:n=%zz1",
       {"l: layer 0 \"relu:n=%zz1\": n: invalid percent escape \"%zz\" (write a literal % as %25)", "l", 0}},
      {"v=1&fw=tf&in=1&l=relu:n=ok%C3", {"l: layer 0 \"relu:n=ok%C3\": n: invalid UTF-8 at byte 2", "l", 0}},
      {"v=1&fw=tf&in=1&l=relu:n=%ED%A0%80", {"l: layer 0 \"relu:n=%ED%A0%80\": n: invalid UTF-8 at byte 0", "l", 0}},
      {"v=1&fw=tf&in=1&l=relu:n=%C0%AF", {"l: layer 0 \"relu:n=%C0%AF\": n: invalid UTF-8 at byte 0", "l", 0}},
      {"v=1&fw=tf&in=1&l=relu:n=a%0Ab",
       {"l: layer 0 \"relu:n=a%0Ab\": n: control character U+000A is not allowed", "l", 0}},
      {"v=1&fw=tf&in=1&l=activation:fn=%C2%85",
       {"l: layer 0 \"activation:fn=%C2%85\": fn: control character U+0085 is not allowed", "l", 0}},
      {"v=1&fw=tf&in=1&note=%G0", {"\"note\": invalid percent escape \"%G0\" (write a literal % as %25)", "note", -1}},
      {"v=1&fw=tf&in=1&note=%FF", {"\"note\": invalid UTF-8 at byte 0", "note", -1}},
      {"v=1&fw=tf&in=1&%FF=1", {"parameter \"%FF\": invalid UTF-8 at byte 0", "", -1}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.hash);
    CHECK(decode_failure(c.hash) == c.expected);
  }
}

TEST_CASE("share link rejects huge numbers without overflowing") {
  CHECK(decode_failure(std::string(kHead) + "conv:8:k2147483647").message == "<decoded without error>");
  CHECK(decode_failure(std::string(kHead) + "conv:8:k2147483648") ==
        Failure{"l: layer 0 \"conv:8:k2147483648\": k: \"2147483648\" is larger than the largest supported "
                "size 2147483647",
                "l", 0});
  const std::string digits(5000, '9');
  const Failure f = decode_failure("v=1&fw=tf&in=1x" + digits);
  CHECK(f.part == "in");
  CHECK(f.message == "in: \"" + std::string(40, '9') + "\xE2\x80\xA6\" is larger than the largest supported size 2147483647");
  CHECK(decode_failure(std::string(kHead) + "conv:99999999999999999999999999").part == "l");
  CHECK(decode_failure(std::string(kHead) + "dropout:r99999999999.5").part == "l");
  CHECK(decode_failure("v=99999999999999999999999") ==
        Failure{"v: unsupported link version \"99999999999999999999999\"; this page reads v=1 and v=2", "v", -1});
}

TEST_CASE("share link handles 20 000-character hashes with short messages") {
  const std::string too_long = "v=1&fw=tf&in=1&l=" + repeat("relu;", 4000);
  CHECK(decode_failure(too_long) ==
        Failure{"the link is 20017 characters long; the limit is 16384", "", -1});
  CHECK(decode_failure("#" + std::string(20000, '&')).part == "");

  // The longest accepted hash decodes (a leading '#' is not counted).
  std::string longest = "#v=1&fw=tf&in=1&l=relu:n=";
  longest += std::string(limits::max_share_link_chars + 1 - longest.size(), 'a');
  CHECK(decode_failure(longest).message ==
        "l: layer 0 \"relu:n=" + std::string(33, 'a') + "\xE2\x80\xA6\": n: 16360 characters is too long "
        "(the limit is 200)");

  CHECK(decoded_ok(std::string(kHead) + "relu" + repeat(";relu", limits::max_layers - 1))
            .network.find("layers")->as_array().size() == limits::max_layers);
  CHECK(decode_failure(std::string(kHead) + "relu" + repeat(";relu", limits::max_layers)) ==
        Failure{"l: 2001 layers; the limit is 2000", "l", -1});
  CHECK(decode_failure(std::string(kHead) + repeat(";", 16000)).part == "l");
}

TEST_CASE("share link messages about hostile text are short and escaped") {
  const std::string hostile[] = {
      std::string(kHead) + "relu:n=" + std::string(16000, '%'),
      std::string(kHead) + "relu:\x01\x02\x1b[31m" + std::string(10000, '\x7f'),
      std::string(kHead) + "\xff\xfe\"\\" + repeat("\xe2\x80\xae", 3000),
      "v=1&fw=" + repeat("\xf0\x9f\x98\x80", 4000) + "&in=1",
      "v=1&fw=tf&in=1&" + repeat("%0", 7000),
      std::string("v=1&fw=tf&in=1&l=relu:n=a") + '\0' + "b",
      "v=1&fw=tf&in=" + std::string(16000, 'x'),
  };
  for (const std::string& hash : hostile) {
    const Failure f = decode_failure(hash);
    CAPTURE(f.message);
    CHECK(f.layer != -2);
    CHECK(f.message.size() < 600);
    for (const char c : f.message) CHECK(static_cast<unsigned char>(c) >= 0x20);
    CHECK(f.message.find('\x7f') == std::string::npos);
  }
  // The quote escapes what it shows: control characters, quotes, backslashes, bad bytes.
  CHECK(decode_failure(std::string(kHead) + "bad\"\\\x01\xff").message ==
        "l: layer 0 \"bad\\\"\\\\\\u0001\\xFF\": unknown layer type \"bad\\\"\\\\\\u0001\\xFF\" (expected conv, "
        "conv_transpose, depthwise_conv, max_pool, avg_pool, global_avg_pool, global_max_pool, "
        "adaptive_avg_pool, zero_pad, crop, upsample, flatten, dense, relu, activation, batch_norm, dropout, channel_shuffle, channel_split, reshape, add, subtract, "
      "multiply, average, maximum, minimum, concat, crop_to, pad_to, resize_to)");
}

TEST_CASE("share link encoder refuses what the text form cannot spell") {
  const std::string head = R"({"framework":"pytorch","input":[1,3,8,8],"layers":[)";
  CHECK(encode_failure(head + R"({"type":"conv","filters":8,"weights":[1]}]})") ==
        Failure{"l: layer 0 (conv): unknown field \"weights\" cannot be written in a link", "l", 0});
  CHECK(encode_failure(head + R"({"type":"relu"},{"type":"max_pool","filters":8}]})") ==
        Failure{"l: layer 1 (max_pool): unknown field \"filters\" cannot be written in a link", "l", 1});
  CHECK(encode_failure(head + R"({"type":"conv2d"}]})").part == "l");
  CHECK(encode_failure(head + R"({"type":"conv","kernel":-3}]})") ==
        Failure{"l: layer 0 (conv): kernel: negative values cannot be written in a link", "l", 0});
  CHECK(encode_failure(head + R"({"type":"conv","kernel":2.5}]})") ==
        Failure{"l: layer 0 (conv): kernel: expected an integer", "l", 0});
  CHECK(encode_failure(head + R"({"type":"conv","kernel":[]}]})") ==
        Failure{"l: layer 0 (conv): kernel: an empty list cannot be written in a link", "l", 0});
  CHECK(encode_failure(head + R"({"type":"conv","kernel":[[1,2]]}]})").part == "l");
  CHECK(encode_failure(head + R"({"type":"conv","padding":[1,[1,2]]}]})") ==
        Failure{"l: layer 0 (conv): padding: mixes begin-end pairs and single values", "l", 0});
  CHECK(encode_failure(head + R"({"type":"conv","padding":"full"}]})").part == "l");
  CHECK(encode_failure(head + R"({"type":"conv","filters":4294967296}]})").part == "l");
  CHECK(encode_failure(head + R"({"type":"avg_pool","ceil_mode":1}]})") ==
        Failure{"l: layer 0 (avg_pool): ceil_mode: expected true or false", "l", 0});
  CHECK(encode_failure(head + R"({"type":"dropout","rate":-0.5}]})").part == "l");
  CHECK(encode_failure(head + R"({"type":"dropout","rate":1e-300}]})") ==
        Failure{"l: layer 0 (dropout): rate: this rate needs more than 20 decimal places", "l", 0});
  CHECK(encode_failure(head + R"({"type":"relu","name":"a\nb"}]})") ==
        Failure{"l: layer 0 (relu): name: control character U+000A is not allowed", "l", 0});
  CHECK(encode_failure(R"({"framework":"caffe","input":[1],"layers":[]})").part == "fw");
  CHECK(encode_failure(R"({"framework":"pytorch","input":[1,-1],"layers":[]})") ==
        Failure{"in: negative values cannot be written in a link", "in", -1});
  CHECK(encode_failure(R"({"framework":"pytorch","input":[1],"layers":[],"seed":3})") ==
        Failure{"unknown field \"seed\" cannot be written in a link", "", -1});
  CHECK(encode_failure(R"({"framework":"pytorch","input":[1],"layers":[]})", {{"l", "x"}}) ==
        Failure{"\"l\": reserved for the network; it cannot be an extra parameter", "l", -1});
  CHECK(encode_failure(R"({"framework":"pytorch","input":[1],"layers":[]})", {{"a", "1"}, {"a", "2"}}) ==
        Failure{"\"a\": appears twice", "a", -1});
  CHECK(encode_failure(R"({"framework":"pytorch","input":[1],"layers":[]})", {{"", "1"}}).part == "");
  CHECK(encode_failure(R"({"framework":"pytorch","input":[1],"layers":[]})", {{"a", std::string(20000, 'z')}}) ==
        Failure{"the link would be 20025 characters long; the limit is 16384", "", -1});
  // Aliases are written canonically; defaults are omitted.
  CHECK(encoded_ok(parsed(R"({"framework":"keras","input":[1,4,4,3],"layers":[
            {"type":"avg_pool","ceil_mode":false},{"type":"dense","units":2,"bias":true}]})")) ==
        "v=1&fw=tensorflow&in=1x4x4x3&l=avg_pool;dense:2");
}

TEST_CASE("share link survives random grammar soup, and what decodes re-encodes") {
  const char* const tokens[] = {"v=1", "&", "fw=", "tf", "in=", "1x3x8x8", "l=", "conv", ":", "16", ";",
                                "k3x3", "p0-1", "x", "-", "=", "n=", "%", "%2", "%41", "%E2%9C%93", "%C3",
                                "ceil", "cip1", "r0.5", ".", "dense", "99999999999", "relu", "#", "\xff",
                                "\xe2\x9c\x93", "fn=", "nobias", "keep0", "sc", "op1", "o", "in", "0"};
  std::mt19937 rng(12345);
  int decoded_count = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string hash = i % 2 ? "v=1&fw=tf&in=1x3x8x8&l=conv" : "";
    const size_t n = rng() % 24;
    for (size_t t = 0; t < n; ++t) hash += tokens[rng() % (sizeof tokens / sizeof *tokens)];
    share_link::Decoded decoded;
    ShareLinkError error;
    if (!share_link::decode(hash, decoded, error)) {
      CHECK(error.message.size() < 500);  // the longest: an unknown type with the list of 27 types
      continue;
    }
    CAPTURE(hash);
    ++decoded_count;
    const auto again = decoded_ok(encoded_ok(decoded.network, decoded.extras));
    CHECK(again.network == decoded.network);
    CHECK(again.extras == decoded.extras);
  }
  CHECK(decoded_count > 200);  // the soup must reach the encoder, not only the error paths
}

TEST_CASE("share link v2 spells a graph's inputs and concat axis, and a chain stays v1") {
  const std::string graph = R"({"framework":"pytorch","input":[1,3,8,8],"layers":[
      {"type":"conv","name":"a","filters":4,"kernel":3,"padding":1},
      {"type":"max_pool","name":"b,c","kernel":2},
      {"type":"upsample","name":"up","scale":2},
      {"type":"concat","name":"cat","inputs":["a","up"],"axis":-3},
      {"type":"add","name":"sum","inputs":["cat","cat","input"]}]})";
  const std::string link = encoded_ok(parsed(graph));
  CHECK(link ==
        "v=2&fw=pytorch&in=1x3x8x8&l=conv:4:k3:p1:n=a;max_pool:k2:n=b%2Cc;upsample:sc2:n=up;"
        "concat:i=a,up:ax-3:n=cat;add:i=cat,cat,input:n=sum");
  CHECK(decoded_ok(link).network == parsed(graph));
  // A chain needs nothing of v2, so its link reads as before.
  CHECK(encoded_ok(parsed(R"({"framework":"pytorch","input":[1,3,8,8],"layers":[{"type":"relu"}]})")) ==
        "v=1&fw=pytorch&in=1x3x8x8&l=relu");
  // v=1 links keep opening unchanged; v=2 reads every v1 spelling.
  CHECK(network_json("v=2&fw=torch&in=1x3x8x8&l=relu") ==
        R"({"framework":"pytorch","input":[1,3,8,8],"layers":[{"type":"relu"}]})");
}

TEST_CASE("share link v2 errors name the inputs and axis keys") {
  CHECK(decode_failure("v=2&fw=torch&in=1x3x8x8&l=relu;add:i=0,,1") ==
        Failure{"l: layer 1 \"add:i=0,,1\": i: empty name (two ',' in a row, or one at the start or end)", "l", 1});
  CHECK(decode_failure("v=2&fw=torch&in=1x3x8x8&l=concat:i=a,b:ax1.5") ==
        Failure{"l: layer 0 \"concat:i=a,b:ax1.5\": ax: expected an axis like ax1 or ax-1, got \"1.5\"", "l", 0});
  CHECK(decode_failure("v=3&fw=torch&in=1x3x8x8") ==
        Failure{"v: unsupported link version 3; this page reads v=1 and v=2", "v", -1});
}
