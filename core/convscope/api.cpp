#include "convscope/api.hpp"

#include "convscope/analyze.hpp"
#include "convscope/compare.hpp"
#include "convscope/network_json.hpp"
#include "convscope/report_json.hpp"
#include "convscope/share_link.hpp"

namespace convscope::api {

Result malformed(std::string error) {
  Result r;
  r.exit_code = 2;
  r.error = std::move(error);
  return r;
}

namespace {

Result analysed(const std::string& network_json, bool table) {
  Network net;
  std::string error;
  if (!network_json::parse(network_json, net, error)) return malformed(error);
  const Report report = analyze(net);
  Result r;
  r.exit_code = report.ok ? 0 : 1;
  r.output = table ? report_table(report, net) : report_text_json(report, net);
  return r;
}

Result compared(const std::string& network_json, bool table) {
  Network net;
  std::string error;
  if (!network_json::parse(network_json, net, error)) return malformed(error);
  const Comparison c = compare(net);
  Result r;
  r.exit_code = c.differing == 0 ? 0 : 1;
  r.output = table ? comparison_table(c, net) : json::write(comparison_to_json(c, net), 2) + "\n";
  return r;
}

}  // namespace

Result compare_json(const std::string& network_json) { return compared(network_json, false); }

Result compare_table(const std::string& network_json) { return compared(network_json, true); }

Result analyze_json(const std::string& network_json) { return analysed(network_json, false); }

Result analyze_table(const std::string& network_json) { return analysed(network_json, true); }

Result decode_link(const std::string& hash) {
  share_link::Decoded decoded;
  share_link::ShareLinkError link_error;
  if (!share_link::decode(hash, decoded, link_error)) return malformed(link_error.message);
  // Validate meaning now, so a link gets the same messages as a file.
  Network net;
  std::string error;
  if (!network_json::from_json(decoded.network, net, error)) return malformed(error);
  Result r;
  r.output = json::write(network_json::to_json(net), 2) + "\n";
  json::Array pairs;
  for (const auto& kv : decoded.extras)
    pairs.push_back(json::Value(json::Array{json::Value(kv.first), json::Value(kv.second)}));
  r.extras = json::write(json::Value(std::move(pairs)), -1);
  return r;
}

Result encode_link(const std::string& network_json, const std::string& extras_json) {
  Network net;
  std::string error;
  if (!network_json::parse(network_json, net, error)) return malformed(error);
  const json::Value canonical = network_json::to_json(net);
  json::Object kept;
  for (const auto& kv : canonical.as_object())
    if (kv.first != "description" && kv.first != "guessed") kept.push_back(kv);  // links carry the network, not its prose

  json::Value parsed;
  json::ParseError parse_error;
  if (!json::parse(extras_json, parsed, parse_error)) return malformed("extras: " + parse_error.message);
  share_link::Extras extras;
  const bool pairs = parsed.is_array();
  for (size_t i = 0; pairs && i < parsed.as_array().size(); ++i) {
    const json::Value& p = parsed.as_array()[i];
    if (!p.is_array() || p.as_array().size() != 2 || !p.as_array()[0].is_string() || !p.as_array()[1].is_string())
      return malformed("extras[" + std::to_string(i) + "]: expected a [key, value] pair of strings");
    extras.push_back({p.as_array()[0].as_string(), p.as_array()[1].as_string()});
  }
  if (!pairs) return malformed("extras: expected a list of [key, value] pairs");

  Result r;
  share_link::ShareLinkError link_error;
  if (!share_link::encode(json::Value(std::move(kept)), extras, r.output, link_error))
    return malformed(link_error.message);
  return r;
}

Result normalize(const std::string& network_json) {
  Network net;
  std::string error;
  if (!network_json::parse(network_json, net, error)) return malformed(error);
  Result r;
  r.output = json::write(network_json::to_json(net), 2) + "\n";
  return r;
}

std::string version() { return "0.1.0"; }

}  // namespace convscope::api
