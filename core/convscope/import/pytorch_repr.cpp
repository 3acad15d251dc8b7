#include "convscope/import/pytorch_repr.hpp"

#include <algorithm>
#include <iterator>
#include <map>
#include <set>

#include "convscope/import/draft.hpp"
#include "convscope/import/pytorch_modules.hpp"
#include "convscope/import/text.hpp"
#include "convscope/import/torchvision_blocks.hpp"
#include "convscope/limits.hpp"

namespace convscope::import {

using json::Value;
using std::to_string;
using text::PyCall;
using text::PyValue;
using torch_modules::State;

namespace {

constexpr size_t kMaxNesting = 64;  // containers inside containers
constexpr size_t kMaxListed = 20;   // names per note before "and N more"

// ---- Lines -------------------------------------------------------------------

struct Line {
  size_t begin = 0, end = 0;  // without the newline; `begin` after indentation
  size_t number = 0;          // 1-based
  size_t indent = 0;          // spaces and tabs before `begin`
};

bool next_line(const std::string& t, size_t& pos, Line& line) {
  if (pos >= t.size()) return false;
  size_t end = t.find('\n', pos);
  if (end == std::string::npos) end = t.size();
  ++line.number;
  line.begin = pos;
  line.end = end;
  while (line.begin < end && (t[line.begin] == ' ' || t[line.begin] == '\t')) ++line.begin;
  line.indent = line.begin - pos;
  while (line.end > line.begin && (t[line.end - 1] == ' ' || t[line.end - 1] == '\r' || t[line.end - 1] == '\t')) --line.end;
  pos = end + 1;
  return true;
}

// `(features): `, `(0-3): 4 x ` -> name "features", range 0..3, count 4.
struct Prefix {
  bool present = false;
  std::string name;
  int64_t range_first = 0;
  int64_t count = 1;
};

bool read_prefix(const std::string& t, size_t& p, size_t end, Prefix& out, std::string& problem) {
  if (p >= end || t[p] != '(') return true;
  const size_t close = t.find("): ", p);
  if (close == std::string::npos || close >= end) {
    problem = "expected \"(name): Module(...)\"";
    return false;
  }
  out.present = true;
  out.name = t.substr(p + 1, close - p - 1);
  if (out.name.empty() || out.name.size() > limits::max_name_chars) {
    problem = "expected a module name between the parentheses";
    return false;
  }
  for (char c : out.name)
    if (!text::is_ident_char(c) && c != '-') {
      problem = "unexpected " + text::quoted(std::string(1, c)) + " in a module name";
      return false;
    }
  p = close + 3;
  // PyTorch 2 collapses repeated ModuleList entries: "(0-3): 4 x Block(".
  // Other names may hold a dash too (RegNet's "(block1-0): ResBottleneckBlock(").
  const size_t dash = out.name.find('-');
  const auto digits = [](const std::string& s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
  };
  if (dash != std::string::npos && digits(out.name.substr(0, dash)) && digits(out.name.substr(dash + 1))) {
    size_t q = p;
    int64_t n = 0;
    while (q < end && t[q] >= '0' && t[q] <= '9' && n <= 100000) n = n * 10 + (t[q++] - '0');
    if (q + 3 > end || t.compare(q, 3, " x ") != 0 || n < 1) {
      problem = "expected \"N x Module(\" after a range of names";
      return false;
    }
    // PyTorch prints "(first-last): count x": the two must agree, or the
    // copies' names would be guesses.
    const std::string first_text = out.name.substr(0, dash), last_text = out.name.substr(dash + 1);
    if (first_text.size() > 9 || last_text.size() > 9) {
      problem = "a range of names beyond 999999999";
      return false;
    }
    const int64_t first = std::stoll(first_text), last = std::stoll(last_text);
    if (last - first + 1 != n) {
      problem = "the range " + out.name + " names " + to_string(std::max<int64_t>(last - first + 1, 0)) +
                " modules but says " + to_string(n) + " x";
      return false;
    }
    out.range_first = first;
    out.count = n;
    p = q + 3;
  }
  return true;
}

// The names a module's children have taken. PyTorch's print(model) never
// repeats one within a module; text that does would import as two layers
// with one name, so it is refused. A collapsed range "(0-3): 4 x" takes
// "0" to "3", kept as an interval (a range may be long).
class ChildNames {
 public:
  // False when `prefix` names a child already listed.
  bool claim(const Prefix& prefix) {
    int64_t first = prefix.range_first, last = prefix.range_first + prefix.count - 1;
    if (prefix.count == 1) {
      if (!canonical_number(prefix.name, first)) return plain_.insert(prefix.name).second;
      last = first;
    }
    auto next = numbered_.lower_bound(first);  // the first interval starting at or after `first`
    if (next != numbered_.end() && next->first <= last) return false;
    if (next != numbered_.begin() && std::prev(next)->second >= first) return false;
    numbered_.emplace(first, last);
    return true;
  }

 private:
  // "12" is the child a Sequential prints as (12); "012" is another name.
  static bool canonical_number(const std::string& s, int64_t& value) {
    if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos) return false;
    if (s.size() > 1 && s[0] == '0') return false;
    value = std::stoll(s);
    return true;
  }
  std::set<std::string> plain_;
  std::map<int64_t, int64_t> numbered_;  // first -> last, disjoint
};

// ---- Reading modules ------------------------------------------------------------

// Residual branches: registered beside the main path, added back in forward().
bool is_branch_name(const std::string& name) {
  static const char* const kBranches[] = {"downsample", "shortcut", "skip", "skip_connection", "residual",
                                          "res_conv", "identity_downsample"};
  for (const char* b : kBranches)
    if (name == b) return true;
  return false;
}

bool is_transparent_container(const std::string& cls) {
  return cls == "Sequential" || cls == "ModuleList" || cls == "ModuleDict";
}

std::string listing(const std::vector<std::string>& items) {
  std::string s;
  for (size_t i = 0; i < items.size() && i < kMaxListed; ++i) s += (i ? ", " : "") + items[i];
  if (items.size() > kMaxListed) s += " and " + to_string(items.size() - kMaxListed) + " more";
  return s;
}

struct Frame {
  std::string path;  // dotted path of the container ("" at the root)
  std::string cls;
  size_t first_layer = 0;  // where its layers start in the draft
  int64_t count = 1;       // "(0-3): 4 x Block(" repeats the block
  int64_t range_first = 0;
  std::string parent_path;
  bool branch = false;     // a residual branch (or unused in eval): read, listed, not added
  size_t offset = 0;
  std::string origin;                 // "line 7"
  std::vector<std::string> children;  // direct children's names
  ChildNames taken;                   // the same names, for the uniqueness check
};

std::string child_path(const std::string& parent, const std::string& name) {
  return parent.empty() ? name : parent + "." + name;
}

// Repeats the layers a "(0-3): 4 x Block(" frame added, renaming the copies.
bool repeat_frame(State& st, const Frame& f, std::string& error) {
  const size_t first = f.first_layer, end = st.d.layers.size();
  const size_t per_copy = end - first;
  if (per_copy * static_cast<size_t>(f.count) + first > limits::max_layers + 1) {
    error = text::position(st.text, f.offset) + ": " + to_string(f.count) + " x " + f.cls +
            " makes more than " + to_string(limits::max_layers) + " layers";
    return false;
  }
  const std::string old_prefix = f.path;
  const auto inside = [&](const std::string& name) {
    return name.compare(0, old_prefix.size(), old_prefix) == 0 &&
           (name.size() == old_prefix.size() || name[old_prefix.size()] == '.');
  };
  for (int64_t k = 1; k < f.count; ++k) {
    const std::string new_prefix = child_path(f.parent_path, to_string(f.range_first + k));
    // A wired block's first layers read the block's input by name: a copy
    // reads the previous copy's output instead.
    const json::Value* last = st.d.layers.empty() ? nullptr : st.d.layers.back().find("name");
    const std::string previous = last ? last->as_string() : "input";
    const auto renamed = [&](const std::string& name) {
      return inside(name) ? clean_name(new_prefix + name.substr(old_prefix.size())) : name;
    };
    for (size_t i = first; i < end; ++i) {
      json::Value layer = st.d.layers[i];
      if (const json::Value* n = layer.find("name")) layer.set("name", Value(renamed(n->as_string())));
      if (const json::Value* ins = layer.find("inputs")) {
        json::Array a;
        for (const json::Value& x : ins->as_array())
          a.push_back(Value(inside(x.as_string()) ? renamed(x.as_string()) : previous));
        layer.set("inputs", Value(std::move(a)));
      }
      st.d.layers.push_back(std::move(layer));
      st.d.origins.push_back(st.d.origins[i]);
    }
  }
  return true;
}

// A user's block named like torchvision's had its residual branch read (the
// parser could not know before the block closed): left out and listed, as for
// any other user block.
void remove_branch_layers(State& st, const Frame& f) {
  for (const std::string& child : f.children) {
    if (!is_branch_name(child) || !torchvision::wires_child(f.cls, child)) continue;
    const std::string path = child_path(f.path, child);
    size_t kept = f.first_layer;
    for (size_t i = f.first_layer; i < st.d.layers.size(); ++i) {
      const json::Value* n = st.d.layers[i].find("name");
      const std::string name = n ? n->as_string() : "";
      if (name == path || name.compare(0, path.size() + 1, path + ".") == 0) continue;
      st.d.layers[kept] = st.d.layers[i];
      st.d.origins[kept++] = st.d.origins[i];
    }
    st.d.layers.resize(kept);
    st.d.origins.resize(kept);
    st.branches.push_back(text::quoted(path) + " (" + f.cls + "'s " + child + ")");
  }
}

// A container closes: a torchvision block is rewired into its graph, and the
// root gets the steps its class's forward() does after the last module. False
// (with `stopped_at`) when the block cannot be modelled: its layers are taken
// out and the import ends before it.
bool close_frame(State& st, const Frame& f, bool root, std::string& stopped_at) {
  if (root) {
    st.root_matched = st.root && torchvision::root_matches(*st.root, f.children);
    if (st.root_matched && st.root->flatten_at_end) {
      st.d.add(layer_object("flatten", st.d.free_name("flatten")), f.origin);
      st.d.note("inserted torch.flatten(x, 1) after the last module: " + f.cls +
                ".forward() ends with it (torchvision 0.14)");
    }
    if (!st.root_matched) st.root = nullptr;
    if (st.root) return true;
  }
  if (is_transparent_container(f.cls)) return true;
  const torchvision::Container c{f.path, f.cls, f.children, f.first_layer, f.origin};
  std::string why;
  switch (torchvision::wire(st, c, why)) {
    case torchvision::Wiring::stop:
      st.d.layers.resize(f.first_layer);
      st.d.origins.resize(f.first_layer);
      stopped_at = why;
      return false;
    case torchvision::Wiring::other:
      if (!root) st.custom.push_back(text::quoted(f.path) + " (" + f.cls + ")");
      // A user's block named like torchvision's: its residual branch is left out as before.
      remove_branch_layers(st, f);
      return true;
    default:
      return true;
  }
}

}  // namespace

bool looks_like_pytorch_repr(const std::string& t) {
  size_t pos = 0;
  Line line;
  while (next_line(t, pos, line)) {
    if (line.begin == line.end || t.compare(line.begin, 3, ">>>") == 0) continue;
    size_t p = line.begin;
    if (!text::is_ident_start(t[p])) return false;
    while (p < line.end && (text::is_ident_char(t[p]) || t[p] == '.')) ++p;
    return p < line.end && t[p] == '(' && (p + 1 == line.end || t[line.end - 1] == ')');
  }
  return false;
}

bool import_pytorch_repr(const std::string& t, const ImportOptions& options, ImportResult& out, std::string& error) {
  Draft d;
  d.framework = Framework::pytorch;
  State st(d, t);
  std::vector<Frame> stack;
  bool root_done = false;
  std::string root_class;
  std::string stopped_at;  // a torchvision block ConvScope cannot model
  size_t pos = 0;
  Line line;
  while (next_line(t, pos, line)) {
    if (line.begin == line.end) continue;
    // Counted as the lines go by: text::position() from the start on every
    // line would make a long paste quadratic.
    const std::string at = "line " + to_string(line.number) + ", column " + to_string(line.indent + 1);
    if (d.layers.size() > limits::max_layers) {
      error = at + ": more than " + to_string(limits::max_layers) + " layers (ConvScope's limit for one network)";
      return false;
    }
    if (stack.empty() && t.compare(line.begin, 3, ">>>") == 0) continue;  // an interpreter prompt
    if (!stopped_at.empty()) continue;  // the rest of the model after a block ConvScope cannot model
    if (root_done) {
      error = at + ": text after the model's closing ')'";
      return false;
    }
    if (t[line.begin] == ')' && line.end == line.begin + 1) {
      if (stack.empty()) {
        error = at + ": ')' without a module to close";
        return false;
      }
      const Frame f = stack.back();
      stack.pop_back();
      if (!f.branch && !close_frame(st, f, stack.empty(), stopped_at)) {
        stack.clear();
        root_done = true;
        continue;
      }
      if (f.count > 1 && !f.branch && !repeat_frame(st, f, error)) return false;
      if (stack.empty()) root_done = true;
      continue;
    }
    size_t p = line.begin;
    Prefix prefix;
    std::string problem;
    if (!read_prefix(t, p, line.end, prefix, problem)) {
      error = text::position(t, p) + ": " + problem;
      return false;
    }
    if (!stack.empty() && !prefix.present) {
      error = at + ": expected \"(name): Module(...)\" or ')'";
      return false;
    }
    const std::string parent = stack.empty() ? "" : stack.back().path;
    // A collapsed range "(0-3): 4 x ..." starts as its first name.
    const std::string own = prefix.count > 1 ? to_string(prefix.range_first) : prefix.name;
    const std::string name = prefix.present ? child_path(parent, own) : "";
    const bool in_branch = !stack.empty() && stack.back().branch;
    if (!stack.empty()) {
      if (!stack.back().taken.claim(prefix)) {
        error = at + ": " + text::quoted(stack.back().cls) + " " +
                (parent.empty() ? std::string("(the model)") : text::quoted(parent)) + " already has a child named " +
                text::quoted(prefix.name) + " (print(model) never lists a name twice in one module)";
        return false;
      }
      stack.back().children.push_back(prefix.name);
    }
    // GoogLeNet's aux classifiers: forward() runs them only in training.
    const bool unused = stack.size() == 1 && st.root && prefix.present &&
                        std::find(st.root->unused_in_eval.begin(), st.root->unused_in_eval.end(), prefix.name) !=
                            st.root->unused_in_eval.end();
    const bool branch = in_branch || unused ||
                        (prefix.present && is_branch_name(prefix.name) && !stack.empty() &&
                         !is_transparent_container(stack.back().cls) &&
                         !torchvision::wires_child(stack.back().cls, prefix.name));
    // A container opens with "Class(" and nothing after it.
    size_t q = p;
    while (q < line.end && (text::is_ident_char(t[q]) || t[q] == '.')) ++q;
    if (q == p || q >= line.end || t[q] != '(') {
      error = text::position(t, p) + ": expected a module such as Conv2d(...)";
      return false;
    }
    const std::string cls = t.substr(p, q - p);
    if (q + 1 == line.end) {
      if (stack.size() >= kMaxNesting) {
        error = at + ": modules nested more than " + to_string(kMaxNesting) + " deep";
        return false;
      }
      Frame f{name, cls, d.layers.size(), prefix.count, prefix.range_first, parent, branch, line.begin,
              "line " + to_string(line.number), {}, {}};
      if (stack.empty()) {
        root_class = cls;
        st.root = torchvision::root_of(cls);
      }
      if (branch && !in_branch) (unused ? st.unused : st.branches).push_back(text::quoted(name) + " (" + cls + ")");
      stack.push_back(f);
      continue;
    }
    PyCall call;
    text::PyError perr;
    size_t cp = p;
    if (!text::parse_call(t, cp, line.end, call, perr)) {
      error = text::position(t, perr.offset) + ": " + perr.message;
      return false;
    }
    if (cp != line.end) {
      error = text::position(t, cp) + ": unexpected text after the module";
      return false;
    }
    if (branch) {
      if (!in_branch) (unused ? st.unused : st.branches).push_back(text::quoted(name) + " (" + cls + ")");
      continue;
    }
    if (stack.empty()) root_done = true;  // a single module, e.g. "Conv2d(3, 64, ...)"
    for (int64_t k = 0; k < prefix.count; ++k) {
      const std::string copy = prefix.count > 1 ? child_path(parent, to_string(prefix.range_first + k)) : name;
      const size_t before = d.layers.size();
      if (before > limits::max_layers) break;
      if (!leaf(st, call, copy.empty() ? cls : copy, at, error)) return false;
      if (d.layers.size() == before) break;  // a module that adds no layer: its copies add none either
    }
  }
  if (!stack.empty() && stopped_at.empty()) {
    error = text::position(t, stack.back().offset) + ": " + text::quoted(stack.back().cls + "(") +
            " is never closed (the text ends first)";
    return false;
  }
  if (!root_done) {
    error = "line 1, column 1: no module found (expected print(model) output such as \"Net(\")";
    return false;
  }

  // The input shape.
  const size_t sr = st.spatial_rank ? st.spatial_rank : 1;
  if (options.input) {
    d.input = *options.input;
    if (st.spatial_rank && d.input.size() != sr + 2)
      d.note("the input shape has " + to_string(d.input.size()) + " dimensions but the model's modules are " + to_string(sr) +
             "-D (" + to_string(sr + 2) + " dimensions expected)");
    else if (st.first_channels && d.input.size() >= 2 && d.input[1] != st.first_channels)
      d.note("the input shape has " + to_string(d.input[1]) + " channels but the first layer expects " +
             to_string(st.first_channels) + " (in_channels); PyTorch would refuse this input");
  } else if (st.spatial_rank == 0) {
    // An MLP: ConvScope's input needs a spatial axis; 1 x 1 x F is flattened.
    int64_t features = 1;
    for (const Value& l : d.layers)
      if (const Value* f = l.find("in_features")) {
        features = f->as_int();
        break;
      }
    d.input = {1, 1, features};
    d.note("input shape not given: assumed 1x1x" + to_string(features) +
           " from the first Linear's in_features (ConvScope needs a 3-D input; the flatten makes it 1x" +
           to_string(features) + ")");
  } else {
    const int64_t channels = st.first_channels ? st.first_channels : 3;
    d.input = {1, channels};
    const std::vector<int64_t> sizes = sr == 1 ? std::vector<int64_t>{1024}
                                       : sr == 2 ? std::vector<int64_t>{224, 224}
                                                 : std::vector<int64_t>{16, 112, 112};
    d.input.insert(d.input.end(), sizes.begin(), sizes.end());
    d.note("input shape not given: assumed " + shape_text(d.input) + " (" +
           (st.first_channels ? "channels from the first layer's in_channels" : "3 channels") + ")");
  }
  if (!stopped_at.empty())
    d.note("stopped at " + stopped_at + "; the modules from there on are not imported, so the analysis covers only "
           "the part before it");
  if (st.root && st.root_matched)
    d.note("print(model) does not show forward(); " + root_class +
           " is torchvision's, whose forward() (torchvision 0.14) runs these modules in the order printed");
  else if (!root_class.empty() && !is_transparent_container(root_class) && stopped_at.empty())
    d.note("print(model) does not show forward(); the modules of " + root_class + " were read in the order printed");
  torchvision::notes(st);
  if (!st.not_torchvision.empty())
    d.note("named like torchvision's blocks but with other children, so not torchvision's: read in print order: " +
           listing(st.not_torchvision));
  if (!st.unused.empty())
    d.note("used only in training (" + root_class + ".forward() skips them in eval), left out with their parameters: " +
           listing(st.unused));
  if (!st.custom.empty()) d.note("custom blocks read in print order: " + listing(st.custom));
  // A torchvision model whose forward() is known (torchvision_blocks.cpp) is no guess.
  if ((!root_class.empty() && !is_transparent_container(root_class) && !(st.root && st.root_matched)) ||
      !st.custom.empty())
    d.guessed = "the modules in the order print(model) shows them; forward() is not in the text";
  if (!st.branches.empty())
    d.note("residual branches left out (their sum with the main path keeps its shape): " + listing(st.branches));
  if (!st.unknown.empty())
    d.note("not modelled, skipped as if they kept the shape: " + listing(st.unknown));
  if (!st.identities.empty()) d.note("Identity modules left out: " + listing(st.identities));
  d.description = "Imported from PyTorch print(model)" + (root_class.empty() ? std::string() : " of " + root_class) + ".";
  if (!finish(d, Format::pytorch_repr, out, error)) return false;
  out.stopped_at = stopped_at;
  return true;
}

}  // namespace convscope::import
