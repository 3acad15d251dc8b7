// Keras's names for the code reader: tensorflow, keras, keras.layers,
// keras.models; layer objects called on tensors (functional API) or run in a
// Sequential. Each layer's constructor arguments become the config the Keras
// JSON importer reads (keras_layers.cpp), so both ways of pasting a model
// give the same layers.
#include "convscope/import/code_keras.hpp"

#include <algorithm>
#include <cctype>
#include <functional>
#include <set>

#include "convscope/import/names.hpp"
#include "convscope/import/text.hpp"

namespace convscope::import::py {

namespace {

using K = Value::Kind;

bool starts_with(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

// What a Keras class is to the reader.
enum class Role {
  layer,     // one tensor in, modelled by keras::convert_layer
  merge,     // a list of tensors in (Concatenate, Add, ...)
  preserve,  // not modelled, keeps the shape: skipped with a note
  input,     // InputLayer
};

struct Spec {
  Role role = Role::layer;
  // The constructor's positional parameters, in order (Keras 3 and tf.keras 2
  // agree on these), as the config keys they set.
  std::vector<const char*> params;
};

// "Conv2DTranspose" -> 2; 0 when the class names no rank.
int rank_in_name(const std::string& cls) {
  for (size_t i = 0; i + 1 < cls.size(); ++i)
    if (cls[i] >= '1' && cls[i] <= '3' && cls[i + 1] == 'D') return cls[i] - '0';
  return 0;
}

// Keras's aliases, to the class Keras itself makes (and names layers after).
std::string canonical(const std::string& cls) {
  static const std::pair<const char*, const char*> prefixes[] = {
      {"Convolution", "Conv"}, {"MaxPool", "MaxPooling"}, {"AvgPool", "AveragePooling"},
      {"GlobalAvgPool", "GlobalAveragePooling"}, {"GlobalMaxPool", "GlobalMaxPooling"},
      {"SeparableConvolution", "SeparableConv"}};
  for (const auto& [from, to] : prefixes) {
    const std::string f = from;
    if (starts_with(cls, from) && !starts_with(cls, to)) {
      // MaxPool2D -> MaxPooling2D, but MaxPooling2D stays.
      const std::string rest = cls.substr(f.size());
      if (rest.size() == 2 && rest[1] == 'D') return std::string(to) + rest;
      if (f == "Convolution" || f == "SeparableConvolution") return std::string(to) + rest;
    }
  }
  return cls;
}

std::optional<Spec> spec_of(const std::string& cls) {
  const int r = rank_in_name(cls);
  const std::string digit = r ? std::to_string(r) + "D" : "";
  auto is = [&](const char* base) { return r && cls == std::string(base) + digit; };
  if (is("Conv")) return Spec{Role::layer, {"filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups", "activation", "use_bias"}};
  if (r && cls == "Conv" + digit + "Transpose")
    return Spec{Role::layer, {"filters", "kernel_size", "strides", "padding", "output_padding", "data_format", "dilation_rate", "activation", "use_bias"}};
  if (is("SeparableConv") && r <= 2)
    return Spec{Role::layer, {"filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "depth_multiplier", "activation", "use_bias"}};
  if (is("DepthwiseConv") && r <= 2)
    return Spec{Role::layer, {"kernel_size", "strides", "padding", "depth_multiplier", "data_format", "dilation_rate", "activation", "use_bias"}};
  if (is("MaxPooling") || is("AveragePooling")) return Spec{Role::layer, {"pool_size", "strides", "padding", "data_format"}};
  if (is("GlobalAveragePooling") || is("GlobalMaxPooling")) return Spec{Role::layer, {"data_format", "keepdims"}};
  if (is("ZeroPadding")) return Spec{Role::layer, {"padding", "data_format"}};
  if (is("Cropping")) return Spec{Role::layer, {"cropping", "data_format"}};
  if (is("UpSampling")) return Spec{Role::layer, {"size", "data_format", "interpolation"}};
  if (is("SpatialDropout")) return Spec{Role::layer, {"rate"}};
  if (cls == "Flatten") return Spec{Role::layer, {"data_format"}};
  if (cls == "Dense") return Spec{Role::layer, {"units", "activation", "use_bias"}};
  if (cls == "Dropout" || cls == "AlphaDropout" || cls == "GaussianDropout") return Spec{Role::layer, {"rate"}};
  if (cls == "BatchNormalization") return Spec{Role::layer, {"axis", "momentum", "epsilon"}};
  if (cls == "Activation") return Spec{Role::layer, {"activation"}};
  if (cls == "ReLU") return Spec{Role::layer, {"max_value", "negative_slope", "threshold"}};
  if (cls == "LeakyReLU") return Spec{Role::layer, {"negative_slope"}};
  if (cls == "ELU") return Spec{Role::layer, {"alpha"}};
  if (cls == "Softmax") return Spec{Role::layer, {"axis"}};
  if (cls == "PReLU") return Spec{Role::layer, {}};
  if (cls == "Reshape") return Spec{Role::layer, {"target_shape"}};
  if (cls == "Concatenate") return Spec{Role::merge, {"axis"}};
  if (cls == "Add" || cls == "Subtract" || cls == "Multiply" || cls == "Average" || cls == "Maximum" || cls == "Minimum")
    return Spec{Role::merge, {}};
  if (cls == "InputLayer") return Spec{Role::input, {"input_shape"}};
  static const char* const preserved[] = {"LayerNormalization", "GroupNormalization", "UnitNormalization",
                                          "GaussianNoise", "ActivityRegularization", "Masking", "Rescaling",
                                          "Normalization", "RandomFlip", "RandomRotation", "RandomZoom",
                                          "RandomContrast", "RandomTranslation", "RandomBrightness", "Identity"};
  for (const char* p : preserved)
    if (cls == p) return Spec{Role::preserve, {}};
  return std::nullopt;
}

// The config keys keras::convert_layer reads (and Reshape's): other
// arguments (initializers, regularizers, names) have no bearing on shapes
// and are not evaluated into the config.
bool shapes_read(const std::string& key) {
  static const std::set<std::string> keys = {
      "filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups", "use_bias",
      "output_padding", "depth_multiplier", "pool_size", "keepdims", "cropping", "size", "interpolation",
      "units", "rate", "activation", "axis", "target_shape"};
  return keys.count(key) > 0;
}

// Keras's automatic names: the class in snake case (Conv2DTranspose ->
// conv2d_transpose, MaxPooling2D -> max_pooling2d), as keras.src.utils.naming.to_snake_case.
std::string snake(const std::string& cls) {
  // re.sub("(.)([A-Z][a-z]+)", r"\1_\2"), then re.sub("([a-z])([A-Z])", r"\1_\2"), lower.
  std::string a;
  for (size_t i = 0; i < cls.size(); ++i) {
    const bool upper = std::isupper(static_cast<unsigned char>(cls[i]));
    if (i > 0 && upper && i + 1 < cls.size() && std::islower(static_cast<unsigned char>(cls[i + 1]))) a += '_';
    a += cls[i];
  }
  std::string b;
  for (size_t i = 0; i < a.size(); ++i) {
    if (i > 0 && std::isupper(static_cast<unsigned char>(a[i])) && std::islower(static_cast<unsigned char>(a[i - 1])))
      b += '_';
    b += static_cast<char>(std::tolower(static_cast<unsigned char>(a[i])));
  }
  return b;
}

// A Python value as the JSON a Keras config holds: False when it is not one
// (the interpreter's failure names `what`).
bool to_json(Interp& in, const Ref& v, Pos pos, const std::string& what, json::Value& out) {
  switch (v->kind) {
    case K::none: out = json::Value(); return true;
    case K::boolean: out = json::Value(v->b); return true;
    case K::integer: out = json::Value(v->i); return true;
    case K::number: out = json::Value(v->d); return true;
    case K::string: out = json::Value(v->s); return true;
    case K::tuple:
    case K::list: {
      json::Array a;
      for (const Ref& x : v->items) {
        a.emplace_back();
        if (!to_json(in, x, pos, what, a.back())) return false;
      }
      out = json::Value(std::move(a));
      return true;
    }
    case K::unknown: in.stop(pos, what + " depends on " + v->why); return false;
    default: in.fail(pos, what + ": " + describe(v) + " is not a value ConvScope reads here"); return false;
  }
}

}  // namespace

KerasFramework::KerasFramework(Interp& in, const std::optional<std::vector<int64_t>>& input_override)
    : in_(in), walk_(in.draft), override_(input_override) {
  auto ns = [](const char* name) {
    Ref v = make_value(K::namespace_);
    v->s = name;
    return v;
  };
  tf_ = ns("tensorflow");
  keras_ = ns("keras");
  layers_ = ns("keras.layers");
  models_ = ns("keras.models");
  tf_nn_ = ns("tensorflow.nn");
  tf_->set_attr("keras", keras_);
  tf_->set_attr("nn", tf_nn_);
  keras_->set_attr("layers", layers_);
  keras_->set_attr("models", models_);
  keras_->set_attr("activations", tf_nn_);  // keras.activations.relu(x): tf.nn's functions
  // Bases of a user's classes (`class Block(layers.Layer)`); keras.Model also
  // builds a functional model when called.
  model_base_ = native("keras.Model", [this](Interp&, const Ref&, Args& a) { return make_model(a); });
  layer_base_ = native("keras.layers.Layer", [this](Interp&, const Ref&, Args& a) {
    return fail(a.pos, "keras.layers.Layer() is a base class, not a layer");
  });
  Ref sequential = native("keras.Sequential", [this](Interp&, const Ref&, Args& a) { return make_sequential(a); });
  Ref input = native("keras.Input", [this](Interp&, const Ref&, Args& a) { return make_input(a); });
  for (const Ref& n : {keras_, models_}) {
    n->set_attr("Model", model_base_);
    n->set_attr("Sequential", sequential);
  }
  keras_->set_attr("Input", input);
  layers_->set_attr("Input", input);
  layers_->set_attr("Layer", layer_base_);
  if (override_) {
    in.draft.input = *override_;
    input_source = "the input shape given";
  }
}

Ref KerasFramework::import_module(Interp& in, const std::string& dotted) {
  static const std::pair<const char*, int> known[] = {
      {"tensorflow", 0}, {"tensorflow.keras", 1}, {"keras", 1}, {"tf_keras", 1},
      {"tensorflow.keras.layers", 2}, {"keras.layers", 2}, {"tf_keras.layers", 2},
      {"tensorflow.keras.models", 3}, {"keras.models", 3}, {"tf_keras.models", 3}, {"tensorflow.nn", 4}};
  for (const auto& [name, which] : known)
    if (dotted == name) return which == 0 ? tf_ : which == 1 ? keras_ : which == 2 ? layers_ : which == 3 ? models_ : tf_nn_;
  // `from tensorflow.keras.layers import Conv2D`: a name in a known namespace.
  const size_t dot = dotted.rfind('.');
  if (dot == std::string::npos) return nullptr;
  Ref ns = import_module(in, dotted.substr(0, dot));
  if (!ns) return nullptr;
  const std::string name = dotted.substr(dot + 1);
  if (Ref v = ns->attr(name)) return v;
  return namespace_attr(in, ns, name, Pos{});
}

bool KerasFramework::is_module(const Ref& v) const {
  return v && (v->kind == K::module ||
               (v->kind == K::instance && v->cls &&
                (v->cls->derives_from("keras.Model") || v->cls->derives_from("keras.layers.Layer"))));
}

// Failures raised here are a layer's or a model's: they end a top-level reading.
Ref KerasFramework::fail(Pos pos, std::string message) {
  failed_here_ = true;
  return in_.fail(pos, std::move(message));
}
Ref KerasFramework::stop(Pos pos, std::string message) {
  failed_here_ = true;
  return in_.stop(pos, std::move(message));
}

void KerasFramework::note_once(const std::string& text) {
  if (std::find(notes.begin(), notes.end(), text) == notes.end()) notes.push_back(text);
}

// ---------------------------------------------------------------- namespaces

Ref KerasFramework::namespace_attr(Interp& in, const Ref& ns, const std::string& name, Pos) {
  if (ns.get() == layers_.get()) {
    if (name.empty()) return nullptr;
    if (std::isupper(static_cast<unsigned char>(name[0]))) return layer_class(name);
    return lowercase_merge(name);
  }
  if (ns.get() == tf_.get() && (name == "concat" || name == "add" || name == "multiply" || name == "subtract" ||
                                name == "maximum" || name == "minimum")) {
    // tf.concat(values, axis), tf.add(x, y): the merge layers' arithmetic.
    return native("tf." + name, [this, name](Interp& i, const Ref&, Args& a) -> Ref {
      Args merge_args;
      merge_args.pos = a.pos;
      if (name == "concat") {
        const Ref* values = a.get(0, "values");
        const Ref* axis = a.get(1, "axis");
        if (!values || !axis) return fail(a.pos, "tf.concat(values, axis) needs both");
        merge_args.keywords.push_back({"axis", *axis});
        std::vector<Ref> items;
        if (!i.iterate(*values, a.pos, items)) return nullptr;
        return merge("Concatenate", nullptr, merge_args, items, a.pos, i.call_site().line);
      }
      if (a.positional.size() != 2) return fail(a.pos, "tf." + name + "(x, y) takes two tensors");
      return tensor_binary(i, name == "add" ? Op::add : name == "subtract" ? Op::sub : name == "multiply" ? Op::mul
                                              : name == "maximum" ? Op::bit_or : Op::bit_and,
                           a.positional[0], a.positional[1], a.pos);
    });
  }
  if (ns.get() == tf_nn_.get()) {
    const names::Activation* act = names::activation_by_function(name);
    if (name != "relu" && (!act || std::string(act->function) == "linear")) return nullptr;
    return native("tf.nn." + name, [this, name](Interp& i, const Ref&, Args& a) -> Ref {
      Args ctor;
      ctor.pos = a.pos;
      ctor.positional = {string(name)};
      Ref layer = make_value(K::module);
      layer->s = "Activation";
      layer->ctor = ctor;
      layer->made_at = a.pos;
      layer->path = auto_name("Activation");
      const Ref* x = a.get(0, "features");
      if (!x) return fail(a.pos, "tf.nn." + name + " needs a tensor");
      return apply(layer, *x, a.pos, i.call_site().line);
    });
  }
  (void)in;
  return nullptr;  // keras.datasets, keras.utils, tf.data, ...: values ConvScope does not compute
}

// Every capitalised name in keras.layers is a class: whether ConvScope
// models it is decided where it is called (a layer made and never used does
// not matter). The layer keeps its Keras name: `name=`, or Keras's own.
Ref KerasFramework::layer_class(const std::string& written) {
  const std::string cls = canonical(written);
  return native("layers." + written, [this, cls](Interp&, const Ref&, Args& a) -> Ref {
    Ref m = make_value(K::module);
    m->s = cls;
    m->ctor = a;
    m->made_at = a.pos;
    const Ref* n = a.keyword("name");
    m->path = n && (*n)->kind == K::string ? (*n)->s : auto_name(cls);
    m->path_set = true;
    return m;
  });
}

Ref KerasFramework::lowercase_merge(const std::string& fn) {
  static const std::pair<const char*, const char*> merges[] = {
      {"concatenate", "Concatenate"}, {"add", "Add"}, {"subtract", "Subtract"}, {"multiply", "Multiply"},
      {"average", "Average"}, {"maximum", "Maximum"}, {"minimum", "Minimum"}};
  for (const auto& [lower, cls] : merges)
    if (fn == lower) {
      const std::string c = cls;
      // layers.concatenate(inputs, axis=-1, **kwargs): a merge layer made and called at once.
      return native("layers." + fn, [this, c](Interp& i, const Ref&, Args& a) -> Ref {
        const Ref* inputs = a.get(0, "inputs");
        if (!inputs) return fail(a.pos, "layers." + snake(c) + "() needs a list of tensors");
        Args ctor;
        ctor.pos = a.pos;
        for (const auto& kv : a.keywords)
          if (kv.first != "inputs") ctor.keywords.push_back(kv);
        if (a.positional.size() > 1) ctor.keywords.push_back({"axis", a.positional[1]});
        std::vector<Ref> items;
        if (!i.iterate(*inputs, a.pos, items)) return nullptr;
        const Ref* name = ctor.keyword("name");
        return merge(c, name ? *name : nullptr, ctor, items, a.pos, i.call_site().line);
      });
    }
  return nullptr;
}

std::string KerasFramework::auto_name(const std::string& cls) {
  const std::string base = snake(cls);
  for (auto& [name, count] : name_counts_)
    if (name == base) return base + "_" + std::to_string(count++);
  name_counts_.push_back({base, 1});
  return base;
}

// ---------------------------------------------------------------- inputs and models

// The tensor keras.Input makes. The network has one input: the first
// keras.Input's. Another of a different shape gives a tensor marked with
// its own shape; a Sequential that starts with it (read after the top
// level) rebinds the network input to it, a layer called on it stops.
Ref KerasFramework::set_input(const std::vector<int64_t>& shape, int64_t batch, Pos pos, const std::string& what) {
  std::vector<int64_t> full = {batch};
  full.insert(full.end(), shape.begin(), shape.end());
  if (override_) {
    if (override_->size() != full.size())
      return fail(pos, what + " has " + std::to_string(full.size()) + " dimensions with the batch, the input shape given " +
                           shape_text(*override_) + " has " + std::to_string(override_->size()));
    note_once("the input shape given, " + shape_text(*override_) + ", replaces " + what + " (" + in_.at(pos) + ")");
    return tensor_value(kNetworkInput, override_->size());
  }
  const std::string source = what + " at " + in_.line_text(pos.line);
  if (in_.draft.input.empty()) {
    in_.draft.input = full;
    input_source = source;
  }
  Ref t = tensor_value(kNetworkInput, full.size());
  if (in_.draft.input != full) {
    std::vector<Ref> dims;
    for (int64_t v : full) dims.push_back(integer(v));
    t->set_attr("other_input", sequence(K::tuple, std::move(dims)));
    t->set_attr("other_source", string(source));
  }
  return t;
}

// A tensor of a second keras.Input: the network input it stands for is not
// the network's (nullptr with the stop), else the tensor.
Ref KerasFramework::network_tensor(const Ref& t, Pos pos, const std::string& what) {
  if (!t || t->kind != K::tensor || !t->attr("other_input")) return t;
  return stop(pos, what + " is called on a second input, " + t->attr("other_source")->s + ", after " + input_source +
                       "; ConvScope's network has one input");
}

// Makes the network input the shape of `t`'s keras.Input (a Sequential
// chosen after other models were built on another input).
Ref KerasFramework::rebind_input(const Ref& t) {
  if (!t->attr("other_input")) return t;
  in_.draft.input.clear();
  for (const Ref& d : t->attr("other_input")->items) in_.draft.input.push_back(d->i);
  input_source = t->attr("other_source")->s;
  return tensor_value(kNetworkInput, in_.draft.input.size());
}

// keras.Input(shape=None, batch_size=None, ..., batch_shape=None): the
// network input. Keras's shape leaves the batch out: the input is [batch, *shape].
Ref KerasFramework::make_input(Args& a) {
  const Ref* shape = a.get(0, "shape");
  const Ref* batch_shape = a.keyword("batch_shape");
  int64_t batch = 1;
  std::vector<Ref> dims;
  std::string what = "keras.Input(shape=...)";
  if (batch_shape && (*batch_shape)->kind != K::none) {
    if (!in_.iterate(*batch_shape, a.pos, dims) || dims.empty()) return fail(a.pos, "keras.Input: batch_shape must be a tuple of sizes");
    if (const auto b = as_int(dims[0])) batch = *b;
    dims.erase(dims.begin());
    what = "keras.Input(batch_shape=...)";
  } else if (shape && (*shape)->kind != K::none) {
    if ((*shape)->kind == K::unknown) return stop(a.pos, "keras.Input's shape depends on " + (*shape)->why);
    if (as_int(*shape)) dims = {*shape};
    else if (!in_.iterate(*shape, a.pos, dims)) return nullptr;
    if (const Ref* b = a.get(1, "batch_size"))
      if (const auto bi = as_int(*b)) batch = *bi;
  } else if (!override_) {
    return fail(a.pos, "keras.Input without a shape: write keras.Input(shape=(height, width, channels)) or give "
                           "the input shape");
  }
  std::vector<int64_t> sizes;
  for (const Ref& d : dims) {
    const auto v = as_int(d);
    if (!v && !override_)
      return fail(a.pos, "keras.Input(shape=" + describe(sequence(K::tuple, dims)) +
                                 ") leaves a size open (None): ConvScope needs every size; give the input shape");
    if (v && (*v < 1 || *v > (int64_t{1} << 31)))
      return fail(a.pos, "keras.Input: the size " + std::to_string(*v) + " is not a positive size");
    sizes.push_back(v.value_or(-1));
  }
  if (batch < 1) batch = 1;
  if (!override_ && (sizes.size() < 2 || sizes.size() > 4))
    return fail(a.pos, "keras.Input(shape=" + describe(sequence(K::tuple, dims)) + "): ConvScope reads inputs of " +
                               "1 to 3 spatial axes and channels (shape of 2 to 4 sizes)");
  return set_input(sizes, batch, a.pos, what);
}

Ref KerasFramework::make_model(Args& a) {
  const Ref* inputs = a.get(0, "inputs");
  const Ref* outputs = a.get(1, "outputs");
  if (!inputs || !outputs)
    return fail(a.pos, "keras.Model(inputs, outputs): ConvScope reads functional models (a subclass of "
                           "keras.Model is built with its own class)");
  Ref m = make_value(K::module);
  m->s = "Model";
  m->ctor = a;
  m->made_at = a.pos;
  m->set_attr("inputs", *inputs);
  m->set_attr("outputs", *outputs);
  if (const Ref* n = a.keyword("name"); n && (*n)->kind == K::string) m->path = (*n)->s;
  models.push_back({m, a.pos});
  return m;
}

Ref KerasFramework::make_sequential(Args& a) {
  Ref m = make_value(K::module);
  m->s = "Sequential";
  m->ctor = a;
  m->made_at = a.pos;
  if (const Ref* layers = a.get(0, "layers"); layers && (*layers)->kind != K::none)
    if (!in_.iterate(*layers, a.pos, m->items)) return nullptr;
  if (const Ref* n = a.get(1, "name"); n && (*n)->kind == K::string) m->path = (*n)->s;
  models.push_back({m, a.pos});
  return m;
}

// The input a Sequential's first layer declares (input_shape=, batch_input_shape=).
Ref KerasFramework::run_sequential(const Ref& model, Pos pos) {
  Ref x;
  size_t first = 0;
  if (!model->items.empty() && model->items[0]->kind == K::tensor) {
    x = model->items[0];
    first = 1;
  } else if (!model->items.empty() && model->items[0]->kind == K::module) {
    const Ref& layer = model->items[0];
    const Ref* shape = layer->ctor.keyword("input_shape");
    if (!shape && layer->s == "InputLayer") shape = layer->ctor.get(0, "input_shape");
    if (!shape && layer->s == "InputLayer") shape = layer->ctor.keyword("shape");
    const Ref* batch_shape = layer->ctor.keyword("batch_input_shape");
    if (!batch_shape) batch_shape = layer->ctor.keyword("batch_shape");
    if (shape || batch_shape) {
      Args input;
      input.pos = layer->made_at;
      if (shape) input.keywords.push_back({"shape", *shape});
      if (batch_shape) input.keywords.push_back({"batch_shape", *batch_shape});
      x = make_input(input);
      if (!x) return nullptr;
      if (layer->s == "InputLayer") first = 1;
    }
  }
  if (!x && model->attr("build_shape")) {
    Args input;
    input.pos = model->made_at;
    input.keywords.push_back({"batch_shape", model->attr("build_shape")});
    x = make_input(input);
    if (!x) return nullptr;
  }
  if (x) x = rebind_input(x);
  if (!x) x = commented_input();
  if (!x) {
    if (!override_)
      return fail(model->made_at, "the Sequential model has no input shape (no keras.Input(shape=...) first, no "
                                      "input_shape= on its first layer, no model.build(...)): give the input shape");
    x = tensor_value(kNetworkInput, override_->size());
  }
  for (size_t k = first; k < model->items.size(); ++k) {
    const Ref& layer = model->items[k];
    if (layer->kind == K::tensor)
      return fail(pos, "a tensor as layer " + std::to_string(k + 1) + " of the Sequential; keras.Input goes first");
    x = apply(layer, x, pos, layer->made_at.line);
    if (!x) return nullptr;
  }
  return x;
}

Ref KerasFramework::run_subclassed(const Ref& model) {
  Ref x;
  if (Ref shape = model->attr("build_shape")) {
    Args input;
    input.pos = model->made_at;
    input.keywords.push_back({"batch_shape", shape});
    x = make_input(input);
    if (!x) return nullptr;
    x = rebind_input(x);
  } else if (!in_.draft.input.empty()) {
    x = tensor_value(kNetworkInput, in_.draft.input.size());
  } else if (!(x = commented_input())) {
    return fail(model->made_at, model->cls->name + " is a subclassed keras.Model: it has no keras.Input to take the "
                                                   "input shape from (nor a model.build(...) or an `# input: "
                                                   "1x28x28x1` comment); give the input shape");
  }
  Args a;
  a.pos = model->made_at;
  a.positional = {x};
  in_.call_sites.push_back(model->made_at);
  Ref y = in_.call(model, a);
  in_.call_sites.pop_back();
  return y;
}

// The `# input: ...` comment's shape as the network input, or nullptr.
Ref KerasFramework::commented_input() {
  if (comment_input.empty() || override_) return nullptr;
  in_.draft.input = comment_input;
  input_source = "the comment at " + in_.line_text(comment_line);
  return tensor_value(kNetworkInput, comment_input.size());
}

// ---------------------------------------------------------------- layers

std::string KerasFramework::input_name(int32_t node) const {
  if (node == kNetworkInput) return "input";
  const json::Value* n = in_.draft.layers[static_cast<size_t>(node)].find("name");
  return n && n->is_string() ? n->as_string() : std::string();
}

Ref KerasFramework::tensor_out(int32_t node, size_t rank_in) const {
  const json::Value& l = in_.draft.layers[static_cast<size_t>(node)];
  const json::Value* type = l.find("type");
  const std::string t = type && type->is_string() ? type->as_string() : "";
  size_t rank = rank_in;
  if (t == "flatten") rank = 2;
  if ((t == "global_avg_pool" || t == "global_max_pool") && !l.find("keepdims")) rank = 2;
  if (t == "reshape")
    if (const json::Value* s = l.find("shape"); s && s->is_array()) rank = s->as_array().size() + 1;
  return tensor_value(node, rank);
}

Ref KerasFramework::call_module(Interp& in, const Ref& module, Args& args) {
  const Ref* x = args.get(0, "inputs");
  if (!x) return fail(args.pos, "`" + module->path + "` (" + module->s + ") is called with no input");
  return apply(module, *x, args.pos, in.call_site().line);
}

Ref KerasFramework::apply(const Ref& layer, const Ref& input, Pos pos, int origin_line) {
  const std::string& cls = layer->s;
  const std::string what = "`" + layer->path + "` (" + cls + ")";
  if (layer->kind == K::instance) {  // a layer class of the code's own: its call()
    Args a;
    a.pos = pos;
    a.positional = {input};
    return in_.call(layer, a);
  }
  if (layer->kind != K::module) return fail(pos, describe(layer) + " is not a Keras layer");
  if (input->kind == K::unknown) return stop(pos, what + " is called on " + input->why);
  if (!network_tensor(input, pos, what)) return nullptr;
  if (cls == "Sequential") {
    if (input->kind != K::tensor) return fail(pos, "a Sequential model is called with " + describe(input));
    // A Sequential inside itself (model.add(model)) would never end.
    if (++nesting_ > 16) {
      --nesting_;
      return fail(pos, "Sequential models nested more than 16 deep (a model added to itself?)");
    }
    struct Unnest {
      int& n;
      ~Unnest() { --n; }
    } unnest{nesting_};
    Ref x = input;
    for (const Ref& item : layer->items) {
      if (item->kind == K::tensor) continue;  // its keras.Input: the call's tensor replaces it
      x = apply(item, x, pos, item->made_at.line);
      if (!x) return nullptr;
    }
    return x;
  }
  if (cls == "Model")
    return stop(pos, "a functional keras.Model called on a tensor (a model inside a model) is not read; the "
                         "network is read up to the line before");
  const std::optional<Spec> spec = spec_of(cls);
  if (!spec)
    return stop(pos, "`layers." + cls + "` is not a layer ConvScope models; the network is read up to the line "
                                            "before");
  if (spec->role == Role::merge) {
    std::vector<Ref> items;
    if (input->kind == K::tensor)
      return fail(pos, what + " is called on one tensor: a merge layer is called on a list of tensors "
                              "(layers." + cls + "()([a, b]))");
    if (!in_.iterate(input, pos, items)) return nullptr;
    return merge(cls, string(layer->path), layer->ctor, items, pos, origin_line);
  }
  if (input->kind != K::tensor) {
    return fail(pos, what + " is called with " + describe(input) + "; it takes one tensor");
  }
  if (spec->role == Role::input)
    return fail(pos, what + " inside the model: an InputLayer goes first in a Sequential");
  if (spec->role == Role::preserve) {
    note_once(what + " (line " + std::to_string(origin_line) + ") is not modelled; read as keeping the shape");
    return input;
  }
  // The constructor's arguments as the layer's Keras config.
  const Args& ctor = layer->ctor;
  json::Object cfg;
  if (ctor.positional.size() > spec->params.size()) {
    return fail(ctor.pos, "layers." + cls + " takes " + std::to_string(spec->params.size()) +
                                  " positional arguments here, got " + std::to_string(ctor.positional.size()));
  }
  auto put = [&](const std::string& key, const Ref& v) -> bool {
    if (!shapes_read(key) || v->kind == K::none) return true;
    if (key == "activation" && v->kind != K::string) {
      if (cls == "Activation" && v->kind == K::native) cfg.push_back({key, json::Value(v->s.substr(v->s.rfind('.') + 1))});
      return true;  // a function object: the activation keeps the shape either way
    }
    json::Value j;
    if (!to_json(in_, v, ctor.pos, "layers." + cls + " " + key, j)) {
      failed_here_ = true;
      return false;
    }
    for (auto& kv : cfg)
      if (kv.first == key) {
        fail(ctor.pos, "layers." + cls + "() got multiple values for argument '" + key + "'");
        return false;
      }
    cfg.push_back({key, std::move(j)});
    return true;
  };
  for (size_t k = 0; k < ctor.positional.size(); ++k)
    if (!put(spec->params[k], ctor.positional[k])) return nullptr;
  for (const auto& kv : ctor.keywords) {
    if (!put(kv.first, kv.second)) return nullptr;
  }
  auto has = [&](const char* key) {
    return std::any_of(cfg.begin(), cfg.end(), [&](const auto& kv) { return kv.first == key; });
  };
  // Keras's defaults that the JSON importer expects written out.
  if (starts_with(cls, "MaxPooling") || starts_with(cls, "AveragePooling"))
    if (!has("pool_size")) cfg.push_back({"pool_size", json::Value(2)});
  if (starts_with(cls, "ZeroPadding") && !has("padding")) cfg.push_back({"padding", json::Value(1)});
  if (starts_with(cls, "Cropping") && !has("cropping")) cfg.push_back({"cropping", json::Value(0)});
  if (starts_with(cls, "UpSampling") && !has("size")) cfg.push_back({"size", json::Value(2)});
  for (const auto& kv : cfg)
    if (kv.first == "data_format" && kv.second.is_string() && kv.second.as_string() == "channels_first") {
      return stop(pos, what + " has data_format='channels_first': ConvScope reads Keras code channels last (its "
                                  "TensorFlow layout); the network is read up to the line before");
    }
  const size_t before = in_.draft.layers.size();
  {
    std::string out;
    walk_.last_name = "\x01";
    walk_.rd.error.clear();
    if (!keras::convert_layer(walk_, cls, json::Value(std::move(cfg)), "\x01", layer->path,
                              input_name(input->tensor.node), out)) {
      // "\x01.config.kernel_size: expected ..." -> "layers.Conv2D kernel_size: expected ..."
      std::string e = walk_.rd.error;
      const size_t at = e.find(".config.");
      e = at == std::string::npos ? e : e.substr(at + 8);
      return fail(ctor.pos, "layers." + cls + " " + e);
    }
  }
  for (size_t k = before; k < in_.draft.layers.size(); ++k) in_.draft.origins[k] = "line " + std::to_string(origin_line);
  if (in_.draft.layers.size() == before) return input;
  return tensor_out(static_cast<int32_t>(in_.draft.layers.size()) - 1, input->tensor.rank);
}

Ref KerasFramework::merge(const std::string& cls, const Ref& name, const Args& ctor, const std::vector<Ref>& tensors,
                          Pos pos, int origin_line) {
  std::vector<std::string> inputs;
  size_t rank = 0;
  for (const Ref& t : tensors) {
    if (t->kind == K::unknown) return stop(pos, "layers." + cls + " of " + t->why);
    if (t->kind != K::tensor) {
      return fail(pos, "layers." + cls + " of " + describe(t) + ": expected a list of tensors");
    }
    if (!network_tensor(t, pos, "layers." + cls)) return nullptr;
    inputs.push_back(input_name(t->tensor.node));
    rank = std::max(rank, t->tensor.rank);
  }
  if (inputs.empty()) {
    return fail(pos, "layers." + cls + " needs a list of tensors");
  }
  if (inputs.size() == 1) return tensors[0];  // Keras merges return a single input as it is
  static const std::pair<const char*, const char*> types[] = {
      {"Add", "add"}, {"Subtract", "subtract"}, {"Multiply", "multiply"}, {"Average", "average"},
      {"Maximum", "maximum"}, {"Minimum", "minimum"}, {"Concatenate", "concat"}};
  const char* type = "add";
  for (const auto& [c, t] : types)
    if (cls == c) type = t;
  std::string layer_name;
  if (name && name->kind == K::string) layer_name = name->s;
  else layer_name = auto_name(cls);
  json::Object o = layer_object(type, layer_name);
  if (cls == "Concatenate") {
    int64_t axis = -1;  // Keras's default: the channels
    if (const Ref* a = ctor.get(0, "axis")) {
      if (!as_int(*a)) {
        return fail(ctor.pos, "layers.Concatenate axis must be an integer, got " + describe(*a));
      }
      axis = *as_int(*a);
    }
    o.push_back({"axis", json::Value(axis)});
  }
  walk_.last_name = "\x01";
  walk_.emit(std::move(o), "line " + std::to_string(origin_line), inputs);
  const int32_t node = static_cast<int32_t>(in_.draft.layers.size()) - 1;
  in_.draft.origins.back() = "line " + std::to_string(origin_line);
  return tensor_value(node, rank);
}

// ---------------------------------------------------------------- tensors and objects

Ref KerasFramework::tensor_attr(Interp& in, const Ref& x, const std::string& name, Pos pos) {
  if (name == "shape") {
    const auto shape = shape_of(in, x->tensor.node);
    if (!shape)
      return stop(pos, "the code reads the shape of `" + input_name(x->tensor.node) +
                              "`, which has none: a layer before it fails");
    note_once("the code reads tensor shapes (" + in.at(pos) + "): the values at this input size are used");
    std::vector<Ref> dims = {none()};  // Keras's symbolic batch
    for (size_t k = 1; k < shape->size(); ++k) dims.push_back(integer((*shape)[k]));
    return sequence(K::tuple, std::move(dims));
  }
  if (name == "ndim") return integer(static_cast<int64_t>(x->tensor.rank));
  if (name == "dtype" || name == "name") return unknown("`" + name + "` of a tensor (" + in.at(pos) + ")");
  return stop(pos, "`." + name + "` of a Keras tensor is not read (ConvScope reads tensors through layers)");
}

Ref KerasFramework::module_attr(Interp& in, const Ref& obj, const std::string& name, Pos pos) {
  auto method = [&](NativeFn f) { return native(name, std::move(f), obj); };
  if (obj->kind == K::instance) {
    // A subclassed keras.Model: model.build((None, 28, 28, 1)) gives its input.
    if (name == "build")
      return method([this](Interp&, const Ref& self, Args& a) -> Ref {
        const Ref* shape = a.get(0, "input_shape");
        if (!shape) return fail(a.pos, "model.build(input_shape) needs the shape");
        self->set_attr("build_shape", *shape);
        return none();
      });
    if (name == "summary" || name == "compile" || name == "fit" || name == "evaluate" || name == "predict" ||
        name == "save" || name == "save_weights" || name == "load_weights")
      return unknown("`" + name + "` of " + describe(obj) + " (" + in.at(pos) + "), which ConvScope does not compute");
    return nullptr;
  }
  if (obj->s == "Sequential") {
    if (name == "add")
      return method([this](Interp&, const Ref& self, Args& a) -> Ref {
        if (a.positional.size() != 1) return fail(a.pos, "model.add() takes one layer");
        self->items.push_back(a.positional[0]);
        return none();
      });
    if (name == "pop")
      return method([this](Interp&, const Ref& self, Args& a) -> Ref {
        if (self->items.empty()) return fail(a.pos, "model.pop() of an empty Sequential");
        Ref last = self->items.back();
        self->items.pop_back();
        return last;
      });
    if (name == "layers") return sequence(K::list, obj->items);
    if (name == "build")
      return method([this](Interp&, const Ref& self, Args& a) -> Ref {
        const Ref* shape = a.get(0, "input_shape");
        if (!shape) return fail(a.pos, "model.build(input_shape) needs the shape");
        self->set_attr("build_shape", *shape);
        return none();
      });
  }
  if (obj->s == "Model" && (name == "inputs" || name == "outputs" || name == "input" || name == "output")) {
    Ref v = obj->attr(name.back() == 's' ? name : name + "s");
    if (v && (name == "input" || name == "output") && (v->kind == K::list || v->kind == K::tuple) && v->items.size() == 1)
      return v->items[0];
    return v;
  }
  if (name == "summary" || name == "compile" || name == "trainable")
    return method([](Interp&, const Ref&, Args&) { return none(); });
  // Constructor arguments read back (`conv.filters`).
  if (const std::optional<Spec> spec = spec_of(obj->s))
    for (size_t k = 0; k < spec->params.size(); ++k)
      if (name == spec->params[k])
        if (const Ref* v = obj->ctor.get(k, name)) return *v;
  if (name == "name") return string(obj->path);
  // fit, evaluate, predict, save, ...: training and inference, not the network.
  return unknown("`" + name + "` of " + describe(obj) + " (" + in.at(pos) + "), which ConvScope does not compute");
}

Ref KerasFramework::tensor_binary(Interp& in, Op op, const Ref& a, const Ref& b, Pos pos) {
  if (!b) return a;  // -x: the same shape
  if (a->kind == K::unknown || b->kind == K::unknown)
    return stop(pos, "an operation between a tensor and " + (a->kind == K::unknown ? a->why : b->why));
  if (a->kind == K::tensor && b->kind == K::tensor) {
    const char* cls = op == Op::add ? "Add" : op == Op::sub ? "Subtract" : op == Op::mul ? "Multiply"
                      : op == Op::bit_or ? "Maximum" : op == Op::bit_and ? "Minimum" : nullptr;
    if (!cls)
      return stop(pos, std::string("`") + to_string(op) + "` between two tensors is not an operation ConvScope reads");
    Args none_args;
    none_args.pos = pos;
    return merge(cls, nullptr, none_args, {a, b}, pos, in.call_site().line ? in.call_site().line : pos.line);
  }
  const Ref& scalar = a->kind == K::tensor ? b : a;
  if (scalar->kind == K::integer || scalar->kind == K::number || scalar->kind == K::boolean)
    return a->kind == K::tensor ? a : b;
  return fail(pos, std::string("`") + to_string(op) + "` between a tensor and " + describe(scalar));
}

namespace {

void names_in(const Expr& e, std::vector<std::string>& out) {
  if (e.kind == Expr::Kind::name) out.push_back(e.text);
  for (const Expr& k : e.kids) names_in(k, out);
}

bool holds_tensor(const Ref& v, int depth = 0) {
  if (!v || depth > 4) return false;
  if (v->kind == K::tensor) return true;
  if (v->kind == K::list || v->kind == K::tuple || v->kind == K::dict)
    return std::any_of(v->items.begin(), v->items.end(), [&](const Ref& x) { return holds_tensor(x, depth + 1); });
  return false;
}

}  // namespace

// Keras builds the network at the top level: a failing statement that added
// layers, read a tensor, or failed in a layer is part of the model, so its
// failure ends the reading instead of being skipped as training code.
bool KerasFramework::top_level_failure_ends(Interp& in, const Stmt& st, size_t layers_before) {
  const bool mine = failed_here_;
  failed_here_ = false;
  if (mine || in.failure.kind == Failure::Kind::stop || in.draft.layers.size() > layers_before) return true;
  std::vector<std::string> names;
  names_in(st.value, names);
  for (const Expr& t : st.targets) names_in(t, names);
  for (const std::string& n : names) {
    const auto it = in.globals->vars.find(n);
    if (it != in.globals->vars.end() && holds_tensor(it->second)) return true;
  }
  // Skipped: kept to explain a model that never got made.
  if (skipped_failures.size() < 3)
    skipped_failures.push_back(in.at(in.failure.pos) + ": " + in.failure.message + " (" + in.line_text(st.pos.line) + ")");
  return false;
}

}  // namespace convscope::import::py

// ==================================================================== the reading

namespace convscope::import {

namespace {

using py::Ref;
using py::Value;

std::string where(const py::Interp& in, const py::Failure& f) {
  return "line " + std::to_string(f.pos.line) + ", column " + std::to_string(f.pos.column) + ": " + f.message +
         " (" + in.line_text(f.pos.line) + ")";
}

// Keeps the layers `outputs` depend on (a script may build several models
// on one input); inputs then written only where they are not the previous layer.
void keep_model_layers(Draft& d, const std::vector<int32_t>& outputs, bool prune) {
  const size_t n = d.layers.size();
  std::vector<std::string> names(n);
  for (size_t k = 0; k < n; ++k)
    if (const json::Value* v = d.layers[k].find("name"); v && v->is_string()) names[k] = v->as_string();
  auto inputs_of = [&](size_t k) {
    std::vector<std::string> in;
    if (const json::Value* v = d.layers[k].find("inputs"); v && v->is_array()) {
      for (const json::Value& s : v->as_array()) in.push_back(s.is_string() ? s.as_string() : "");
    } else {
      in.push_back(k == 0 ? "input" : names[k - 1]);
    }
    return in;
  };
  std::vector<bool> keep(n, !prune);
  std::vector<size_t> todo;
  for (int32_t o : outputs)
    if (o >= 0 && static_cast<size_t>(o) < n) todo.push_back(static_cast<size_t>(o));
  while (prune && !todo.empty()) {
    const size_t k = todo.back();
    todo.pop_back();
    if (keep[k]) continue;
    keep[k] = true;
    for (const std::string& in : inputs_of(k))
      for (size_t j = 0; j < k; ++j)
        if (names[j] == in) todo.push_back(j);
  }
  json::Array layers;
  std::vector<std::string> origins;
  std::string previous = "input";
  for (size_t k = 0; k < n; ++k) {
    if (!keep[k]) continue;
    const std::vector<std::string> in = inputs_of(k);
    json::Object o;
    for (auto& kv : d.layers[k].as_object())
      if (kv.first != "inputs") o.push_back(kv);
    if (!(in.size() == 1 && in[0] == previous)) {
      json::Array a;
      for (const std::string& s : in) a.push_back(json::Value(s));
      o.insert(o.begin() + 1, {"inputs", json::Value(std::move(a))});
    }
    layers.push_back(json::Value(std::move(o)));
    origins.push_back(d.origins[k]);
    previous = names[k];
  }
  d.layers = std::move(layers);
  d.origins = std::move(origins);
}

// Top-level functions whose body makes a keras.Model or Sequential
// (`def build_model(): ... return keras.Model(...)`), by name.
std::vector<std::string> model_functions(const py::Module& m) {
  std::vector<std::string> out;
  std::function<bool(const py::Expr&)> makes = [&](const py::Expr& e) -> bool {
    if (e.kind == py::Expr::Kind::call && !e.kids.empty()) {
      const py::Expr& f = e.kids[0];
      const std::string& n = f.text;
      if ((f.kind == py::Expr::Kind::name || f.kind == py::Expr::Kind::attribute) && (n == "Model" || n == "Sequential"))
        return true;
    }
    return std::any_of(e.kids.begin(), e.kids.end(), makes);
  };
  std::function<bool(const std::vector<py::Stmt>&)> body_makes = [&](const std::vector<py::Stmt>& body) -> bool {
    for (const py::Stmt& s : body) {
      if (makes(s.value) || std::any_of(s.targets.begin(), s.targets.end(), makes)) return true;
      if (body_makes(s.body) || body_makes(s.orelse)) return true;
    }
    return false;
  };
  // Only those callable without arguments can be read on their own (`--model
  // build_unet` calls build_unet()); the others are read where the code calls them.
  auto callable_bare = [](const py::Stmt& def) {
    return std::all_of(def.params.begin(), def.params.end(), [](const py::Param& p) {
      return p.kind != py::Param::Kind::normal && p.kind != py::Param::Kind::keyword_only
                 ? true
                 : p.default_value.kind != py::Expr::Kind::absent;
    });
  };
  for (const py::Stmt& s : m.body)
    if (s.kind == py::Stmt::Kind::def && body_makes(s.body) && callable_bare(s)) out.push_back(s.name);
  return out;
}

std::string lines_text(std::vector<int> lines) {
  std::sort(lines.begin(), lines.end());
  std::string s;
  for (size_t k = 0; k < lines.size() && k < 12; ++k) s += (k ? ", " : "") + std::to_string(lines[k]);
  if (lines.size() > 12) s += ", ...";
  return s;
}

}  // namespace

bool read_keras_code(py::Interp& in, const ImportOptions& options, const CommentedInput& commented, ImportResult& out,
                     std::string& error) {
  Draft& d = in.draft;
  py::KerasFramework keras(in, options.input);
  keras.comment_input = commented.shape;
  keras.comment_line = commented.line;
  in.framework = &keras;
  struct Reset {
    py::Interp& in;
    ~Reset() { in.framework = nullptr; }
  } reset{in};

  bool stopped = false;
  if (!in.run_top_level()) {
    if (in.failure.kind != py::Failure::Kind::stop) {
      error = where(in, in.failure);
      return false;
    }
    stopped = true;
  }
  // The models: variables holding one, and functions that make one.
  auto var_of = [&](const Ref& m) -> std::string {
    for (const auto& [name, v] : in.globals->vars)
      if (v.get() == m.get()) return name;
    return "";
  };
  for (const auto& made : keras.models) {
    const std::string v = var_of(made.model);
    if (!v.empty() && std::find(out.models.begin(), out.models.end(), v) == out.models.end()) out.models.push_back(v);
  }
  for (const auto& made : in.top_level_instances)
    if (made.instance->cls->derives_from("keras.Model")) {
      const std::string v = var_of(made.instance);
      if (!v.empty() && std::find(out.models.begin(), out.models.end(), v) == out.models.end()) out.models.push_back(v);
    }
  const std::vector<std::string> functions = model_functions(in.module);
  for (const std::string& f : functions)
    if (std::find(out.models.begin(), out.models.end(), f) == out.models.end()) out.models.push_back(f);

  Ref model;
  std::string how;
  if (!stopped && options.model) {
    std::string want = *options.model;
    if (want.size() > 2 && want.compare(want.size() - 2, 2, "()") == 0) want.resize(want.size() - 2);
    const auto it = in.globals->vars.find(want);
    if (it == in.globals->vars.end()) {
      std::string list;
      for (const std::string& m : out.models) list += (list.empty() ? "" : ", ") + m;
      error = "the code has no model named " + text::quoted(want) +
              (list.empty() ? std::string(" (it makes none)") : " (its models: " + list + ")");
      return false;
    }
    Ref v = it->second;
    if (v->kind == Value::Kind::function) {
      py::Args none;
      none.pos = v->fn->pos;
      const size_t made_before = keras.models.size();
      const Ref r = in.call(v, none);
      if (!r && in.failure.kind != py::Failure::Kind::stop) {
        error = where(in, in.failure) + " — " + want + "() is called with no arguments";
        return false;
      }
      if (!r) {
        stopped = true;
      } else if (r->kind == Value::Kind::module && (r->s == "Model" || r->s == "Sequential")) {
        model = r;
        how = "the model " + want + "() returns, called with its defaults";
      } else if (keras.models.size() > made_before) {
        model = keras.models.back().model;
        how = "the last model " + want + "() makes, called with its defaults";
      } else {
        error = want + "() returns " + py::describe(r) + ", not a Keras model";
        return false;
      }
    } else if ((v->kind == Value::Kind::module && (v->s == "Model" || v->s == "Sequential")) ||
               (v->kind == Value::Kind::instance && v->cls->derives_from("keras.Model"))) {
      model = v;
      how = "chosen";
    } else {
      error = text::quoted(want) + " is " + py::describe(v) + ", not a Keras model";
      return false;
    }
    out.model = want;
  } else if (!stopped) {
    // A subclassed keras.Model made at the top level (`model = MyModel()`), when it is made last.
    for (const auto& made : in.top_level_instances)
      if (made.instance->cls->derives_from("keras.Model") &&
          (keras.models.empty() || keras.models.back().pos.line < made.pos.line)) {
        model = made.instance;
        out.model = var_of(model).empty() ? made.instance->cls->name : var_of(model);
        how = "the model the code makes last, at " + in.line_text(made.pos.line);
      }
  }
  if (!stopped && !model && !options.model) {
    if (keras.models.empty()) {
      error = "the code makes no keras.Model or keras.Sequential at the top level";
      if (!functions.empty()) error += "; it defines " + functions.back() + "(), which makes one: choose it as the model";
      if (!keras.skipped_failures.empty()) error += "; top-level code not read: " + keras.skipped_failures[0];
      return false;
    }
    model = keras.models.back().model;
    const std::string v = var_of(model);
    out.model = v.empty() ? (model->s + " at line " + std::to_string(keras.models.back().pos.line)) : v;
    how = "the model the code makes last, at " + in.line_text(keras.models.back().pos.line);
  }

  // The chosen model's layers.
  std::vector<int32_t> outputs;
  if (model && model->s == "Sequential") {
    const Ref y = keras.run_sequential(model, model->made_at);
    if (!y) {
      if (in.failure.kind != py::Failure::Kind::stop) {
        error = where(in, in.failure);
        return false;
      }
      stopped = true;
    } else {
      outputs.push_back(y->tensor.node);
    }
  } else if (model && model->kind == Value::Kind::instance) {
    const Ref y = keras.run_subclassed(model);
    if (!y) {
      if (in.failure.kind != py::Failure::Kind::stop) {
        error = where(in, in.failure);
        return false;
      }
      stopped = true;
    } else if (y->kind == Value::Kind::tensor) {
      outputs.push_back(y->tensor.node);
    } else {
      std::vector<Ref> outs;
      if (!in.iterate(y, model->made_at, outs)) {
        error = where(in, in.failure);
        return false;
      }
      for (const Ref& t : outs)
        if (t->kind == Value::Kind::tensor) outputs.push_back(t->tensor.node);
    }
  } else if (model) {
    std::vector<Ref> outs;
    const Ref o = model->attr("outputs");
    if (o->kind == Value::Kind::tensor) outs = {o};
    else if (!in.iterate(o, model->made_at, outs)) {
      error = where(in, in.failure);
      return false;
    }
    for (const Ref& t : outs) {
      if (t->kind != Value::Kind::tensor) {
        error = "line " + std::to_string(model->made_at.line) + ": the model's outputs include " + py::describe(t) +
                ", not a tensor (" + in.line_text(model->made_at.line) + ")";
        return false;
      }
      outputs.push_back(t->tensor.node);
    }
  }
  if (stopped && d.layers.empty()) {  // nothing before the stop: the stop is the answer
    error = where(in, in.failure) + "; no layer comes before it";
    return false;
  }
  if (stopped) {
    out.stopped_at = in.line_text(in.failure.pos.line) + " — " + in.failure.message;
    d.note("stopped at " + out.stopped_at + "; the analysis covers the part before it");
    keep_model_layers(d, {}, false);
  } else {
    keep_model_layers(d, outputs, true);
    d.note("read " + out.model + " (" + how + ")" +
           (out.models.size() > 1 ? "; the code has " + std::to_string(out.models.size()) + " models" : ""));
  }
  if (d.input.empty()) {
    error = "the code gives no input shape (no keras.Input(shape=...), no input_shape= on the first layer): give one";
    return false;
  }
  if (!options.input)
    d.note("input " + shape_text(d.input) + " from " + keras.input_source +
           " (Keras shapes leave the batch out: batch " + std::to_string(d.input[0]) + ")");
  for (const std::string& n : keras.notes) d.note(n);
  if (!in.skipped_lines.empty())
    d.note("top-level code that does not build the model was not read (lines " + lines_text(in.skipped_lines) + ")");
  for (const std::string& s : in.skipped) d.note(s);
  return true;
}

}  // namespace convscope::import
