#include "convscope/import/mixed_paste.hpp"

#include "convscope/analyze.hpp"
#include "convscope/import/draft.hpp"
#include "convscope/import/error_message.hpp"
#include "convscope/import/pytorch_repr.hpp"
#include "convscope/import/readings.hpp"
#include "convscope/import/text.hpp"

namespace convscope::import {

namespace {

struct TextLine {
  size_t begin = 0, end = 0;  // the line without its newline
  size_t first = 0;           // first non-blank character (== end when blank)
};

TextLine line_at(const std::string& t, size_t pos) {
  TextLine l{pos, t.find('\n', pos), pos};
  if (l.end == std::string::npos) l.end = t.size();
  size_t e = l.end;
  while (e > l.begin && (t[e - 1] == '\r' || t[e - 1] == ' ' || t[e - 1] == '\t')) --e;
  l.end = e;
  while (l.first < l.end && (t[l.first] == ' ' || t[l.first] == '\t')) ++l.first;
  return l;
}

size_t next_line(const std::string& t, size_t pos) {
  const size_t nl = t.find('\n', pos);
  return nl == std::string::npos ? t.size() : nl + 1;
}

bool opens_module(const std::string& t, const TextLine& l) {
  if (l.first >= l.end || !text::is_ident_start(t[l.first]) || t[l.end - 1] != '(') return false;
  for (size_t i = l.first; i + 1 < l.end; ++i)
    if (!text::is_ident_char(t[i]) && t[i] != '.') return false;
  return true;
}

bool is_child(const std::string& t, const TextLine& l) {
  return l.first < l.end && t[l.first] == '(' && t.find("): ", l.first) < l.end;
}

}  // namespace

bool find_pytorch_repr_block(const std::string& t, size_t& begin, size_t& end) {
  for (size_t pos = 0; pos < t.size(); pos = next_line(t, pos)) {
    const TextLine open = line_at(t, pos);
    if (!opens_module(t, open)) continue;
    size_t q = next_line(t, pos);
    TextLine child = line_at(t, q);
    while (q < t.size() && child.first == child.end) child = line_at(t, q = next_line(t, q));
    if (q >= t.size() || !is_child(t, child)) continue;
    const size_t indent = open.first - open.begin;
    for (size_t r = q; r < t.size(); r = next_line(t, r)) {
      const TextLine close = line_at(t, r);
      if (close.first - close.begin == indent && close.end == close.first + 1 && t[close.first] == ')') {
        begin = open.begin;
        end = close.end;
        return true;
      }
    }
    return false;  // a model that never closes: not a block
  }
  return false;
}

bool import_traceback_with_model(const std::string& t, size_t begin, size_t end, const ImportOptions& options,
                                 ImportResult& out, std::string& error) {
  // Positions in the model's errors count from the block: say where it starts.
  size_t first_line = 1;
  for (size_t i = 0; i < begin; ++i) first_line += t[i] == '\n';
  ImportResult message;
  std::string message_error;
  const bool message_ok = import_error_message(t, options, message, message_error);
  std::string model_error;
  if (!import_pytorch_repr(t.substr(begin, end - begin), options, out, model_error)) {
    if (!message_ok) {
      error = message_error;
      return false;
    }
    out = std::move(message);
    out.notes.push_back("the text also holds what looks like print(model) (from line " + std::to_string(first_line) +
                        "), but it could not be read (" + model_error + "), so only the message was used");
    return true;
  }
  out.notes.insert(out.notes.begin(), "the text holds an error message and print(model) (from line " +
                                          std::to_string(first_line) + "): the model was imported");
  if (!message_ok || message.network.layers.empty()) {
    add_readings(out);
    out.notes.push_back("the error message in the text could not be read (" + message_error + "); only the model was used");
    return true;
  }
  const std::string raised = message.network.layers.back().name;
  add_readings(out, raised);
  std::string recognised = message.notes.empty() ? "error message" : message.notes.front();
  if (recognised.rfind("recognised the ", 0) == 0) recognised.erase(0, 15);
  const Report report = analyze(out.network, AnalyzeOptions{false, false, 0, false, true});
  std::string verdict;
  if (!report.first_error)
    verdict = "this reading of the model is valid at its input " + shape_text(out.network.input) +
              ", so the traceback's input was another: give that input shape to see the failure";
  else if (out.network.layers[*report.first_error].name == raised)
    verdict = "this reading fails there too";
  else
    verdict = "this reading fails first at " + text::quoted(out.network.layers[*report.first_error].name) +
              " at its input " + shape_text(out.network.input) +
              (options.input ? "" : " (assumed: give the input shape your code ran with)");
  out.notes.push_back("the " + recognised + " says " +
                      (raised.empty() ? std::string("a layer it does not name") : text::quoted(raised)) + " raised; " +
                      verdict);
  return true;
}

}  // namespace convscope::import
