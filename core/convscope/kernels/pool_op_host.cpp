#include "convscope/kernels/pool_op_host.hpp"

#include "convscope/kernels/reference.hpp"
#include "convscope/kernels/simd.hpp"

namespace convscope::kernels {

std::string PoolOpHost::prepare(const std::string& options_json) {
  *this = PoolOpHost();
  PoolOpDesc d;
  if (std::string e = pool_desc_from_json(options_json, d); !e.empty()) return e;
  desc_ = d;
  out_ = output_shape(d);
  input_.assign(d.window.input.elements(), 0.0f);
  output_.assign(out_.elements(), 0.0f);
  ready_ = true;
  return "";
}

int PoolOpHost::output_dim(int i) const {
  if (!ready_ || i < 0 || i > 3) return 0;
  const int dims[4] = {out_.n, out_.h, out_.w, out_.c};
  return dims[i];
}

void PoolOpHost::run() {
  if (!ready_) return;
  const Shape4& s = desc_.window.input;
  switch (desc_.kind) {
    case PoolOpKind::max_pool:
    case PoolOpKind::avg_pool: pool_f32_simd(desc_.window, input_.data(), output_.data()); break;
    case PoolOpKind::global_max_pool:
    case PoolOpKind::global_avg_pool: global_pool_f32_simd(desc_.window.kind, s, input_.data(), output_.data()); break;
    case PoolOpKind::upsample_nearest: upsample_nearest_f32(s, desc_.out_h, desc_.out_w, input_.data(), output_.data()); break;
  }
}

void PoolOpHost::run_reference() {
  if (!ready_) return;
  const Shape4& s = desc_.window.input;
  switch (desc_.kind) {
    case PoolOpKind::max_pool:
    case PoolOpKind::avg_pool: pool_reference(desc_.window, input_.data(), output_.data()); break;
    case PoolOpKind::global_max_pool:
    case PoolOpKind::global_avg_pool: global_pool_reference(desc_.window.kind, s, input_.data(), output_.data()); break;
    case PoolOpKind::upsample_nearest:
      upsample_nearest_reference(s, desc_.out_h, desc_.out_w, input_.data(), output_.data());
      break;
  }
}

}  // namespace convscope::kernels
