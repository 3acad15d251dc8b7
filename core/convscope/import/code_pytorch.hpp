// PyTorch for the code reader (python_eval.hpp): torch, nn, F and Tensor.
// code_pytorch.cpp: namespaces, nn module objects and their calls;
// code_pytorch_ops.cpp: functional calls, Tensor methods and operators.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "convscope/import/python_eval.hpp"
#include "convscope/import/pytorch_modules.hpp"

namespace convscope::import::py {

class TorchFramework : public Framework {
 public:
  TorchFramework(Interp& in, const std::string& source);

  Ref import_module(Interp& in, const std::string& dotted) override;
  Ref namespace_attr(Interp& in, const Ref& ns, const std::string& name, Pos pos) override;
  Ref call_module(Interp& in, const Ref& module, Args& args) override;
  Ref tensor_attr(Interp& in, const Ref& tensor, const std::string& name, Pos pos) override;
  Ref module_attr(Interp& in, const Ref& module, const std::string& name, Pos pos) override;
  Ref tensor_binary(Interp& in, Op op, const Ref& a, const Ref& b, Pos pos) override;
  bool is_module(const Ref& v) const override;

  // Gives every module reachable from `root` its path as named_modules()
  // would ("layer1.0.conv1"); a module registered twice keeps its first.
  void name_modules(const Ref& root);
  // The print(model) reader's state (unknown modules, notes).
  torch_modules::State& state() { return st_; }
  // Notes on how operations were read (expand_as, view, ...), once each.
  std::vector<std::string> notes;
  // Example inputs the code makes (`x = torch.randn(1, 3, 32, 32)`).
  std::vector<std::pair<std::vector<int64_t>, Pos>> examples;

 private:
  Ref function(const std::string& name, bool in_torch, Pos pos);
  void collect(const Ref& m, bool recurse, const std::string& prefix,
               std::vector<std::pair<std::string, Ref>>& out) const;
  std::string source_origin() const;
  // Appends a layer reading `inputs` (layer indices or kNetworkInput); its index.
  int32_t add_layer(json::Object layer, const std::vector<int32_t>& inputs);
  std::string layer_name(const std::string& base) const;
  size_t rank_after(Interp& in, int32_t node, size_t rank_in) const;
  void note_once(const std::string& text);

  // Ops (code_pytorch_ops.cpp).
  Ref activation(const std::string& function, Args& a, const std::string& op);
  Ref pool(bool max, size_t rank, Args& a, const std::string& op);
  Ref adaptive_pool(bool max, size_t rank, Args& a, const std::string& op);
  Ref cat(Args& a, const std::string& op);
  Ref flatten(const Ref& x, Args& a, size_t first_arg, const std::string& op);
  Ref view(const Ref& x, Args& a, const std::string& op);
  Ref pad(Args& a);
  Ref interpolate(Args& a);
  Ref merge(const char* type, const std::vector<Ref>& operands, Pos pos, const std::string& op);
  Ref size_of(const Ref& x, std::optional<int64_t> axis, Pos pos);
  Ref chunk(const Ref& x, Args& a, size_t first_arg);

  Interp& in_;
  torch_modules::State st_;
  Ref torch_, nn_, functional_, init_, module_base_;
};

}  // namespace convscope::import::py
