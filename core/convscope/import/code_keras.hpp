// Keras for the code reader (python_eval.hpp): tensorflow / tf.keras /
// keras, their `layers` and `models`, keras.Input, keras.Model and
// keras.Sequential, read statically.
//
// A layer object (`layers.Conv2D(32, kernel_size=(3, 3), activation="relu")`)
// is a framework module value holding its constructor arguments; calling it
// on a tensor (the functional API) or running the Sequential that holds it
// turns those arguments into the config a Keras JSON file would hold and
// hands that to the Keras JSON importer's layer converter (keras_walk.hpp),
// so a Keras class is modelled in one place whichever way it is pasted.
//
// Keras builds the network at the top level of the script (functional
// code runs there), so layers are added while the top level runs; the model
// chosen afterwards keeps the layers its outputs depend on.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "convscope/import/import.hpp"
#include "convscope/import/keras_walk.hpp"
#include "convscope/import/python_eval.hpp"

namespace convscope::import::py {

class KerasFramework : public Framework {
 public:
  KerasFramework(Interp& in, const std::optional<std::vector<int64_t>>& input_override);

  Ref import_module(Interp& in, const std::string& dotted) override;
  Ref namespace_attr(Interp& in, const Ref& ns, const std::string& name, Pos pos) override;
  Ref call_module(Interp& in, const Ref& module, Args& args) override;
  Ref tensor_attr(Interp& in, const Ref& tensor, const std::string& name, Pos pos) override;
  Ref module_attr(Interp& in, const Ref& module, const std::string& name, Pos pos) override;
  Ref tensor_binary(Interp& in, Op op, const Ref& a, const Ref& b, Pos pos) override;
  bool is_module(const Ref& v) const override;
  bool top_level_failure_ends(Interp& in, const Stmt& st, size_t layers_before) override;

  // Every keras.Model / Sequential the code makes, in order.
  struct Made {
    Ref model;
    Pos pos;
  };
  std::vector<Made> models;
  // Runs a Sequential on the network input (the model chosen): its output,
  // or nullptr with the interpreter's failure set.
  Ref run_sequential(const Ref& model, Pos pos);
  // Runs a subclassed keras.Model's call() on the network input (from
  // model.build(...), a keras.Input, or the input shape given).
  Ref run_subclassed(const Ref& model);
  // Where the input shape came from ("keras.Input at line 5"), empty if
  // nowhere yet; the shape itself is the draft's input.
  std::string input_source;
  std::vector<std::string> notes;

 private:
  Ref layer_class(const std::string& cls);
  Ref lowercase_merge(const std::string& fn);
  Ref make_input(Args& a);
  Ref make_model(Args& a);
  Ref make_sequential(Args& a);
  Ref apply(const Ref& layer, const Ref& input, Pos pos, int origin_line);
  Ref merge(const std::string& cls, const Ref& layer_name, const Args& ctor, const std::vector<Ref>& tensors, Pos pos,
            int origin_line);
  bool set_input(const std::vector<int64_t>& shape_without_batch, int64_t batch, Pos pos, const std::string& what);
  std::string auto_name(const std::string& cls);
  std::string input_name(int32_t node) const;
  Ref tensor_out(int32_t node, size_t rank_in) const;
  void note_once(const std::string& text);
  Ref fail(Pos pos, std::string message);
  Ref stop(Pos pos, std::string message);

  Interp& in_;
  keras::Walk walk_;
  std::optional<std::vector<int64_t>> override_;
  std::vector<std::pair<std::string, int>> name_counts_;
  Ref tf_, keras_, layers_, models_, model_base_, layer_base_, tf_nn_;
  int nesting_ = 0;           // Sequentials inside Sequentials being applied
  bool failed_here_ = false;  // a failure this framework raised (a layer's): ends a top-level reading
};

}  // namespace convscope::import::py

namespace convscope::import {

// Keras code -> the draft (framework tensorflow): runs the top level, picks
// the model (the last keras.Model / Sequential the code makes, or
// options.model naming a variable or a function that returns one), and
// keeps the layers it depends on. Notes and the stop point go to `out` and
// the draft as read_pytorch does.
bool read_keras_code(py::Interp& in, const ImportOptions& options, ImportResult& out, std::string& error);

}  // namespace convscope::import
