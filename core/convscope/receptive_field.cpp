#include "convscope/receptive_field.hpp"

#include "convscope/checked.hpp"
#include "convscope/layer_types.hpp"

namespace convscope {

std::optional<ReceptiveField> receptive_field_after(const Layer& l, const std::optional<ReceptiveField>& rf,
                                                    const LayerReport& r, size_t sr) {
  if (!rf) return std::nullopt;
  // Shape-kept and channel-only steps leave every spatial position where it was.
  if (type_info(l.type).rule == RuleKind::pointwise || type_info(l.type).rule == RuleKind::channels) return rf;
  // A reshape that changes the shape moves values between axes: an output
  // cell is no longer a position in the input, so the field ends there (the
  // rule warns when the spatial axes stay). One that keeps the shape moves
  // nothing.
  if (l.type == LayerType::reshape) return r.output && r.input && *r.output == *r.input ? rf : std::nullopt;
  if (r.axes.size() != sr || sr == 0) return std::nullopt;
  ReceptiveField out = *rf;
  for (size_t i = 0; i < sr; ++i) {
    const shape::WindowSize& w = r.axes[i];
    switch (w.rule) {
      case shape::Rule::zero_pad:  // the first output cell is pads.begin before the first input cell
      case shape::Rule::crop: {    // ... or pads.begin after it
        const int64_t shift = w.rule == shape::Rule::zero_pad ? -w.pads.begin : w.pads.begin;
        out.start_x2[i] = checked::add(out.start_x2[i], checked::mul(2 * shift, rf->jump[i]));
        break;
      }
      case shape::Rule::window:
      case shape::Rule::tensorflow_window:
      case shape::Rule::same:
        out.size[i] = checked::add(rf->size[i], checked::mul(w.k_eff - 1, rf->jump[i]));
        out.jump[i] = checked::mul(rf->jump[i], w.stride);
        // centre of the first window: (k_eff - 1) / 2 - pad_begin, in input units.
        out.start_x2[i] = checked::add(rf->start_x2[i], checked::mul(w.k_eff - 1 - 2 * w.pads.begin, rf->jump[i]));
        break;
      default:
        return std::nullopt;
    }
  }
  return out;
}

}  // namespace convscope
