#include "convscope/import/error_scan.hpp"

#include <algorithm>

#include "convscope/import/text.hpp"
#include "convscope/limits.hpp"

namespace convscope::import::errors {

namespace {
constexpr size_t kMaxDims = 8;  // no message carries more; keeps hostile lists short
bool digit(char c) { return c >= '0' && c <= '9'; }
}  // namespace

bool Scan::fail(size_t at, const std::string& problem) {
  if (error.empty()) error = text::position(text, at) + ": " + problem;
  return false;
}

size_t Scan::find(const std::string& needle, size_t from) const { return text.find(needle, from); }

bool Scan::starts(size_t pos, const std::string& literal) const {
  return pos <= text.size() && text.compare(pos, literal.size(), literal) == 0;
}

bool Scan::expect(size_t& pos, const std::string& literal) {
  if (!starts(pos, literal))
    return fail(pos, "expected " + text::quoted(literal) + ", got " +
                         (pos >= text.size() ? std::string("the end of the text") : text::quoted(text.substr(pos, 20))));
  pos += literal.size();
  return true;
}

bool Scan::integer(size_t& pos, int64_t& out) {
  const size_t start = pos;
  bool negative = false;
  if (pos < text.size() && text[pos] == '-') {
    negative = true;
    ++pos;
  }
  if (pos >= text.size() || !digit(text[pos]))
    return fail(start, "expected a number, got " +
                           (start >= text.size() ? std::string("the end of the text") : text::quoted(text.substr(start, 20))));
  int64_t v = 0;
  while (pos < text.size() && digit(text[pos])) {
    // Sizes beyond 2^31 - 1 are refused here, so the arithmetic on them
    // later (k_eff, paddings) cannot overflow.
    v = v * 10 + (text[pos++] - '0');
    if (v > limits::max_dimension) return fail(start, "number too large (beyond 2^31 - 1)");
  }
  out = negative ? -v : v;
  return true;
}

bool Scan::dims(size_t& pos, Dims& out) {
  out.clear();
  if (starts(pos, "TensorShape(")) {
    pos += 12;
    if (!dims(pos, out)) return false;
    return expect(pos, ")");
  }
  const size_t open = pos;
  if (pos >= text.size() || (text[pos] != '(' && text[pos] != '[' && text[pos] != '{'))
    return fail(pos, "expected a shape such as (4 x 4) or [?,4,4,3]");
  const char close = text[pos] == '(' ? ')' : text[pos] == '[' ? ']' : '}';
  ++pos;
  bool expect_value = true;  // tfjs prints [,4,4] for an unknown batch
  while (pos < text.size() && text[pos] != close) {
    const char c = text[pos];
    if (c == ' ' || c == 'x') {
      ++pos;
      continue;
    }
    if (c == ',') {
      if (expect_value) out.push_back(-1);
      expect_value = true;
      ++pos;
      continue;
    }
    if (out.size() >= kMaxDims) return fail(open, "more than " + std::to_string(kMaxDims) + " sizes in one shape");
    if (c == '?') {
      out.push_back(-1);
      ++pos;
    } else if (starts(pos, "None")) {
      out.push_back(-1);
      pos += 4;
    } else if (digit(c) || c == '-') {
      int64_t v = 0;
      if (!integer(pos, v)) return false;
      out.push_back(v);
    } else {
      return fail(pos, std::string("unexpected ") + text::quoted(std::string(1, c)) + " in a shape");
    }
    expect_value = false;
  }
  if (pos >= text.size()) return fail(open, std::string("missing '") + close + "' to close the shape");
  ++pos;
  return true;
}

bool Scan::int_or_dims(size_t& pos, Dims& out) {
  if (pos < text.size() && (digit(text[pos]) || text[pos] == '-')) {
    int64_t v = 0;
    if (!integer(pos, v)) return false;
    out.assign(1, v);
    return true;
  }
  return dims(pos, out);
}

bool Scan::word(size_t& pos, std::string& out) {
  const size_t start = pos;
  while (pos < text.size() && text::is_ident_char(text[pos]) && pos - start < 64) ++pos;
  if (pos == start) return fail(start, "expected a word such as valid or same");
  out = text.substr(start, pos - start);
  return true;
}

bool Scan::until(size_t& pos, const std::string& stop, size_t max, std::string& out) {
  const size_t start = pos;
  const size_t end = text.find(stop, pos);
  const size_t newline = text.find('\n', pos);
  if (end == std::string::npos || (newline != std::string::npos && newline < end) || end - start > max)
    return fail(start, "expected " + text::quoted(stop) + " on the same line");
  out = text.substr(start, end - start);
  pos = end;
  return true;
}

// ---- Traceback context ---------------------------------------------------------

namespace {

// A quoted or bare name at `pos`: "conv2d_3", 'conv2d_3' or conv2d_3.
std::string name_at(const std::string& t, size_t pos) {
  if (pos >= t.size()) return "";
  const char q = t[pos];
  if (q == '"' || q == '\'') {
    const size_t end = t.find(q, pos + 1);
    if (end == std::string::npos || end - pos > 200) return "";
    const std::string s = t.substr(pos + 1, end - pos - 1);
    return s.find('\n') == std::string::npos ? s : "";
  }
  size_t end = pos;
  while (end < t.size() && text::is_ident_char(t[end]) && end - pos < 200) ++end;
  return t.substr(pos, end - pos);
}

}  // namespace

KerasContext keras_context(const std::string& t) {
  KerasContext c;
  for (const char* anchor : {"Exception encountered when calling layer ", "Call arguments received by layer "}) {
    const size_t at = t.find(anchor);
    if (at == std::string::npos) continue;
    const size_t p = at + std::char_traits<char>::length(anchor);
    c.name = name_at(t, p);
    const size_t type = t.find("(type ", p);
    if (type != std::string::npos && type - p < 260) c.cls = name_at(t, type + 6);
    return c;
  }
  // Keras 3: "Exception encountered when calling Conv2D.call()."
  for (const char* anchor : {"Exception encountered when calling ", "Arguments received by "}) {
    const size_t at = t.find(anchor);
    if (at == std::string::npos) continue;
    const std::string cls = name_at(t, at + std::char_traits<char>::length(anchor));
    if (t.compare(at + std::char_traits<char>::length(anchor) + cls.size(), 6, ".call(") == 0) c.cls = cls;
    return c;
  }
  return c;
}

namespace {

// One `self.NAME(...)` call on a traceback's code line.
struct SelfCall {
  std::string name;
  size_t begin = 0;  // column of "self."
  size_t close = 0;  // column of its closing ')' (npos: not closed on the line)
};

std::vector<SelfCall> self_calls(const std::string& line) {
  std::vector<SelfCall> calls;
  for (size_t at = line.find("self."); at != std::string::npos; at = line.find("self.", at + 5)) {
    if (at > 0 && (text::is_ident_char(line[at - 1]) || line[at - 1] == '.')) continue;
    const std::string name = name_at(line, at + 5);
    const size_t open = at + 5 + name.size();
    if (name.empty() || open >= line.size() || line[open] != '(') continue;
    SelfCall c{name, at, std::string::npos};
    int depth = 0;
    for (size_t i = open; i < line.size(); ++i) {
      if (line[i] == '(') ++depth;
      else if (line[i] == ')' && --depth == 0) {
        c.close = i;
        break;
      }
    }
    calls.push_back(c);
  }
  return calls;
}

// Python 3.11 prints carets under the failing call: "      ^^^^^^^^^^^^^".
bool caret_line(const std::string& line, size_t& first) {
  first = line.find_first_not_of(' ');
  return first != std::string::npos && line.find_first_not_of(" ^~") == std::string::npos &&
         line.find('^') != std::string::npos;
}

bool torch_file(const std::string& line) {
  return line.find("torch/") != std::string::npos || line.find("torch\\") != std::string::npos;
}

// The kind of module a torch/nn/modules file holds, as a module's name
// usually says it ("conv.py" -> "conv"); empty for module.py and the rest.
std::string module_kind(const std::string& file_line) {
  static const std::pair<const char*, const char*> kFiles[] = {
      {"modules/conv.py", "conv"}, {"modules/pooling.py", "pool"}, {"modules/linear.py", "fc"},
      {"modules/batchnorm.py", "bn"}, {"modules/upsampling.py", "up"}, {"modules/padding.py", "pad"}};
  for (const auto& [file, kind] : kFiles)
    if (file_line.find(file) != std::string::npos) return kind;
  return "";
}

bool name_fits_kind(const std::string& name, const std::string& kind) {
  if (kind == "user") {
    for (const char* k : {"conv", "pool", "fc", "bn", "up", "pad"})
      if (name_fits_kind(name, k)) return false;
    return true;
  }
  if (kind == "fc") return name.find("fc") != std::string::npos || name.find("linear") != std::string::npos ||
                           name.find("classifier") != std::string::npos || name.find("head") != std::string::npos;
  if (kind == "bn") return name.find("bn") != std::string::npos || name.find("norm") != std::string::npos;
  return name.find(kind) != std::string::npos;
}

}  // namespace

TorchCall torch_failing_call(const std::string& t) {
  // Frames are "File ..." lines, each followed by its code line and, from
  // Python 3.11 on, a caret line. The module that raised is called from the
  // last user frame (not PyTorch's own code, which calls
  // `self._conv_forward(...)` and the like); the frames after it name the
  // module's file. A line may call several modules
  // (`self.pool(F.relu(self.conv3(x)))`): the carets mark the one that
  // raised; without them, calls run in the order their ')' close, and the
  // first whose name fits the module's file is taken.
  struct Frame {
    std::string file, code, carets;
  };
  std::vector<Frame> frames;
  size_t line_start = 0;
  while (line_start < t.size()) {
    size_t line_end = t.find('\n', line_start);
    if (line_end == std::string::npos) line_end = t.size();
    std::string line = t.substr(line_start, std::min<size_t>(line_end - line_start, 400));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t first = 0;
    if (line.find("File \"") != std::string::npos) frames.push_back({line, "", ""});
    else if (!frames.empty() && frames.back().code.empty()) frames.back().code = line;
    else if (!frames.empty() && frames.back().carets.empty() && caret_line(line, first)) frames.back().carets = line;
    line_start = line_end + 1;
  }
  TorchCall found;
  // Module calls from one forward() into the next make the dotted name
  // print(model) uses ("block.conv"); a call from a frame that is no
  // forward() (a training loop's `self.model(x)`) enters the root, which
  // has no name.
  std::vector<TorchCall> path;
  bool found_in_path = false;
  for (size_t f = 0; f < frames.size(); ++f) {
    if (torch_file(frames[f].file)) continue;
    const std::vector<SelfCall> calls = self_calls(frames[f].code);
    if (calls.empty()) continue;
    std::string kind;
    size_t g = f + 1;
    for (; g < frames.size() && torch_file(frames[g].file) && kind.empty(); ++g) kind = module_kind(frames[g].file);
    // PyTorch's module call leads into the user's code again: a custom block.
    if (kind.empty() && g > f + 1 && g < frames.size() && !torch_file(frames[g].file)) kind = "user";
    TorchCall here;
    size_t caret = 0;
    if (calls.size() > 1 && caret_line(frames[f].carets, caret)) {
      for (const SelfCall& c : calls)
        if (c.begin == caret) here = {c.name, "marked by the traceback's carets"};
    }
    if (here.name.empty()) {
      std::vector<SelfCall> order = calls;
      std::stable_sort(order.begin(), order.end(), [](const SelfCall& a, const SelfCall& b) { return a.close < b.close; });
      here = {order[0].name, ""};
      if (calls.size() > 1) {
        std::string names;
        std::vector<const SelfCall*> fitting;
        for (const SelfCall& c : order) {
          names += (names.empty() ? "" : ", ") + c.name;
          if (!kind.empty() && name_fits_kind(c.name, kind)) fitting.push_back(&c);
        }
        if (fitting.size() == 1)
          here = {fitting[0]->name, "the only module the line calls (" + names +
                                        ") whose name fits the module file PyTorch raised in"};
        else
          here.how = "the line calls " + names + " and nothing in the text says which raised (Python 3.11 and "
                     "later mark it with carets); taken as the first one called";
      }
    }
    found = here;
    const std::string& file = frames[f].file;
    const bool in_forward = file.size() >= 7 && file.compare(file.size() - 7, 7, "forward") == 0;
    found_in_path = in_forward && f + 1 < frames.size() && torch_file(frames[f + 1].file);
    if (found_in_path) path.push_back(here);
  }
  if (found_in_path && path.size() > 1) {
    TorchCall dotted;
    for (const TorchCall& c : path) {
      dotted.name += (dotted.name.empty() ? "" : ".") + c.name;
      if (!c.how.empty()) dotted.how += (dotted.how.empty() ? "" : "; ") + ("for " + text::quoted(c.name) + ", " + c.how);
    }
    return dotted;
  }
  return found;
}

std::string torch_layer_name(const std::string& t) { return torch_failing_call(t).name; }

std::string dims_text(const Dims& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + (v[i] < 0 ? std::string("?") : std::to_string(v[i]));
  return s + "]";
}

void add_layer(Draft& d, const OneLayer& l, const std::string& origin) {
  json::Object o = layer_object(convscope::to_string(l.type), l.name);
  const bool pool = l.type == LayerType::max_pool || l.type == LayerType::avg_pool;
  if (l.type == LayerType::conv || l.type == LayerType::conv_transpose) o.push_back({"filters", json::Value(l.filters)});
  o.push_back({"kernel", axes_json(l.kernel)});
  if (l.type == LayerType::depthwise_conv && l.depth_multiplier != 1)
    o.push_back({"depth_multiplier", json::Value(l.depth_multiplier)});
  if (!l.stride.empty()) o.push_back({"stride", axes_json(l.stride)});
  if (!l.dilation.empty() && (!pool || l.dilation != Dims(l.dilation.size(), 1)))
    o.push_back({"dilation", axes_json(l.dilation)});
  if (!l.padding.is_null()) o.push_back({"padding", l.padding});
  if (!l.output_padding.empty()) o.push_back({"output_padding", axes_json(l.output_padding)});
  if (l.type == LayerType::conv && l.groups != 1) o.push_back({"groups", json::Value(l.groups)});
  d.add(std::move(o), origin);
}

LayerType keras_type(const std::string& class_or_name, LayerType fallback) {
  std::string s;
  for (char c : class_or_name) if (c != '_') s += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (s.find("depthwise") != std::string::npos) return LayerType::depthwise_conv;
  if (s.find("transpose") != std::string::npos) return LayerType::conv_transpose;
  if (s.find("maxpool") != std::string::npos) return LayerType::max_pool;
  if (s.find("averagepool") != std::string::npos || s.find("avgpool") != std::string::npos) return LayerType::avg_pool;
  if (s.find("conv") != std::string::npos) return LayerType::conv;
  return fallback;
}

}  // namespace convscope::import::errors
