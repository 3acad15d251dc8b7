#include "convscope/api.hpp"

#include "convscope/analyze.hpp"
#include "convscope/network_json.hpp"
#include "convscope/report_json.hpp"
#include "convscope/share_link.hpp"

namespace convscope::api {

namespace {

template <class Body>
Result guarded(Body body) {
  Result r;
  try {
    body(r);
  } catch (const network_json::InputError& e) {
    r = Result{2, "", e.what(), ""};
  } catch (const share_link::ShareLinkError& e) {
    r = Result{2, "", e.what(), ""};
  } catch (const std::bad_alloc&) {
    r = Result{2, "", "out of memory while reading the input", ""};
  } catch (const std::exception& e) {
    // A bug, not bad input; still a message rather than an abort.
    r = Result{2, "", std::string("internal error: ") + e.what(), ""};
  }
  return r;
}

}  // namespace

Result analyze_json(const std::string& network_json) {
  return guarded([&](Result& r) {
    const Network net = network_json::parse(network_json);
    const Report report = analyze(net);
    r.exit_code = report.ok ? 0 : 1;
    r.output = report_text_json(report, net);
  });
}

Result analyze_table(const std::string& network_json) {
  return guarded([&](Result& r) {
    const Network net = network_json::parse(network_json);
    const Report report = analyze(net);
    r.exit_code = report.ok ? 0 : 1;
    r.output = report_table(report, net);
  });
}

Result decode_link(const std::string& hash) {
  return guarded([&](Result& r) {
    share_link::Decoded d = share_link::decode(hash);
    // Validate meaning now, so a link gets the same messages as a file.
    const Network net = network_json::from_json(d.network);
    r.output = json::write(network_json::to_json(net), 2) + "\n";
    json::Array pairs;
    for (const auto& kv : d.extras) pairs.push_back(json::Value(json::Array{json::Value(kv.first), json::Value(kv.second)}));
    r.extras = json::write(json::Value(std::move(pairs)), -1);
  });
}

Result encode_link(const std::string& network_json, const std::string& extras_json) {
  return guarded([&](Result& r) {
    const Network net = network_json::parse(network_json);
    json::Value v = network_json::to_json(net);
    json::Object kept;
    for (auto& kv : v.as_object())
      if (kv.first != "description") kept.push_back(kv);  // links carry the network, not its prose
    share_link::Extras extras;
    json::Value ev;
    try {
      ev = json::parse(extras_json);
    } catch (const json::ParseError& e) {
      throw network_json::InputError(std::string("extras: ") + e.what());
    }
    if (!ev.is_array()) throw network_json::InputError("extras: expected a list of [key, value] pairs");
    for (const auto& p : ev.as_array()) {
      if (!p.is_array() || p.as_array().size() != 2 || !p.as_array()[0].is_string() || !p.as_array()[1].is_string())
        throw network_json::InputError("extras: expected a list of [key, value] string pairs");
      extras.push_back({p.as_array()[0].as_string(), p.as_array()[1].as_string()});
    }
    r.output = share_link::encode(json::Value(std::move(kept)), extras);
  });
}

Result normalize(const std::string& network_json) {
  return guarded([&](Result& r) {
    r.output = json::write(network_json::to_json(network_json::parse(network_json)), 2) + "\n";
  });
}

std::string version() { return "0.1.0"; }

}  // namespace convscope::api
