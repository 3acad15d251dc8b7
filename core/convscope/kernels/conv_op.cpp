#include "convscope/kernels/conv_op.hpp"

#include <algorithm>

#include "convscope/kernels/pack.hpp"
#include "convscope/kernels/reference.hpp"
#include "convscope/kernels/row_bands.hpp"
#include "convscope/kernels/simd.hpp"
#include "convscope/kernels/threads.hpp"

namespace convscope::kernels {

namespace {

std::string dims_text(const ConvDesc& d) {
  using std::to_string;
  const std::string k = to_string(d.kernel_h) + " * " + to_string(d.kernel_w);
  if (d.kind == ConvKind::depthwise) {
    return k + " * C " + to_string(d.input.c) + " * depthMultiplier " + to_string(d.depth_multiplier);
  }
  return k + " * C/groups " + to_string(group_in_channels(d)) + " * filters " + to_string(d.filters);
}

// A conv below this many multiply-adds runs whole: waking a helper thread and
// waiting for it (~10-50 us) would cost more than the split saves.
constexpr double split_min_macs = double(1 << 21);

double macs(const ConvDesc& d, const Shape4& out) {
  return double(out.elements()) * d.kernel_h * d.kernel_w * group_in_channels(d);
}

}  // namespace

std::string check_lengths(const ConvDesc& desc, size_t weights_count, bool has_bias, size_t bias_count) {
  if (weights_count != weights_len(desc)) {
    return "weights has " + std::to_string(weights_count) + " values; this op needs " + dims_text(desc) + " = " +
           std::to_string(weights_len(desc));
  }
  const size_t channels = size_t(out_channels(desc));
  if (has_bias && bias_count != channels) {
    return "bias has " + std::to_string(bias_count) + " values; this op has " + std::to_string(channels) +
           " output channels";
  }
  return "";
}

std::string ConvOp::create(const ConvDesc& desc, const float* weights, size_t weights_count, const float* bias,
                           size_t bias_count) {
  *this = ConvOp();
  std::string e = prepare(desc);
  if (e.empty()) e = check_lengths(desc, weights_count, bias != nullptr, bias_count);
  if (e.empty() && weights == nullptr) e = "weights is missing";
  if (!e.empty()) {
    *this = ConvOp();  // left empty
    return e;
  }
  split_into_bands();
  pack_weights(weights, weights_count, bias, bias_count);
  ready_ = true;
  for (ConvOp& band : band_ops_) band.ready_ = true;
  return "";
}

std::string ConvOp::prepare(const ConvDesc& desc) {
  if (std::string e = validate(desc); !e.empty()) return e;
  desc_ = desc;
  out_ = kernels::output_shape(desc);
  if (desc.kind == ConvKind::depthwise) {
    zero_.assign(dwconv_zero_len(desc), 0.0f);
  } else {
    zero_.assign(size_t(group_in_channels(desc)), 0.0f);
    winograd_ = desc.allow_winograd && conv_winograd_applies(desc);
    direct_ = !winograd_ && conv_direct_applies(desc);
  }
  return "";
}

void ConvOp::split_into_bands() {
  const int parts = desc_.threads > 0 ? std::min(desc_.threads, parallel_parts()) : parallel_parts();
  if (parts == 1 || macs(desc_, out_) < split_min_macs) return;
  const auto rows = row_bands(out_.h, parts);
  if (rows.size() < 2) return;
  std::vector<ConvOp> ops(rows.size());
  std::vector<std::pair<size_t, size_t>> offsets;
  const size_t in_row = size_t(desc_.input.w) * size_t(desc_.input.c), out_row = size_t(out_.w) * size_t(out_.c);
  for (size_t i = 0; i < rows.size(); ++i) {
    ConvBand band;
    if (!band_of(desc_, rows[i], band).empty() || !ops[i].prepare(band.desc).empty()) return;  // runs whole
    // The packing is shared, so a band must read the whole conv's packing
    // format: Winograd's or pack_conv's (the direct and indirect kernels
    // share it, so a band may pick either). Winograd's choice reads no rows,
    // so this never fires today; it keeps the sharing safe if one ever does.
    if (ops[i].winograd_ != winograd_) return;
    offsets.emplace_back(size_t(band.in_row) * in_row, size_t(band.out_row) * out_row);
  }
  band_ops_ = std::move(ops);
  band_offsets_ = std::move(offsets);
}

std::string ConvOp::set_weights(const float* weights, size_t weights_count, const float* bias, size_t bias_count) {
  if (!ready_) return "set_weights() needs a created op";
  if (std::string e = check_lengths(desc_, weights_count, bias != nullptr, bias_count); !e.empty()) return e;
  if (weights == nullptr) return "weights is missing";
  pack_weights(weights, weights_count, bias, bias_count);
  return "";
}

void ConvOp::pack_weights(const float* weights, size_t weights_count, const float* bias, size_t bias_count) {
  weights_.assign(weights, weights + weights_count);
  if (bias) bias_.assign(bias, bias + bias_count); else bias_.clear();
  packed_ = std::make_shared<const std::vector<float>>(desc_.kind == ConvKind::depthwise ? pack_dwconv(desc_, weights, bias)
                                                       : winograd_ ? pack_winograd(desc_, weights, bias)
                                                                   : pack_conv(desc_, weights, bias));
  for (ConvOp& band : band_ops_) band.packed_ = packed_;
}

const char* ConvOp::kernel_name() const {
  if (desc_.kind == ConvKind::depthwise) return "depthwise";
  return winograd_ ? "winograd" : direct_ ? "direct" : "indirect";
}

void ConvOp::run(const float* input, float* output) {
  if (!band_ops_.empty()) {
    run_parts(int(band_ops_.size()), [&](int i) {
      const auto [in, out] = band_offsets_[size_t(i)];
      band_ops_[size_t(i)].run(input + in, output + out);
    });
  } else if (desc_.kind == ConvKind::depthwise) {
    dwconv_f32_simd(desc_, packed_->data(), zero_.data(), input, output);
  } else if (winograd_) {
    conv_winograd_f32_simd(desc_, packed_->data(), scratch_, input, output);
  } else if (direct_) {
    conv_direct_f32_simd(desc_, packed_->data(), scratch_, indirection_, input, output);
  } else {
    conv_f32_simd(desc_, packed_->data(), zero_.data(), indirection_, input, output);
  }
}

void ConvOp::run_reference(const float* input, float* output) const {
  conv_reference(desc_, input, weights_.data(), bias_.empty() ? nullptr : bias_.data(), output);
}

}  // namespace convscope::kernels
