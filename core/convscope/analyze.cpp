#include "convscope/analyze.hpp"

#include <algorithm>

#include "convscope/checked.hpp"
#include "convscope/layer_rules.hpp"
#include "convscope/layer_types.hpp"
#include "convscope/merge_rules.hpp"
#include "convscope/branch_trace.hpp"

namespace convscope {

using std::to_string;

const char* to_string(Status s) {
  switch (s) {
    case Status::ok: return "ok";
    case Status::warning: return "warning";
    case Status::error: return "error";
    case Status::skipped: return "skipped";
  }
  return "ok";
}

namespace {

// "H shrinks to 1 here, but conv2d_5 (kernel 3) still follows": a later
// window then sees one real cell surrounded by padding, rarely what was meant.
// "Later" follows the graph: the nearest window layer downstream.
void warn_early_collapse(const Network& net, Report& rep) {
  const size_t sr = net.spatial_rank();
  const size_t n = net.layers.size();
  // Per layer and axis (one flat array: this runs on every analysis): the
  // nearest downstream window with a kernel > 1 (its kernel and index;
  // kernel 0 = none).
  std::vector<std::pair<int64_t, size_t>> downstream(n * sr, {0, 0});
  auto at = [&](size_t layer, size_t a) -> std::pair<int64_t, size_t>& { return downstream[layer * sr + a]; };
  for (size_t c = n; c-- > 0;) {
    const Layer& l = net.layers[c];
    const bool window = is_window_type(l.type) && l.kernel.size() == sr;
    const LayerReport& rc = rep.layers[c];
    for (size_t slot_k = 0; slot_k < rc.inputs.size(); ++slot_k) {
      const int32_t k = rc.inputs[slot_k];
      if (k == kNetworkInput) continue;
      for (size_t a = 0; a < sr; ++a) {
        // A merge that broadcasts this input back up (a squeeze-excitation
        // gate) restores the size: what follows it does not see the 1.
        const size_t ax = conventions::spatial_axis(net.framework, a);
        if (!rc.arriving.empty() && rc.output && rc.arriving[slot_k] && rc.arriving[slot_k]->size() == rc.output->size() &&
            (*rc.arriving[slot_k])[ax] != (*rc.output)[ax])
          continue;
        const auto candidate = window && l.kernel[a] > 1 ? std::make_pair(l.kernel[a], c) : at(c, a);
        auto& slot = at(static_cast<size_t>(k), a);
        if (candidate.first > 1 && (slot.first <= 1 || candidate.second < slot.second)) slot = candidate;
      }
    }
  }
  for (size_t i = 0; i < n; ++i) {
    LayerReport& r = rep.layers[i];
    if (!r.output || !r.input || r.output->size() != sr + 2 || r.status == Status::error) continue;
    if (r.input->size() != sr + 2) continue;
    for (size_t a = 0; a < sr; ++a) {
      const size_t ax = conventions::spatial_axis(net.framework, a);
      const auto [kernel, next] = at(i, a);
      if ((*r.output)[ax] == 1 && (*r.input)[ax] > 1 && kernel > 1) {
        r.warnings.push_back(conventions::spatial_axis_label(sr, a) + " shrinks to 1 here, but " +
                             display_name(net.layers[next].name) + " (kernel " + to_string(kernel) +
                             ") still follows: its windows see one real cell and padding");
        if (r.status == Status::ok) r.status = Status::warning;
      }
    }
  }
}

void skip(const Network& net, size_t i, size_t cause, LayerReport& r) {
  const Layer& l = net.layers[i];
  r.index = i;
  r.name = l.name;
  r.type = l.type;
  r.input = r.arriving.empty() ? std::nullopt : r.arriving[0];
  r.status = Status::skipped;
  r.blocked_by = cause;
  r.message = "not analysed: its input is unknown because " + layer_ref(cause, net.layers[cause].name) + " fails";
}

}  // namespace

bool is_chain(const Network& net) {
  for (size_t i = 0; i < net.layers.size(); ++i)
    if (!has_default_inputs(net, i) || is_multi_input(net.layers[i].type)) return false;
  return true;
}

Report propagate(const Network& net, bool explain, bool verdict_only) {
  Report rep;
  rep.framework = net.framework;
  rep.layers.resize(net.layers.size());
  const size_t sr = net.spatial_rank();
  const std::optional<Shape> input_shape = net.input;
  const std::optional<ReceptiveField> input_rf = ReceptiveField{
      ReceptiveField::Axes(sr, 1), ReceptiveField::Axes(sr, 1), ReceptiveField::Axes(sr, 0)};
  for (size_t i = 0; i < net.layers.size(); ++i) {
    LayerReport& r = rep.layers[i];
    r.inputs = inputs_of(net, i);
    // Only a layer with several inputs keeps a copy of each (`arriving`); a
    // single input is `input`, set by apply_layer, and read in place here.
    const bool several = r.inputs.size() > 1;
    if (several) r.arriving.reserve(r.inputs.size());
    const Shape* single = nullptr;
    std::optional<size_t> blocked;
    for (int32_t k : r.inputs) {
      const std::optional<Shape>& shape = k == kNetworkInput ? input_shape : rep.layers[static_cast<size_t>(k)].output;
      if (several) r.arriving.push_back(shape);
      else if (shape) single = &*shape;
      if (!shape && !blocked) blocked = rep.layers[static_cast<size_t>(k)].blocked_by.value_or(static_cast<size_t>(k));
    }
    if (blocked) {
      skip(net, i, *blocked, r);
      continue;
    }
    const int32_t first = r.inputs[0];
    const std::optional<ReceptiveField>& rf = first == kNetworkInput ? input_rf : rep.layers[static_cast<size_t>(first)].receptive_field;
    if (is_multi_input(net.layers[i].type)) {
      std::vector<const std::optional<ReceptiveField>*> rfs;
      for (int32_t k : r.inputs)
        rfs.push_back(k == kNetworkInput ? &input_rf : &rep.layers[static_cast<size_t>(k)].receptive_field);
      apply_merge({net, i, rfs}, r);
    } else {
      apply_layer({net, i, *single, rf, first == kNetworkInput ? std::nullopt : std::optional<size_t>(static_cast<size_t>(first)),
                   explain},
                  r);
    }
    if (r.status == Status::error) {
      rep.errors.push_back(i);
      if (verdict_only) {
        rep.first_error = i;
        rep.ok = false;
        return rep;
      }
    }
  }
  if (!rep.errors.empty()) rep.first_error = rep.errors[0];
  {
    std::vector<bool> read(net.layers.size(), false);
    for (const LayerReport& r : rep.layers)
      for (int32_t k : r.inputs)
        if (k != kNetworkInput) read[static_cast<size_t>(k)] = true;
    for (size_t i = 0; i < read.size(); ++i)
      if (!read[i]) rep.outputs.push_back(i);
  }
  if (explain) warn_early_collapse(net, rep);

  rep.ok = !rep.first_error;
  if (rep.ok) rep.output = net.layers.empty() ? net.input : *rep.layers.back().output;
  int64_t params = 0, macs = 0;
  bool params_known = true, macs_known = true;
  checked::clear_overflow();
  for (const LayerReport& r : rep.layers) {
    if (r.params) params = checked::add(params, *r.params); else params_known = false;
    if (r.macs) macs = checked::add(macs, *r.macs); else macs_known = false;
  }
  // Totals beyond int64 are reported as unknown; each layer still has its own.
  if (!checked::overflowed()) {
    if (params_known) rep.total_params = params;
    if (macs_known) rep.total_macs = macs;
  }
  checked::clear_overflow();
  if (explain)
    for (size_t e : rep.errors)
      if (rep.layers[e].failure && is_merge(net.layers[e].type)) trace_branches(net, rep, e);
  return rep;
}

std::string formula_text(const LayerReport& layer, size_t spatial_rank) {
  if (layer.axes.empty()) return layer.formula_other;
  std::vector<std::string> texts;
  for (const shape::WindowSize& w : layer.axes) texts.push_back(shape::formula_text(w));
  const bool alike = std::all_of(texts.begin(), texts.end(), [&](const std::string& t) { return t == texts[0]; });
  if (alike) return texts[0];
  std::string s;
  for (size_t i = 0; i < texts.size(); ++i)
    s += (i ? "; " : "") + conventions::spatial_axis_label(spatial_rank, i) + ": " + texts[i];
  return s;
}

}  // namespace convscope
