#include "convscope/analyze.hpp"

#include <algorithm>

#include "convscope/checked.hpp"
#include "convscope/fixes.hpp"
#include "convscope/layer_rules.hpp"
#include "convscope/min_input.hpp"

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

bool is_window_layer(LayerType t) {
  return t == LayerType::conv || t == LayerType::depthwise_conv || t == LayerType::max_pool ||
         t == LayerType::avg_pool;
}

// "H reaches 1 here but conv2d_5 (kernel 3) still follows": a later window
// then sees one real cell surrounded by padding, rarely what was meant.
void warn_early_collapse(const Network& net, Report& rep) {
  const size_t sr = net.spatial_rank();
  std::vector<int64_t> later_kernel(sr, 0);  // largest kernel > 1 after the layer, per axis
  std::vector<size_t> later_index(sr, 0);
  for (size_t i = rep.layers.size(); i-- > 0;) {
    LayerReport& r = rep.layers[i];
    const Layer& l = net.layers[i];
    if (r.output && r.input && r.output->size() == sr + 2 && r.status != Status::error) {
      for (size_t a = 0; a < sr; ++a) {
        const size_t ax = conventions::spatial_axis(net.framework, a);
        if ((*r.output)[ax] == 1 && (*r.input)[ax] > 1 && later_kernel[a] > 1) {
          const Layer& next = net.layers[later_index[a]];
          r.warnings.push_back(conventions::spatial_axis_label(sr, a) +
                               " shrinks to 1 here, but " + next.name + " (kernel " +
                               to_string(later_kernel[a]) +
                               ") still follows: its windows see one real cell and padding");
          if (r.status == Status::ok) r.status = Status::warning;
        }
      }
    }
    if (is_window_layer(l.type) && l.kernel.size() == sr) {
      for (size_t a = 0; a < sr; ++a)
        if (l.kernel[a] > 1) {
          later_kernel[a] = l.kernel[a];
          later_index[a] = i;
        }
    }
  }
}

}  // namespace

Report analyze(const Network& net, const AnalyzeOptions& options) {
  Report rep;
  rep.framework = net.framework;
  rep.layers.resize(net.layers.size());
  // Points at the previous layer's output (rep.layers is sized up front, so
  // the address stays put): no copy per layer.
  const Shape* current = &net.input;
  const size_t sr = net.spatial_rank();
  std::optional<ReceptiveField> rf = ReceptiveField{ReceptiveField::Axes(sr, 1),
                                                    ReceptiveField::Axes(sr, 1),
                                                    ReceptiveField::Axes(sr, 0)};
  for (size_t i = 0; i < net.layers.size(); ++i) {
    LayerReport& r = rep.layers[i];
    if (rep.first_error) {
      const Layer& l = net.layers[i];
      r.index = i;
      r.name = l.name;
      r.type = l.type;
      r.status = Status::skipped;
      r.message = "not analysed: its input is unknown because layer " +
                  to_string(*rep.first_error) + " (" + net.layers[*rep.first_error].name +
                  ") fails";
      continue;
    }
    apply_layer({net, i, *current, rf, i == 0 ? std::nullopt : std::optional<size_t>(i - 1)}, r);
    if (r.status == Status::error) {
      rep.first_error = i;
      continue;
    }
    current = &*r.output;
    rf = r.receptive_field;
  }
  warn_early_collapse(net, rep);

  rep.ok = !rep.first_error;
  if (rep.ok) rep.output = *current;
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

  if (options.min_input) find_min_input(net, rep);
  if (options.fixes && rep.first_error) propose_fixes(net, rep, options.max_fixes);
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
