#include "convscope/import/readings.hpp"

#include <algorithm>

#include "convscope/analyze.hpp"
#include "convscope/import/text.hpp"
#include "convscope/limits.hpp"

namespace convscope::import {

namespace {

using std::to_string;

constexpr size_t kFixesNamed = 3;  // per reading, in a note

struct Reading {
  std::string what;  // "`pool` called after each conv (...)"
  Network net;
  Report report;
};

bool keeps_shape(LayerType t) {
  return t == LayerType::relu || t == LayerType::activation || t == LayerType::batch_norm || t == LayerType::dropout;
}

bool is_pool(LayerType t) { return t == LayerType::max_pool || t == LayerType::avg_pool; }

bool ends_features(LayerType t) {
  return t == LayerType::flatten || t == LayerType::dense || t == LayerType::global_avg_pool ||
         t == LayerType::global_max_pool || t == LayerType::adaptive_avg_pool;
}

// The feature part of a chain: the layers before the first flatten, dense
// or global pool.
size_t feature_end(const Network& net) {
  for (size_t i = 0; i < net.layers.size(); ++i)
    if (ends_features(net.layers[i].type)) return i;
  return net.layers.size();
}

// One pooling module printed once after several convs: the same chain with
// it called after every conv (after the conv's activation or batch norm).
// nullopt when the model has no such module or already pools after each conv.
std::optional<Network> pool_after_each_conv(const Network& net, size_t& pool_at) {
  const size_t end = feature_end(net);
  std::vector<size_t> pools, convs;
  for (size_t i = 0; i < end; ++i) {
    if (is_pool(net.layers[i].type)) pools.push_back(i);
    if (net.layers[i].type == LayerType::conv) convs.push_back(i);
  }
  if (pools.size() != 1 || convs.size() < 2) return std::nullopt;
  pool_at = pools[0];
  Network reading = net;
  reading.layers.clear();
  size_t calls = 0;
  for (size_t i = 0; i < net.layers.size(); ++i) {
    if (i == pool_at) continue;
    reading.layers.push_back(net.layers[i]);
    if (i >= end || net.layers[i].type != LayerType::conv) continue;
    size_t j = i + 1;
    while (j < end && (keeps_shape(net.layers[j].type) || j == pool_at)) {
      if (j != pool_at) reading.layers.push_back(net.layers[j]);
      ++j;
    }
    i = j - 1;
    reading.layers.push_back(net.layers[pool_at]);
    ++calls;
  }
  if (calls < 2 || reading.layers.size() > limits::max_layers) return std::nullopt;
  return reading;
}

// How far the input is from one that the reading accepts (0: it does).
int64_t distance_to_valid(const Network& net, const Report& r) {
  if (r.ok) return 0;
  const std::vector<int64_t>& below = r.valid_input.nearest_below;
  const std::vector<int64_t>& above = r.valid_input.nearest_above;
  if (below.empty() && above.empty()) return -1;  // no input size helps
  const size_t sr = net.spatial_rank();
  const bool channels_last = net.framework == Framework::tensorflow;
  int64_t best = -1;
  for (const std::vector<int64_t>* near : {&below, &above}) {
    if (near->size() != sr) continue;
    int64_t d = 0;
    for (size_t a = 0; a < sr; ++a) {
      const int64_t given = net.input[channels_last ? 1 + a : 2 + a];
      d += std::max((*near)[a] - given, given - (*near)[a]);
    }
    if (best < 0 || d < best) best = d;
  }
  return best;
}

std::string verdict_text(const Reading& r) {
  if (r.report.ok) return "every layer valid";
  const LayerReport& l = r.report.layers[*r.report.first_error];
  std::string s = l.name + " fails: " + l.message;
  if (!l.fixes.empty()) {
    s += "; its fixes: ";
    for (size_t f = 0; f < l.fixes.size() && f < kFixesNamed; ++f) s += (f ? "; " : "") + l.fixes[f].summary;
  }
  return s;
}

Report analysed(const Network& net) { return analyze(net); }

// The importer's "read in the order printed" note, wrong once another
// reading is the network.
void drop_printed_order_note(ImportResult& out) {
  const std::string note = "print(model) does not show forward(); the modules of ";
  out.notes.erase(std::remove_if(out.notes.begin(), out.notes.end(),
                                 [&](const std::string& n) { return n.compare(0, note.size(), note) == 0; }),
                  out.notes.end());
}

// ---- A module reused in forward() ------------------------------------------

// True when it read the network another way or added readings.
bool fails_at(const Reading& r, const std::string& name) {
  return !name.empty() && r.report.first_error && r.net.layers[*r.report.first_error].name == name;
}

bool read_reused_pool(ImportResult& out, const Report& printed_report, const std::string& raised) {
  size_t pool_at = 0;
  std::optional<Network> reused = pool_after_each_conv(out.network, pool_at);
  if (!reused) return false;
  const std::string pool = text::quoted(out.network.layers[pool_at].name);
  Reading printed{"the modules in the order printed (" + pool + " once, where print(model) lists it)", out.network,
                  printed_report};
  Reading reuse{pool + " called after each conv (one module reused in forward(), as the PyTorch CIFAR tutorial "
                "does with self.pool)", *reused, analysed(*reused)};
  const int64_t reuse_distance = distance_to_valid(reuse.net, reuse.report);
  if (reuse_distance < 0) return false;  // no input makes this reading work: the numbers do not suggest it
  if (reuse.report.ok) {
    // The numbers confirm it: the declared sizes fit only with the reuse.
    drop_printed_order_note(out);
    out.network = reuse.net;
    out.network.guessed = reuse.what + ": with the printed order " + verdict_text(printed) +
                          ", while with the reuse every declared size fits; forward() is not in the text";
    out.notes.push_back("read " + reuse.what + ", because then every declared size fits; in the printed order " +
                        verdict_text(printed));
    return true;
  }
  const int64_t printed_distance = distance_to_valid(printed.net, printed.report);
  // The traceback, when there is one, is evidence; else the reading whose
  // declared sizes fit an input nearer the one given comes first.
  const bool confirmed = fails_at(reuse, raised) != fails_at(printed, raised);
  const bool reuse_first = confirmed ? fails_at(reuse, raised)
                                     : printed_distance < 0 || reuse_distance <= printed_distance;
  const Reading& first = reuse_first ? reuse : printed;
  const Reading& second = reuse_first ? printed : reuse;
  if (reuse_first) drop_printed_order_note(out);
  out.network = first.net;
  out.network.guessed = "reading 1 of 2, " + first.what +
                        "; print(model) does not show forward(), and reading 2 is " + second.what;
  out.notes.push_back("print(model) does not show forward(), and its numbers allow two readings, so the fix depends "
                      "on what your forward() does" +
                      std::string(confirmed ? " (the traceback's " + text::quoted(raised) +
                                                  " fails only in reading 1, so that is the one imported):"
                                            : ":"));
  out.notes.push_back("reading 1 (imported): " + first.what + ": " + verdict_text(first));
  out.notes.push_back("reading 2: " + second.what + ": " + verdict_text(second));
  return true;
}

// ---- A skip concatenation ------------------------------------------------------

size_t channel_axis(const Network& net) { return net.framework == Framework::tensorflow ? net.input.size() - 1 : 1; }

bool same_spatial(const Shape& a, const Shape& b, size_t channel) {
  if (a.size() != b.size()) return false;
  for (size_t i = 1; i < a.size(); ++i)
    if (i != channel && a[i] != b[i]) return false;
  return true;
}

void read_skip_concat(ImportResult& out, const Report& report) {
  if (!report.first_error) return;
  const size_t at = *report.first_error;
  const Layer& failing = out.network.layers[at];
  const LayerReport& r = report.layers[at];
  if (!failing.in_channels || !r.input) return;
  const size_t c = channel_axis(out.network);
  const int64_t arriving = (*r.input)[c];
  if (*failing.in_channels <= arriving) return;
  std::vector<size_t> partners;
  for (size_t k = 0; k + 1 < at; ++k) {
    const std::optional<Shape>& o = report.layers[k].output;
    if (o && same_spatial(*o, *r.input, c) && arriving + (*o)[c] == *failing.in_channels &&
        !keeps_shape(out.network.layers[k].type))
      partners.push_back(k);
  }
  const std::string name = text::quoted(failing.name);
  const std::string why = name + " declares " + to_string(*failing.in_channels) + " input channels but " +
                          to_string(arriving) + " arrive";
  if (partners.size() != 1) {
    if (!partners.empty()) {
      std::string names;
      for (size_t k : partners) names += (names.empty() ? "" : ", ") + text::quoted(out.network.layers[k].name);
      out.notes.push_back(why + "; " + to_string(arriving) + " plus the channels of any of " + names +
                          " (same size) make " + to_string(*failing.in_channels) +
                          ": forward() probably concatenates one of them (torch.cat), and print(model) does not "
                          "show which; the wiring into " + name + " cannot be seen, so it was read in print order");
    }
    return;
  }
  const size_t k = partners[0];
  Network merged = out.network;
  Layer cat;
  cat.type = LayerType::concat;
  cat.name = "cat_" + failing.name;
  cat.inputs = {static_cast<int32_t>(at) - 1, static_cast<int32_t>(k)};
  insert_layer(merged, at, cat);
  merged.layers[at + 1].inputs = {static_cast<int32_t>(at)};  // the failing layer reads the concatenation
  compact_inputs(merged);
  const Report merged_report = analysed(merged);
  if (merged_report.first_error && *merged_report.first_error <= at + 1) return;  // the merge does not fit either
  const std::string partner = text::quoted(out.network.layers[k].name);
  const std::string before = text::quoted(out.network.layers[at - 1].name);
  const std::string what = "an inferred torch.cat of " + before + " and " + partner + " into " + name + ", because " +
                           why + " and " + to_string(arriving) + " + " + to_string((*report.layers[k].output)[c]) +
                           " (" + partner + ", same size) = " + to_string(*failing.in_channels);
  drop_printed_order_note(out);
  out.network = std::move(merged);
  out.network.guessed = what + "; forward() is not in the text";
  out.notes.push_back("read " + what + " (print(model) does not show forward(); if " + name +
                      " reads something else, its wiring cannot be seen from this text)");
}

// ---- A U-Net --------------------------------------------------------------------
//
// A U-Net registers one `pool` and calls it after each encoder block, and
// concatenates each encoder block's output into the decoder at the same
// depth; print(model) shows the pool once and no torch.cat. Both are read
// back from the declared channels, and the reading is kept only when some
// input size makes every layer valid in it.

// The container a layer sits in as print(model) names it ("enc1" for
// "enc1.0"); empty for a module printed at the top level.
std::string container_of(const std::string& name) {
  const size_t dot = name.find('.');
  return dot == std::string::npos ? std::string() : name.substr(0, dot);
}

// The containers printed just before the chain's one pooling module, when
// there are two or more: the encoder blocks it would follow. Each with the
// index of its last layer.
std::vector<std::pair<std::string, size_t>> blocks_before_pool(const Network& net, size_t& pool_at) {
  std::vector<size_t> pools;
  const size_t end = feature_end(net);
  for (size_t i = 0; i < end; ++i)
    if (is_pool(net.layers[i].type)) pools.push_back(i);
  std::vector<std::pair<std::string, size_t>> blocks;
  if (pools.size() != 1 || !container_of(net.layers[pools[0]].name).empty()) return blocks;
  pool_at = pools[0];
  for (size_t i = pool_at; i > 0 && !container_of(net.layers[i - 1].name).empty(); --i) {
    const std::string c = container_of(net.layers[i - 1].name);
    if (blocks.empty() || blocks.back().first != c) blocks.emplace_back(c, i - 1);
  }
  std::reverse(blocks.begin(), blocks.end());
  if (blocks.size() < 2) blocks.clear();
  return blocks;
}

// The chain with the pool called after each of `blocks` instead of once.
// Layer names must be unique once a torch.cat reads by name, so the second
// and later calls are named as PyTorch's ONNX export names them (pool_1,
// pool_2, ...); nullopt when a printed module already has such a name.
std::optional<Network> pool_after_each_block(const Network& net, size_t pool_at,
                                             const std::vector<std::pair<std::string, size_t>>& blocks) {
  Network reading = net;
  reading.layers.clear();
  size_t calls = 0;
  for (size_t i = 0; i < net.layers.size(); ++i) {
    if (i == pool_at) continue;
    reading.layers.push_back(net.layers[i]);
    for (const auto& b : blocks) {
      if (b.second != i) continue;
      Layer call = net.layers[pool_at];
      if (calls > 0) call.name += "_" + to_string(calls);
      if (calls > 0 && std::any_of(net.layers.begin(), net.layers.end(),
                                   [&](const Layer& l) { return l.name == call.name; }))
        return std::nullopt;
      reading.layers.push_back(call);
      ++calls;
    }
  }
  return reading;
}

// Whether layer i of a chain is the last layer of its container.
bool ends_container(const Network& net, size_t i) {
  const std::string c = container_of(net.layers[i].name);
  return !c.empty() && (i + 1 == net.layers.size() || container_of(net.layers[i + 1].name) != c);
}

std::string joined(const std::vector<std::string>& names) {
  std::string s;
  for (size_t i = 0; i < names.size(); ++i)
    s += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + text::quoted(names[i]);
  return s;
}

// Walks a chain by channels alone (no sizes: a skip whose size does not
// match is exactly what the analysis must then report) and, at each conv
// that declares more input channels than arrive, inserts a torch.cat of an
// encoder output (the layer before a pool) with what arrives, when that
// output has the missing channels: the deepest one not yet concatenated, as
// a U-Net's decoder climbs back up. False when a declared count is left
// unexplained. `notes` gets one line per torch.cat, `cats` its short form.
bool infer_skip_concats(Network& net, std::vector<std::string>& notes, std::vector<std::string>& cats) {
  if (net.input.size() < 2) return false;
  int64_t ch = net.input[1];
  std::vector<int64_t> out_ch;                         // per layer so far
  std::vector<std::pair<size_t, int64_t>> encoders;    // unmatched encoder outputs, shallowest first
  bool features = true;
  for (size_t i = 0; features && i < net.layers.size(); ++i) {
    const Layer l = net.layers[i];
    if (is_pool(l.type) && i > 0 && !is_pool(net.layers[i - 1].type)) encoders.emplace_back(i - 1, ch);
    if ((l.type == LayerType::conv || l.type == LayerType::conv_transpose) && l.in_channels &&
        *l.in_channels != ch) {
      const int64_t missing = *l.in_channels - ch;
      auto skip = std::find_if(encoders.rbegin(), encoders.rend(), [&](const auto& e) { return e.second == missing; });
      if (missing <= 0 || skip == encoders.rend() || i == 0) return false;
      const size_t k = skip->first;
      encoders.erase(std::next(skip).base());
      Layer cat;
      cat.type = LayerType::concat;
      cat.name = "cat_" + l.name;
      std::replace(cat.name.begin(), cat.name.end(), '.', '_');
      // The skip first, as the classic U-Net writes torch.cat([x2, x1], 1);
      // the other order only swaps the two sizes in PyTorch's message.
      cat.inputs = {static_cast<int32_t>(k), static_cast<int32_t>(i) - 1};
      insert_layer(net, i, cat);
      net.layers[i + 1].inputs = {static_cast<int32_t>(i)};
      out_ch.push_back(*l.in_channels);
      const std::string skip_name = ends_container(net, k) ? container_of(net.layers[k].name) : net.layers[k].name;
      const std::string before = net.layers[i - 1].name;
      std::vector<std::string> inner;  // the container's other layers with these channels
      for (size_t j = 0; j < k; ++j)
        if (skip_name != net.layers[k].name && container_of(net.layers[j].name) == skip_name &&
            !keeps_shape(net.layers[j].type) && out_ch[j] == missing)
          inner.push_back(net.layers[j].name);
      cats.push_back(text::quoted(skip_name) + " into " + text::quoted(l.name));
      notes.push_back(
          "inferred torch.cat([" + skip_name + ", " + before + "], 1) into " + text::quoted(l.name) + ": it declares " +
          to_string(*l.in_channels) + " input channels but " + to_string(ch) + " arrive from " + text::quoted(before) +
          ", and " + to_string(ch) + " + " + to_string(missing) + " from " +
          (skip_name != net.layers[k].name ? "the output of " + text::quoted(skip_name) + " (its last layer " +
                                                 text::quoted(net.layers[k].name) + ")"
                                           : text::quoted(skip_name)) +
          " = " + to_string(*l.in_channels) + "; " + text::quoted(skip_name) +
          " is the deepest encoder output with these channels not yet concatenated" +
          (inner.empty() ? std::string()
                         : " (" + joined(inner) + " inside it have " + to_string(missing) +
                               " channels too, but a U-Net concatenates a block's output)") +
          "; the sizes were not compared, so a mismatch shows at this torch.cat; the skip is read first, as "
          "the classic U-Net writes it (the other order swaps the two sizes in PyTorch's message)");
      ++i;
    }
    switch (l.type) {
      case LayerType::conv:
      case LayerType::conv_transpose: ch = l.filters; break;
      case LayerType::depthwise_conv: ch *= l.depth_multiplier; break;
      default:
        if (!keeps_shape(l.type) && !is_pool(l.type) && l.type != LayerType::upsample &&
            l.type != LayerType::zero_pad && l.type != LayerType::crop)
          features = false;  // the features end here; what follows is read as printed
    }
    out_ch.push_back(ch);
  }
  compact_inputs(net);
  return !cats.empty();
}

std::string first_failure(const Reading& r) {
  if (r.report.ok) return "every layer is valid";
  const LayerReport& l = r.report.layers[*r.report.first_error];
  return l.name + " fails: " + l.message;
}

bool read_unet(ImportResult& out, const Report& printed_report) {
  const Network& net = out.network;
  if (std::none_of(net.layers.begin(), net.layers.end(),
                   [](const Layer& l) { return !container_of(l.name).empty(); }))
    return false;  // no blocks: the plain readings above cover it
  size_t pool_at = 0;
  struct Candidate {
    Reading reading;
    std::vector<std::string> notes, cats;
    int64_t distance = -1;
  };
  std::vector<Candidate> candidates;  // the pool after each encoder block (when printed once), then as printed
  std::vector<Network> nets;
  std::vector<std::pair<std::string, size_t>> blocks = blocks_before_pool(net, pool_at);
  if (std::optional<Network> reused = blocks.empty() ? std::nullopt : pool_after_each_block(net, pool_at, blocks))
    nets.push_back(std::move(*reused));
  else
    blocks.clear();
  nets.push_back(net);
  for (Network& n : nets) {
    Candidate c;
    if (!infer_skip_concats(n, c.notes, c.cats) || n.layers.size() > limits::max_layers) {
      candidates.push_back(std::move(c));
      continue;
    }
    c.reading = Reading{"", n, analysed(n)};
    c.distance = distance_to_valid(c.reading.net, c.reading.report);
    candidates.push_back(std::move(c));
  }
  // The reading whose declared sizes fit at some input; the one valid at
  // this input when both are.
  const Candidate* best = nullptr;
  for (const Candidate& c : candidates)
    if (c.distance >= 0 && (!best || (c.reading.report.ok && !best->reading.report.ok))) best = &c;
  if (!best) return false;
  const bool reused = !blocks.empty() && best == &candidates[0];
  std::vector<std::string> block_names;
  for (const auto& b : blocks) block_names.push_back(b.first);
  const std::string pool = text::quoted(net.layers[pool_at].name);
  std::string cats;
  for (size_t i = 0; i < best->cats.size(); ++i)
    cats += (i == 0 ? "" : i + 1 == best->cats.size() ? " and " : ", ") + best->cats[i];
  const std::string what = "a U-Net: " +
                           (reused ? pool + " called after each encoder block (" + joined(block_names) + "), and " : "") +
                           "torch.cat of " + cats;
  std::vector<std::string> notes;
  notes.push_back("read as " + what + ", because in the printed order " + first_failure({"", net, printed_report}) +
                  ", while in this reading " +
                  (best->reading.report.ok ? std::string("every layer is valid at this input")
                                           : "the declared sizes fit at some input sizes and " +
                                                 first_failure(best->reading)) +
                  " (print(model) does not show forward(); if yours wires these modules otherwise, this reading is "
                  "not your model)");
  if (reused) {
    const Candidate& once = candidates[1];
    notes.push_back(pool + " is printed once, after " + text::quoted(block_names.back()) +
                    ", and read as called after each of " + joined(block_names) +
                    " (one module reused in forward(), as U-Nets do with self.pool; its later calls are named " +
                    text::quoted(net.layers[pool_at].name + "_1") + " and so on, as PyTorch's ONNX export names "
                    "them), because with it only where "
                    "printed " +
                    (once.distance < 0 ? std::string("no input size makes every layer valid")
                                       : first_failure(once.reading)));
  }
  notes.insert(notes.end(), best->notes.begin(), best->notes.end());
  Network chosen = best->reading.net;
  drop_printed_order_note(out);
  out.network = std::move(chosen);
  out.network.guessed = what + "; forward() is not in the text";
  out.notes.insert(out.notes.end(), notes.begin(), notes.end());
  return true;
}

}  // namespace

void add_readings(ImportResult& out, const std::string& raised) {
  // Only a guessed structure has other readings: an nn.Sequential runs its
  // modules in the order printed.
  if (out.format != Format::pytorch_repr || out.network.guessed.empty() || !is_chain(out.network) ||
      out.network.layers.empty())
    return;
  // The verdict alone first: most models are valid as printed, and the whole
  // analysis (fixes, valid sizes) is only needed to weigh readings.
  AnalyzeOptions verdict;
  verdict.fixes = verdict.min_input = verdict.explain = false;
  verdict.verdict_only = true;
  if (analyze(out.network, verdict).ok) return;
  const Report printed = analysed(out.network);
  if (!read_unet(out, printed) && !read_reused_pool(out, printed, raised)) read_skip_concat(out, printed);
}

}  // namespace convscope::import
