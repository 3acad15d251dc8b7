#include "convscope/kernels/conv_op_host.hpp"

#include "convscope/kernels/conv_options.hpp"
#include "convscope/kernels/map_ops_host.hpp"

namespace convscope::kernels {

std::string ConvOpHost::prepare(const std::string& options_json, size_t weights_count, bool has_bias,
                                size_t bias_count) {
  *this = ConvOpHost();
  ConvDesc d;
  if (std::string e = conv_desc_from_json(options_json, d); !e.empty()) return e;
  if (std::string e = check_lengths(d, weights_count, has_bias, bias_count); !e.empty()) return e;
  desc_ = d;
  has_bias_ = has_bias;
  weights_count_ = weights_count;
  bias_count_ = has_bias ? bias_count : 0;
  staged_weights_.assign(weights_count, 0.0f);
  staged_bias_.assign(has_bias ? bias_count : 0, 0.0f);
  prepared_ = true;
  return "";
}

std::string ConvOpHost::restage() {
  if (!op_.ready()) return "restage() needs a packed op";
  staged_weights_.assign(weights_count_, 0.0f);
  staged_bias_.assign(bias_count_, 0.0f);
  restaged_ = true;
  return "";
}

std::string ConvOpHost::pack() {
  if (restaged_) {
    restaged_ = false;
    const std::string e = op_.set_weights(staged_weights_.data(), staged_weights_.size(),
                                          has_bias_ ? staged_bias_.data() : nullptr, staged_bias_.size());
    std::vector<float>().swap(staged_weights_);
    std::vector<float>().swap(staged_bias_);
    return e;
  }
  if (!prepared_) return "pack() needs a successful prepare() first";
  const std::string e = op_.create(desc_, staged_weights_.data(), staged_weights_.size(),
                                   has_bias_ ? staged_bias_.data() : nullptr, staged_bias_.size());
  std::vector<float>().swap(staged_weights_);
  std::vector<float>().swap(staged_bias_);
  prepared_ = false;
  if (!e.empty()) return e;
  input_.assign(desc_.input.elements(), 0.0f);
  output_.assign(op_.output_shape().elements(), 0.0f);
  return "";
}

int ConvOpHost::output_dim(int i) const {
  if (!op_.ready() || i < 0 || i > 3) return 0;
  const Shape4& s = op_.output_shape();
  const int dims[4] = {s.n, s.h, s.w, s.c};
  return dims[i];
}

void ConvOpHost::run() {
  if (op_.ready()) op_.run(input_.data(), output_.data());
}

std::string ConvOpHost::run_on(const MapOpsHost& maps) {
  if (!op_.ready()) return "run_on() needs a packed op";
  if (maps.output_len() != input_.size()) {
    return "run_on(): the maps hold " + std::to_string(maps.output_len()) + " values, this op's input " +
           std::to_string(input_.size());
  }
  op_.run(maps.output(), output_.data());
  return "";
}

void ConvOpHost::run_reference() {
  if (op_.ready()) op_.run_reference(input_.data(), output_.data());
}

}  // namespace convscope::kernels
