#include "convscope/kernels/row_bands.hpp"

#include <algorithm>

#include "convscope/json.hpp"
#include "convscope/kernels/conv_options.hpp"

namespace convscope::kernels {

std::vector<std::pair<int, int>> row_bands(int out_h, int parts) {
  const int pairs = (out_h + 1) / 2;
  const int n = std::max(1, std::min(parts, pairs));
  std::vector<std::pair<int, int>> bands;
  for (int i = 0, a = 0; i < n; ++i) {
    const int b = std::min(out_h, a + 2 * (pairs / n + (i < pairs % n ? 1 : 0)));
    bands.emplace_back(a, b);
    a = b;
  }
  return bands;
}

std::string band_of(const ConvDesc& whole, std::pair<int, int> rows, ConvBand& band) {
  if (whole.kind == ConvKind::transposed) return "a transposed conv is not split by rows";
  if (whole.input.n != 1) return "one image only";
  const auto [a, b] = rows;
  const int k_eff = whole.dilation_h * (whole.kernel_h - 1) + 1;
  const int start = a * whole.stride_h - whole.pad_top;  // first input row the band's windows touch (may be padding)
  const int end = (b - 1) * whole.stride_h - whole.pad_top + k_eff;  // one past the last
  const int in0 = std::max(0, start), in1 = std::min(whole.input.h, end);
  if (in1 <= in0) return "a band that reads no input row";
  const int pad_bottom = end - in1;  // the whole conv's bottom padding stays the band's where the band reaches it
  if (pad_bottom > whole.pad_bottom || in0 - start > whole.pad_top) return "a band beyond the padded input";
  band.desc = whole;
  band.desc.input.h = in1 - in0;
  band.desc.pad_top = in0 - start;
  band.desc.pad_bottom = pad_bottom;
  band.in_row = in0;
  band.out_row = a;
  return "";
}

namespace {

std::string pair_text(int a, int b) { return "[" + std::to_string(a) + "," + std::to_string(b) + "]"; }

}  // namespace

std::string row_bands_json(int out_h, int parts) {
  if (out_h < 1 || parts < 1) return "[]";
  std::string out = "[";
  for (const auto& [a, b] : row_bands(out_h, parts)) out += (out.size() > 1 ? "," : "") + pair_text(a, b);
  return out + "]";
}

std::string conv_band_json(const std::string& options_json, int first_row, int end_row) {
  const auto error = [](const std::string& e) { return "{\"error\":" + json::quote(e) + "}"; };
  ConvDesc whole;
  if (std::string e = conv_desc_from_json(options_json, whole); !e.empty()) return error(e);
  const int out_h = output_shape(whole).h;
  if (first_row < 0 || end_row <= first_row || end_row > out_h) {
    return error("rows " + std::to_string(first_row) + ".." + std::to_string(end_row) + " are not a band of the " +
                 std::to_string(out_h) + " output rows");
  }
  ConvBand band;
  if (std::string e = band_of(whole, {first_row, end_row}, band); !e.empty()) return error(e);
  const Shape4& in = band.desc.input;
  return "{\"inputShape\":[" + std::to_string(in.n) + "," + std::to_string(in.h) + "," + std::to_string(in.w) + "," +
         std::to_string(in.c) + "],\"padding\":[" + pair_text(band.desc.pad_top, band.desc.pad_bottom) + "," +
         pair_text(band.desc.pad_left, band.desc.pad_right) + "],\"inRows\":" +
         pair_text(band.in_row, band.in_row + in.h) + "}";
}

}  // namespace convscope::kernels
