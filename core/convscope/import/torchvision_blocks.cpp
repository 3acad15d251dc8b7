// torchvision 0.14's blocks as graphs. Each wiring below restates the
// block's forward() from torchvision's source (torchvision/models/*.py and
// torchvision/ops/misc.py), in the order forward() calls the children, so the
// layers come out in a valid order and the block's output is its last layer.
#include "convscope/import/torchvision_blocks.hpp"

#include <algorithm>
#include <functional>
#include <set>

#include "convscope/import/draft.hpp"

namespace convscope::import::torchvision {

using json::Value;
using std::to_string;
using torch_modules::State;

namespace {

const std::string& name_of(const Value& layer) {
  static const std::string none;
  const Value* n = layer.find("name");
  return n && n->is_string() ? n->as_string() : none;
}

// The layers of one direct child, in print order, as one path of the graph.
struct Group {
  std::vector<Value> layers;
  std::vector<std::string> origins;
  std::set<std::string> names;
};

// Emits the block's layers in forward() order. Every layer carries explicit
// `inputs`, so the order inside the block is free.
class Builder {
 public:
  Builder(const Container& c, std::map<std::string, Group> groups) : c_(c), groups_(std::move(groups)) {}

  // Runs `child` on `in`; returns its output (`in` itself for a child that
  // adds no layer, as Identity or StochasticDepth in eval). A second call of
  // the same module (ResNet's `relu`) gets torch's own suffix: relu_1, relu_2.
  std::string run(const std::string& child, const std::string& in) {
    auto it = groups_.find(child);
    if (it == groups_.end()) return in;
    used_.insert(child);
    const size_t k = calls_[child]++;
    const std::string from = prefix() + child;
    const std::string to = k ? from + "_" + to_string(k) : from;
    const Group& g = it->second;
    std::string last = in;
    for (size_t i = 0; i < g.layers.size(); ++i) {
      Value layer = g.layers[i];
      layer.set("name", Value(clean_name(renamed(name_of(layer), from, to))));
      json::Array ins;
      if (const Value* v = layer.find("inputs"))
        for (const Value& x : v->as_array())
          ins.push_back(Value(g.names.count(x.as_string()) ? clean_name(renamed(x.as_string(), from, to)) : in));
      layer.set("inputs", Value(std::move(ins)));
      last = name_of(layer);
      out.push_back(std::move(layer));
      origins.push_back(g.origins[i]);
    }
    return last;
  }

  // A merge forward() does with an operator or torch.cat.
  std::string merge(const char* type, const std::string& name, const std::vector<std::string>& ins) {
    json::Object o = layer_object(type, prefix() + name);
    json::Array a;
    for (const std::string& x : ins) a.push_back(Value(x));
    o.push_back({"inputs", Value(std::move(a))});
    return emit(std::move(o));
  }

  // A functional step of forward() (BasicConv2d's F.relu, ShuffleNet's
  // chunk and channel_shuffle), with its fields.
  std::string functional(const char* type, const std::string& name, const std::string& in,
                         std::initializer_list<std::pair<const char*, int64_t>> fields = {}) {
    json::Object o = layer_object(type, prefix() + name);
    for (const auto& f : fields) o.push_back({f.first, Value(f.second)});
    o.push_back({"inputs", Value(json::Array{Value(in)})});
    return emit(std::move(o));
  }

  bool has_layers(const std::string& child) const { return groups_.count(child) > 0; }

  // Every child with layers was wired: nothing was dropped on the way.
  bool all_used() const {
    for (const auto& kv : groups_)
      if (!used_.count(kv.first)) return false;
    return true;
  }

  // The conv layers of `child` in print order.
  std::vector<const Value*> convs(const std::string& child) const {
    std::vector<const Value*> out_convs;
    auto it = groups_.find(child);
    if (it == groups_.end()) return out_convs;
    for (const Value& l : it->second.layers)
      if (const Value* t = l.find("type"); t && t->as_string() == "conv") out_convs.push_back(&l);
    return out_convs;
  }

  json::Array out;
  std::vector<std::string> origins;

 private:
  std::string prefix() const { return c_.path.empty() ? "" : c_.path + "."; }
  static std::string renamed(const std::string& name, const std::string& from, const std::string& to) {
    return name.compare(0, from.size(), from) == 0 ? to + name.substr(from.size()) : name;
  }
  std::string emit(json::Object o) {
    out.push_back(Value(std::move(o)));
    origins.push_back(c_.origin);
    return name_of(out.back());
  }

  const Container& c_;
  std::map<std::string, Group> groups_;
  std::map<std::string, size_t> calls_;
  std::set<std::string> used_;
};

// torchvision decides these residual adds from its config (stride == 1 and
// in == out); print(model) shows the config's result in the convs: every conv
// of the path has stride 1, and the first takes as many channels as the last
// makes.
bool keeps_shape(const Builder& b, const std::string& child) {
  const std::vector<const Value*> convs = b.convs(child);
  if (convs.empty()) return false;
  for (const Value* c : convs) {
    const Value* s = c->find("stride");
    if (!s) continue;
    if (s->is_integer() ? s->as_int() != 1
                        : std::any_of(s->as_array().begin(), s->as_array().end(),
                                      [](const Value& x) { return x.as_int() != 1; }))
      return false;
  }
  const Value* in = convs.front()->find("in_channels");
  const Value* out = convs.back()->find("filters");
  return in && out && in->as_int() == out->as_int();
}

struct Result {
  std::string output;
  bool residual = false;
};
using WireFn = std::function<Result(Builder&, const std::string&)>;

struct Block {
  const char* kind;  // the name in the notes
  const char* cls;
  std::vector<const char*> required, optional;
  const char* wiring;     // forward() in words, for the note
  bool conditional;       // a residual add torchvision decides from the config
  const char* stop;       // the block cannot be modelled: why (wire is unused)
  WireFn wire;
};

std::string chain(Builder& b, const std::string& x, std::initializer_list<const char*> children) {
  std::string o = x;
  for (const char* ch : children) o = b.run(ch, o);
  return o;
}

// EfficientNet's MBConv and FusedMBConv: block(x), then stochastic_depth
// (the identity in eval) plus x when the block keeps the shape.
Result block_then_stochastic_residual(Builder& b, const std::string& x) {
  const bool res = keeps_shape(b, "block");
  std::string o = b.run("block", x);
  if (res) o = b.merge("add", "add", {b.run("stochastic_depth", o), x});
  return Result{o, res};
}

const std::vector<Block>& blocks() {
  static const std::vector<Block> table = {
      {"BasicBlock (ResNet)", "BasicBlock", {"conv1", "bn1", "relu", "conv2", "bn2"}, {"downsample"},
       "conv1, bn1, relu, conv2, bn2, then + (downsample(x) or x), then relu", false, nullptr,
       [](Builder& b, const std::string& x) {
         const std::string o = chain(b, x, {"conv1", "bn1", "relu", "conv2", "bn2"});
         const std::string id = b.run("downsample", x);
         return Result{b.run("relu", b.merge("add", "add", {o, id})), true};
       }},
      {"Bottleneck (ResNet)", "Bottleneck", {"conv1", "bn1", "conv2", "bn2", "conv3", "bn3", "relu"}, {"downsample"},
       "conv1, bn1, relu, conv2, bn2, relu, conv3, bn3, then + (downsample(x) or x), then relu", false, nullptr,
       [](Builder& b, const std::string& x) {
         std::string o = chain(b, x, {"conv1", "bn1", "relu", "conv2", "bn2", "relu", "conv3", "bn3"});
         const std::string id = b.run("downsample", x);
         return Result{b.run("relu", b.merge("add", "add", {o, id})), true};
       }},
      {"InvertedResidual (MobileNetV2)", "InvertedResidual", {"conv"}, {},
       "conv(x), plus x when stride 1 and in == out", true, nullptr,
       [](Builder& b, const std::string& x) {
         const bool res = keeps_shape(b, "conv");
         const std::string o = b.run("conv", x);
         return Result{res ? b.merge("add", "add", {x, o}) : o, res};
       }},
      {"InvertedResidual (MobileNetV3)", "InvertedResidual", {"block"}, {},
       "block(x), plus x when stride 1 and in == out", true, nullptr,
       [](Builder& b, const std::string& x) {
         const bool res = keeps_shape(b, "block");
         const std::string o = b.run("block", x);
         return Result{res ? b.merge("add", "add", {o, x}) : o, res};
       }},
      // stride 1 prints branch1 as an empty Sequential(): that is how the two
      // forward() paths show in print(model).
      {"InvertedResidual (ShuffleNetV2)", "InvertedResidual", {"branch1", "branch2"}, {},
       "stride 1 (branch1 empty): x1, x2 = x.chunk(2, dim=1), torch.cat of x1 and branch2(x2); stride 2: "
       "torch.cat of branch1(x) and branch2(x); then channel_shuffle(out, 2)",
       false, nullptr,
       [](Builder& b, const std::string& x) {
         std::string out;
         if (b.has_layers("branch1")) {
           out = b.merge("concat", "cat", {b.run("branch1", x), b.run("branch2", x)});
         } else {
           const std::string x1 = b.functional("channel_split", "chunk.0", x, {{"chunks", 2}, {"index", 0}});
           const std::string x2 = b.functional("channel_split", "chunk.1", x, {{"chunks", 2}, {"index", 1}});
           out = b.merge("concat", "cat", {x1, b.run("branch2", x2)});
         }
         return Result{b.functional("channel_shuffle", "channel_shuffle", out, {{"groups", 2}}), false};
       }},
      {"MBConv (EfficientNet)", "MBConv", {"block", "stochastic_depth"}, {},
       "block(x), then stochastic_depth (the identity in eval) plus x when stride 1 and in == out", true, nullptr,
       block_then_stochastic_residual},
      {"FusedMBConv (EfficientNetV2)", "FusedMBConv", {"block", "stochastic_depth"}, {},
       "block(x), then stochastic_depth (the identity in eval) plus x when stride 1 and in == out", true, nullptr,
       block_then_stochastic_residual},
      {"_InvertedResidual (MNASNet)", "_InvertedResidual", {"layers"}, {},
       "layers(x), plus x when stride 1 and in == out (apply_residual)", true, nullptr,
       [](Builder& b, const std::string& x) {
         const bool res = keeps_shape(b, "layers");
         const std::string o = b.run("layers", x);
         return Result{res ? b.merge("add", "add", {o, x}) : o, res};
       }},
      {"SqueezeExcitation", "SqueezeExcitation", {"avgpool", "fc1", "fc2", "activation", "scale_activation"}, {},
       "avgpool, fc1, activation, fc2, scale_activation, then times x", false, nullptr,
       [](Builder& b, const std::string& x) {
         const std::string s = chain(b, x, {"avgpool", "fc1", "activation", "fc2", "scale_activation"});
         return Result{b.merge("multiply", "mul", {s, x}), false};
       }},
      {"Fire (SqueezeNet)", "Fire",
       {"squeeze", "squeeze_activation", "expand1x1", "expand1x1_activation", "expand3x3", "expand3x3_activation"},
       {}, "squeeze, squeeze_activation, then torch.cat of expand1x1 and expand3x3 (each with its activation)", false,
       nullptr,
       [](Builder& b, const std::string& x) {
         const std::string s = chain(b, x, {"squeeze", "squeeze_activation"});
         const std::string e1 = chain(b, s, {"expand1x1", "expand1x1_activation"});
         const std::string e3 = chain(b, s, {"expand3x3", "expand3x3_activation"});
         return Result{b.merge("concat", "cat", {e1, e3}), false};
       }},
      {"Inception (GoogLeNet)", "Inception", {"branch1", "branch2", "branch3", "branch4"}, {},
       "torch.cat of branch1..branch4, each on x", false, nullptr,
       [](Builder& b, const std::string& x) {
         std::vector<std::string> outs;
         for (const char* br : {"branch1", "branch2", "branch3", "branch4"}) outs.push_back(b.run(br, x));
         return Result{b.merge("concat", "cat", outs), false};
       }},
      {"BasicConv2d (GoogLeNet)", "BasicConv2d", {"conv", "bn"}, {}, "conv, bn, then F.relu (a layer named F.relu)",
       false, nullptr,
       [](Builder& b, const std::string& x) {
         return Result{b.functional("relu", "F.relu", chain(b, x, {"conv", "bn"})), false};
       }},
      {"ResBottleneckBlock (RegNet)", "ResBottleneckBlock", {"f", "activation"}, {"proj"},
       "proj(x) (or x) + f(x), then activation", false, nullptr,
       [](Builder& b, const std::string& x) {
         const std::string p = b.run("proj", x);  // forward() evaluates proj(x) first
         return Result{b.run("activation", b.merge("add", "add", {p, b.run("f", x)})), true};
       }},
      {"_DenseLayer (DenseNet)", "_DenseLayer", {"norm1", "relu1", "conv1", "norm2", "relu2", "conv2"}, {},
       "norm1, relu1, conv1, norm2, relu2, conv2 on the torch.cat of every earlier feature map of its block", false,
       nullptr,
       [](Builder& b, const std::string& x) {
         return Result{chain(b, x, {"norm1", "relu1", "conv1", "norm2", "relu2", "conv2"}), false};
       }},
  };
  return table;
}

// _DenseBlock is a ModuleDict of denselayer1..N: each layer reads the
// torch.cat of the block's input and every earlier layer's output, and the
// block returns the torch.cat of all of them.
bool is_dense_block(const Container& c) {
  if (c.cls != "_DenseBlock" || c.children.empty()) return false;
  for (size_t i = 0; i < c.children.size(); ++i)
    if (c.children[i] != "denselayer" + to_string(i + 1)) return false;
  return true;
}

std::string dense_block(Builder& b, const Container& c, const std::string& x) {
  std::vector<std::string> features{x};
  for (const std::string& layer : c.children) {
    const std::string in = features.size() == 1 ? x : b.merge("concat", layer + ".torch.cat", features);
    features.push_back(b.run(layer, in));
  }
  return b.merge("concat", "torch.cat", features);
}

// torchvision classes that are nn.Sequential underneath: forward() is the
// print order.
bool is_sequential_class(const std::string& cls) {
  static const char* const kClasses[] = {"Conv2dNormActivation", "ConvNormActivation", "Conv3dNormActivation",
                                         "_Transition", "BottleneckTransform", "AnyStage", "SimpleStemIN"};
  return std::find_if(std::begin(kClasses), std::end(kClasses), [&](const char* k) { return cls == k; }) !=
         std::end(kClasses);
}

bool children_match(const std::vector<std::string>& have, const std::vector<const char*>& required,
                    const std::vector<const char*>& optional) {
  for (const char* r : required)
    if (std::find(have.begin(), have.end(), r) == have.end()) return false;
  for (const std::string& h : have)
    if (std::find_if(required.begin(), required.end(), [&](const char* r) { return h == r; }) == required.end() &&
        std::find_if(optional.begin(), optional.end(), [&](const char* o) { return h == o; }) == optional.end())
      return false;
  return true;
}

std::string expected_children(const Block& b) {
  std::string s;
  for (const char* r : b.required) s += (s.empty() ? "" : ", ") + std::string(r);
  for (const char* o : b.optional) s += ", optional " + std::string(o);
  return s;
}

// The direct child a layer belongs to ("layer1.0.conv1" in "layer1.0" -> "conv1").
std::string child_of(const std::string& prefix, const std::string& name) {
  if (name.compare(0, prefix.size(), prefix) != 0) return "";
  const std::string rest = name.substr(prefix.size());
  return rest.substr(0, rest.find('.'));
}

}  // namespace

bool wires_child(const std::string& cls, const std::string& child) {
  for (const Block& b : blocks())
    if (cls == b.cls)
      for (const auto* list : {&b.required, &b.optional})
        for (const char* ch : *list)
          if (child == ch) return true;
  return false;
}

Wiring wire(State& st, const Container& c, std::string& why) {
  const Block* block = nullptr;
  for (const Block& b : blocks())
    if (c.cls == b.cls && children_match(c.children, b.required, b.optional)) block = &b;
  const bool dense = is_dense_block(c);
  if (!block && !dense) {
    if (is_sequential_class(c.cls)) {
      st.sequential[c.cls].push_back(c.path);
      return Wiring::sequential;
    }
    // A class torchvision has, with other children: not torchvision's block.
    for (const Block& b : blocks())
      if (c.cls == b.cls) {
        st.not_torchvision.push_back(text::quoted(c.path) + " (" + c.cls + ": torchvision's has " +
                                     expected_children(b) + ")");
        break;
      }
    return Wiring::other;
  }
  if (block && block->stop) {
    why = text::quoted(c.path) + " (" + c.cls + ", " + c.origin + "): " + block->stop;
    return Wiring::stop;
  }

  // Cut the block's layers out and give each its input explicitly.
  auto& layers = st.d.layers;
  auto& origins = st.d.origins;
  const std::string x = c.first_layer == 0 ? "input" : name_of(layers[c.first_layer - 1]);
  const std::string prefix = c.path.empty() ? "" : c.path + ".";
  const json::Array print_order(layers.begin() + static_cast<std::ptrdiff_t>(c.first_layer), layers.end());
  std::map<std::string, Group> groups;
  std::string prev = x;
  for (size_t i = c.first_layer; i < layers.size(); ++i) {
    Value& l = layers[i];
    if (!l.find("inputs")) l.set("inputs", Value(json::Array{Value(prev)}));
    prev = name_of(l);
    Group& g = groups[child_of(prefix, prev)];
    g.layers.push_back(l);
    g.origins.push_back(origins[i]);
    g.names.insert(prev);
  }
  Builder b(c, std::move(groups));
  Result r;
  std::string kind;
  if (dense) {
    r.output = dense_block(b, c, x);
    kind = "_DenseBlock (DenseNet)";
  } else {
    r = block->wire(b, x);
    kind = block->kind;
  }
  if (!b.all_used()) {  // a layer the wiring has no place for: keep print order
    std::copy(print_order.begin(), print_order.end(), layers.begin() + static_cast<std::ptrdiff_t>(c.first_layer));
    st.not_torchvision.push_back(text::quoted(c.path) + " (" + c.cls + ": a module its wiring has no place for)");
    return Wiring::other;
  }
  layers.resize(c.first_layer);
  origins.resize(c.first_layer);
  for (size_t i = 0; i < b.out.size(); ++i) st.d.add(b.out[i].as_object(), b.origins[i]);
  torch_modules::BlockUse& use = st.blocks[kind];
  use.wiring = dense ? "denselayer k reads torch.cat of the input and denselayer 1..k-1; the block returns the "
                       "torch.cat of all"
                     : block->wiring;
  use.paths.push_back(c.path);
  use.conditional = block && block->conditional;
  if (r.residual) ++use.residual;
  return Wiring::wired;
}

const Root* root_of(const std::string& cls) {
  static const std::vector<Root> roots = {
      {"AlexNet", {"features", "avgpool", "classifier"}, nullptr, false, false, {}},
      {"VGG", {"features", "avgpool", "classifier"}, nullptr, false, false, {}},
      {"ResNet", {"conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool", "fc"},
       nullptr, false, false, {}},
      {"SqueezeNet", {"features", "classifier"}, nullptr, false, true, {}},
      {"DenseNet", {"features", "classifier"}, "F.adaptive_avg_pool2d(out, (1, 1))", true, false, {}},
      {"GoogLeNet", {"conv1", "maxpool1", "conv2", "conv3", "maxpool2", "avgpool", "dropout", "fc"}, nullptr,
       false, false, {"aux1", "aux2"}},
      {"MobileNetV2", {"features", "classifier"}, "nn.functional.adaptive_avg_pool2d(x, (1, 1))", false, false, {}},
      {"MobileNetV3", {"features", "avgpool", "classifier"}, nullptr, false, false, {}},
      {"ShuffleNetV2", {"conv1", "maxpool", "stage2", "stage3", "stage4", "conv5", "fc"}, "x.mean([2, 3])", false,
       false, {}},
      {"EfficientNet", {"features", "avgpool", "classifier"}, nullptr, false, false, {}},
      {"RegNet", {"stem", "trunk_output", "avgpool", "fc"}, nullptr, false, false, {}},
      {"MNASNet", {"layers", "classifier"}, "x.mean([2, 3])", false, false, {}},
  };
  for (const Root& r : roots)
    if (cls == r.cls) return &r;
  return nullptr;
}

bool root_matches(const Root& r, const std::vector<std::string>& children) {
  for (const char* ch : r.children)
    if (std::find(children.begin(), children.end(), ch) == children.end()) return false;
  return true;
}

void notes(State& st) {
  for (const auto& kv : st.blocks) {
    const torch_modules::BlockUse& u = kv.second;
    std::string paths;
    for (size_t i = 0; i < u.paths.size() && i < 6; ++i) paths += (i ? ", " : "") + u.paths[i];
    if (u.paths.size() > 6) paths += " and " + to_string(u.paths.size() - 6) + " more";
    std::string text = kv.first + " x" + to_string(u.paths.size()) + " (" + paths +
                       "): wired as torchvision 0.14's source does: " +
                       u.wiring;
    if (u.conditional)
      text += "; the residual add in " + to_string(u.residual) + " of them (every conv stride 1 and in_channels " +
              "== out_channels, as torchvision decides from its config)";
    st.d.note(text);
  }
  if (!st.sequential.empty()) {
    std::string text;
    for (const auto& kv : st.sequential)
      text += (text.empty() ? "" : ", ") + kv.first + " x" + to_string(kv.second.size());
    st.d.note("torchvision's Sequential subclasses, run in print order: " + text);
  }
  if (!st.eval_identities.empty())
    st.d.note("StochasticDepth is the identity in eval (torchvision.ops.StochasticDepth): " +
              to_string(st.eval_identities.size()) + " left out");
}

}  // namespace convscope::import::torchvision
