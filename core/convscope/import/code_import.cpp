#include "convscope/import/code_import.hpp"

#include <algorithm>
#include <functional>
#include <set>

#include "convscope/import/code_keras.hpp"
#include "convscope/import/code_pytorch.hpp"
#include "convscope/import/draft.hpp"
#include "convscope/import/python_eval.hpp"
#include "convscope/import/python_parse.hpp"
#include "convscope/import/text.hpp"

namespace convscope::import {

namespace {

bool has_line_starting(const std::string& t, const std::string& prefix) {
  size_t at = 0;
  while (at < t.size()) {
    size_t b = at;
    while (b < t.size() && (t[b] == ' ' || t[b] == '\t')) ++b;
    if (t.compare(b, prefix.size(), prefix) == 0) return true;
    at = t.find('\n', at);
    if (at == std::string::npos) break;
    ++at;
  }
  return false;
}

enum class CodeFramework { none, pytorch, keras };

CodeFramework framework_of_code(const std::string& t) {
  if (has_line_starting(t, "import torch") || has_line_starting(t, "from torch")) return CodeFramework::pytorch;
  if (has_line_starting(t, "import tensorflow") || has_line_starting(t, "from tensorflow") ||
      has_line_starting(t, "import keras") || has_line_starting(t, "from keras"))
    return CodeFramework::keras;
  return CodeFramework::none;
}

// `# input: 1x3x32x32`, `# input shape: (1, 3, 32, 32)`: the shape, or empty.
std::vector<int64_t> input_comment(const std::vector<std::string>& lines, int& line_no) {
  for (size_t k = 0; k < lines.size(); ++k) {
    const std::string& l = lines[k];
    const size_t hash = l.find('#');
    if (hash == std::string::npos) continue;
    std::string c = l.substr(hash + 1);
    std::transform(c.begin(), c.end(), c.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    size_t at = c.find("input");
    if (at == std::string::npos) continue;
    at = c.find(':', at);
    if (at == std::string::npos) continue;
    std::vector<int64_t> shape;
    int64_t cur = -1;
    for (size_t j = at + 1; j <= c.size(); ++j) {
      const char ch = j < c.size() ? c[j] : ' ';
      if (ch >= '0' && ch <= '9') {
        cur = (cur < 0 ? 0 : cur) * 10 + (ch - '0');
        if (cur > (1 << 20)) break;
      } else {
        if (cur >= 0) shape.push_back(cur);
        cur = -1;
        if (!(ch == 'x' || ch == ',' || ch == ' ' || ch == '(' || ch == ')' || ch == '[' || ch == ']' || ch == '*'))
          break;
      }
    }
    if (shape.size() >= 3 && shape.size() <= 5 &&
        std::all_of(shape.begin(), shape.end(), [](int64_t v) { return v > 0; })) {
      line_no = static_cast<int>(k) + 1;
      return shape;
    }
  }
  return {};
}

// The names a class body mentions (to find the classes no other class uses).
void names_in(const py::Expr& e, std::set<std::string>& out) {
  if (e.kind == py::Expr::Kind::name) out.insert(e.text);
  for (const py::Expr& k : e.kids) names_in(k, out);
}
void names_in(const std::vector<py::Stmt>& body, std::set<std::string>& out) {
  for (const py::Stmt& s : body) {
    for (const py::Expr& t : s.targets) names_in(t, out);
    names_in(s.value, out);
    for (const py::Param& p : s.params) names_in(p.default_value, out);
    names_in(s.body, out);
    names_in(s.orelse, out);
    names_in(s.handlers, out);
    names_in(s.finally_body, out);
  }
}

std::string lines_text(std::vector<int> lines) {
  std::sort(lines.begin(), lines.end());
  std::string s;
  size_t shown = 0;
  for (size_t k = 0; k < lines.size() && shown < 12; ++k, ++shown) s += (k ? ", " : "") + std::to_string(lines[k]);
  if (lines.size() > 12) s += ", ...";
  return s;
}

// "line 12, column 9 (x = x.permute(0, 2, 3, 1)): why"
std::string where(const py::Interp& in, const py::Failure& f) {
  const std::string line = in.line_text(f.pos.line);
  const size_t colon = line.find(": ");
  return "line " + std::to_string(f.pos.line) + ", column " + std::to_string(f.pos.column) +
         (colon == std::string::npos ? std::string() : " (" + line.substr(colon + 2) + ")") + ": " + f.message;
}

bool read_pytorch(py::Interp& in, py::TorchFramework& torch, const ImportOptions& options, Draft& d, ImportResult& out,
                  Mode& mode, std::string& error) {
  using py::Value;
  if (!in.run_top_level()) {
    error = where(in, in.failure);
    return false;
  }
  // The models: the code's classes deriving from nn.Module.
  std::vector<py::Ref> models;
  for (const py::Ref& c : in.classes)
    if (c->cls->derives_from("torch.nn.Module")) models.push_back(c);
  if (models.empty()) {
    error = "the code defines no class deriving from nn.Module (class Net(nn.Module): ...)";
    return false;
  }
  for (const py::Ref& c : models) out.models.push_back(c->cls->name);
  py::Ref model;      // the instance to run
  py::Ref chosen;     // its class
  std::string how;
  if (options.model) {
    for (const py::Ref& c : models)
      if (c->cls->name == *options.model) chosen = c;
    const auto fn = in.globals->vars.find(*options.model);
    if (!chosen && fn != in.globals->vars.end() && fn->second->kind == Value::Kind::function) {
      // A factory function (`resnet50`): called with its defaults.
      py::Args none;
      none.pos = fn->second->fn->pos;
      model = in.call_function(fn->second, none);
      if (!model) {
        error = where(in, in.failure);
        return false;
      }
      if (!torch.is_module(model) || model->kind != Value::Kind::instance) {
        error = *options.model + "() returns " + py::describe(model) + ", not a model";
        return false;
      }
      for (const py::Ref& c : models)
        if (c->cls == model->cls) chosen = c;
      how = "made by " + *options.model + "()";
    }
    if (!chosen) {
      std::string list;
      for (const py::Ref& c : models) list += (list.empty() ? "" : ", ") + c->cls->name;
      error = "the code has no nn.Module class or function named " + text::quoted(*options.model) + " (its classes: " +
              list + ")";
      return false;
    }
    const bool from_factory = model != nullptr;
    for (const auto& made : in.top_level_instances)
      if (!from_factory && made.instance->cls == chosen->cls) {
        model = made.instance;
        how = "as made at " + in.line_text(made.pos.line);
      }
    if (!how.empty()) how = "chosen; " + how;
  } else {
    for (const auto& made : in.top_level_instances)
      if (torch.is_module(made.instance)) {
        model = made.instance;
        how = "the model the code makes last, at " + in.line_text(made.pos.line);
      }
    if (model) {
      for (const py::Ref& c : models)
        if (c->cls == model->cls) chosen = c;
    } else {
      // No instance: the classes no other class mentions; the last defined.
      std::vector<py::Ref> tops;
      for (const py::Ref& c : models) {
        bool used = false;
        for (const py::Ref& other : models) {
          if (other == c) continue;
          std::set<std::string> names;
          for (const py::Stmt& s : in.module.body)
            if (s.kind == py::Stmt::Kind::class_ && s.name == other->cls->name) names_in(s.body, names);
          used = used || names.count(c->cls->name) > 0;
        }
        if (!used) tops.push_back(c);
      }
      chosen = tops.empty() ? models.back() : tops.back();
      how = tops.size() > 1 ? "the last of the classes no other class uses; the others: " : "the class no other class uses";
      if (tops.size() > 1)
        for (size_t k = 0; k + 1 < tops.size(); ++k) how += (k ? ", " : "") + tops[k]->cls->name;
    }
  }
  if (!model) {
    py::Ref cls = std::make_shared<Value>();
    cls->kind = Value::Kind::class_;
    cls->cls = chosen->cls;
    py::Args none;
    none.pos = chosen->cls->pos;
    model = in.instantiate(cls, none);
    if (!model) {
      error = where(in, in.failure);
      if (in.failure.message.find("missing required argument") != std::string::npos)
        error += " — the code never makes a " + chosen->cls->name + ", so it was built with no arguments; write `model = " +
                 chosen->cls->name + "(...)` in the code or choose another model";
      return false;
    }
  }
  out.model = chosen->cls->name;
  d.note("read " + chosen->cls->name + " (" + how + ")" +
         (models.size() > 1 ? "; the code defines " + std::to_string(models.size()) + " nn.Module classes" : ""));
  torch.name_modules(model);
  // PyTorch builds a module in training mode (BatchNorm then needs more than
  // one value per channel); model.eval() in the code switches it.
  const py::Ref training = model->attr("training");
  mode = training && training->kind == Value::Kind::boolean && !training->b ? Mode::eval : Mode::train;
  d.note(mode == Mode::eval ? "the code calls .eval(): analysed in eval mode"
                            : "analysed in training mode, as PyTorch builds a module (the code does not call .eval())");

  // The input shape.
  int comment_line = 0;
  const std::vector<int64_t> commented = input_comment(in.module.lines, comment_line);
  if (options.input) {
    d.input = *options.input;
  } else if (!commented.empty()) {
    d.input = commented;
    d.note("input " + shape_text(d.input) + " from the comment at line " + std::to_string(comment_line));
  } else if (!torch.examples.empty()) {
    d.input = torch.examples.back().first;
    d.note("input " + shape_text(d.input) + " from the example tensor at " +
           in.line_text(torch.examples.back().second.line));
  } else {
    // A common size: an assumption, said (the page asks for the shape).
    d.input = {1, 3, 224, 224};
    d.note("the code gives no input shape (no `x = torch.randn(...)`, no `# input: 1x3x224x224` comment): assumed " +
           shape_text(d.input) + " — set the input shape");
  }
  if (d.input.size() < 3 || d.input.size() > 5) {
    error = "the input shape " + shape_text(d.input) + " has " + std::to_string(d.input.size()) +
            " dimensions; ConvScope reads 3 to 5 (batch, channels, 1 to 3 spatial axes)";
    return false;
  }
  py::Ref x = std::make_shared<Value>();
  x->kind = Value::Kind::tensor;
  x->tensor = {kNetworkInput, d.input.size()};
  py::Args args;
  args.pos = chosen->cls->pos;
  args.positional = {x};
  const py::Ref result = in.call(model, args);
  if (!result) {
    if (in.failure.kind == py::Failure::Kind::stop) {
      out.stopped_at = where(in, in.failure);
      d.note("stopped at " + out.stopped_at + " — the analysis covers the part before it");
    } else {
      error = where(in, in.failure);
      return false;
    }
  }
  for (const std::string& n : torch.notes) d.note(n);
  if (!in.skipped_lines.empty())
    d.note("top-level code that does not build the model was not read (lines " + lines_text(in.skipped_lines) + ")");
  for (const std::string& s : in.skipped) d.note(s);
  return true;
}

}  // namespace

bool looks_like_python_code(const std::string& t) {
  if (framework_of_code(t) == CodeFramework::none) return false;
  return t.find("Traceback (most recent call last)") == std::string::npos;
}

bool import_python_code(const std::string& text, const ImportOptions& options, ImportResult& out, std::string& error) {
  if (text.size() > max_text_bytes) {
    error = "the code is larger than " + std::to_string(max_text_bytes) + " bytes (ConvScope's limit for pasted text)";
    return false;
  }
  py::Module module;
  py::ParseError perr;
  if (!py::parse(text, module, perr)) {
    error = perr.text();
    return false;
  }
  const CodeFramework fw = framework_of_code(text);
  Draft d;
  d.framework = fw == CodeFramework::keras ? Framework::tensorflow : Framework::pytorch;
  py::Interp in(module, d);
  // Keras runs for inference (its default mode); PyTorch's mode is read from the code.
  Mode mode = default_mode(d.framework);
  if (fw == CodeFramework::keras) {
    if (!read_keras_code(in, options, out, error)) return false;  // code_keras.cpp
  } else {
    py::TorchFramework torch(in, text);
    in.framework = &torch;
    if (!read_pytorch(in, torch, options, d, out, mode, error)) return false;
  }
  // Each layer keeps the line it came from (the page links it to the code).
  for (size_t k = 0; k < d.layers.size(); ++k) {
    const std::string& origin = d.origins[k];
    if (origin.rfind("line ", 0) != 0) continue;
    const int line = std::atoi(origin.c_str() + 5);
    if (line < 1 || static_cast<size_t>(line) > module.lines.size()) continue;
    const SourceLine src = make_source_line(line, module.lines[static_cast<size_t>(line) - 1]);
    json::Object o{{"line", json::Value(src.line)}, {"code", json::Value(src.code)}};
    d.layers[k].as_object().push_back({"source", json::Value(std::move(o))});
  }
  const std::vector<std::string> models = out.models;
  const std::string model = out.model;
  const std::string stopped = out.stopped_at;
  if (!finish(d, Format::python_code, out, error)) return false;
  out.network.mode = mode;
  out.models = models;
  out.model = model;
  out.stopped_at = stopped;
  return true;
}

}  // namespace convscope::import
