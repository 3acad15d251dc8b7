#include "convscope/import/detect.hpp"

#include "convscope/import/error_message.hpp"
#include "convscope/import/keras_json.hpp"
#include "convscope/import/keras_summary.hpp"
#include "convscope/import/mixed_paste.hpp"
#include "convscope/import/onnx.hpp"
#include "convscope/import/code_import.hpp"
#include "convscope/import/pytorch_repr.hpp"
#include "convscope/import/readings.hpp"
#include "convscope/import/text.hpp"
#include "convscope/json.hpp"
#include "convscope/limits.hpp"
#include "convscope/network_json.hpp"
#include "convscope/share_link.hpp"

namespace convscope::import {

namespace {

size_t first_non_space(const std::string& t) {
  size_t i = 0;
  // A UTF-8 byte order mark, as some editors save.
  if (t.compare(0, 3, "\xEF\xBB\xBF") == 0) i = 3;
  while (i < t.size() && text::is_space(t[i])) ++i;
  return i;
}

bool is_share_link(const std::string& t, size_t start) {
  const size_t hash = t.find("#v=", start);
  if (t.compare(start, 2, "v=") == 0) return true;
  return hash != std::string::npos && t.find('\n', start) > hash;  // a URL or a hash on the first line
}

}  // namespace

const char* to_string(Format f) {
  switch (f) {
    case Format::contract_json: return "contract JSON";
    case Format::share_link: return "share link";
    case Format::error_message: return "error message";
    case Format::pytorch_repr: return "PyTorch print(model)";
    case Format::keras_json: return "Keras JSON";
    case Format::onnx: return "ONNX";
    case Format::python_code: return "Python code";
  }
  return "unknown";
}

std::optional<Framework> framework_of(Format f) {
  switch (f) {
    case Format::pytorch_repr: return Framework::pytorch;
    case Format::keras_json: return Framework::tensorflow;
    case Format::onnx: return Framework::onnx;
    default: return std::nullopt;
  }
}

std::optional<Format> detect_format(const std::string& t, std::string& why) {
  if (looks_like_onnx(t)) return Format::onnx;
  const size_t start = first_non_space(t);
  if (start >= t.size()) {
    why = "the input is empty";
    return std::nullopt;
  }
  if (t[start] == '{') {
    // JSON: the contract names a framework; Keras has class_name / config.
    // Text that does not parse is left to the contract's parser, whose
    // message names the line and column.
    json::Value root;
    json::ParseError error;
    json::ParseLimits lim;
    lim.max_depth = 64;
    lim.max_bytes = max_keras_json_bytes;
    if (json::parse(t, root, error, lim) && looks_like_keras_json(root)) return Format::keras_json;
    return Format::contract_json;
  }
  if (is_share_link(t, start)) return Format::share_link;
  if (looks_like_python_code(t)) return Format::python_code;
  if (looks_like_error_message(t)) return Format::error_message;
  // A summary is a cross-check of a network, never one: say so rather than
  // misread it (keras_summary.hpp).
  if (looks_like_keras_summary(t)) {
    why = kSummaryIsNotANetwork;
    return std::nullopt;
  }
  if (looks_like_pytorch_repr(t)) return Format::pytorch_repr;
  size_t end = t.find('\n', start);
  if (end == std::string::npos) end = t.size();
  why = "cannot tell the format of the input (first line " + text::quoted(t.substr(start, end - start)) +
        "): expected the JSON contract, a share link, an error message, PyTorch print(model), Keras JSON, "
        "an ONNX file or model code (PyTorch or Keras)";
  return std::nullopt;
}

namespace {

bool import_contract(const std::string& t, ImportResult& out, std::string& error) {
  Network net;
  if (!network_json::parse(t, net, error)) return false;
  out.format = Format::contract_json;
  out.network = std::move(net);
  return true;
}

bool import_link(const std::string& t, ImportResult& out, std::string& error) {
  std::string hash = t.substr(first_non_space(t));
  const size_t at = hash.find("#v=");
  if (at != std::string::npos) hash = hash.substr(at + 1);
  while (!hash.empty() && text::is_space(hash.back())) hash.pop_back();
  if (hash.size() > limits::max_share_link_chars) {
    error = "the share link is longer than " + std::to_string(limits::max_share_link_chars) + " characters";
    return false;
  }
  share_link::Decoded decoded;
  share_link::ShareLinkError link_error;
  if (!share_link::decode(hash, decoded, link_error)) {
    error = link_error.message;
    return false;
  }
  Network net;
  if (!network_json::from_json(decoded.network, net, error)) return false;
  out.format = Format::share_link;
  out.network = std::move(net);
  return true;
}

}  // namespace

bool import_any(const std::string& t, const ImportOptions& options, ImportResult& out, std::string& error) {
  std::string why;
  const std::optional<Format> format = detect_format(t, why);
  if (!format) {
    error = why;
    return false;
  }
  const std::optional<Framework> fw = framework_of(*format);
  if (options.framework && fw && *fw != *options.framework) {
    error = std::string("the input is ") + to_string(*format) + ", a " + convscope::to_string(*fw) +
            " format, not " + convscope::to_string(*options.framework) + " (--framework)";
    return false;
  }
  const bool text = *format == Format::error_message || *format == Format::pytorch_repr ||
                    *format == Format::share_link || *format == Format::python_code;
  if (text && t.size() > max_text_bytes) {
    error = std::string("the ") + to_string(*format) + " text is larger than " + std::to_string(max_text_bytes) +
            " bytes (ConvScope's limit for pasted text)";
    return false;
  }
  out.notes.clear();
  bool ok = false;
  switch (*format) {
    case Format::contract_json: ok = import_contract(t, out, error); break;
    case Format::share_link: ok = import_link(t, out, error); break;
    case Format::error_message: {
      size_t begin = 0, end = 0;
      ok = find_pytorch_repr_block(t, begin, end) ? import_traceback_with_model(t, begin, end, options, out, error)
                                                  : import_error_message(t, options, out, error);
      break;
    }
    case Format::pytorch_repr:
      ok = import_pytorch_repr(t, options, out, error);
      if (ok) add_readings(out);
      break;
    case Format::keras_json: ok = import_keras_json(t, options, out, error); break;
    case Format::onnx: ok = import_onnx(t, options, out, error); break;
    case Format::python_code: ok = import_python_code(t, options, out, error); break;
  }
  if (!ok) return false;
  if (options.input && (*format == Format::contract_json || *format == Format::share_link)) {
    // The layers' per-axis fields are expanded to the input's rank: only a
    // shape of the same rank can replace it.
    if (options.input->size() != out.network.input.size()) {
      error = "--input has " + std::to_string(options.input->size()) + " dimensions but the network's input has " +
              std::to_string(out.network.input.size());
      return false;
    }
    json::Value replaced = network_json::to_json(out.network);
    json::Array dims;
    for (int64_t d : *options.input) dims.push_back(json::Value(d));
    replaced.set("input", json::Value(std::move(dims)));
    if (!network_json::from_json(replaced, out.network, error)) return false;
    out.notes.push_back("input replaced by the input shape given");
  }
  if (options.framework && out.network.framework != *options.framework)
    out.notes.push_back(std::string("the framework given (") + convscope::to_string(*options.framework) +
                        ") differs from the network's framework " + convscope::to_string(out.network.framework) +
                        "; the network keeps its own");
  return true;
}

json::Value result_json(const ImportResult& r) { return network_json::to_json(r.network); }

bool parse_shape(const std::string& s, std::vector<int64_t>& out, std::string& error) {
  out.clear();
  int64_t v = 0;
  bool digits = false;
  for (size_t i = 0; i <= s.size(); ++i) {
    const char c = i < s.size() ? s[i] : 'x';
    if (c >= '0' && c <= '9') {
      if (v > limits::max_dimension / 10 + 1) {
        error = "--input " + text::quoted(s) + ": a size is larger than " + std::to_string(limits::max_dimension);
        return false;
      }
      v = v * 10 + (c - '0');
      digits = true;
    } else if ((c == 'x' || c == 'X' || c == ',') && digits && v > 0 && v <= limits::max_dimension && out.size() < 5) {
      out.push_back(v);
      v = 0;
      digits = false;
    } else {
      error = "--input " + text::quoted(s) + ": expected 3 to 5 positive sizes joined by 'x', like 1x3x224x224";
      return false;
    }
  }
  if (out.size() < 3) {
    error = "--input " + text::quoted(s) + ": expected 3 to 5 positive sizes joined by 'x', like 1x3x224x224";
    return false;
  }
  return true;
}

std::optional<Framework> framework_alias(const std::string& name) {
  if (name == "pytorch" || name == "torch") return Framework::pytorch;
  if (name == "tensorflow" || name == "tf" || name == "keras") return Framework::tensorflow;
  if (name == "onnx") return Framework::onnx;
  return std::nullopt;
}

}  // namespace convscope::import
